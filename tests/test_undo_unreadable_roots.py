"""Review angle: the operator's CA certificates cannot be read when the replaced photo is
downloaded to keep it.

Slack's calls may need no roots (a plain-http loopback emulator, or the caller's own
``client=``), while the download of the photo shown reads them. Their ValueError was
taken for "Slack's URL of its original cannot be used", and the change refused with
"Try again later", which can never help: the setting is what needs mending.
"""

from __future__ import annotations

from pathlib import Path

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.undo import PhotoHistory
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import GREEN, RED


async def test_unreadable_roots_are_told_as_the_setting_to_mend(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    environ = {"SSL_CERT_FILE": str(tmp_path / "gone.pem")}
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ=environ,
        keep_previous=True,
        photo_history=PhotoHistory(tmp_path / "history.sqlite3"),
    ) as tool:
        first = await tool.run({"image": RED})
        assert first["ok"] is True, first
        second = await tool.run({"image": GREEN})
    assert second["ok"] is False, second
    assert second["error"] == "previous_photo_not_kept"
    message = second["message"]
    assert "SSL_CERT_FILE" in message, message
    assert "Slack's URL" not in message, message
    assert "Try again later" not in message, message
    assert "mends that setting" in message, message
