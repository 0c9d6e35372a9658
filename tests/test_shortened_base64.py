"""Base64 a model shortened ("iVBORw0KGgo...", "…", "[truncated]") is told as base64 gone
wrong, where it was cut and what to send, never as a missing file: the model believes it
sent base64, and "no file at 'iVBORw0KGgo...'" leaves it nothing to correct."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images import encoded_text
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


@pytest.mark.parametrize(
    "text",
    [
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB...QmCC",  # a tail that reads like an extension
        "R0lGODlhAQABAIAAAP...AAAA",
        "/9j/4AAQSkZJRgABAQ\u2026kZJRg.jpg",
    ],
)
def test_shortened_base64_with_any_tail_is_base64(text: str) -> None:
    assert kind_of(text)[0] == "base64"
    assert "shortened" in message_for(text)


def test_a_short_path_under_a_folder_named_like_a_jpeg_start_is_a_path() -> None:
    assert kind_of("/9j/photo")[0] == "path"


def test_a_no_break_space_is_named_as_not_base64() -> None:
    # The decoder takes ASCII white space only; the locator looked past Unicode's.
    message = message_for(PNG_TEXT[:40] + "\u00a0" + PNG_TEXT[40:])
    assert "character 41, " in message, message
    assert "is not base64" in message, message


@pytest.mark.parametrize(
    ("odd", "named"),
    [("\u00a0", "U+00A0"), ("\u2028", "U+2028"), ("\x7f", "U+007F"), ("\x1b", "U+001B")],
)
def test_a_character_no_quote_can_show_is_named_by_its_code_point(odd: str, named: str) -> None:
    # Quoted through the message cleaner, a no-break space read as '' and a NUL as '?'
    # (itself a character), naming nothing a model could find and mend.
    message = message_for(PNG_TEXT[:40] + odd + PNG_TEXT[40:])
    assert f"character 41, {named}, is not base64" in message, message


def test_a_data_uri_is_told_the_place_in_the_payload_as_sent() -> None:
    # Read, each %2B, %2F or %3D is one character: the place was counted in what was read,
    # 2 characters short for each escape before it.
    escaped = PNG_TEXT[:30].replace("+", "%2B").replace("/", "%2F") + "%2B%2b%3D"
    payload = escaped + PNG_TEXT[30:100] + "...[truncated]"
    message = message_for("data:image/png;base64," + payload)
    assert f"holds '...' at character {payload.index('...') + 1}:" in message, message
    damaged = escaped + PNG_TEXT[30:100] + "#" + PNG_TEXT[100:]
    message = message_for("data:image/png;base64," + damaged)
    assert f"character {damaged.index('#') + 1}, '#', is not base64" in message, message


def test_locating_the_damage_in_a_long_text_never_holds_the_gil_for_long() -> None:
    # One C search over 32 MB held the GIL for up to 1.7 s (the event loop stood still,
    # though the decoding runs in a worker thread); it goes a piece at a time, as the
    # decoder does, the piece counted here, not timed.
    calls: list[int] = []
    original = encoded_text._damage_in

    def counting(
        text: str, start: int, end: int
    ) -> tuple[re.Match[str] | None, re.Match[str] | None] | str:
        calls.append(end - start)
        return original(text, start, end)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(encoded_text, "_damage_in", counting)
        message = encoded_text.malformed_base64("A" * (8 * 1024 * 1024) + "...")
    assert "shortened" in message.message
    assert len(calls) >= 128
    assert max(calls) <= 64 * 1024
