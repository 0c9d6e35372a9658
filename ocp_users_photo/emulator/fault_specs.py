"""Faults from the control API's JSON: {"kind": ..., its parameters, "drip_bytes"?, ...}.

Every kind Fault has a constructor for is available here under the constructor's
name; "drip_bytes" and "drip_seconds" drip any respond or raw kind.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any

from ocp_users_photo.arguments import describe_value
from ocp_users_photo.emulator.faults import Fault

Spec = Mapping[str, Any]


def fault_from_json(spec: Spec) -> Fault:
    """The fault a control request describes; ValueError saying what is wrong otherwise."""
    kind = spec.get("kind")
    builder = _BUILDERS.get(kind) if isinstance(kind, str) else None
    if builder is None:
        # Said in JSON's words, bounded: "unknown fault kind None" of a spec without one (or
        # with null), Python's True and {'a': None}, and a long kind repeated whole.
        raise ValueError(f"{_kind_refused(spec)}: use one of {', '.join(sorted(_BUILDERS))}")
    fault = builder(spec)
    drip_bytes = _int(spec, "drip_bytes", None, required=False)
    if drip_bytes is not None:
        fault = fault.dripped(drip_bytes, _number(spec, "drip_seconds", 0.1))
    return fault


def _kind_refused(spec: Spec) -> str:
    """What is wrong with a control request's "kind", as its JSON names it (null, true, an
    object), a text bounded (``describe_value``)."""
    if "kind" not in spec:
        return "'kind' must be given"
    kind = spec["kind"]
    if isinstance(kind, str):
        return f"unknown fault kind {describe_value(kind)}"
    if kind is None or isinstance(kind, bool):
        got = json.dumps(kind)
    elif isinstance(kind, dict):
        got = "an object"
    elif isinstance(kind, list):
        got = "an array"
    else:
        got = describe_value(kind)
    return f"'kind' must be a string, got {got}"


def _status(spec: Spec) -> Fault:
    return Fault.status(
        _int(spec, "status", None),
        body=_body(spec, "body"),
        headers=_headers(spec),
        content_length=_int(spec, "content_length", None, required=False),
    )


def _json(spec: Spec) -> Fault:
    if "value" not in spec:
        raise ValueError("'value' must be given: the JSON to answer with")
    headers = _headers(spec)
    return Fault.json(spec["value"], status_code=_int(spec, "status", 200), headers=headers)


def _slack_error(spec: Spec) -> Fault:
    return Fault.slack_error(
        _text(spec, "error", "invalid_form_data"), status_code=_int(spec, "status", 400)
    )


def _raw(spec: Spec) -> Fault:
    return Fault.raw(_body(spec, "data"))


def _gzip(spec: Spec) -> Fault:
    return Fault.gzip(
        _body(spec, "body"),
        status_code=_int(spec, "status", 200),
        content_type=_text(spec, "content_type", "application/json; charset=utf-8"),
    )


def _redirect(spec: Spec) -> Fault:
    return Fault.redirect(_text(spec, "location", None), status_code=_int(spec, "status", 302))


def _deep_json(spec: Spec) -> Fault:
    ok = spec.get("ok", True)
    if not isinstance(ok, bool):
        raise ValueError("'ok' must be true or false")
    return Fault.deep_json(_int(spec, "depth", 1000), ok=ok)


_BUILDERS: Mapping[str, Callable[[Spec], Fault]] = {
    "status": _status,
    "json": _json,
    "slack_error": _slack_error,
    "rate_limited": lambda spec: Fault.rate_limited(_int(spec, "retry_after", 1)),
    "html_page": lambda spec: Fault.html_page(_int(spec, "status", 200)),
    "huge_body": lambda spec: Fault.huge_body(_int(spec, "size_bytes", 5 * 1024 * 1024)),
    "truncated_json": lambda spec: Fault.truncated_json(),
    "empty_body": lambda spec: Fault.empty_body(),
    "non_object_json": lambda spec: Fault.non_object_json(),
    "delay": lambda spec: Fault.delay(_number(spec, "seconds", None)),
    "drop": lambda spec: Fault.drop(),
    "raw": _raw,
    "gzip": _gzip,
    "gzip_bomb": lambda spec: Fault.gzip_bomb(_int(spec, "inflated_bytes", 64 * 1024 * 1024)),
    "redirect": _redirect,
    "deep_json": _deep_json,
}


def _headers(spec: Spec) -> dict[str, str]:
    headers = spec.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise ValueError("'headers' must be an object of strings")
    return headers


def _body(spec: Spec, key: str) -> bytes:
    """`key` as text (UTF-8), or `key`_base64 for bytes that are not text."""
    encoded = spec.get(key + "_base64")
    if encoded is not None:
        if not isinstance(encoded, str):
            raise ValueError(f"'{key}_base64' must be a base64 string")
        try:
            return base64.b64decode(encoded, validate=True)
        except binascii.Error as error:
            raise ValueError(f"'{key}_base64' must be a base64 string") from error
    return _text(spec, key, "").encode("utf-8")


def _text(spec: Spec, key: str, default: str | None) -> str:
    value = spec.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"'{key}' must be a string")
    return value


def _int(spec: Spec, key: str, default: int | None, *, required: bool = True) -> Any:
    value = spec.get(key, default)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"'{key}' must be an integer")
    return value


def _number(spec: Spec, key: str, default: float | None) -> float:
    value = spec.get(key, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ValueError(f"'{key}' must be a number")
    return float(value)
