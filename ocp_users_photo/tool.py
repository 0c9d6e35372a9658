"""UsersSetPhoto: the usersSetPhoto tool, tying the steps of one call together.

arguments -> parse_arguments -> open_image_source -> inspect_image (-> reencode)
-> PhotoTransport.send -> interpret_reply -> result. Each step lives in its own
module; this one only orders them, owns the HTTP client, and keeps configuration.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import httpx

from ocp_users_photo._version import __version__
from ocp_users_photo.arguments import parse_arguments
from ocp_users_photo.config import base_url_from, token_from_environment
from ocp_users_photo.credentials import SlackToken, check_token, redactor
from ocp_users_photo.errors import InvalidArguments, Problem, UsersPhotoError
from ocp_users_photo.image import (
    DEFAULT_LIMITS,
    Fit,
    ImageLimits,
    PreparedImage,
    ReencodePlan,
    inspect_image,
    reencode,
)
from ocp_users_photo.reply import ReplyCheck, interpret_reply
from ocp_users_photo.results import error_result
from ocp_users_photo.sources import open_image_source
from ocp_users_photo.spec import load_manifest
from ocp_users_photo.transport import PhotoTransport, RetryPolicy

logger = logging.getLogger("ocp_users_photo")

REPLY_CHECKS: Final = ("strict", "warn", "off")
FITS: Final = ("downscale", "reject")
USER_AGENT: Final = (
    f"ocp-users-photo/{__version__} httpx/{httpx.__version__} python/{platform.python_version()}"
)


@dataclass
class PreparedUpload:
    """A call that passed every local check: what will be sent, not yet sent."""

    token: SlackToken
    image: PreparedImage

    def summary(self) -> dict[str, Any]:
        """What is being sent, for logs and an agent's history: no token, no bytes."""
        described = self.image.summary()
        if self.image.crop_box is not None:
            described["crop"] = self.image.crop_box.form_fields()
        return described

    def close(self) -> None:
        self.image.close()


class UsersSetPhoto:
    """Slack's users.setPhoto as a checked, asynchronous tool.

    ``await tool.call(arguments)`` returns the checked reply or raises a
    ``UsersPhotoError``; ``await tool.run(arguments)`` returns an error object
    instead of raising, for feeding back to a model.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        max_retry_wait: float = 30.0,
        reply_check: ReplyCheck = "strict",
        fit: Fit = "downscale",
        image_roots: Sequence[str | os.PathLike[str]] | str | os.PathLike[str] | None = None,
        retry_backoff: float = 0.5,
        limits: ImageLimits = DEFAULT_LIMITS,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        environment = os.environ if environ is None else environ
        _check_option("reply_check", reply_check, REPLY_CHECKS)
        _check_option("fit", fit, FITS)
        _check_seconds("timeout", timeout, allow_zero=False)
        _check_seconds("max_retry_wait", max_retry_wait, allow_zero=True)
        _check_seconds("retry_backoff", retry_backoff, allow_zero=True)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be a whole number 0 or more, got {max_retries!r}")
        if client is not None and not isinstance(client, httpx.AsyncClient):
            raise TypeError(f"client must be an httpx.AsyncClient, not {type(client).__name__}")

        self._token, self._token_problems, self._token_origin = _configured_token(
            token, environment
        )
        self.base_url = base_url_from(base_url, environment)
        self.reply_check: ReplyCheck = reply_check
        self.fit: Fit = fit
        self.image_roots: tuple[Path, ...] | None = _resolve_roots(image_roots)
        self.limits = limits
        self.timeout = float(timeout)
        self._external_client = client
        self._owned_client: httpx.AsyncClient | None = None
        self._owned_client_loop: asyncio.AbstractEventLoop | None = None
        self._transport = PhotoTransport(
            url=f"{self.base_url}{self.path}",
            timeout=timeout,
            policy=RetryPolicy(
                max_retries=max_retries, max_retry_wait=max_retry_wait, backoff=retry_backoff
            ),
            user_agent=USER_AGENT,
        )

    # The tool's description, straight from the manifest (copies: callers may not edit it).
    @property
    def name(self) -> str:
        return str(load_manifest()["name"])

    @property
    def description(self) -> str:
        return str(load_manifest()["description"])

    @property
    def method(self) -> str:
        return str(load_manifest()["method"])

    @property
    def path(self) -> str:
        return str(load_manifest()["path"])

    @property
    def operation_id(self) -> str:
        return str(load_manifest()["operation_id"])

    @property
    def parameters(self) -> dict[str, Any]:
        return copy.deepcopy(dict(load_manifest()["parameters"]))

    @property
    def response_schema(self) -> dict[str, Any]:
        return copy.deepcopy(dict(load_manifest()["response_schema"]))

    @property
    def input_schema(self) -> dict[str, Any]:
        return copy.deepcopy(dict(load_manifest()["input_schema"]))

    async def call(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Check, upload, check the reply; the reply's JSON, or a ``UsersPhotoError``."""
        reply, _ = await self.call_with_summary(arguments)
        return reply

    async def run(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Like ``call``, but an expected failure comes back as an error object, not an exception.

        The error object is Slack's error shape extended so a model can correct itself:
        ``{"ok": false, "error", "message", "problems", ["retry_after"]}``. The arguments
        are a model's, so only the input schema's names are taken: a ``token`` is refused.
        """
        try:
            reply, _ = await self.call_with_summary(arguments, model_facing=True)
        except UsersPhotoError as error:
            return error_result(error)
        return reply

    def call_sync(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """``call`` for code without an event loop; it runs one for the call and closes it."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._call_then_close(arguments))
        raise RuntimeError("call_sync() cannot run inside an event loop: use 'await tool.call()'")

    async def call_with_summary(
        self, arguments: Mapping[str, Any], *, digest: bool = False, model_facing: bool = False
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The reply and a summary of what was sent (image format, size, bytes; a digest if asked).

        Agent integrations record the summary in place of the arguments, which may hold
        a token or a whole image.
        """
        upload = await self.prepare(arguments, model_facing=model_facing)
        return await self.send(upload, digest=digest)

    async def send(
        self, upload: PreparedUpload, *, digest: bool = False
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Send what ``prepare`` checked; the reply and the summary. Closes the upload."""
        try:
            if digest:
                upload.image.want_digest()
            client = self._client()
            http_reply = await self._transport.send(client, upload.token, upload.image)
            secret = upload.token.reveal()
            reply = interpret_reply(
                http_reply,
                reply_check=self.reply_check,
                redact=redactor(secret, http_reply.body),
            )
            summary = upload.summary()
            if digest:
                summary["sha256"] = upload.image.digest()
            return reply, summary
        finally:
            upload.close()

    async def prepare(
        self, arguments: Mapping[str, Any], *, model_facing: bool = False
    ) -> PreparedUpload:
        """Every local check, and any conversion: what would be sent. Raises InvalidArguments.

        The caller owns the result and must ``close()`` it (it may hold an open file).
        ``model_facing`` arguments may only use the input schema's names (no token).
        """
        parsed, problems = parse_arguments(
            arguments,
            configured_token=self._token,
            configured_token_problems=self._token_problems,
            model_facing=model_facing,
        )
        if parsed.image is None:
            raise InvalidArguments(problems)
        source, source_problems = open_image_source(
            parsed.image, image_roots=self.image_roots, max_bytes=self.limits.max_bytes
        )
        problems.extend(source_problems)
        if source is None:
            raise InvalidArguments(problems)
        try:
            inspected, image_problems = inspect_image(
                source, parsed.crop_box, fit=self.fit, limits=self.limits
            )
            problems.extend(image_problems)
            if problems or inspected is None or parsed.token is None:
                raise InvalidArguments(problems)
            if isinstance(inspected, ReencodePlan):
                image, encode_problems = await asyncio.to_thread(reencode, inspected, source)
                if image is None:
                    raise InvalidArguments(encode_problems)
            else:
                image = inspected
        except BaseException:
            source.close()
            raise
        return PreparedUpload(token=parsed.token, image=image)

    def _client(self) -> httpx.AsyncClient:
        if self._external_client is not None:
            return self._external_client
        loop = asyncio.get_running_loop()
        if self._owned_client is None or self._owned_client_loop is not loop:
            # An httpx client's connections belong to the loop that opened them; a call on
            # another loop (a second asyncio.run) gets a client of its own.
            self._owned_client = httpx.AsyncClient(timeout=self.timeout)
            self._owned_client_loop = loop
        return self._owned_client

    async def _call_then_close(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return await self.call(arguments)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client the tool opened (a client passed in is left to its owner)."""
        client, self._owned_client = self._owned_client, None
        loop, self._owned_client_loop = self._owned_client_loop, None
        if client is not None and loop is asyncio.get_running_loop():
            await client.aclose()

    async def __aenter__(self) -> UsersSetPhoto:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"UsersSetPhoto(base_url={self.base_url!r}, token={self._token_origin}, "
            f"reply_check={self.reply_check!r}, fit={self.fit!r})"
        )


def _configured_token(
    token: str | None, environ: Mapping[str, str]
) -> tuple[SlackToken | None, list[Problem], str]:
    """The token from the constructor, else the environment; with its problems and origin."""
    if token is not None:
        checked, problems = check_token(token, origin="UsersSetPhoto(token=...)")
        return checked, problems, "'given'"
    found = token_from_environment(environ)
    if found is None:
        return None, [], "None"
    variable, value = found
    checked, problems = check_token(value, origin=variable)
    return checked, problems, f"'from ${variable}'"


def _resolve_roots(
    roots: Sequence[str | os.PathLike[str]] | str | os.PathLike[str] | None,
) -> tuple[Path, ...] | None:
    if roots is None:
        return None
    listed = [roots] if isinstance(roots, (str, os.PathLike)) else list(roots)
    resolved: list[Path] = []
    for root in listed:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise ValueError(f"image root {str(path)!r} is not an existing folder")
        resolved.append(path.resolve())
    return tuple(resolved)


def _check_option(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        choices = ", ".join(repr(choice) for choice in allowed)
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def _check_seconds(name: str, value: object, *, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = "0 or more" if allow_zero else "more than 0"
        raise ValueError(f"{name} must be {bound} seconds, got {value!r}")
