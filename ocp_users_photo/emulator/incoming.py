"""Reading a request once: its raw body, its arguments (query, form or JSON) and file parts."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import parse_qsl

from python_multipart.exceptions import FormParserError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message, Receive, Scope

from ocp_users_photo.sizes import byte_size

BodyKind = Literal["none", "form", "json", "other"]

# Content types Slack lists as valid for a POST (anything else: invalid_post_type).
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_ACCEPTED_TYPES = (*_FORM_TYPES, "application/json", "text/plain")
# The charsets Slack names as valid (anything else: invalid_charset).
_CHARSETS = ("utf-8", "iso-8859-1")
# Argument names Slack takes: letters, digits and _, not very long (its docs give no
# number; 100 is the emulator's); a PHP-style array name is a code of its own.
_MAX_ARGUMENT_NAME = 100
_ARGUMENT_NAME = re.compile(rf"[A-Za-z0-9_]{{1,{_MAX_ARGUMENT_NAME}}}")
_ARRAY_NAME = re.compile(r"[^\[\]]+(\[[^\[\]]*\])+")


@dataclass(frozen=True)
class UploadedFile:
    """A file part, read into memory."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        # The bytes by their size, as EncodedImage's: an upload's whole image otherwise.
        return (
            f"UploadedFile(field_name={self.field_name!r}, filename={self.filename!r}, "
            f"content_type={self.content_type!r}, data=<{byte_size(len(self.data))}>)"
        )


@dataclass(frozen=True)
class Incoming:
    """A request's arguments, parsed once by the gateway and shared with the handlers.

    `query` and `body_fields` are kept apart because only some methods read a
    token from the query string; `body_error` is the Slack error code for a
    body that could not be read as arguments at all.
    """

    query: tuple[tuple[str, str], ...]
    body_fields: tuple[tuple[str, str], ...]
    files: tuple[UploadedFile, ...]
    body_kind: BodyKind
    body_error: str | None

    def argument(self, name: str) -> str | None:
        """The body's value, else the query string's (Slack reads both; the body wins)."""
        for key, value in self.body_fields:
            if key == name:
                return value
        for key, value in self.query:
            if key == name:
                return value
        return None

    def file(self, name: str) -> UploadedFile | None:
        return next((part for part in self.files if part.field_name == name), None)


class BodyTooLarge(Exception):
    """The body is over the configured size limit."""


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body; raises BodyTooLarge past `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            # The client went away; what arrived is all there is.
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body is over {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replaying_receive(body: bytes, receive: Receive) -> Receive:
    """A receive callable that hands out the already-read body, then defers to the real one."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def parse_incoming(scope: Scope, body: bytes) -> Incoming:
    """Arguments from the query string and from the body, by its content type, then their
    names checked as Slack checks them."""
    incoming = await _parse_arguments(scope, body)
    if incoming.body_error is not None:
        return incoming
    return replace(incoming, body_error=_argument_name_error(incoming))


async def _parse_arguments(scope: Scope, body: bytes) -> Incoming:
    query = tuple(
        parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    )
    request = Request(scope, replaying_receive(body, _no_more_messages))
    content_type = request.headers.get("content-type")
    media_type, _, parameters = (content_type or "").partition(";")
    media_type = media_type.strip().lower()
    if not media_type:
        # Slack's missing_post_type is for a POST "that included a data payload" only.
        error = "missing_post_type" if body else None
        return Incoming(query, (), (), "other" if body else "none", error)
    # The type and its charset are checked with a payload or without one (Slack's
    # invalid_post_type and invalid_charset name no payload).
    if _charset(parameters) not in (None, *_CHARSETS):
        return Incoming(query, (), (), "other", "invalid_charset")
    if media_type in _FORM_TYPES:
        return await _parse_form(request, query)
    if media_type not in _ACCEPTED_TYPES:
        return Incoming(query, (), (), "other", "invalid_post_type")
    if not body:
        return Incoming(query, (), (), "none", None)
    if media_type == "application/json":
        return _parse_json(body, query)
    return Incoming(query, (), (), "other", None)


def _charset(parameters: str) -> str | None:
    """The content type's charset parameter, lower-cased and unquoted; None without one."""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _argument_name_error(incoming: Incoming) -> str | None:
    """invalid_array_arg for a PHP-style name (``crop_x[7]``), invalid_arg_name for one with
    characters other than letters, digits and ``_``, or longer than _MAX_ARGUMENT_NAME."""
    names = [name for name, _ in (*incoming.query, *incoming.body_fields)]
    names += [part.field_name for part in incoming.files]
    if any(_ARRAY_NAME.fullmatch(name) for name in names):
        return "invalid_array_arg"
    if not all(_ARGUMENT_NAME.fullmatch(name) for name in names):
        return "invalid_arg_name"
    return None


async def _parse_form(request: Request, query: tuple[tuple[str, str], ...]) -> Incoming:
    try:
        form = await request.form()
    except (HTTPException, MultiPartException, FormParserError, UnicodeDecodeError):
        return Incoming(query, (), (), "form", "invalid_form_data")
    fields: list[tuple[str, str]] = []
    files: list[UploadedFile] = []
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                files.append(UploadedFile(name, value.filename, value.content_type, data))
            else:
                fields.append((name, value))
    finally:
        await form.close()
    return Incoming(query, tuple(fields), tuple(files), "form", None)


def no_json_constant(name: str) -> object:
    """NaN and Infinity, which json.loads reads and JSON has not: refused as invalid."""
    raise ValueError(f"{name} is not JSON")


def _parse_json(body: bytes, query: tuple[tuple[str, str], ...]) -> Incoming:
    try:
        document = json.loads(body, parse_constant=no_json_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError):
        # RecursionError: arrays nested 100,000 deep, which json.loads cannot read.
        return Incoming(query, (), (), "json", "invalid_json")
    if not isinstance(document, Mapping):
        return Incoming(query, (), (), "json", "json_not_object")
    fields = tuple((str(key), _json_argument_text(value)) for key, value in document.items())
    return Incoming(query, fields, (), "json", None)


def _json_argument_text(value: object) -> str:
    # Slack's SDKs send numbers for crop values; an argument is text either way.
    return value if isinstance(value, str) else json.dumps(value)


async def _no_more_messages() -> Message:
    return {"type": "http.disconnect"}
