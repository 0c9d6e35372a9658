"""What reaches a host's log records, and what the package changes in a
host's logging configuration.

- A ``client=`` that speaks HTTP/2 (``httpx.AsyncClient(http2=True)``) must not get the
  token into any DEBUG record, in any encoding: hpack logs each request's encoded header
  block, from which the Authorization header decodes back.
- A SOCKS5 proxy's password must not be in a DEBUG record in the form httpcore writes it
  (a bytes repr).
- Running the emulator (the ``slack_emulator`` fixture a host's own test suite uses) must
  leave the host's ``uvicorn`` loggers as they were.
"""

from __future__ import annotations

import ast
import base64
import logging

import httpx
import pytest

from ocp_users_photo import TransportError, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator, run_emulator
from tests.conftest import CANARY_TOKEN, make_image

CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]
ENCODED = "Encoded header block to "


def _decoded_header_values(message: str) -> list[str]:
    """The header values of an hpack "Encoded header block to b'...'" record, decoded."""
    import hpack

    if not message.startswith(ENCODED):
        return []
    block = ast.literal_eval(message[len(ENCODED) :])
    return [str(value) for _, value in hpack.Decoder().decode(block)]


async def test_an_http2_client_gets_no_token_into_any_debug_record(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    image = "data:image/png;base64," + base64.b64encode(make_image()).decode()
    # Prior knowledge on loopback stands in for ALPN's h2 on https://slack.com: the request's
    # headers are encoded (and logged) before any answer, whatever the server speaks.
    async with httpx.AsyncClient(http1=False, http2=True) as client:
        # The control: the same client's own request, a harmless header, logged by hpack.
        with pytest.raises(httpx.HTTPError):
            await client.post(emulator.base_url + "/api.test", headers={"x-probe": "harmless"})
        probe = [r for r in caplog.records if r.name.startswith("hpack")]
        assert any(
            "harmless" in value for r in probe for value in _decoded_header_values(r.getMessage())
        ), "hpack logs each encoded header block at DEBUG"
        caplog.clear()
        tool = UsersSetPhoto(
            CANARY_TOKEN, base_url=emulator.base_url, client=client, max_retries=0, environ={}
        )
        await tool.run({"image": image})
    assert any(r.name.startswith("httpcore.http2") for r in caplog.records), "sent over h2"
    leaked = [
        value
        for record in caplog.records
        if record.name.startswith("hpack")
        for value in _decoded_header_values(record.getMessage())
        if CANARY_SECRET in value
    ]
    assert leaked == [], "the Authorization header decodes back out of an hpack DEBUG record"


async def test_the_emulator_leaves_a_hosts_uvicorn_loggers_as_they_were() -> None:
    access = logging.getLogger("uvicorn.access")
    error = logging.getLogger("uvicorn.error")
    handler = logging.NullHandler()
    saved = (access.level, access.propagate, error.level)
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    error.setLevel(logging.INFO)
    try:
        async with run_emulator():
            pass
        after = (access.handlers[:], access.propagate, access.level, error.level)
        assert after == ([handler], True, logging.INFO, logging.INFO)
    finally:
        access.removeHandler(handler)
        access.level, access.propagate, error.level = saved


@pytest.mark.parametrize("password", ["pässwörd-of-the-proxy", "back\\slash-proxy-secret"])
async def test_a_socks5_proxy_password_is_in_no_debug_record_in_any_form(
    password: str, caplog: pytest.LogCaptureFixture
) -> None:
    """httpcore's SOCKS5 trace logs the credentials as bytes (``auth=(b'user', b'...')``):
    a password whose bytes' repr is not its text (non-ASCII, a backslash) escapes the
    redaction, which looks for the text."""
    import asyncio
    from urllib.parse import quote

    caplog.set_level(logging.DEBUG)
    # A proxy that accepts the connection and answers nothing: the trace is written first.
    proxy = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    environ = {"HTTPS_PROXY": f"socks5://alice:{quote(password, safe='')}@127.0.0.1:{port}"}
    tool = UsersSetPhoto(
        CANARY_TOKEN,
        base_url="https://slack.example/api",
        environ=environ,
        timeout=1.0,
        max_retries=0,
    )
    try:
        with pytest.raises(TransportError):
            await tool.whoami()
    finally:
        await tool.aclose()
        proxy.close()
    as_bytes = repr(password.encode())[2:-1]  # how a bytes repr shows it
    held = [
        record.getMessage()
        for record in caplog.records
        if password in record.getMessage() or as_bytes in record.getMessage()
    ]
    assert held == []


async def test_a_refusal_and_a_rate_limits_wait_can_be_told_from_debug_records_alone(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack refuses with HTTP 200: the records say ``ok=false`` and its code (bounded), and
    how long a rate limit made the call wait, so a host can diagnose from its logs."""
    from ocp_users_photo import SlackApiError
    from ocp_users_photo.emulator import Fault

    caplog.set_level(logging.DEBUG, logger="ocp_users_photo")
    emulator.faults.inject(Fault.rate_limited(1))
    emulator.faults.inject(Fault.slack_error("invalid_auth\x1b[2J" + "x" * 5000))
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, retry_backoff=0.01
    ) as tool:
        with pytest.raises(SlackApiError):
            await tool.call({"image": make_image()})
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("ocp_users_photo")]
    assert "users.setPhoto: sending again in 1.00 s" in messages, messages
    refusal = [m for m in messages if m.startswith("users.setPhoto answered ok=false: ")]
    assert len(refusal) == 1, messages
    (record,) = refusal
    assert "invalid_auth" in record
    assert len(record) < 150
    assert "\x1b" not in record
