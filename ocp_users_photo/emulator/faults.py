"""Fault injection: what the next N calls to a path answer instead of the normal reply.

Three kinds: "respond" (an exact status, headers and body: an HTTP error, a
429, a Slack error with a 4xx status, or a malformed body), "delay" (sleep,
then answer normally) and "drop" (close the connection without any HTTP
response). The constructors below name the useful cases.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal["respond", "delay", "drop"]

ANY_PATH = "*"
SET_PHOTO_PATH = "/api/users.setPhoto"

_JSON = "application/json; charset=utf-8"


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

    @classmethod
    def status(
        cls,
        status_code: int,
        *,
        body: bytes | str = b"",
        headers: Mapping[str, str] | None = None,
        label: str = "status",
    ) -> Fault:
        """Answer with this HTTP status, body and headers (e.g. a bare 503)."""
        if not 100 <= status_code <= 599:
            raise ValueError(f"HTTP status {status_code} is out of range")
        encoded = body.encode("utf-8") if isinstance(body, str) else body
        return cls("respond", label, status_code, encoded, tuple((headers or {}).items()))

    @classmethod
    def slack_error(cls, error: str = "invalid_form_data", *, status_code: int = 400) -> Fault:
        """A Slack error body with a non-200 status (Slack does this for malformed forms)."""
        body = json.dumps({"ok": False, "error": error}).encode("utf-8")
        headers = {"content-type": _JSON, "x-slack-failure": error}
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
    def from_json(cls, spec: Mapping[str, Any]) -> Fault:
        """Build a fault from the control endpoint's JSON ({"kind": ..., parameters})."""
        kind = spec.get("kind")
        if kind == "status":
            headers = spec.get("headers") or {}
            if not isinstance(headers, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
            ):
                raise ValueError("'headers' must be an object of strings")
            body = spec.get("body", "")
            if not isinstance(body, str):
                raise ValueError("'body' must be a string")
            return cls.status(_int(spec, "status", None), body=body, headers=headers)
        if kind == "slack_error":
            error = spec.get("error", "invalid_form_data")
            if not isinstance(error, str):
                raise ValueError("'error' must be a string")
            return cls.slack_error(error, status_code=_int(spec, "status", 400))
        if kind == "rate_limited":
            return cls.rate_limited(_int(spec, "retry_after", 1))
        if kind == "html_page":
            return cls.html_page(_int(spec, "status", 200))
        if kind == "huge_body":
            return cls.huge_body(_int(spec, "size_bytes", 5 * 1024 * 1024))
        if kind == "delay":
            seconds = spec.get("seconds")
            if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
                raise ValueError("'seconds' must be a number")
            return cls.delay(float(seconds))
        simple = {
            "truncated_json": cls.truncated_json,
            "empty_body": cls.empty_body,
            "non_object_json": cls.non_object_json,
            "drop": cls.drop,
        }
        if isinstance(kind, str) and kind in simple:
            return simple[kind]()
        raise ValueError(f"unknown fault kind {kind!r}")

    def to_json(self) -> dict[str, Any]:
        """A summary (the body by size only: it can be megabytes)."""
        return {
            "kind": self.kind,
            "label": self.label,
            "status": self.status_code,
            "headers": dict(self.headers),
            "body_size": len(self.body),
            "seconds": self.seconds,
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


class FaultQueue:
    """Faults in the order they were injected; a request takes the first that matches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[PendingFault] = []
        self._next_id = 1

    def inject(self, fault: Fault, *, times: int = 1, path: str = SET_PHOTO_PATH) -> PendingFault:
        """Make the next `times` requests to `path` ("*": any API or image path) hit `fault`."""
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            pending = PendingFault(self._next_id, fault, normalise_path(path), times)
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


def _int(spec: Mapping[str, Any], key: str, default: int | None) -> int:
    value = spec.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"'{key}' must be an integer")
    return value
