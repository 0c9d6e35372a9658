"""The in-memory record of requests that reached the emulator, for tests to assert on."""

from __future__ import annotations

import base64
import dataclasses
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from ocp_users_photo.emulator.redaction import (
    SECRET_FIELDS,
    redact_bytes,
    redact_header,
    redact_json,
    redact_text,
    redact_urlencoded,
    secret_values,
)
from ocp_users_photo.safe_text import REDACTED

_URLENCODED = "application/x-www-form-urlencoded"
_JSON = "application/json"


@dataclass(frozen=True)
class RecordedFile:
    """A file part as received: its names, declared type, size and digest (not the bytes)."""

    field_name: str
    filename: str | None
    content_type: str | None
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "field_name": self.field_name,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it reached the server, before any fault or handler acted on it.

    It keeps every value, credentials included (tests assert on them in process);
    to_json(), what the control API lists, redacts them by default.

    `body` is the raw body up to the configured cap (None when body recording
    is off); `body_size` is always the full size.
    """

    sequence: int
    received_at: float
    method: str
    path: str
    query_string: str
    headers: tuple[tuple[str, str], ...]
    form: tuple[tuple[str, str], ...]
    files: tuple[RecordedFile, ...]
    # Not in its repr (body_size is): up to max_recorded_body_bytes of escapes, 2 MiB of an
    # image written out as some 6 MB of text where a test printed a request.
    body: bytes | None = dataclasses.field(repr=False)
    body_size: int
    fault: str | None

    def header(self, name: str) -> str | None:
        """The first header of that name (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    def field(self, name: str) -> str | None:
        """The first text form field of that name, or None."""
        return next((value for key, value in self.form if key == name), None)

    def file(self, name: str) -> RecordedFile | None:
        """The first file part of that field name, or None."""
        return next((part for part in self.files if part.field_name == name), None)

    def _content_type(self) -> str:
        """The body's media type, lower-case (a form's and JSON's credentials are found by
        their field, however they are escaped)."""
        for name, value in self.headers:
            if name == "content-type":
                return value.split(";")[0].strip().lower()
        return ""

    def to_json(
        self, *, include_body: bool = False, reveal_secrets: bool = False
    ) -> dict[str, Any]:
        """The record as the control API lists it; credentials redacted unless revealed."""
        secrets = (
            [] if reveal_secrets else secret_values(self.headers, self.form, self.query_string)
        )
        record: dict[str, Any] = {
            "sequence": self.sequence,
            "received_at": self.received_at,
            "method": self.method,
            "path": self.path,
            "query_string": (
                self.query_string
                if reveal_secrets
                else redact_urlencoded(redact_text(self.query_string, secrets))
            ),
            "headers": [
                [name, value if reveal_secrets else redact_header(name, value, secrets)]
                for name, value in self.headers
            ],
            "form": [
                [name, REDACTED if not reveal_secrets and name in SECRET_FIELDS else value]
                for name, value in self.form
            ],
            "files": [part.to_json() for part in self.files],
            "body_size": self.body_size,
            "body_recorded": self.body is not None,
            "fault": self.fault,
            "secrets_redacted": not reveal_secrets,
        }
        if include_body and self.body is not None:
            body = redact_bytes(self.body, secrets)
            if not reveal_secrets and self._content_type() == _URLENCODED:
                body = redact_urlencoded(body.decode("latin-1")).encode("latin-1")
            elif not reveal_secrets and self._content_type() == _JSON:
                body = redact_json(body)
            record["body_base64"] = base64.b64encode(body).decode("ascii")
        return record


class RequestLog:
    """A bounded, thread-safe list of RecordedRequest, oldest first."""

    def __init__(self, max_requests: int) -> None:
        self._lock = threading.Lock()
        self._records: deque[RecordedRequest] = deque(maxlen=max_requests)
        self._next_sequence = 1

    def next_sequence(self) -> int:
        with self._lock:
            sequence = self._next_sequence
            self._next_sequence += 1
            return sequence

    def append(self, record: RecordedRequest) -> None:
        with self._lock:
            self._records.append(record)

    def all(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._records)

    def for_path(self, path: str) -> list[RecordedRequest]:
        """Requests to a path, given in full ("/api/users.setPhoto") or as a method name."""
        wanted = path if path.startswith("/") else "/api/" + path
        return [record for record in self.all() if record.path == wanted]

    def last(self) -> RecordedRequest:
        with self._lock:
            if not self._records:
                raise LookupError("no request has been recorded")
            return self._records[-1]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
