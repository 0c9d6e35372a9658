"""Four loose ends earlier reviews left (leftovers10), each shown by a test first."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto, safe_text
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import TransportError
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests
from tests.test_reply9 import IMAGE, every_text_of_a_call, holds_the_token_in_any_spelling, spelled
from tests.test_secrets import holds_part_of_the_token, texts_of_error
from tests.test_slack_client_hardening import quick_tool

# Python's \U escape (eight hex digits) and its octal one (up to three digits): a reader
# decodes both at a glance, as \u and \x.
U_ESCAPED = spelled(lambda char: f"\\U{ord(char):08x}")
OCTAL_ESCAPED = spelled(lambda char: f"\\{ord(char):03o}")
_PYTHON_ESCAPE = re.compile(r"\\+(?:U([0-9a-fA-F]{8})|([0-7]{1,3}))")


def _python_read_back(text: str) -> str:
    return _PYTHON_ESCAPE.sub(
        lambda found: (
            chr(int(found.group(1), 16)) if found.group(1) else chr(int(found.group(2), 8))
        ),
        text,
    )


def holds_the_token_spelled_any_way(text: str) -> bool:
    return holds_the_token_in_any_spelling(text) or holds_part_of_the_token(_python_read_back(text))


@pytest.mark.parametrize("form", [U_ESCAPED, OCTAL_ESCAPED], ids=["U-escaped", "octal"])
def test_python_escapes_read_back_to_the_token(form: str) -> None:
    assert not holds_part_of_the_token(form)
    assert holds_the_token_spelled_any_way(form)
    assert holds_part_of_the_token(safe_text.read_back(form))
    assert safe_text.may_spell_otherwise(form.encode())
    assert safe_text.may_spell_otherwise(form.replace("\\", "\\\\").encode())  # as in JSON


def test_an_invalid_code_point_is_read_back_without_raising() -> None:
    for text in ("\\U7fffffff", "\\U00110000", "\\\\Uffffffff tail", "\\777", "\\UD800dc00"):
        assert isinstance(safe_text.read_back(text), str)
        assert safe_text.redacted(text, ["xoxp-secret"]) == text


def test_an_escape_is_matched_from_its_runs_first_backslash_only() -> None:
    """As test_diffreview9: the new escapes too may only start where a run of backslashes
    does, or a hostile run of them costs quadratic time."""
    for escape, decoded in (("U00000078", "x"), ("170", "x")):
        run = "\\" * 6 + escape
        assert safe_text._BACKSLASH_ESCAPE.match(run, 0) is not None
        assert all(safe_text._BACKSLASH_ESCAPE.match(run, start) is None for start in range(1, 6))
        assert safe_text.read_back(run) == decoded


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(401, body=f"bad token {U_ESCAPED}", headers={"content-type": "text/plain"}),
        Fault.status(
            401, body=f"bad token {OCTAL_ESCAPED}", headers={"content-type": "text/plain"}
        ),
        Fault.json({"ok": False, "error": "invalid_auth", "detail": U_ESCAPED}),
        Fault.json({"ok": False, "error": "invalid_auth", "detail": OCTAL_ESCAPED}),
        Fault.json({"ok": False, "error": U_ESCAPED}),
        Fault.json({"ok": False, "error": OCTAL_ESCAPED}),
    ],
    ids=[
        "401 text, U-escaped",
        "401 text, octal",
        "slack error field, U-escaped",
        "slack error field, octal",
        "error code, U-escaped",
        "error code, octal",
    ],
)
async def test_a_token_echoed_in_a_python_escape_reaches_no_output(
    emulator: RunningEmulator, http_stack: str, fault: Fault, caplog: pytest.LogCaptureFixture
) -> None:
    inject(emulator, fault, fault)
    for text in await every_text_of_a_call(emulator, http_stack, caplog):
        assert not holds_the_token_spelled_any_way(text), text[:400]


# 1. A status no HTTP server gives. h11 refuses one below 100 and aiohttp one of more than
# three digits (each a TransportError that says the answer was unusable); both hand on 600
# to 999, and aiohttp 000 to 099 too.
@pytest.mark.parametrize("status", [b"600", b"999", b"099", b"000"])
@pytest.mark.parametrize("error", ["internal_error", "ratelimited"])
async def test_a_status_outside_100_to_599_is_no_reply_and_not_sent_again(
    emulator: RunningEmulator,
    http_stack: str,
    status: bytes,
    error: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    raw = (
        b"HTTP/1.1 " + status + b" {token}\r\ncontent-type: application/json\r\n"
        b"retry-after: 0\r\nconnection: close\r\n\r\n"
        b'{"ok":false,"error":"' + error.encode() + b'","detail":"{token}"}'
    )
    inject(emulator, *[Fault.raw(raw)] * 6)
    async with quick_tool(emulator, http_stack, max_retries=2) as tool:
        with pytest.raises(TransportError) as caught:
            await tool.call({"image": IMAGE})
        result = await tool.run({"image": IMAGE})
    assert len(photo_requests(emulator)) == 2  # once for call, once for run: never resent
    text = str(caught.value)
    assert "failed while handling" not in text, text
    assert "took effect" in text or "may have taken effect" in text, text
    if status.startswith(b"0") and http_stack == "httpx":
        assert "usable answer" in text, text  # h11's own refusal
    else:
        assert "no HTTP status" in text, text
    assert text.isprintable(), text
    assert len(text) < 600, text
    assert result["ok"] is False
    texts = [*texts_of_error(caught.value), json.dumps(result)]
    texts.extend(record.getMessage() for record in caplog.records)
    for shown_text in texts:
        assert not holds_part_of_the_token(shown_text), shown_text[:300]


# 2. A file object that stands mid-file is read from where it stands.
class _Watched(io.BytesIO):
    """A buffer that counts what was read from it and whether it was moved."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.seeks: list[int] = []
        self.read_bytes = 0

    def seek(self, offset: int, whence: int = 0, /) -> int:
        self.seeks.append(offset)
        return super().seek(offset, whence)

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        self.read_bytes += len(data)
        return data


async def test_a_file_object_standing_mid_file_is_told_where_and_to_seek_to_its_start(
    emulator: RunningEmulator,
) -> None:
    photo = make_image()
    buffer = _Watched(photo)
    buffer.read(16)  # as a caller that sniffed the header, then forgot to rewind
    buffer.seeks.clear()
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(InvalidArguments) as caught:
            await tool.call({"image": buffer})
        told = caught.value.problems[0].message
        assert "position 16" in told
        assert "seek(0)" in told
        assert buffer.seeks == []  # the caller's object is not moved for them
        assert buffer.read_bytes == len(photo)  # read once, within the budget
        buffer.seek(0)  # as told: the same buffer is then sent
        assert (await tool.call({"image": buffer}))["ok"] is True
        # At its start, a file that is no image is told only that.
        with pytest.raises(InvalidArguments) as caught:
            await tool.call({"image": io.BytesIO(b"not an image at all")})
        assert "seek(0)" not in caught.value.problems[0].message
    assert len(photo_requests(emulator)) == 1
