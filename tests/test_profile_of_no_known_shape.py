"""A users.profile.get reply that says neither whether the photo is the person's own nor
where its original is, with a hash no default avatar has, was taken for Slack's default
avatar: the change said the replaced photo was kept, and its undo sent users.deletePhoto,
removing the person's own photo (an error sweep injected it). Such a reply keeps nothing:
a model door refuses the change; no entry says "default" for the person's own photo."""

from __future__ import annotations

from pathlib import Path

from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import RED, history_tool, picture, rows, shown

NO_SHAPE = {"ok": True, "profile": {"avatar_hash": "NOTHEX", "image_192": "x"}}


async def test_a_profile_of_no_known_shape_is_never_kept_as_the_default(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    history = tmp_path / "h.sqlite3"
    async with history_tool(slack_emulator, history, keep_previous=True) as tool:
        assert (await tool.call({"image": RED}))["ok"] is True  # a photo of the person's own
        own = (await shown(slack_emulator, CANARY_TOKEN)).avatar_hash
        before = rows(history, "SELECT id, kind FROM entries")  # the default, before RED
        slack_emulator.faults.inject(Fault.json(NO_SHAPE), path="users.profile.get")
        result = await tool.run({"image": picture((30, 160, 60))})
    assert result["ok"] is False, result
    assert result["error"] == "previous_photo_not_kept", result
    assert "no image_original" in result["message"], result["message"]
    after = await shown(slack_emulator, CANARY_TOKEN)
    assert after.is_custom, "nothing was changed"
    assert after.avatar_hash == own, "nothing was changed"
    assert rows(history, "SELECT id, kind FROM entries") == before, "nothing new was kept"
