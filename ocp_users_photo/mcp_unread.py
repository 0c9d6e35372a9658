"""Requests the MCP SDK's reader cannot parse, answered rather than dropped.

The SDK's stdio reader parses each line with a strict JSON parser: a line Python's own
``json`` reads but it refuses (an escaped lone surrogate, which a JavaScript host writes
when a string is cut inside an emoji; a number of thousands of digits; nesting past 128
levels) reaches the server as an exception, which the SDK logs at DEBUG and drops. The
host then waits for an answer that never comes. Here such a line's id is read as
Python reads JSON and answered with JSON-RPC's parse error, saying what to send
instead; a line with no id to answer (a notification, or no JSON at all) is logged.
A line the parser reads but that is no JSON-RPC 2.0 message (params as an array, no
"jsonrpc" member, "jsonrpc": "1.0") is dropped by the SDK too: a request among them is
answered with JSON-RPC's invalid request error. So is each request of a batch (an
array of messages: MCP has had none since its 2025-06-18 revision, and the SDK's HTTP
transport refuses one too), by its own id, so that none of them waits for ever.
A ``tools/call`` whose ``arguments`` is no JSON object (the arguments' JSON text, as some
hosts send it) is read by the reader but refused by the SDK's own check with a bare
"Invalid request parameters": it is answered here, with the same code, saying what to send.
So is a request sent before ``initialize``, which the SDK refuses with that same bare
answer (``BeforeInitializeExplained``, on the write side: only the SDK's own refusal is
reworded, so a request the SDK takes without a handshake still reaches it). A request
whose id is no integer or text (7.5, null, true) is read by the SDK as a notification,
its id dropped: no answer can name it, so it is logged, saying what to send.
A line opening with UTF-8's byte-order mark (.NET and PowerShell write one at a stream's
start), which the SDK's parser refuses, is read without it: RFC 8259 lets a reader ignore
the mark.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Final, Self

from ocp_users_photo.mcp_in_flight import InFlightRequests, WrappedStream
from ocp_users_photo.safe_text import has_lone_surrogate, shown
from ocp_users_photo.worker_threads import in_worker_thread

__all__ = ["AnsweringReadStream", "BeforeInitializeExplained"]

logger = logging.getLogger("ocp_users_photo.mcp_server")

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
INVALID_PARAMS: Final = -32602
METHOD_NOT_FOUND: Final = -32601
# How much of an unknown method's name the SDK's "Method not found" gives back (its data).
_METHOD_NAME_SHOWN: Final = 64
# Python's own limit on turning text into an int (sys.get_int_max_str_digits) is 4300.
_MAX_INT_DIGITS: Final = 4000
# A line the SDK refused and json.loads cannot read either is walked for its id (strings
# and the runs between structural characters skipped in C): up to this length, past any
# image a host allows (32 MiB, base64 in JSON); a longer one is logged and dropped.
_MAX_WALKED_CHARS: Final = 128 * 1024 * 1024
# A longer refused line is read in a worker thread: a host's 40 MB of base64 with nesting
# past json's depth somewhere took the loop, and every other call, with it.
_READ_ON_THE_LOOP: Final = 256 * 1024
_BYTE_ORDER_MARK: Final = "\ufeff"
_COLON: Final = re.compile(r"\s*:")
# What the walk stops at outside a member's value: a string's start, a nesting's change.
_STRUCTURAL: Final = re.compile(r'["{}\[\]]')
# The rest of a JSON string after its opening quote, up to its closing one.
_STRING_REST: Final = re.compile(r'(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NUMBER: Final = re.compile(r"-?\d+(?=\s*[,}\]])")
# A batch's requests answered one by one: past this many, the rest are logged (a host
# that sends thousands in one array is not waiting on each).
_MAX_ANSWERED_IN_BATCH: Final = 1000
# The SDK's answer to every request it refuses for its params, and to one sent before the
# session is initialized ("pinned compat" in the SDK: it keeps that shape on purpose).
_SDK_BARE_REFUSAL: Final = "Invalid request parameters"
# What opens the SDK's request gate: initialize, or a bare notifications/initialized.
_OPENS_SESSION: Final = frozenset({"initialize", "notifications/initialized"})
_NOT_INITIALIZED: Final = (
    "the session is not initialized: send initialize first and wait for its answer, then "
    "notifications/initialized, then this request (MCP's lifecycle)"
)
_BATCH_REFUSED: Final = (
    "a JSON-RPC batch is not supported (MCP has had no batches since its 2025-06-18 "
    "revision): send each request as a message of its own"
)


class AnsweringReadStream(WrappedStream):
    """The SDK's read stream, with each line it could not parse answered on ``write``."""

    def __init__(
        self,
        inner: Any,
        write: Any,
        sdk_types: Any,
        in_flight: InFlightRequests | None = None,
    ) -> None:
        super().__init__(inner)
        self._write = write
        self._types = sdk_types
        self._in_flight = in_flight
        # Whether the host has sent initialize, or the bare notifications/initialized that
        # opens the SDK's gate without it (read on the write side): from then on, the SDK's
        # bare refusal is about the params.
        self.initialize_read = False

    @property
    def last_context(self) -> Any:
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> Any:
        while True:
            item = await self._inner.receive()
            if isinstance(item, Exception):
                item = self._read_without_mark(item)
            if isinstance(item, Exception):
                await self._answer(item)
                continue
            method = getattr(getattr(item, "message", None), "method", None)
            if method in _OPENS_SESSION:
                self.initialize_read = True
            if _request_without_id(item, method):
                logger.warning(
                    "a message for %s came with no id MCP allows (an integer or a text: with "
                    "none, or null, a fraction, true, false, an array or an object, it is "
                    "read as a notification, which is never answered), so it was dropped: "
                    "send an integer or a text as its id",
                    shown(str(method), 64),
                )
                continue
            refused = _arguments_refusal(item)
            if refused is None:
                if self._in_flight is not None:
                    await self._in_flight.admit(item)  # read no more while too many wait
                return item
            request_id, message = refused
            logger.warning("request %s refused: %s", shown(str(request_id), 40), message)
            await self._send_error(request_id, INVALID_PARAMS, message)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except Exception as ended:
            if type(ended).__name__ in ("EndOfStream", "ClosedResourceError"):
                raise StopAsyncIteration from None
            raise

    def _read_without_mark(self, refused: Exception) -> Any:
        """The message of a line the parser refused for its leading byte-order mark, read
        as the SDK reads a line; the refusal of the line without its mark if that too is
        refused; ``refused`` itself for any other line."""
        line, _ = _line_and_reason(refused)
        if line is None or not line.startswith(_BYTE_ORDER_MARK):
            return refused
        try:
            message = self._types.jsonrpc_message_adapter.validate_json(
                line[len(_BYTE_ORDER_MARK) :], by_name=False
            )
        except Exception as unread:  # answered as any refused line is
            return unread
        from mcp.shared.message import SessionMessage

        return SessionMessage(message)

    async def _answer(self, refused: Exception) -> None:
        batch = _batch_of(refused)
        if batch is not None:
            await self._answer_batch(batch)
            return
        line, reason = _line_and_reason(refused)
        if line is not None:
            message_read = (
                _read_line(line)
                if len(line) <= _READ_ON_THE_LOOP
                else await in_worker_thread(_read_line, line)
            )
            if isinstance(message_read, list):  # a batch the SDK could not even parse
                await self._answer_batch(message_read)
                return
            request_id = _id_of(message_read)
            code = PARSE_ERROR
            message = (
                f"the request could not be read ({reason}): send it as strict JSON, with "
                "no lone surrogate escape (\\ud800-\\udfff outside a pair), no number of "
                "thousands of digits and at most 128 levels of nesting"
            )
        else:
            request_id, reason = _invalid_request(refused, reason)
            code = INVALID_REQUEST
            message = (
                f"the request is not a JSON-RPC 2.0 request object ({reason}): send "
                '"jsonrpc": "2.0", the method as a string and params, if any, as an object'
            )
        if request_id is None:
            logger.warning("a message from the host could not be read and was dropped: %s", reason)
            return
        logger.warning("request %s could not be read: %s", shown(str(request_id), 40), reason)
        await self._send_error(request_id, code, message)

    async def _answer_batch(self, batch: list[Any]) -> None:
        """Each request in ``batch`` refused by its id (each id once, up to a bound)."""
        ids = [found for found in dict.fromkeys(map(_id_of, batch)) if found is not None]
        logger.warning(
            "a batch of %d messages (%d requests) was refused: MCP has no batches",
            len(batch),
            len(ids),
        )
        for request_id in ids[:_MAX_ANSWERED_IN_BATCH]:
            await self._send_error(request_id, INVALID_REQUEST, _BATCH_REFUSED)

    async def _send_error(self, request_id: int | str, code: int, message: str) -> None:
        types = self._types
        error = types.JSONRPCError(
            jsonrpc="2.0",
            id=request_id,
            error=types.ErrorData(code=code, message=message),
        )
        from mcp.shared.message import SessionMessage

        await self._write.send(SessionMessage(error))


class BeforeInitializeExplained(WrappedStream):
    """The SDK's write stream, its bare refusal of a request the host sent before
    ``initialize`` reworded to say so: the host's author reads what to send first. Its
    "Method not found" gives the method's name back bounded and printable, anything
    shaped like a token masked: the SDK gave it whole (megabytes, a terminal's escapes,
    a token, into whatever the host logs or shows)."""

    def __init__(self, inner: Any, reading: AnsweringReadStream, sdk_types: Any) -> None:
        super().__init__(inner)
        self._reading = reading
        self._types = sdk_types

    async def send(self, item: Any, /) -> None:
        message: Any = getattr(item, "message", None)
        error: Any = getattr(message, "error", None)
        if (
            not self._reading.initialize_read
            and getattr(error, "code", None) == INVALID_PARAMS
            and getattr(error, "message", None) == _SDK_BARE_REFUSAL
        ):
            types = self._types
            explained = types.ErrorData(code=INVALID_PARAMS, message=_NOT_INITIALIZED)
            item = type(item)(types.JSONRPCError(jsonrpc="2.0", id=message.id, error=explained))
        elif getattr(error, "code", None) == METHOD_NOT_FOUND and isinstance(
            getattr(error, "data", None), str
        ):
            types = self._types
            named = types.ErrorData(
                code=METHOD_NOT_FOUND,
                message=error.message,
                data=shown(error.data, _METHOD_NAME_SHOWN),
            )
            item = type(item)(types.JSONRPCError(jsonrpc="2.0", id=message.id, error=named))
        await self._inner.send(item)


def _request_without_id(item: object, method: object) -> bool:
    """Whether ``item`` was read as a notification though its method is no notification's
    (every notification MCP defines is named "notifications/..."): a request whose id the
    SDK's parser could not take, which is read as a notification (the id is not kept)."""
    message = getattr(item, "message", None)
    return (
        isinstance(method, str)
        and not method.startswith("notifications/")
        and type(message).__name__ == "JSONRPCNotification"
    )


def _arguments_refusal(item: object) -> tuple[int | str, str] | None:
    """The id of a ``tools/call`` whose ``arguments`` is neither an object nor absent, and
    what to tell its host; None for every other message. Only the value's JSON type is
    named: the value itself may be long, or hold what a model was given."""
    message = getattr(item, "message", None)
    if getattr(message, "method", None) != "tools/call":
        return None
    params = getattr(message, "params", None)
    request_id = _id_of({"method": "tools/call", "id": getattr(message, "id", None)})
    if not isinstance(params, dict) or request_id is None:
        return None
    arguments = params.get("arguments")
    if arguments is None or isinstance(arguments, dict):
        return None
    if isinstance(arguments, str):
        kind = "a string (send the object itself, not its JSON text)"
    elif isinstance(arguments, list):
        kind = "an array"
    elif isinstance(arguments, bool):
        kind = "true or false"
    else:
        kind = "a number"
    return request_id, (
        "tools/call params.arguments must be a JSON object of the tool's arguments, as "
        f'{{"image": "..."}}, or left out; it was {kind}'
    )


def _batch_of(refused: Exception) -> list[Any] | None:
    """The messages of a batch the parser refused (pydantic keeps the array it read as
    the input of its errors); None for any other refusal."""
    found = _parser_errors(refused)
    if not found:
        return None
    batch = found[0].get("input")
    return batch if isinstance(batch, list) and not found[0].get("loc", ())[1:] else None


def _line_and_reason(refused: Exception) -> tuple[str | None, str]:
    """The line the parser refused as JSON (pydantic keeps it as the error's input) and
    why; None for the line when it was read as JSON and refused as JSON-RPC (that error's
    input is the value of a member, which may be a text too)."""
    found = _parser_errors(refused)
    if found is not None:
        first = found[0] if found else {}
        # A JSON refusal is the whole line's (no location); a JSON-RPC one is a member's.
        line = None if first.get("loc") else first.get("input")
        reason = shown(str(first.get("msg") or type(refused).__name__), 160)
        return (line if isinstance(line, str) else None), reason
    return None, shown(type(refused).__name__, 80)


def _parser_errors(refused: Exception) -> list[dict[str, Any]] | None:
    """Pydantic's account of a refusal, its errors in order; None where the refusal is not
    pydantic's, [] where that account cannot be read."""
    errors = getattr(refused, "errors", None)
    if not callable(errors):
        return None
    try:
        found = errors()
    except Exception:  # not pydantic's after all: nothing more to read
        return []
    return [error for error in found if isinstance(error, dict)] if isinstance(found, list) else []


def _invalid_request(refused: Exception, reason: str) -> tuple[int | str | None, str]:
    """The id of a request the parser read but found no JSON-RPC message, and why (the
    member it refused); None for anything else. Pydantic keeps the message itself as the
    input of the errors for the members it lacks (a request has no "result")."""
    found = _parser_errors(refused)
    if not found:
        return None, reason
    request_id = next(
        (_id_of(error.get("input")) for error in found if isinstance(error.get("input"), dict)),
        None,
    )
    for error in found:
        location = error.get("loc") or ()
        if location[:1] == ("JSONRPCRequest",) and len(location) > 1:
            member = ".".join(str(part) for part in location[1:])
            reason = shown(f"{member}: {error.get('msg') or 'refused'}", 160)
            break
    return request_id, reason


def _id_of(message: object) -> int | str | None:
    """The id of ``message`` if it is a request (a method, an id that is a whole number or
    a text); None for a notification, a response or anything else, and for a text id
    holding a lone surrogate (Python's json reads one): no answer can carry it, and the
    SDK's writer, failing to encode it, would end the server."""
    if not isinstance(message, dict) or "method" not in message:
        return None
    request_id = message.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, (int, str)):
        return None
    if isinstance(request_id, str) and has_lone_surrogate(request_id):
        return None
    return request_id


def _read_line(line: str) -> object:
    """``line`` as Python's json reads it, whole numbers exactly (or ``_TooLong``); for
    nesting past its depth, the top-level object's members alone (a batch's objects'
    members); None for no JSON. The id of a request is read from this alone, never
    guessed from the text, which could answer another request (an "id" inside the
    arguments, a model's words)."""
    try:
        return json.loads(line, parse_int=_exact_int)
    except (ValueError, RecursionError):
        try:
            return _top_level(line)  # nesting past what json.loads can follow
        except ValueError:  # a string no JSON reader takes ("\\q", a raw tab): no JSON
            return None


class _TooLong:
    """An integer of more digits than Python turns into an int: no id of any request."""


def _exact_int(text: str) -> int | _TooLong:
    return int(text) if len(text) <= _MAX_INT_DIGITS else _TooLong()


def _top_level(line: str) -> dict[str, Any] | list[Any] | None:
    """The top-level object's "id" and "method" members, found by walking the line with
    the nesting counted (strings and their escapes skipped); for a batch (an array), each
    of its objects' members (None for an item that is no object); None if it is neither."""
    text = line.strip()
    if text[:1] not in ("{", "[") or len(text) > _MAX_WALKED_CHARS:
        return None  # a longer line is dropped (and logged)
    batch: list[Any] | None = [] if text.startswith("[") else None
    level = 1 if batch is None else 2  # the depth of the members looked at
    found: dict[str, Any] | None = {} if batch is None else None
    depth, index, key = 0, 0, None
    while index < len(text):
        if depth != level or key is None:  # nothing to read before the next such character
            structural = _STRUCTURAL.search(text, index)
            if structural is None:
                break
            index = structural.start()
        char = text[index]
        if char == '"':
            end = _string_end(text, index)
            if end < 0:
                return None
            token = text[index : end + 1]
            if found is not None and depth == level and key is None and _COLON.match(text, end + 1):
                key = json.loads(token)
            elif found is not None and depth == level and key is not None:
                found.setdefault(key, json.loads(token))
                key = None
            index = end + 1
            continue
        if char in "{[":
            depth += 1
            if batch is not None and depth == level:  # a batch's item
                found, key = ({} if char == "{" else None), None
                batch.append(found)
        elif char in "}]":
            depth -= 1
            if depth == level:
                key = None  # the member's value was an object or array
        elif depth == level and key is not None and (char == "-" or char.isdigit()):
            number = _NUMBER.match(text, index)
            if number is not None:
                if found is not None:
                    found.setdefault(key, _exact_int(number.group()))
                index = number.end()
            key = None  # a number that is no whole one (7.5, 1e3) is no id of any request
            continue
        elif depth == level and key is not None and char.isalpha():
            key = None  # true, false, null
        index += 1
    return batch if batch is not None else found


def _string_end(text: str, start: int) -> int:
    """Where the JSON string opening at ``start`` closes; -1 if it does not."""
    rest = _STRING_REST.match(text, start + 1)
    return -1 if rest is None else rest.end() - 1
