"""Turns Slack's HTTP answer into a JSON object, or into the typed error it stands for.

Decisions, tested:

- HTTP 429, or Slack's ``ratelimited`` error, is ``RateLimited`` with the wait Slack
  asked for; an HTTP 5xx is a ``TransportError`` even when it carries a Slack code.
- A status outside 100-599 (which no HTTP server gives) is no Slack reply, whatever its
  body says: never a server error or a rate limit, so never sent again.
- ``ok: false`` is a ``SlackApiError`` carrying Slack's code and what to do about it.
- An HTTP 4xx without a Slack error code is a refusal by a server on the way (a proxy, a
  gateway), before Slack handled the request: nothing changed. A JSON body is not quoted
  (it is not Slack's); a page that is no JSON is, as any such page is: bounded, redacted.
- A body that is not a JSON object, or one without a boolean ``ok``, is no Slack reply.
  A JSON object that stops before its end (a proxy or a dropped connection cut it, with a
  length that matched what was left) is told as cut short: it may well have been Slack's
  reply, so what to check is whether the call took effect, not the address.
- Everything taken from the reply has the token removed, in case the server echoes it:
  the body by ``redact``, the headers by the client before the reply comes here.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from ocp_users_photo.errors import (
    MAY_HAVE_HAPPENED_FOR_MODELS,
    READ_ONLY_METHODS,
    SLACK_ADDRESS,
    Problem,
    RateLimited,
    ReplySchemaError,
    SlackApiError,
    TransportError,
    raise_alone,
    slack_messages_of,
)
from ocp_users_photo.hints import hint_for, rate_limited_hint
from ocp_users_photo.safe_text import shown
from ocp_users_photo.slack.retry import MAX_RETRY_AFTER, retry_after_seconds

_EXCERPT_CHARS: Final = 120
# The wait a rate limit without a usable Retry-After is given: Tier 2's minute.
UNSAID_RETRY_AFTER: Final = 60.0
# Slack's replies nest a few levels (profile, response_metadata); redaction and the
# schema check walk what arrives, so a hostile nesting is refused before they do.
MAX_JSON_DEPTH: Final = 32
_NOT_JSON: Final = object()
# Nesting json.loads gave up on. Where it does is the Python version's own bound (about
# 1,000 levels on 3.11, 1,500 on 3.12, 10,000 on 3.13): a reply 990 deep was "not JSON" on
# 3.11 and nested too deep on 3.13. Told as nested too deep on every version.
_TOO_DEEP_TO_READ: Final = object()
# JSON whose text ends before its value does: an object cut off on the way.
_CUT_SHORT: Final = object()
# What is left where a cut ends inside a number: its sign alone, or the "." or the "e+"
# after its digits ("1." "1e" "1.5e+"; digits there are a number that ended, not a cut),
# and inside a \\u escape ("u", "u0", "u00e": the error is at its "u").
_NUMBER_CUT: Final = re.compile(r"-?|\.|[eE][-+]?")
_ESCAPE_CUT: Final = re.compile(r"u[0-9a-fA-F]{0,3}")
# JSON holding a whole number of more digits than Python turns into an int (4,300, unless
# the program set another limit: sys.set_int_max_str_digits).
_LONG_NUMBER: Final = object()


class _NumberTooLong(ValueError):
    """A whole number in a reply of more digits than int() takes: valid JSON all the same."""


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > _most_digits():
        raise _NumberTooLong
    return int(text)


def _most_digits() -> int:
    """The interpreter's bound on an int's digits, or 4,300 where a host turned it off (0):
    int() of a megabyte of digits takes seconds."""
    return sys.get_int_max_str_digits() or 4300


class _NamedTwice(Exception):
    """An object of the reply gives one name twice (``_unique_object``)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object of the reply, refused when it gives a name twice: json.loads keeps the
    last, so ``{"ok": false, "ok": true}`` was read as a success, where a proxy, a log
    reader or another client taking the first sees a failure. No Slack reply does this.
    (About 1 us more a reply than json.loads's own objects.)"""
    made = dict(pairs)
    if len(made) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _NamedTwice(name)
            seen.add(name)
    return made


# Past this many values (commas, arrays, objects), a body is no Slack reply: its biggest,
# users.profile.get with every custom field, holds some hundreds.
MOST_REPLY_VALUES: Final = 20_000
# A rate-limit answer longer than this is no Slack one (its is some 100 bytes).
_RATE_LIMITED_BYTES: Final = 16 * 1024
_DECODER: Final = json.JSONDecoder(parse_int=_whole_number, object_pairs_hook=_unique_object)


# What to do about an answer that is no Slack reply (an HTML error page, a captive portal,
# a server that is not Slack's): the request went out, so it may have acted.
NO_SLACK_REPLY_ADVICE: Final = (
    f"That is no Slack reply: check {SLACK_ADDRESS}, and whether the call took effect before "
    "trying again"
)

# What a 4xx without a Slack error code means: Slack's API answers its refusals with a code,
# so a server on the way refused the request before Slack handled it. Nothing of its body
# is quoted: it is not Slack's.
_REFUSED_ON_THE_WAY: Final = (
    "a server on the way (a proxy or a gateway), not Slack's API, refused the request before "
    "Slack handled it, so nothing changed. Whoever runs the tool checks the proxy settings "
    f"and {SLACK_ADDRESS}, then tries again."
)

# A 404 or 405 without a Slack code: no Web API at that address (Slack's own answers every
# method it lacks with unknown_method), most often a base URL without its /api.
_NO_API_THERE: Final = (
    "no Slack Web API method answers at that address, so nothing changed: check "
    f"{SLACK_ADDRESS}; it ends in /api, as in https://slack.com/api"
)

Redact = Callable[[Any], Any]

# The statuses that send a request elsewhere (Location): never followed, the token would go.
REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})


def _refused_on_the_way(status: int) -> str:
    """What a 4xx without a Slack code says: a wrong address (404, 405), else a server on
    the way that refused the request."""
    return _NO_API_THERE if status in (404, 405) else _REFUSED_ON_THE_WAY


@dataclass(frozen=True)
class HttpReply:
    """The final HTTP answer: status, headers, the (bounded) body, and how many attempts it took."""

    status_code: int
    # Neither in the repr: both are as they came, before redaction (a server may echo the
    # token in a header; oauth.v2.access answers with new tokens in the body).
    headers: httpx.Headers = field(repr=False)
    body: bytes = field(repr=False)
    attempts: int
    # An earlier attempt of the call reached Slack without a usable answer (see
    # errors.after_an_earlier_attempt): a refusal now does not mean nothing changed.
    earlier_attempt_reached: bool = False


def is_rate_limited(reply: HttpReply) -> bool:
    """HTTP 429, or Slack's ``ratelimited`` error with a Retry-After in another status."""
    if reply.status_code == 429:
        return True
    if (
        not is_http_status(reply.status_code)
        or is_redirection(reply.status_code)
        or "retry-after" not in reply.headers
        or b"ratelimited" not in reply.body
        # Slack's is some 100 bytes: a longer one is not parsed here, on the event loop
        # (1 MiB of values held it 0.2 s), but decoded as any reply (its values counted).
        or len(reply.body) > _RATE_LIMITED_BYTES
    ):
        return False
    body = _parse_json(reply.body)
    return isinstance(body, dict) and body.get("ok") is False and body.get("error") == "ratelimited"


def is_redirection(status: int) -> bool:
    """An HTTP 3xx: never Slack's answer (its errors come with 200, 429 or 5xx), whatever
    the body says, even Slack-shaped JSON: what the base URL points at answered."""
    return 300 <= status < 400


def is_server_error(status: int) -> bool:
    """An HTTP 5xx: the server failed while handling the request. A status past 599 is no
    HTTP status at all (``decode_reply`` refuses it), not a server error."""
    return 500 <= status < 600


def is_http_status(status: int) -> bool:
    """Whether ``status`` is one an HTTP server gives (100-599). h11 refuses one below 100
    and aiohttp one of four digits, but both hand on 600-999 (aiohttp 000-099 too)."""
    return 100 <= status < 600


def decode_reply(reply: HttpReply, *, method: str, redact: Redact) -> dict[str, Any]:
    """Slack's ``ok: true`` reply as a dict, or the error that says what went wrong."""
    status = reply.status_code
    if not is_http_status(status):
        raise _no_slack_reply(
            reply,
            "that is no HTTP status (they run from 100 to 599), so nothing in the body is taken "
            "as Slack's",
            method,
        )
    if is_redirection(status):
        raise _no_slack_reply(reply, _what_a_redirection_held(reply), method)
    if status == 429:
        raise _rate_limited(reply, _json_object_or_none(reply, redact) or {}, method)
    if is_server_error(status):
        slack_error = (_json_object_or_none(reply, redact) or {}).get("error")
        code = f" ({shown(slack_error, 60)})" if isinstance(slack_error, str) else ""
        tries = f"after {reply.attempts} attempts" if reply.attempts > 1 else "on the only attempt"
        # Slack on internal_error: "some aspect of the operation" may have succeeded first.
        outcome = (
            f"{method} only reads, so nothing changed"
            if method in READ_ONLY_METHODS
            else "Slack failed while handling the request, so it may have taken effect: check "
            "before trying again"
        )
        raise TransportError(
            f"Slack answered {method} with HTTP {status}{code} {tries}. {outcome}; try again "
            "in a few minutes",
            status_code=status,
            reached=True,
            method=method,
        )
    if status == 413:
        # A front server's refusal of the body's size, before Slack's API saw the request.
        raise TransportError(
            f"Slack's servers refused the {method} request as too large (HTTP 413) before "
            "handling it, so nothing changed: send a smaller image",
            status_code=status,
            reached=False,
            method=method,
        )
    body = json_object(reply, redact, method)
    ok = body.get("ok")
    if ok is False:
        raw_code = body.get("error")
        said = raw_code if isinstance(raw_code, str) else ""
        code = said or "unknown_error"
        if code == "ratelimited":
            raise _rate_limited(reply, body, method)
        if not said and 400 <= status < 500:
            hint = f"HTTP {status} came with no Slack error code: {_refused_on_the_way(status)}"
        else:
            needed = body.get("needed")
            hint = hint_for(
                code,
                method,
                explained=bool(slack_messages_of(body)),
                needed=needed if isinstance(needed, str) else None,
            )
        raise SlackApiError(
            code,
            hint=hint,
            reply=body,
            status_code=status,
            method=method,
        )
    if 400 <= status < 500:
        raise TransportError(
            f"Slack answered {method} with HTTP {status} and no Slack error code: "
            f"{_refused_on_the_way(status)}",
            status_code=status,
            reached=False,
            method=method,
        )
    if not 200 <= status < 300:
        raise TransportError(
            f"Slack answered {method} with HTTP {status} without a Slack error code: "
            f"check {SLACK_ADDRESS}",
            status_code=status,
            method=method,
        )
    if ok is not True:
        raise ReplySchemaError(
            [Problem("$.ok", "the reply has no boolean 'ok' field, so it is not a Slack reply")],
            body,
            method=method,
        )
    return body


def _rate_limited(reply: HttpReply, body: dict[str, Any], method: str) -> RateLimited:
    wait = retry_after_seconds(reply.headers)
    if wait is None:
        retry_after = UNSAID_RETRY_AFTER
        told = f"wait about {retry_after:g} s (Slack gave no usable Retry-After)"
    elif wait >= MAX_RETRY_AFTER:
        retry_after, told = wait, f"wait {_seconds(wait)} s (Slack asks for a day or more)"
    elif wait == 0:
        # Retry-After 0, or a date gone by: "wait 0 s, as Slack asks" invited the retry at
        # once that Slack had just refused.
        retry_after, told = wait, "wait a few seconds (Slack's Retry-After named no wait)"
    else:
        retry_after, told = wait, f"wait {_seconds(wait)} s, as Slack asks"
    limited = RateLimited(
        retry_after,
        hint=rate_limited_hint(method, told),
        reply=body or {"ok": False, "error": "ratelimited"},
        status_code=reply.status_code,
        method=method,
    )
    limited.terminal_message = (
        f"Slack refused {method}: it rate-limited this app: {told}, then try again"
    )
    return limited


def _seconds(wait: float) -> str:
    """A wait in words a person reads, never shorter than asked: ``0.1``, ``0.3``, ``13``,
    ``86,400`` for 0.000001, 0.25, 12.3 and a day (``:g`` wrote ``1e-06`` and ``12.3457``;
    "wait 0 s" would invite the retry at once that Slack just refused)."""
    if wait < 10:
        return f"{math.ceil(round(wait * 10, 6)) / 10:g}"
    return f"{math.ceil(round(wait, 6)):,}"


def json_object(reply: HttpReply, redact: Redact, method: str = "users.setPhoto") -> dict[str, Any]:
    """The reply's body as a JSON object with the token redacted, or a TransportError."""
    if not reply.body.strip():
        raise _no_slack_reply(reply, "an empty body, not JSON", method)
    # Counted in C before the parse, which holds Python's lock in C for a body of many small
    # values (1 MiB of [] stood the event loop still 0.3 s, from a worker thread too).
    values = reply.body.count(b",") + reply.body.count(b"[") + reply.body.count(b"{")
    if values > MOST_REPLY_VALUES:
        raise _no_slack_reply(
            reply,
            f"JSON of some {values:,} values (commas, arrays and objects counted), where a "
            f"Slack reply holds a few dozen: not read",
            method,
        )
    parsed = _parse_json(reply.body)
    if parsed is _NOT_JSON:
        # Raised outside the except block: the decoder's error holds the whole body, which
        # must not stay reachable as this error's __context__.
        raise_alone(
            _no_slack_reply(
                reply,
                f"a body that is not JSON ({_content_type(reply)}): {_excerpt(reply.body, redact)}",
                method,
            )
        )
    if parsed is _TOO_DEEP_TO_READ:
        raise _nested_too_deep(reply, method)
    if isinstance(parsed, _NamedTwice):
        name = shown(str(redact(parsed.name)), 40)
        del parsed  # its name as it came, unredacted
        raise _no_slack_reply(
            reply,
            f"JSON naming {name!r} twice in one object, which no Slack reply does (which of "
            f"the two holds is not known): {_excerpt(reply.body, redact)}",
            method,
        )
    if parsed is _CUT_SHORT:
        raise_alone(_cut_short(reply, redact, method))
    if parsed is _LONG_NUMBER:
        raise _no_slack_reply(
            reply,
            f"JSON holding a number of more than {_most_digits():,} digits, which "
            "no Slack reply has: not read further",
            method,
        )
    # Refused, the value parsed leaves this frame's locals first: it is the body unredacted
    # (a list echoing the token), and a traceback's locals are printed (Sentry, pytest -l).
    if not isinstance(parsed, dict):
        kind = type(parsed).__name__
        del parsed
        raise _no_slack_reply(
            reply,
            f"JSON that is not an object ({kind}): {_excerpt(reply.body, redact)}",
            method,
        )
    if _may_nest_deeper_than(reply.body, MAX_JSON_DEPTH) and _deeper_than(parsed, MAX_JSON_DEPTH):
        del parsed
        raise _nested_too_deep(reply, method)
    cleaned: dict[str, Any] = redact(parsed)
    return cleaned


def _nested_too_deep(reply: HttpReply, method: str) -> TransportError:
    """A reply nested past ``MAX_JSON_DEPTH``, whether json.loads read it or gave up on it:
    the same words for the same reply on every Python version."""
    return _no_slack_reply(
        reply,
        f"JSON nested more than {MAX_JSON_DEPTH} levels deep, which no Slack reply is: "
        "not read further",
        method,
    )


def _may_nest_deeper_than(body: bytes, limit: int) -> bool:
    """False when the text holds too few brackets to nest past ``limit`` (counting is C-fast;
    walking the parsed value is a third of a success reply's check)."""
    return body.count(b"[") + body.count(b"{") > limit


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON ``value`` nests deeper than ``limit`` (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def _parse_json(body: bytes) -> Any:
    """The body as json.loads reads it, ``_NOT_JSON``, ``_CUT_SHORT`` (an object whose text
    ends before it does), ``_LONG_NUMBER``, ``_TOO_DEEP_TO_READ`` (a RecursionError, kept
    apart: valid JSON that is deep is not "not JSON"), or a ``_NamedTwice``."""
    try:
        # What json.loads(body) does, with its decoder made once (given parse_int, loads
        # makes a decoder at every call: 4 us of a reply's check).
        return _DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))
    except RecursionError:
        return _TOO_DEEP_TO_READ
    except _NumberTooLong:
        return _LONG_NUMBER
    except _NamedTwice as twice:
        return twice
    except json.JSONDecodeError as error:
        return _CUT_SHORT if _ends_early(error) else _NOT_JSON
    except ValueError:
        return _NOT_JSON


def _ends_early(error: json.JSONDecodeError) -> bool:
    """Whether an object's text was fine up to where it stops: a string or a ``\\u`` escape
    left open, or nothing after the failing place but the start of a literal or of a
    number's fraction or exponent (``tr``, ``-``, ``.``, ``e+``), or nothing at all. Not
    text after a whole value ("Extra data"), which ended."""
    doc = error.doc
    if not doc.lstrip().startswith("{") or error.msg.startswith("Extra data"):
        return False
    if error.msg.startswith("Unterminated string"):
        return True
    rest = doc[error.pos :].strip()
    if error.msg.startswith("Invalid \\uXXXX"):  # an escape cut within its four digits
        return _ESCAPE_CUT.fullmatch(rest) is not None
    return _NUMBER_CUT.fullmatch(rest) is not None or any(
        word.startswith(rest) for word in ("true", "false", "null")
    )


def _cut_short(reply: HttpReply, redact: Redact, method: str) -> TransportError:
    """A JSON object that stops before its end: most likely Slack's reply, cut off on the
    way, so the request reached Slack and a change may have been made."""
    what = (
        f"a JSON reply cut short after {len(reply.body):,} bytes ({_content_type(reply)}): "
        f"{_excerpt(reply.body, redact)}"
    )
    if 400 <= reply.status_code < 500:
        return _no_slack_reply(reply, what, method)
    said = (
        f"Slack answered {method} with HTTP {reply.status_code} and {what}. The reply was cut "
        "off on the way (by a proxy, or a connection that dropped); "
    )
    if method in READ_ONLY_METHODS:
        return TransportError(
            f"{said}{method} only reads, so nothing changed: try again in a moment",
            status_code=reply.status_code,
            reached=True,
            method=method,
        )
    cut = TransportError(
        f"{said}Slack may have made the change: check whether the call took effect before "
        "trying again",
        status_code=reply.status_code,
        reached=True,
        method=method,
    )
    # A model cannot look at the photo, and a call again may change it twice.
    cut.model_message = f"{said}Slack may have made the change: {MAY_HAVE_HAPPENED_FOR_MODELS}"
    return cut


def _json_object_or_none(reply: HttpReply, redact: Redact) -> dict[str, Any] | None:
    try:
        return json_object(reply, redact)
    except TransportError:
        return None


def _no_slack_reply(reply: HttpReply, what: str, method: str) -> TransportError:
    """An answer that is no Slack reply (an error page, a captive portal, another server):
    the request went out, so a change may have acted; a read changed nothing, and so did a
    request refused with a 4xx (a proxy's or a gateway's page)."""
    if reply.status_code in REDIRECT_STATUSES:
        # Said as what it is: the base URL (or a server on the way) points elsewhere.
        what = f"{what} (a redirect, never followed: the token would go along)"
    if method in READ_ONLY_METHODS:
        advice = (
            f"That is no Slack reply: check {SLACK_ADDRESS} ({method} only reads: nothing changed)"
        )
    elif 400 <= reply.status_code < 500:
        return TransportError(
            f"Slack answered {method} with HTTP {reply.status_code} and {what}: "
            f"{_refused_on_the_way(reply.status_code)}",
            status_code=reply.status_code,
            reached=False,
            method=method,
        )
    else:
        advice = NO_SLACK_REPLY_ADVICE
    return TransportError(
        f"Slack answered {method} with HTTP {reply.status_code} and {what}. {advice}",
        status_code=reply.status_code,
        method=method,
    )


def _what_a_redirection_held(reply: HttpReply) -> str:
    """A 3xx's body, said without its words: none of them is taken for Slack's."""
    if not reply.body.strip():
        return "an empty body"
    return f"a body ({_content_type(reply)}) that is not read as Slack's"


def _content_type(reply: HttpReply) -> str:
    # The client redacted the headers before the reply came here.
    return shown(reply.headers.get("content-type", "no content type"), 60)


def _excerpt(body: bytes, redact: Redact) -> str:
    # Redact before shortening, so a token cut in half by the excerpt cannot slip through.
    # NULs out first: a body in UTF-16 reads as its text with a NUL between characters.
    text = str(redact(body.decode("utf-8", errors="replace").replace("\x00", "")))
    return repr(shown(text, _EXCERPT_CHARS))
