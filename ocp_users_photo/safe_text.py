"""Text from a server or a model, made safe to show: bounded, printable, no escape sequences.

Whatever a Slack endpoint (or anything between) sends back may reach a terminal, a log
or a model: an ANSI or OSC escape could rewrite a terminal, a 100 KB string could flood
a model's context. ``shown`` keeps printable characters only (an escape's ESC becomes
``?``), collapses runs of whitespace, and cuts the text at ``limit`` characters.
"""

from __future__ import annotations

from typing import Final

DEFAULT_LIMIT: Final = 200
_ELLIPSIS: Final = "..."
# What stands where a secret was (credentials.py's JSON walk writes the same).
REDACTED: Final = "[redacted]"


def shown(text: str, limit: int = DEFAULT_LIMIT) -> str:
    """``text`` bounded to ``limit`` characters, printable, whitespace collapsed."""
    # Look at a little more than the limit only: the rest is never shown.
    head = text[: limit * 4 + 16]
    cleaned = "".join(ch if ch.isprintable() else ("?" if not ch.isspace() else " ") for ch in head)
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit or len(text) > len(head):
        return cleaned[: max(0, limit - len(_ELLIPSIS))] + _ELLIPSIS
    return cleaned


def redacted(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret replaced (longest first, so no secret leaves a tail)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text
