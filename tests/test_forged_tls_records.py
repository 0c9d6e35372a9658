"""A TLS record forged after the handshake (a bad MAC, written under the TLS layer): what a
hostile host, or a middlebox tampering with the connection, sends.

httpcore maps ``ssl.SSLError`` only in the handshake; after it, anyio re-raises it and
httpx hands it back as it is. It escaped the image fetch and the Slack call raw: ``run()``
and an agent's ``call_tool`` raised instead of answering with an error.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.errors import TransportError
from ocp_users_photo.web_image import ImageUrlRefused, UrlPolicy, fetch_image
from tests.conftest import CANARY_TOKEN, company_ca, make_image
from tests.http_stacks import stack_environ
from tests.loopback import LoopbackServer, serve

# An application-data record of 64 bytes that no key made: its MAC cannot check.
FORGED = b"\x17\x03\x03\x00\x40" + b"\x41" * 0x40
PNG = make_image((8, 8), "PNG")


def _under_tls(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Bytes written to the TCP socket itself, past the TLS layer."""
    os.write(writer.get_extra_info("socket").fileno(), data)


async def before_the_head(writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(0.1)
    _under_tls(writer, FORGED)
    await asyncio.sleep(0.5)


async def within_the_body(writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + PNG)
    await writer.drain()
    await asyncio.sleep(0.1)
    _under_tls(writer, FORGED)
    await asyncio.sleep(0.5)


WHEN: dict[str, Callable[[asyncio.StreamWriter], Awaitable[None]]] = {
    "before-the-head": before_the_head,
    "within-the-body": within_the_body,
}


@pytest.mark.parametrize("when", list(WHEN))
async def test_the_image_fetch_tells_a_forged_record_as_a_broken_connection(
    host: LoopbackServer, client_tls: ssl.SSLContext, when: str
) -> None:
    host.on("/x.png", WHEN[when])
    policy = UrlPolicy(allowed_hosts=["127.0.0.1"], allow_loopback_for_tests=True)
    with pytest.raises(ImageUrlRefused) as refused:
        await fetch_image(host.url("/x.png"), policy, ssl_context=client_tls)
    assert "broke off the answer" in refused.value.message


@pytest.mark.parametrize("when", list(WHEN))
async def test_the_slack_call_tells_a_forged_record_as_no_usable_answer(
    tmp_path: Path, http_stack: str, when: str
) -> None:
    server_tls, bundle = company_ca(tmp_path)
    async with serve(server_tls) as slack:
        slack.on("/api/users.setPhoto", WHEN[when])
        async with UsersSetPhoto(
            CANARY_TOKEN,
            base_url=slack.base_url(),
            environ={**stack_environ(http_stack), "SSL_CERT_FILE": str(bundle)},
            max_retries=0,
            keep_previous=False,
        ) as tool:
            with pytest.raises(TransportError):
                await tool.call({"image": make_image()})
            answer = await tool.run({"image": make_image()})
    assert answer["ok"] is False
    assert answer["error"] == "transport_error"
