"""The plugin against replies shaped as Slack's own documentation gives them, where the
emulator answers in a narrower shape, and against photos set by Slack's own clients."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.undo import KeepingImpossible
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import RED, Shown, history_tool, shown


async def _profile(emulator: RunningEmulator) -> dict[str, object]:
    async with httpx.AsyncClient(timeout=10) as http:
        reply = await http.post(
            f"{emulator.base_url}/users.profile.get",
            headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
        )
    profile = reply.json()["profile"]
    assert isinstance(profile, dict)
    return profile


async def test_a_default_avatar_shaped_as_slacks_documented_example_is_kept_as_the_default(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Slack's own users.profile.get example (slack-openapi-users-photo.json) shows a
    person on a default avatar: avatar_hash "ge3b51ca72de" (the "g" prefix of Slack's
    default avatars, which the emulator itself follows), image_original given, and no
    is_custom_image field. The emulator always says is_custom_image: false and leaves
    image_original out, so the keeper's rule (custom unless is_custom_image is false or
    there is no image_original) was never met with Slack's documented shape.

    Expected: the replaced photo is kept as the default avatar, and undo puts the default
    back with users.deletePhoto. Before: it is kept as a "custom" photo (the default
    avatar's image downloaded), and undo uploads that picture as the person's own photo:
    their profile ends with a custom image of the default avatar, not the default.
    """
    profile = await _profile(emulator)
    assert str(profile["avatar_hash"]).startswith("g")
    documented = {key: value for key, value in profile.items() if key != "is_custom_image"}
    documented["image_original"] = profile["image_512"]
    emulator.faults.inject(
        Fault.json({"ok": True, "profile": documented}), path="users.profile.get"
    )
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=True) as tool:
        await tool.call({"image": RED})
        [kept] = await tool.history()
        assert kept.kind == "default", kept
        await tool.undo()
    assert emulator.requests.for_path("/api/users.deletePhoto")
    assert (await _profile(emulator))["is_custom_image"] is False


async def test_a_default_avatar_whose_image_original_is_slacks_gravatar_does_not_block_a_change(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The same documented shape with a default avatar's real kind of URL: Slack serves
    default avatars through Gravatar (secure.gravatar.com, falling back by redirect to
    a.slack-edge.com), a host this test cannot reach (``.invalid``, as the redirect's
    other host would be refused). Nothing needs downloading to keep a default avatar
    (undo is users.deletePhoto), so a model's change must go ahead.

    Before: the keeper tries to download it, fails, and the change is refused
    (keeping_impossible): a person on Slack's default avatar could not set a photo
    through any door that keeps the replaced one (the model doors, by default).
    """
    profile = await _profile(emulator)
    documented = {key: value for key, value in profile.items() if key != "is_custom_image"}
    documented["image_original"] = (
        "https://gravatar.invalid/avatar/e3b51ca72dee4ef87916ae2b9240df50.jpg?s=1024"
    )
    emulator.faults.inject(
        Fault.json({"ok": True, "profile": documented}), path="users.profile.get"
    )
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=True) as tool:
        result = await tool.run({"image": RED})
    assert result.get("ok") is True, result
    assert emulator.requests.for_path("/api/users.setPhoto")


async def test_undo_gives_back_a_photo_cropped_in_slack_itself_as_it_was_shown(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Slack's own clients crop a photo when it is uploaded (users.setPhoto's crop box), and
    image_original is the upload as it came (the emulator's stated assumption): the crop
    box of a photo set elsewhere is in no reply. The person's first photo, the history's
    never-evicted oldest entry, is such a photo.

    Expected: undo puts back what was shown (the blue square). Before: the uncropped
    original is sent without a crop box and Slack letterboxes it: half red, half blue.
    """
    await cropped_elsewhere(emulator)
    shown_before = await shown(emulator, CANARY_TOKEN)
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.undo()
    await assert_shown_as_before(emulator, shown_before)


async def cropped_elsewhere(emulator: RunningEmulator) -> dict[str, Any]:
    """A red and blue 900x600 photo set as Slack's clients set one, cut to its blue half
    (the crop box in no reply); the profile that names it."""
    wide = Image.new("RGB", (900, 600), (255, 0, 0))
    wide.paste((0, 0, 255), (450, 0, 900, 600))
    buffer = io.BytesIO()
    wide.save(buffer, format="PNG")
    bearer = {"Authorization": f"Bearer {CANARY_TOKEN}"}
    async with httpx.AsyncClient(timeout=10) as http:
        reply = await http.post(
            f"{emulator.base_url}/users.setPhoto",
            headers=bearer,
            files={"image": ("me.png", buffer.getvalue(), "image/png")},
            data={"crop_x": "450", "crop_y": "0", "crop_w": "450"},
        )
        assert reply.json()["ok"] is True
        read = await http.post(f"{emulator.base_url}/users.profile.get", headers=bearer)
    profile: dict[str, Any] = read.json()["profile"]
    return profile


async def assert_shown_as_before(emulator: RunningEmulator, before: Shown) -> None:
    """The left edge of Slack's 192-pixel square is as it was: the blue square, not the
    uncut photo letterboxed (red at its left)."""
    after = await shown(emulator, CANARY_TOKEN)
    left_edge = Image.open(io.BytesIO(after.renditions[192])).convert("RGB").getpixel((4, 96))
    before_edge = Image.open(io.BytesIO(before.renditions[192])).convert("RGB")
    assert left_edge == before_edge.getpixel((4, 96)), left_edge


async def test_a_non_square_photo_set_here_is_kept_as_its_original(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The square Slack shows stands in only for a photo set elsewhere: one a change made
    here set is shown as that change sent it, its crop box known, so its original goes
    back byte for byte (not a 1024-pixel rendition of it)."""
    wide = Image.new("RGB", (800, 600), (255, 0, 0))
    wide.paste((0, 0, 255), (400, 0, 800, 600))
    buffer = io.BytesIO()
    wide.save(buffer, format="PNG")
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=True) as tool:
        await tool.call({"image": buffer.getvalue()})
        first = await shown(emulator, CANARY_TOKEN)
        await tool.call({"image": RED})
        await tool.undo()
    after = await shown(emulator, CANARY_TOKEN)
    assert first.original is not None
    assert Image.open(io.BytesIO(first.original)).size == (800, 600)
    assert after.original == first.original
    assert after.avatar_hash == first.avatar_hash


async def test_a_g_hash_is_the_default_avatar_even_where_a_profile_calls_it_custom(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """One rule for the default avatar (``is_default_avatar``): the history reads an entry
    kept as "custom" under a "g" hash as the default (older versions wrote such rows), so
    the keeper must not treat a profile saying ``is_custom_image: true`` with a "g" hash
    as a photo to download: what it downloaded would be read back as the default anyway.

    Before: the keeper trusted ``is_custom_image`` over the hash, tried to download the
    default's picture from an unreachable Gravatar URL, and refused the change.
    """
    profile = await _profile(emulator)
    assert str(profile["avatar_hash"]).startswith("g")
    contradictory = dict(profile, is_custom_image=True)
    contradictory["image_original"] = (
        "https://gravatar.invalid/avatar/e3b51ca72dee4ef87916ae2b9240df50.jpg?s=1024"
    )
    emulator.faults.inject(
        Fault.json({"ok": True, "profile": contradictory}), path="users.profile.get"
    )
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=True) as tool:
        result = await tool.run({"image": RED})
        assert result.get("ok") is True, result
        [kept] = await tool.history()
        assert kept.kind == "default", kept
        await tool.undo()
    assert emulator.requests.for_path("/api/users.deletePhoto")


async def test_a_shown_square_that_cannot_be_downloaded_refuses_the_keeping(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The squares Slack shows of a photo cropped elsewhere answering 503: the change went
    ahead and kept the uncut original, and its undo put back another picture than people
    saw, letterboxed (a review). Now refused, nothing sent, "try again later"; once the
    squares can be read, kept and put back as shown."""
    profile = await cropped_elsewhere(emulator)
    shown_before = await shown(emulator, CANARY_TOKEN)
    for key in ("image_1024", "image_512"):
        path = httpx.URL(profile[key]).path
        emulator.faults.inject(Fault.status(503), times=10, path=path)
    sent = len(emulator.requests.for_path("/api/users.setPhoto"))
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=True) as tool:
        with pytest.raises(KeepingImpossible) as refused:
            await tool.call({"image": RED})
        assert len(emulator.requests.for_path("/api/users.setPhoto")) == sent
        said = str(refused.value)
        assert "the square Slack shows (image_1024) could not be downloaded" in said, said
        assert "try again later" in said.lower()
        emulator.faults.clear()
        await tool.call({"image": RED})
        await tool.undo()
    await assert_shown_as_before(emulator, shown_before)
