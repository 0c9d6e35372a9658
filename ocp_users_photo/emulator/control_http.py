"""What every control endpoint shares: its listing entry, JSON bodies, checked values, 400s."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from ocp_users_photo.emulator.incoming import BodyTooLarge, no_json_constant, read_body
from ocp_users_photo.emulator.replies import json_response

CONTROL_ROOT = "/_emulator"

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    """One control endpoint: routed by method and path, listed with its one-line summary."""

    method: str
    path: str
    handler: Handler
    summary: str


# Far past any lifetime or clock step a test asks for (a thousand years in seconds), and
# short of what time arithmetic and int() overflow on.
_LARGEST_NUMBER: Final = 3.2e10


class BadControlRequest(ValueError):
    """The control request's JSON does not say what it must; the message says what."""


async def json_object(request: Request) -> Mapping[str, Any]:
    """The request's JSON object body; raises BadControlRequest otherwise, and BodyTooLarge
    past the emulator's max_body_bytes (read no further, as for /api/)."""
    limit: int = request.app.state.emulator.config.max_body_bytes
    body = await read_body(request.receive, limit)
    try:
        document = json.loads(body, parse_constant=no_json_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as error:
        # RecursionError: arrays nested too deep to read; ValueError: NaN or Infinity.
        raise BadControlRequest("the body must be JSON") from error
    if not isinstance(document, dict):
        raise BadControlRequest("the body must be a JSON object")
    return document


def optional_text(spec: Mapping[str, Any], key: str) -> str | None:
    value = spec.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise BadControlRequest(f"'{key}' must be a non-empty string")
    return value


def required_text(spec: Mapping[str, Any], key: str) -> str:
    value = optional_text(spec, key)
    if value is None:
        raise BadControlRequest(f"'{key}' must be a non-empty string")
    return value


def optional_number(spec: Mapping[str, Any], key: str) -> float | None:
    value = spec.get(key)
    if value is None:
        return None
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or not 0 <= value < _LARGEST_NUMBER
    ):
        raise BadControlRequest(f"'{key}' must be a number >= 0 and below {_LARGEST_NUMBER:g}")
    return float(value)


def optional_int(spec: Mapping[str, Any], key: str) -> int | None:
    value = spec.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise BadControlRequest(f"'{key}' must be an integer")
    return value


def bad_request(message: str) -> Response:
    return json_response({"ok": False, "error": "bad_request", "detail": message}, status_code=400)


def from_another_origin(request: Request) -> bool:
    """Whether a browser sent this request for a page of another origin.

    A page may POST to 127.0.0.1 without a preflight (a form, fetch with no-cors and a
    text/plain body that is JSON all the same): it cannot read the answer, but the
    control API would inject its fault or revoke its token. Browsers name the page's
    origin (Origin, Sec-Fetch-Site); curl and HTTP libraries send neither.
    """
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    if origin is not None and origin.lower() != f"http://{host}".lower():
        return True
    return request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none")


def answering_bad_requests(handler: Handler) -> Handler:
    """The handler, with BadControlRequest and ValueError turned into 400 answers, a body
    over the size limit into 413, and a change asked by another origin's page into 403."""

    async def guarded(request: Request) -> Response:
        if request.method != "GET" and from_another_origin(request):
            detail = (
                "the control API changes nothing for a web page of another origin (a "
                "protection against cross-site requests): call it from a program"
            )
            return json_response(
                {"ok": False, "error": "cross_origin_refused", "detail": detail}, status_code=403
            )
        try:
            return await handler(request)
        except ValueError as error:  # BadControlRequest included
            return bad_request(str(error))
        except BodyTooLarge as error:
            return json_response(
                {"ok": False, "error": "request_too_large", "detail": str(error)}, status_code=413
            )

    return guarded
