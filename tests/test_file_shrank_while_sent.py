"""An image file cut short after it was checked and before all of it was sent.

A file over READ_WHOLE_BYTES is sent from the open file. Truncated meanwhile (an editor
saving over it, a sync client), its body fell short of its Content-Length: the server
waited for the rest, the call waited the whole attempt timeout (30 s), and the error
blamed Slack (an image-roots review found it). The request is now cut off at once, and
the error says what happened to the file.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from ocp_users_photo import TransportError, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images.paths import READ_WHOLE_BYTES
from tests.conftest import CANARY_TOKEN, make_image
from tests.test_tool import padded_png


@pytest.mark.parametrize("http_stack", ["httpx", "aiohttp"])
async def test_a_file_cut_short_while_it_is_sent_fails_at_once_saying_so(
    http_stack: str, emulator: RunningEmulator, tmp_path: Path
) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(padded_png(READ_WHOLE_BYTES * 2))
    checked = big.stat().st_size
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={"OCP_USERS_PHOTO_HTTP_STACK": http_stack},
        timeout=60,  # a server left waiting would hold the call this long
    ) as tool:
        upload = await tool.prepare({"image": str(big)})
        os.truncate(big, READ_WHOLE_BYTES)
        with pytest.raises(TransportError) as failed:
            await asyncio.wait_for(tool.send(upload), 20)
        said = str(failed.value)
        assert "the image file became shorter while it was being sent" in said
        assert f"({READ_WHOLE_BYTES} of the {checked} bytes checked were there)" in said
        assert "nothing of it can have taken effect" in said
        assert failed.value.reached is False
        assert not emulator.requests.for_path("users.setPhoto")
        # The connection it was cut off on is not used again: the next call goes through.
        reply = await tool.call({"image": make_image()})
        assert reply["ok"] is True


def test_a_shrunk_file_is_found_behind_a_transport_that_raises_its_own_from_another() -> None:
    """A caller's transport may wrap what the body raised and name another cause
    (``raise TheirError from other``): the FileShrank is then only the context (a review
    of this change: the call was retried and called 'reached')."""
    from ocp_users_photo.slack.client import file_shrank_in
    from ocp_users_photo.slack.form import FileShrank

    shrank = FileShrank(10, 4)

    def transport_write() -> None:
        try:
            raise shrank
        except FileShrank:
            raise OSError("the transport's own") from ValueError("another cause")

    with pytest.raises(OSError, match="the transport's own") as wrapped:
        transport_write()
    assert file_shrank_in(wrapped.value) is shrank
    assert file_shrank_in(OSError("nothing of the file")) is None
