"""Credentials taken out of a recorded request before the control API hands it out.

The control API answers any local process, so by default a listed request shows
no token: the Authorization, Proxy-Authorization and Cookie headers keep only
their scheme, and the values of the fields that carry credentials (token,
refresh_token, client_secret, code) are replaced wherever they appear: form,
query string and raw body.
"""

from __future__ import annotations

import json
import re
from typing import Final
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus

from ocp_users_photo.safe_text import REDACTED, without_tokens

SECRET_FIELDS = frozenset({"token", "refresh_token", "client_secret", "code"})
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def secret_values(
    headers: tuple[tuple[str, str], ...],
    form: tuple[tuple[str, str], ...],
    query_string: str,
) -> list[str]:
    """Every credential a request carries, longest first (so no secret is cut in two)."""
    found = {value for name, value in form if name in SECRET_FIELDS and value}
    query = parse_qsl(query_string, keep_blank_values=True)
    found.update(value for name, value in query if name in SECRET_FIELDS and value)
    for name, value in headers:
        if name in SECRET_HEADERS:
            scheme, space, credentials = value.partition(" ")
            found.add(credentials.strip() if space and scheme.isalpha() else value)
    found.discard("")
    return sorted(found, key=len, reverse=True)


def redact_header(name: str, value: str, secrets: list[str]) -> str:
    """A header as listed: a credential header keeps its scheme ("Bearer [redacted]"); any
    other loses the request's credentials and whatever is shaped like a Slack token."""
    if name not in SECRET_HEADERS:
        return without_tokens(redact_text(value, secrets))
    scheme, space, _ = value.partition(" ")
    return f"{scheme} {REDACTED}" if space and scheme.isalpha() else REDACTED


def redact_text(text: str, secrets: list[str]) -> str:
    """`text` with each secret, as written or %-encoded, replaced by [redacted]."""
    for secret in secrets:
        for form in dict.fromkeys((secret, quote_plus(secret), quote(secret, safe=""))):
            text = text.replace(form, REDACTED)
    return text


def redact_urlencoded(text: str) -> str:
    """A query string or form body with each credential field's value replaced, however the
    client %-encoded its name or value (token=xoxp%2D1..., lower-case hex): found by the
    field, not by the text the secret makes."""
    pieces = []
    for piece in text.split("&"):
        name, equals, _ = piece.partition("=")
        if equals and unquote_plus(name) in SECRET_FIELDS:
            piece = f"{name}={REDACTED}"
        pieces.append(piece)
    return "&".join(pieces)


# A JSON string as written, escapes and all, cut short or not: it matches at every quote,
# to the closing one or the end, possessively, so no quote inside a string is ever tried
# as the start of another (one in a run of escaped quotes was, each to the body's end).
_JSON_STRING: Final = re.compile(r'"(?:[^"\\]|\\(?:.|\Z))*+(?:"|\Z)', re.DOTALL)
# What makes a string a member's name: a colon after it.
_NAME_ENDS: Final = re.compile(r"\s*+:\s*+")
# A value that is neither a string, an array nor an object: a number, true, a bare word.
_BARE_VALUE: Final = re.compile(r'[^\s,{}\[\]"]++')
# A string as a credential's name may be written: token, refresh_token, client_secret and
# code, each letter as itself or as a \u00XX escape ("\u0074oken").
_MAY_NAME_A_CREDENTIAL: Final = re.compile(r'"(?:[a-z_]|\\u00[0-9A-Fa-f]{2}){4,13}"')
# Where an array's or an object's nesting changes, or a string starts.
_NESTING: Final = re.compile(r'["\[\]{}]')


def redact_json(body: bytes) -> bytes:
    """A JSON object body with each credential field's value replaced, however it was
    escaped ("xoxp\\u002d1..."); written again compactly. In any body (no JSON too, which
    the emulator refuses as invalid_json but logs), the value of each member named as a
    credential is replaced where it stands, at any depth."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return _redact_members(body)
    if not isinstance(document, dict) or not SECRET_FIELDS.intersection(document):
        return _redact_members(body)
    redacted = {key: REDACTED if key in SECRET_FIELDS else value for key, value in document.items()}
    return _redact_members(json.dumps(redacted, separators=(",", ":")).encode("utf-8"))


def _redact_members(body: bytes) -> bytes:
    """``body`` with each credential member's value replaced in the text as written (its
    name read with its escapes: "\\u0074oken" is "token"), and anything shaped like a
    Slack token besides."""
    # A body holding a NUL is read in UTF-16 and UTF-32, either byte order, from each byte
    # its letters may start at (a stray byte before them, a letter outside ASCII first: not
    # only where a JSON reader's guess would), with what does not decode replaced; it is
    # written again in that reading only where a member was redacted in it. Then as UTF-8
    # in any case (a UTF-8 body with a NUL among its first bytes reads as UTF-16 too).
    if b"\x00" in body:
        for encoding, start in _WIDE_READINGS:
            text = body[start:].decode(encoding, "replace")
            redacted = _members_redacted(text)
            if redacted != text:
                body = body[:start] + redacted.encode(encoding)
    return _members_redacted(body.decode("utf-8", "surrogateescape")).encode(
        "utf-8", "surrogateescape"
    )


# Each wide encoding, and each byte a letter of it may start at.
_WIDE_READINGS: Final = tuple(
    (encoding, start)
    for encoding, width in (("utf-16-le", 2), ("utf-16-be", 2), ("utf-32-le", 4), ("utf-32-be", 4))
    for start in range(width)
)


def _members_redacted(text: str) -> str:
    """``text`` with each credential member's value replaced (a string, a bare word, or a
    whole array or object: ``"client_secret": ["..."]`` kept its secret before), and token
    shapes masked. One pass from left to right: each string is matched once, from its
    opening quote, and a value is skipped as a whole."""
    pieces: list[str] = []
    copied = 0  # the text before this is in pieces
    at = 0
    while (quote := text.find('"', at)) != -1:
        at = _string_end(text, quote)
        colon = _NAME_ENDS.match(text, at)
        if colon is None or not _names_a_credential(text[quote:at]):
            continue
        value_starts = colon.end()
        value_ends = _value_end(text, value_starts)
        if value_ends == value_starts:
            continue  # no value written: nothing to take out
        pieces.append(text[copied:value_starts])
        pieces.append(f'"{REDACTED}"')
        copied = at = value_ends
    pieces.append(text[copied:])
    return without_tokens("".join(pieces))


def _string_end(text: str, quote: int) -> int:
    """Where the JSON string opened by the quote at ``quote`` ends (the body's end, if it
    is cut short)."""
    string = _JSON_STRING.match(text, quote)
    assert string is not None, "a JSON string matches at every quote"
    return string.end()


def _names_a_credential(written: str) -> bool:
    """Whether a string as written (escapes and all) names a credential field. Only a
    string written as a credential's name may be (4 to 13 letters or underscores, each as
    itself or as a \\u00XX escape) is decoded: a decoding tried at every member of a body
    of two-byte names had doubled the time a listing takes."""
    if not _MAY_NAME_A_CREDENTIAL.fullmatch(written):
        return False
    try:
        name = json.loads(written)
    except ValueError:  # cut short, or an escape JSON has not
        return False
    return name in SECRET_FIELDS


def _value_end(text: str, start: int) -> int:
    """Where the value written at ``start`` ends: a string's closing quote, an array's or an
    object's closing bracket (the body's end if it never comes), a bare word's last letter."""
    if text.startswith('"', start):
        return _string_end(text, start)
    if not text.startswith(("[", "{"), start):
        bare = _BARE_VALUE.match(text, start)
        return start if bare is None else bare.end()
    depth = 0
    at = start
    while (mark := _NESTING.search(text, at)) is not None:
        if mark.group() == '"':
            at = _string_end(text, mark.start())
            continue
        depth += 1 if mark.group() in "[{" else -1
        at = mark.end()
        if depth == 0:
            return at
    return len(text)


def redact_bytes(data: bytes, secrets: list[str]) -> bytes:
    """The raw-body form of redact_text."""
    marker = REDACTED.encode("ascii")
    for secret in secrets:
        for form in dict.fromkeys((secret, quote_plus(secret), quote(secret, safe=""))):
            data = data.replace(form.encode("utf-8"), marker)
    return data
