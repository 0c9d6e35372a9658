"""The command's exit codes and what each means: the one list that ``--help``, the README's
table and the command itself take them from, so the three cannot drift apart."""

from __future__ import annotations

from enum import IntEnum
from typing import Final

__all__ = ["MEANINGS", "ExitCode", "epilog"]


class ExitCode(IntEnum):
    """``ocp-users-photo``'s exit status for each outcome (a failure is one line on stderr)."""

    OK = 0
    INTERNAL = 1
    INVALID = 2
    SLACK_ERROR = 3
    RATE_LIMITED = 4
    TRANSPORT = 5
    REPLY_SCHEMA = 6
    INTERRUPTED = 130


# Each code's meaning: a few words for --help, then the README's line.
MEANINGS: Final[dict[ExitCode, tuple[str, str]]] = {
    ExitCode.OK: ("done", "done"),
    ExitCode.INTERNAL: (
        "unexpected failure",
        "unexpected: a failure of no kind listed here (a demo check; one after `set`'s or "
        "`undo`'s upload began says the photo may be changed), or stdout closed early "
        "or unwritable (a full disk): what the command did stands (`history` and `manifest` "
        "exit 0 when their reader closes early: `| head`)",
    ),
    ExitCode.INVALID: (
        "invalid arguments",
        "invalid arguments or configuration, nothing to undo, history unusable: nothing was sent",
    ),
    ExitCode.SLACK_ERROR: ("Slack error", "Slack answered with an error (ok: false)"),
    ExitCode.RATE_LIMITED: (
        "rate limited",
        "Slack rate-limited the call: try again after the time given",
    ),
    ExitCode.TRANSPORT: (
        "transport error",
        "no usable answer: network, timeout, server error, a reply that is not JSON",
    ),
    ExitCode.REPLY_SCHEMA: (
        "reply schema mismatch",
        "Slack's answer broke the response schema (the photo was probably set)",
    ),
    ExitCode.INTERRUPTED: ("interrupted", "interrupted"),
}


def epilog() -> str:
    """The codes in a line for ``--help``."""
    listed = ", ".join(f"{int(code)} {short}" for code, (short, _) in MEANINGS.items())
    return f"Exit codes: {listed}."
