"""Ctrl-C with a request under way: the emulator stops in one line, not a traceback."""

from __future__ import annotations

import asyncio
import logging
import signal

import pytest

from ocp_users_photo.emulator import run_emulator
from tests.programs import started_emulator

# A multipart upload whose body never comes whole: its request is under way when Ctrl-C
# comes, and uvicorn cancels it once the shutdown's grace (2 s) is over.
_HALF_A_REQUEST = (
    b"POST /api/users.setPhoto HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n--x\r\n"
)


async def test_ctrl_c_with_an_upload_under_way_prints_no_traceback() -> None:
    process = await started_emulator()
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        async with asyncio.timeout(60):
            base_url = (await process.stdout.readline()).decode().strip()
            port = int(base_url.rsplit(":", 1)[1].split("/", 1)[0])
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(_HALF_A_REQUEST)
            await writer.drain()
            await asyncio.sleep(0.5)  # the request has reached the application
            process.send_signal(signal.SIGINT)
            _, stderr = await process.communicate()
            writer.close()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    said = stderr.decode()
    assert process.returncode == 0, said
    assert "Cancel 1 running task(s)" in said  # uvicorn's own line says what was cut short
    assert "Traceback" not in said
    assert "CancelledError" not in said
    assert "Exception in ASGI application" not in said


async def test_other_errors_of_uvicorns_applications_are_still_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The filter drops that one cancellation only, and only while an emulator runs."""
    uvicorn_errors = logging.getLogger("uvicorn.error")
    try:
        raise ValueError("a host application's own fault")
    except ValueError as fault:
        other = fault
    grace_over = asyncio.CancelledError("Task cancelled, timeout graceful shutdown exceeded")
    async with run_emulator():
        with caplog.at_level(logging.ERROR, logger="uvicorn.error"):
            uvicorn_errors.error("Exception in ASGI application\n", exc_info=other)
            uvicorn_errors.error("Exception in ASGI application\n", exc_info=grace_over)
            uvicorn_errors.error(
                "Exception in ASGI application\n", exc_info=asyncio.CancelledError("other")
            )
    kept = [record.exc_info[1] for record in caplog.records if record.exc_info]
    assert kept[0] is other
    assert isinstance(kept[1], asyncio.CancelledError)
    assert kept[1].args == ("other",)
    assert len(kept) == 2
    assert not uvicorn_errors.filters  # gone with the last emulator
