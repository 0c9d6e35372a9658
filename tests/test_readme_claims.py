"""README claims checked by running them: undo of the default avatar, 429s, the safe view.

Each test quotes the README sentence it checks; all run against the emulator or a
loopback Slack over real HTTP.
"""

from __future__ import annotations

from pathlib import Path

from ocp_users_photo.argument_view import safe_view
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.errors import RateLimited
from ocp_users_photo.undo import PhotoHistory
from tests import loopback
from tests.conftest import shown_avatar_hash
from tests.test_protocol_fidelity import photo_call_against
from tests.undo_fixtures import GREEN, RED, history_tool

# --- Undo: "neither does one after which Slack shows the photo it showed before (the same
# avatar hash ...): its entry is removed, as there is nothing to undo." ----------------------


async def test_putting_back_the_default_avatar_while_it_is_shown_keeps_nothing(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=True) as tool:
        await tool.call({"image": RED})  # keeps the default avatar: #1
        await tool.restore(1)  # keeps RED, Slack shows the default avatar again
        before = [kept.entry for kept in await tool.history()]
        await tool.restore(1)  # the default avatar, already shown: nothing to undo
        after = [kept.entry for kept in await tool.history()]
    assert after == before, (before, after)


async def test_repeated_restores_of_the_default_avatar_do_not_push_real_photos_out(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A model told to 'put back my original photo' that calls usersRestorePhoto a few
    times loses the person's kept photos: each repeat keeps one more default avatar."""
    history = PhotoHistory(tmp_path / "h.sqlite3", max_entries=4)
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})  # #1 default avatar
        await tool.call({"image": GREEN})  # #2 RED
        await tool.restore(1)  # #3 GREEN; the default avatar shown
        kept_photos = {kept.entry for kept in await tool.history() if kept.kind == "custom"}
        for _ in range(3):
            await tool.restore(1)
        left = {kept.entry for kept in await tool.history() if kept.kind == "custom"}
    assert left == kept_photos, (kept_photos, left)


# --- usersRestorePhoto: "called with an entry, it puts that photo back
# ({"ok": true, "restored": {...}, "profile": {...}})" -----------------------------------------


async def test_restore_tool_result_for_the_default_avatar_is_as_the_readme_says(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """README: a profile comes from users.setPhoto's reply; the default avatar goes back with
    users.deletePhoto, answered {"ok": true} alone: no profile, and the message says what
    it replaced and where that is kept."""
    async with history_tool(emulator, tmp_path / "h.sqlite3") as tool:
        await tool.run({"image": RED})  # a model door: keeps the default avatar as #1
        red = shown_avatar_hash(emulator)
        result = await tool.restore_tool().run({"entry": 1})
    assert result["ok"] is True, result
    assert "profile" not in result
    assert result["restored"]["entry"] == 1
    assert f"(avatar_hash {red}) was kept as #2" in result["message"], result["message"]


# --- "HTTP 429 honours Retry-After (...); a wait longer than max_retry_wait raises
# RateLimited at once, and one Slack did not give is reported as such (60 s assumed)." -------


async def test_a_429_without_retry_after_is_not_sent_again_within_a_second() -> None:
    """60 s assumed is over the default max_retry_wait (30 s): RateLimited at once. Before,
    the upload went twice more on its backoff (about 0.5 and 1 s), to a Slack that said
    it is rate-limiting, and only then the error said 'wait about 60 s'."""
    limited = loopback.reply(
        429, b'{"ok":false,"error":"ratelimited"}', [("Content-Type", "application/json")]
    )
    refused, sent = await photo_call_against(limited, RateLimited)
    assert refused.retry_after == 60
    assert sent == 1, f"{sent} uploads sent to a rate-limited Slack"


# --- Agent history: "a safe view of the arguments"; "An argument name that could be a
# credential is not kept in agent history." ------------------------------------------------


def test_a_credential_named_argument_keeps_no_value_in_the_safe_view() -> None:
    """ocp-agent sends its history in the OCP-Session header of every later request, to
    every API; a short secret a model put under an unknown argument travels with it."""
    view = safe_view({"image": "me.png", "password": "hunter2hunter2", "api_key": "sk-12345"})
    assert "hunter2hunter2" not in str(view), view
    assert "sk-12345" not in str(view), view
