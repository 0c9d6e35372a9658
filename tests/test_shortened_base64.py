"""Base64 a model shortened ("iVBORw0KGgo...", "…", "[truncated]") is told as base64 gone
wrong, where it was cut and what to send, never as a missing file: the model believes it
sent base64, and "no file at 'iVBORw0KGgo...'" leaves it nothing to correct."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images.input_kinds import kind_of
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.resolvers import open_image_source
from tests.conftest import CANARY_TOKEN, make_image

PNG_TEXT = base64.b64encode(make_image((64, 64))).decode()
JPEG_TEXT = base64.b64encode(make_image((64, 64), "JPEG")).decode()
GIF_TEXT = base64.b64encode(make_image((64, 64), "GIF")).decode()


def message_for(value: str, roots: tuple[Path, ...] | None = None) -> str:
    source, problems = open_image_source(
        value, image_roots=roots, limits=ImageLimits(max_bytes=1024 * 1024)
    )
    assert source is None, "accepted"
    assert len(problems) == 1
    return problems[0].message


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        (PNG_TEXT[:200] + "..." + PNG_TEXT[-40:], "'...'"),
        (PNG_TEXT[:30] + "...", "'...'"),
        (JPEG_TEXT[:150] + "\u2026", "'\u2026'"),
        (GIF_TEXT[:300] + " [truncated] " + GIF_TEXT[-20:], "'[truncated'"),
        (PNG_TEXT[:3000] + "...(truncated)" + PNG_TEXT[-40:], "'...'"),
    ],
    ids=["middle", "short", "ellipsis-character", "truncated-word", "long"],
)
def test_shortened_base64_says_where_it_was_cut_and_to_send_it_whole(text: str, mark: str) -> None:
    message = message_for(text)
    assert "no file" not in message
    assert "cannot be resolved" not in message
    where = text.find(mark.strip("'"))
    assert f"holds {mark} at character {where + 1}" in message, message
    assert "shortened" in message
    assert "send the file's complete base64 text, or its path" in message


def test_shortened_base64_is_told_so_inside_image_folders_too(tmp_path: Path) -> None:
    # The model doors anchor paths in their image folders; "/9j/..." is still base64.
    message = message_for(JPEG_TEXT[:120] + "...", roots=(tmp_path,))
    assert "shortened" in message, message
    assert "outside" not in message


def test_damaged_base64_names_the_first_character_that_is_not_base64() -> None:
    message = message_for(PNG_TEXT[:100] + "#\x1b[31m" + PNG_TEXT[100:])
    assert "character 101, '#', is not base64" in message, message
    assert "\x1b" not in message
    assert "encode the file again" in message


async def test_too_short_base64_of_an_image_start_is_read_as_base64() -> None:
    # 24 characters of a PNG's start, valid base64 but cut: an image cut short, not a path.
    assert kind_of(PNG_TEXT[:24])[0] == "base64"
    async with UsersSetPhoto(CANARY_TOKEN, base_url="http://127.0.0.1:9/api", environ={}) as tool:
        result = await tool.run({"image": PNG_TEXT[:24]})
    assert result["ok"] is False
    message = result["problems"][0]["message"]
    assert "no file" not in message, message
    assert "PNG" in message, message


@pytest.mark.parametrize("name", ["iVBORw0KGgo.png", "9j/photo.jpg", "R0lGODlh-old.gif"])
def test_a_file_named_like_base64_is_still_a_path(tmp_path: Path, name: str) -> None:
    assert kind_of(name)[0] == "path"
    assert kind_of("/" + name)[0] == "path"
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(make_image((64, 64)))
    source, problems = open_image_source(
        name, image_roots=(tmp_path,), limits=ImageLimits(max_bytes=1024 * 1024)
    )
    assert problems == []
    assert source is not None
    source.close()


async def test_the_model_door_tells_the_model_and_sends_nothing(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, image_roots=[tmp_path]
    ) as tool:
        result = await tool.run({"image": PNG_TEXT[:200] + "..."})
        assert result["ok"] is False
        said = result["problems"][0]["message"]
        assert "shortened" in said, said
        assert "complete base64 text" in said, said
        with pytest.raises(InvalidArguments, match="shortened"):
            await tool.call({"image": PNG_TEXT[:200] + "..."})
    assert emulator.requests.all() == []
