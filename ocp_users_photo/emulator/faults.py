"""Fault injection: what the next N calls to a path answer instead of the normal reply.

Four kinds: "respond" (an exact status, headers and body: an HTTP error, a 429, a
Slack error with a 4xx status, a malformed, compressed or redirecting answer),
"delay" (sleep, then answer normally), "drop" (close the connection without any
HTTP response) and "raw" (exact bytes written onto the connection, then closed).
A respond or raw fault may be dripped (N bytes every S seconds), and a respond
fault may declare a Content-Length that lies. The placeholders {authorization} and
{token} in a body, a header value or raw bytes are replaced by what the client
sent, as a hostile server echoing credentials would. The constructors below name
the useful cases; fault_specs.py reads the same from the control API's JSON.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Final, Literal

from ocp_users_photo.arguments import describe_value
from ocp_users_photo.safe_text import shown
from ocp_users_photo.sizes import byte_size

# What the server can send as a header: a name of HTTP's token characters; a value of
# Latin-1 without CR, LF or NUL (a hostile server's escape sequences and bells are what
# tests inject). Anything else failed only when the fault was used: the answer a 500 (a
# value outside Latin-1) or a dropped connection (a space in a name).
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE: Final = re.compile(r"[^\r\n\x00\u0100-\U0010ffff]*")

FaultKind = Literal["respond", "delay", "drop", "raw"]

ANY_PATH = "*"
SET_PHOTO_PATH = "/api/users.setPhoto"
# The control API's paths: never faulted (the gateway passes them on untouched).
CONTROL_PREFIX = "/_emulator/"


def is_control_path(path: str) -> bool:
    """Whether ``path`` is the control API's: under /_emulator/, or /_emulator itself (which
    it answers with its index's address; faulted, it spent a "*" fault meant for Slack's)."""
    return path == CONTROL_PREFIX.rstrip("/") or path.startswith(CONTROL_PREFIX)


# The Web API methods the emulator serves (app.py's routes). A fault may name any other
# (chat.postMessage, standing in for Slack), but one of these in other letters' case
# ("users.setphoto") is a slip: Slack's names are case-sensitive, so it never fired.
SERVED_METHODS: Final = (
    "users.setPhoto",
    "users.deletePhoto",
    "users.profile.get",
    "auth.test",
    "oauth.v2.access",
)

_JSON = "application/json; charset=utf-8"
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Bounds on what one fault may cost the emulator itself.
MAX_BODY_BYTES = 1024 * 1024 * 1024
MAX_DEPTH = 1_000_000
MAX_DRIP_SECONDS = 60.0
ECHO_PLACEHOLDERS = ("{authorization}", "{token}")


def normalise_path(path: str) -> str:
    """Keep "*"; a bare method name ("users.setPhoto") becomes its /api/ path."""
    if path == ANY_PATH or path.startswith("/"):
        return path
    return "/api/" + path


@dataclass(frozen=True)
class Fault:
    """One misbehaviour. Build it with the class methods, not the constructor."""

    kind: FaultKind
    label: str
    status_code: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    # Drip: `drip_bytes` at a time, `drip_seconds` apart (a respond fault's body; all
    # of a raw fault's bytes). None: all at once.
    drip_bytes: int | None = None
    drip_seconds: float = 0.0
    # A respond fault's declared Content-Length, when it should not be the body's length.
    content_length: int | None = None

    def __repr__(self) -> str:
        # The body by its size, as to_json() gives it: huge_body()'s repr was 5 MB of
        # escapes (a pending fault's too, in a failed assert on faults.pending()).
        shown_fields = (
            f"body=<{byte_size(len(self.body))}>"
            if field.name == "body"
            else f"{field.name}={getattr(self, field.name)!r}"
            for field in fields(self)
        )
        return f"Fault({', '.join(shown_fields)})"

    @property
    def on_the_wire(self) -> bool:
        """Written straight onto the connection (raw, dripped, or a lying Content-Length)."""
        return self.kind == "raw" or self.drip_bytes is not None or self.content_length is not None

    @classmethod
    def status(
        cls,
        status_code: int,
        *,
        body: bytes | str = b"",
        headers: Mapping[str, str] | None = None,
        label: str = "status",
        content_length: int | None = None,
    ) -> Fault:
        """Answer with this HTTP status, body and headers (e.g. a bare 503).

        `content_length` declares another length than the body's (a lying server);
        such an answer is written onto the connection, which is then closed.
        """
        if not 100 <= status_code <= 599:
            raise ValueError(f"HTTP status {status_code} is out of range")
        if content_length is not None and content_length < 0:
            raise ValueError("content_length must not be negative")
        encoded = body.encode("utf-8") if isinstance(body, str) else body
        pairs = tuple((headers or {}).items())
        for name, value in pairs:
            if not _HEADER_NAME.fullmatch(name) or not _HEADER_VALUE.fullmatch(value):
                raise ValueError(
                    "a header's name must be an HTTP token (letters, digits, !#$%&'*+-.^_`|~) "
                    "and its value Latin-1 text without CR, LF or NUL"
                )
        return cls("respond", label, status_code, encoded, pairs, content_length=content_length)

    @classmethod
    def json(
        cls,
        value: Any,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        label: str = "json",
    ) -> Fault:
        """Any JSON value as the answer (a Slack reply of your own, ok or not)."""
        body = json.dumps(value).encode("utf-8")
        return cls.status(
            status_code, body=body, headers={"content-type": _JSON, **(headers or {})}, label=label
        )

    @classmethod
    def slack_error(cls, error: str = "invalid_form_data", *, status_code: int = 200) -> Fault:
        """A Slack error body, with HTTP 200 as Slack sends its errors (``status_code`` for
        what a front server in between may send instead)."""
        body = json.dumps({"ok": False, "error": error}).encode("utf-8")
        # The header as a server can send it: an error code of any text (a test's) does not
        # stop the fault from being made, nor its answer from being sent.
        headers = {"content-type": _JSON, "x-slack-failure": as_header_text(error)}
        return cls.status(status_code, body=body, headers=headers, label="slack_error")

    @classmethod
    def rate_limited(cls, retry_after: int = 1) -> Fault:
        """A 429 exactly as the real limiter sends it, whatever the call count."""
        body = b'{"ok":false,"error":"ratelimited"}'
        headers = {
            "content-type": _JSON,
            "retry-after": str(retry_after),
            "x-slack-failure": "ratelimited",
        }
        return cls.status(429, body=body, headers=headers, label="rate_limited")

    @classmethod
    def html_page(cls, status_code: int = 200) -> Fault:
        """An HTML page where JSON was expected, as a captive portal or proxy sends."""
        body = (
            b"<!DOCTYPE html><html><head><title>Slack</title></head>"
            b"<body><h1>Slack is temporarily unavailable</h1></body></html>"
        )
        headers = {"content-type": "text/html; charset=utf-8"}
        return cls.status(status_code, body=body, headers=headers, label="html_page")

    @classmethod
    def truncated_json(cls) -> Fault:
        """A 200 whose JSON stops half-way (the HTTP message itself is complete)."""
        body = b'{"ok": true, "profile": {"avatar_hash": "0123'
        return cls.status(200, body=body, headers={"content-type": _JSON}, label="truncated_json")

    @classmethod
    def empty_body(cls) -> Fault:
        """A 200 declared as JSON with no body at all."""
        return cls.status(200, body=b"", headers={"content-type": _JSON}, label="empty_body")

    @classmethod
    def non_object_json(cls) -> Fault:
        """Valid JSON that is not an object (an array holding what looks like a success)."""
        body = b'[{"ok": true}]'
        return cls.status(200, body=body, headers={"content-type": _JSON}, label="non_object_json")

    @classmethod
    def huge_body(cls, size_bytes: int = 5 * 1024 * 1024) -> Fault:
        """A valid JSON object claiming ok:true, padded to size_bytes.

        ok:true so that a client which neither caps the reply size nor checks
        the schema would take it for a success.
        """
        if not 0 <= size_bytes <= MAX_BODY_BYTES:
            raise ValueError(f"size_bytes must be between 0 and {MAX_BODY_BYTES}")
        head, tail = b'{"ok":true,"padding":"', b'"}'
        padding = max(0, size_bytes - len(head) - len(tail))
        body = head + b"x" * padding + tail
        return cls.status(200, body=body, headers={"content-type": _JSON}, label="huge_body")

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait, then answer normally (the call still takes effect if the client gave up)."""
        if seconds < 0:
            raise ValueError("a delay cannot be negative")
        return cls("delay", "delay", seconds=seconds)

    @classmethod
    def drop(cls) -> Fault:
        """Read the request, then close the connection with no HTTP response at all."""
        return cls("drop", "drop")

    @classmethod
    def raw(cls, data: bytes | str, *, label: str = "raw") -> Fault:
        """Write exactly these bytes onto the connection, then close it.

        For what no HTTP library would send: a malformed status line or header line,
        a reason phrase holding the token ("HTTP/1.1 200 {token}\\r\\n..."), a message
        cut short. Text is encoded as UTF-8.
        """
        encoded = data.encode("utf-8") if isinstance(data, str) else data
        return cls("raw", label, body=encoded)

    @classmethod
    def gzip(
        cls,
        body: bytes | str,
        *,
        status_code: int = 200,
        content_type: str = _JSON,
        label: str = "gzip",
    ) -> Fault:
        """The body gzip-compressed, sent with content-encoding: gzip."""
        encoded = body.encode("utf-8") if isinstance(body, str) else body
        headers = {"content-type": content_type, "content-encoding": "gzip"}
        return cls.status(
            status_code, body=gzip.compress(encoded, mtime=0), headers=headers, label=label
        )

    @classmethod
    def gzip_bomb(cls, inflated_bytes: int = 64 * 1024 * 1024) -> Fault:
        """A few kilobytes of gzip that inflate to `inflated_bytes` of JSON claiming ok:true."""
        if not 64 <= inflated_bytes <= MAX_BODY_BYTES:
            raise ValueError(f"inflated_bytes must be between 64 and {MAX_BODY_BYTES}")
        head, tail = b'{"ok":true,"padding":"', b'"}'
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip wrapper
        pieces = [compressor.compress(head)]
        padding = inflated_bytes - len(head) - len(tail)
        block = b"x" * min(padding, 1024 * 1024)
        while padding > 0:
            pieces.append(compressor.compress(block[:padding]))
            padding -= len(block)
        pieces.append(compressor.compress(tail))
        pieces.append(compressor.flush())
        headers = {"content-type": _JSON, "content-encoding": "gzip"}
        return cls.status(200, body=b"".join(pieces), headers=headers, label="gzip_bomb")

    @classmethod
    def redirect(cls, location: str, *, status_code: int = 302) -> Fault:
        """A redirect (301, 302, 303, 307 or 308) to `location`, with an empty body."""
        if status_code not in REDIRECT_STATUSES:
            raise ValueError(f"a redirect status is one of {REDIRECT_STATUSES}")
        if not location:
            raise ValueError("a redirect needs a location")
        return cls.status(status_code, headers={"location": location}, label="redirect")

    @classmethod
    def deep_json(cls, depth: int = 1000, *, ok: bool = True) -> Fault:
        """Valid JSON nested `depth` arrays deep, with a \\u escape in the innermost string.

        {"ok": ok, "nested": [[[...["\\u00e9"]...]]]}: a parser or a value walker that
        recurses runs out of stack on it.
        """
        if not 1 <= depth <= MAX_DEPTH:
            raise ValueError(f"depth must be between 1 and {MAX_DEPTH}")
        nested = b"[" * depth + b'"\\u00e9"' + b"]" * depth
        body = b'{"ok":' + (b"true" if ok else b"false") + b',"nested":' + nested + b"}"
        return cls.status(200, body=body, headers={"content-type": _JSON}, label="deep_json")

    def dripped(self, chunk_bytes: int = 1, every_seconds: float = 0.1) -> Fault:
        """This fault sent slowly: `chunk_bytes` at a time, `every_seconds` apart.

        A respond fault sends its status and headers at once and drips the body; a raw
        fault drips all its bytes (headers byte by byte, with chunk_bytes=1).
        """
        if self.kind not in ("respond", "raw"):
            raise ValueError("only respond and raw faults can be dripped")
        if chunk_bytes < 1:
            raise ValueError("chunk_bytes must be at least 1")
        if not 0 <= every_seconds <= MAX_DRIP_SECONDS:
            raise ValueError(f"every_seconds must be between 0 and {MAX_DRIP_SECONDS}")
        return replace(self, drip_bytes=chunk_bytes, drip_seconds=every_seconds)

    @classmethod
    def from_json(cls, spec: Mapping[str, Any]) -> Fault:
        """Build a fault from the control endpoint's JSON ({"kind": ..., parameters})."""
        # Imported here: fault_specs builds on this class.
        from ocp_users_photo.emulator.fault_specs import fault_from_json

        return fault_from_json(spec)

    def to_json(self) -> dict[str, Any]:
        """A summary (the body by size only: it can be megabytes)."""
        return {
            "kind": self.kind,
            "label": self.label,
            "status": self.status_code,
            "headers": dict(self.headers),
            "body_size": len(self.body),
            "seconds": self.seconds,
            "drip_bytes": self.drip_bytes,
            "drip_seconds": self.drip_seconds,
            "content_length": self.content_length,
        }


@dataclass(frozen=True)
class PendingFault:
    """A fault waiting in the queue: which path it hits and how many more times."""

    fault_id: int
    fault: Fault
    path: str
    remaining: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.fault_id,
            "path": self.path,
            "remaining": self.remaining,
            **self.fault.to_json(),
        }


def as_header_text(text: str) -> str:
    """``text`` as a header's value can carry it: Latin-1, no CR, LF or NUL ("?" for what
    cannot be), so a fault made of any text is sent, never a 500 or a split header."""
    encoded = text.encode("latin-1", "replace").decode("latin-1")
    return encoded.replace("\r", "?").replace("\n", "?").replace("\x00", "?")


class FaultQueue:
    """Faults in the order they were injected; a request takes the first that matches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[PendingFault] = []
        self._next_id = 1

    def inject(self, fault: Fault, *, times: int = 1, path: str = SET_PHOTO_PATH) -> PendingFault:
        """Make the next `times` requests to `path` ("*": any API or image path) hit `fault`.

        `times` is a whole number: one of 1.5 never counted down to its last use, and the
        fault answered every request from then on.
        """
        if isinstance(times, bool) or not isinstance(times, int):
            # Named as every whole-number setting names what it got ("not a NoneType" was
            # Python's name for None, and "not a int64" no English).
            raise TypeError(
                f"times must be a whole number of requests, 1 or more, got {describe_value(times)}"
            )
        if times < 1:
            raise ValueError("times must be at least 1")
        path = normalise_path(path)
        if is_control_path(path):
            # Taken, it never fired: the control API's requests are never faulted.
            raise ValueError(
                f"no fault is given for the control API ({shown(path, 80)!r}), whose "
                "requests are never faulted: give a method name, an /api/ or /avatars/ path, "
                f"or {ANY_PATH!r}"
            )
        method = path[len("/api/") :] if path[:5].lower() == "/api/" else ""
        meant = [name for name in SERVED_METHODS if name.lower() == method.lower()]
        if meant and path != f"/api/{meant[0]}":
            # "users.setphoto", or "/API/users.setPhoto": a path no client sends.
            slip = f"method {method!r}" if method != meant[0] else f"path {path!r}"
            raise ValueError(
                f"no {shown(slip, 90)}: Slack's paths and method names are case-sensitive, "
                f"and a fault for it never fires: give {meant[0]!r} (the methods served: "
                f"{', '.join(SERVED_METHODS)})"
            )
        with self._lock:
            pending = PendingFault(self._next_id, fault, path, times)
            self._next_id += 1
            self._pending.append(pending)
            return pending

    def take(self, path: str) -> Fault | None:
        """The fault for one request to `path`, consuming one of its uses; None if none."""
        with self._lock:
            for index, pending in enumerate(self._pending):
                if pending.path in (ANY_PATH, path):
                    if pending.remaining == 1:
                        del self._pending[index]
                    else:
                        self._pending[index] = PendingFault(
                            pending.fault_id, pending.fault, pending.path, pending.remaining - 1
                        )
                    return pending.fault
            return None

    def pending(self) -> list[PendingFault]:
        with self._lock:
            return list(self._pending)

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
