"""What Pillow logs of an image the tool reads is bounded, printable and holds no token.

An attack review served a PNG whose colour-profile name (its iCCP chunk) was 2 MB of the
host's own text: Pillow logs ``iCCP profile name %r`` at DEBUG, and a host logging at
DEBUG got two records of 2,000,000 characters each, while the photo was set.
"""

from __future__ import annotations

import io
import logging
import zlib
from pathlib import Path

import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.cli import main as cli_main
from ocp_users_photo.images.pillow_logs import MAX_RECORD_CHARS
from tests.conftest import CANARY_TOKEN, make_image
from tests.hostile_images import png_chunk

HOST_TEXT = b"HOSTTEXT\x1b[2J\x9b31m xoxb-1234567890-abcdefabcdefabcdef "


def png_with_profile_name(
    name: bytes, size: tuple[int, int] = (640, 640), *, late: bool = False
) -> bytes:
    """A PNG whose iCCP chunk has ``name`` as the profile's name: right after IHDR (read
    with the header), or ``late``, just before IEND (read as the pixels are decoded)."""
    plain = make_image(size)
    at = plain.rindex(b"IEND") - 4 if late else 8 + 25  # IHDR: length, type, 13 bytes, CRC
    profile = png_chunk(b"iCCP", name + b"\0\0" + zlib.compress(b"not a profile"))
    return plain[:at] + profile + plain[at:]


LONG_NAME = png_with_profile_name(HOST_TEXT + b"A" * 200_000)
# Scaled down to 1024: decoded (the late chunk read then) and encoded again.
LARGE = png_with_profile_name(HOST_TEXT + b"A" * 200_000, size=(1200, 1200), late=True)


def pillow_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("PIL.")]


async def test_a_long_profile_name_is_logged_bounded_and_printable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # prepare (no Slack: an emulator in this process decodes what it is sent, and logs it).
    caplog.set_level(logging.DEBUG)
    async with UsersSetPhoto(CANARY_TOKEN, base_url="http://127.0.0.1:9/api", environ={}) as tool:
        async with tool.prepare({"image": LONG_NAME}) as as_it_is:
            assert as_it_is.image.changes == ()
        async with tool.prepare({"image": LARGE}) as converted:
            assert converted.image.changes  # scaled down: decoded and encoded again
    logged = pillow_records(caplog)
    named = [message for message in logged if "HOSTTEXT" in message]
    # Pillow did log the name, reading the header and decoding: what a host would see.
    assert len(named) == 2, logged
    for message in logged:
        assert len(message) <= MAX_RECORD_CHARS + 40, len(message)
        assert message.isprintable(), ascii(message[:200])
        assert "abcdefabcdefabcdef" not in message
    assert all("characters in all" in message for message in named)


def test_the_hosts_own_use_of_pillow_logs_as_before(caplog: pytest.LogCaptureFixture) -> None:
    """Outside the tool's reading of an image, a record of Pillow's is left as it came."""
    caplog.set_level(logging.DEBUG)
    with Image.open(io.BytesIO(LONG_NAME)) as picture:
        picture.load()
    named = [message for message in pillow_records(caplog) if "HOSTTEXT" in message]
    assert named
    assert max(len(message) for message in named) > 200_000


def test_the_preview_of_a_dry_run_logs_the_name_bounded_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """``set --dry-run --preview``: the square drawn from what would be sent is decoded."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)
    image, preview = tmp_path / "me.png", tmp_path / "square.png"
    image.write_bytes(LONG_NAME)
    caplog.set_level(logging.DEBUG)
    assert cli_main(["set", str(image), "--dry-run", "--preview", str(preview)]) == 0
    assert preview.stat().st_size > 0
    named = [message for message in pillow_records(caplog) if "HOSTTEXT" in message]
    assert len(named) == 2, named  # the header read, then the preview's
    assert all(len(message) <= MAX_RECORD_CHARS + 40 for message in named)
