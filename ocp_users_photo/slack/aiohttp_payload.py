"""A small body handed to aiohttp whole, that still tells when it began to go out.

aiohttp writes a bytes body from its own buffer, never asking the ``FormBody`` for it,
so ``FormBody.started`` would stay false however far the request got, and a request
Slack may have acted on would be reported "not reached" (and sent again). aiohttp
calls a payload's write after it connected and wrote the request's head: that is where
the body is marked started. Imported only with the ``aiohttp`` stack.
"""

from __future__ import annotations

from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import BytesPayload

from ocp_users_photo.slack.form import FormBody


class StartedBytes(BytesPayload):
    """``whole`` as aiohttp's bytes payload; ``form_body.started`` set when its write begins."""

    def __init__(self, form_body: FormBody, whole: bytes) -> None:
        super().__init__(whole)
        self._form_body = form_body

    async def write(self, writer: AbstractStreamWriter) -> None:
        self._form_body.started = True
        await super().write(writer)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        self._form_body.started = True
        await super().write_with_length(writer, content_length)
