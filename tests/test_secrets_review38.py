"""Secrets kept out of what a hostile server's malformed answers make the client say
(found by the review of 2026-12-06 10:25 UTC; each test failed before its fix)."""

from __future__ import annotations

import gzip
import logging
import re
import traceback

import pytest

from ocp_users_photo import UsersPhotoError
from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.conftest import CANARY_TOKEN, inject
from tests.test_secrets import holds_part_of_the_token
from tests.test_slack_client_hardening import IMAGE, outcome_texts, quick_tool

LAST_SEGMENT = CANARY_TOKEN.rsplit("-", 1)[1]
# What a reader skips at a glance: NULs, and their escapes as a bytes repr writes them.
_NUL_SPELLINGS = re.compile(r"\\+x00|\\+0(?![0-7])|\x00")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32"])
async def test_a_header_line_echoing_the_token_in_utf16_or_32_is_redacted(
    emulator: RunningEmulator,
    http_stack: str,
    encoding: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The stack refuses the line and quotes it as a bytes repr ("0\\x00c\\x00..."): the
    # NULs between its characters hid every form of the secret from the redaction.
    caplog.set_level(logging.DEBUG)
    line = LAST_SEGMENT.encode(encoding)
    inject(emulator, Fault.raw(b"HTTP/1.1 200 OK\r\n" + line + b"\r\ncontent-length: 2\r\n\r\n{}"))
    async with quick_tool(emulator, http_stack, max_retries=0) as tool:
        texts = await outcome_texts(tool)
    texts += [record.getMessage() for record in caplog.records]
    assert any("broke HTTP's rules" in text for text in texts), texts  # refused, and said so
    for text in texts:
        assert not holds_part_of_the_token(_NUL_SPELLINGS.sub("", text)), text[:300]


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(
            200,
            body=b"{token}",
            headers={"content-encoding": "gzip", "content-type": "application/json"},
        ),
        Fault.json({"ok": True}, headers={"content-encoding": "{token}"}),
        Fault.status(
            200,
            body=gzip.compress(CANARY_TOKEN.encode() * 40_000),
            headers={"content-encoding": "gzip", "content-type": "application/json"},
        ),
    ],
    ids=["corrupt gzip echoing it", "a coding named as it", "past the cap once unzipped"],
)
async def test_an_unreadable_reply_leaves_no_frame_holding_the_token(
    emulator: RunningEmulator, http_stack: str, fault: Fault
) -> None:
    # What an error reporter renders (Sentry: each frame's locals): the frame that raised
    # held the chunk read (the body echoing the token), and the read's own error, as
    # context, its raw bytes (found by the review of 2026-12-06 10:25 UTC).
    inject(emulator, fault)
    async with quick_tool(emulator, http_stack, max_retries=0) as tool:
        with pytest.raises(UsersPhotoError) as raised:
            await tool.call({"image": IMAGE})
    error = raised.value
    rendered = "".join(
        traceback.TracebackException.from_exception(error, capture_locals=True).format()
    )
    assert "cannot be read" in str(error) or "larger than" in str(error), str(error)
    assert not holds_part_of_the_token(rendered), rendered[-1500:]
    assert error.__context__ is None


async def test_a_token_echoed_in_hex_is_redacted(
    emulator: RunningEmulator, http_stack: str
) -> None:
    # A server dumping what it got writes it in hex (the second secrets sweep of the day):
    # the error kept it, and a reporter rendering frame locals showed it.
    for written in (CANARY_TOKEN, LAST_SEGMENT, CANARY_TOKEN.split("-", 1)[1]):
        echoed = written.encode().hex()
        inject(emulator, Fault.json({"ok": False, "error": "invalid_auth", "got": echoed}))
        async with quick_tool(emulator, http_stack, max_retries=0) as tool:
            with pytest.raises(UsersPhotoError) as raised:
                await tool.call({"image": IMAGE})
        error = raised.value
        assert error.__traceback__ is not None
        error.with_traceback(error.__traceback__.tb_next)  # the package's frames, not this one
        rendered = "".join(
            traceback.TracebackException.from_exception(error, capture_locals=True).format()
        )
        everything = rendered + repr(vars(error)) + str(error)
        assert echoed not in everything.lower()
        assert echoed.upper() not in everything
