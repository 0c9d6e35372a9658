"""A Python developer's first hour with the library, after many changes: the mistakes a
newcomer makes at the Python door, each answered with what to do and nothing sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import CANARY_TOKEN, make_image, photo_requests


@pytest.mark.parametrize("suffix", ["png", "jpg"])
async def test_an_image_file_opened_in_text_mode_is_told_to_open_it_with_rb(
    emulator: RunningEmulator, tmp_path: Path, suffix: str
) -> None:
    # open("me.png") without "rb": reading a real PNG or JPEG as text fails to decode
    # its first byte, which was told "cannot be read (not a valid file name)".
    path = tmp_path / f"me.{suffix}"
    path.write_bytes(make_image(fmt="JPEG" if suffix == "jpg" else "PNG"))
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        with path.open(encoding="utf-8") as text_file, pytest.raises(InvalidArguments) as caught:
            await tool.call({"image": text_file})
    told = caught.value.problems[0].message
    assert "text mode" in told
    assert "'rb'" in told
    assert "file name" not in told
    assert photo_requests(emulator) == []


async def test_a_closed_image_file_is_told_to_keep_it_open(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # A file closed before the call (a `with open(...)` block ended too soon) was told
    # "cannot be read (not a valid file name)", though no file name was given.
    path = tmp_path / "me.png"
    path.write_bytes(make_image())
    with path.open("rb") as closed_file:
        pass
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(InvalidArguments) as caught:
            await tool.call({"image": closed_file})
    told = caught.value.problems[0].message
    assert "closed" in told
    assert "file name" not in told
    assert photo_requests(emulator) == []


@pytest.mark.parametrize(
    ("given", "told"),
    [
        (f"Bearer {CANARY_TOKEN}", "'Bearer '"),
        (f"bearer {CANARY_TOKEN}", "'Bearer '"),
        (f"{CANARY_TOKEN}\n", "around it"),
        (f"  {CANARY_TOKEN} ", "around it"),
    ],
    ids=["bearer", "lowercase-bearer", "line-end", "spaces"],
)
async def test_a_token_given_with_bearer_or_a_line_end_is_told_what_to_remove(
    emulator: RunningEmulator, given: str, told: str
) -> None:
    # UsersSetPhoto(token=Path("token.txt").read_text()) keeps the file's line end, and a
    # token copied from an Authorization header starts with "Bearer ": both were told
    # only "holds spaces, control or non-ASCII characters: copy the token again".
    async with UsersSetPhoto(given, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(InvalidArguments) as caught:
            await tool.call({"image": make_image()})
    message = str(caught.value)
    assert told in message
    assert CANARY_TOKEN not in message
    assert CANARY_TOKEN[:20] not in message
    assert photo_requests(emulator) == []


@pytest.mark.parametrize(
    ("kind", "told"),
    [("base64", "base64 text"), ("path", "pathlib.Path")],
)
async def test_text_given_as_bytes_is_told_to_give_it_as_str(
    emulator: RunningEmulator, tmp_path: Path, kind: str, told: str
) -> None:
    # base64.b64encode() returns bytes, and a path may be bytes too (os.fsencode); bytes
    # are taken as the image itself, so both were told only "not an image in a format
    # this tool decodes", with nothing about what was wrong with what was given.
    import base64

    path = tmp_path / "me.png"
    path.write_bytes(make_image())
    given = base64.b64encode(path.read_bytes()) if kind == "base64" else bytes(path)
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(InvalidArguments) as caught:
            await tool.call({"image": given})
        for same in (bytearray(given), memoryview(given)):
            with pytest.raises(InvalidArguments) as again:
                await tool.call({"image": same})
            assert str(again.value) == str(caught.value)
    message = caught.value.problems[0].message
    assert told in message
    assert ".decode()" in message
    assert str(path) not in message  # the bytes' text is never quoted back
    assert photo_requests(emulator) == []


async def test_bytes_that_are_no_image_and_no_text_are_not_told_about_text(
    emulator: RunningEmulator,
) -> None:
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(InvalidArguments) as caught:
            await tool.call({"image": bytes(range(256)) * 4})
    message = caught.value.problems[0].message
    assert "cannot be read" in message
    assert ".decode()" not in message
