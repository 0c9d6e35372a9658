"""Undo as several doors of one person race it: real processes, one emulator, one history.

Each test failed before the fix named in its docstring.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from tests.conftest import CANARY_TOKEN, shown_avatar_hash
from tests.test_undo_crashes_and_locks import cli_set_under_way
from tests.test_undo_faults import ROOT
from tests.undo_fixtures import GREEN, RED, history_tool, picture, rows

BLUE = picture((30, 60, 220))

# An undo through the Python API with keeping off: it keeps nothing, the history it reads
# is the one the other doors keep in.
_UNKEPT_UNDO = """
import asyncio, json, os, sys
from ocp_users_photo import UsersSetPhoto

async def main():
    async with UsersSetPhoto(
        os.environ["SLACK_USER_TOKEN"], base_url=os.environ["SLACK_API_URL"], environ={},
        photo_history=sys.argv[1], keep_previous=False,
    ) as tool:
        print(json.dumps(await tool.undo()))

asyncio.run(main())
"""


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


async def test_an_undo_with_keeping_off_waits_for_a_change_under_way_in_another_process(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """An undo of a tool with keeping off took no turn of the person's: run while the
    command line's set was on its way, it put back the photo before the last change and was
    told done, then the set landed over it, and the set's entry kept a photo that was no
    longer shown (undoing the set would skip the undone one). Every order of the two must be
    one they could have run in, one after the other."""
    history = tmp_path / "history.sqlite3"
    (tmp_path / "blue.png").write_bytes(BLUE)
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN})
    setting = await cli_set_under_way(
        emulator, history, tmp_path / "blue.png", delay=2, stderr=subprocess.PIPE
    )
    env = {
        **os.environ,
        "SLACK_USER_TOKEN": CANARY_TOKEN,
        "SLACK_API_URL": emulator.base_url,
        "OCP_USERS_PHOTO_HISTORY": str(history),
    }
    undoing = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _UNKEPT_UNDO, str(history),
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    undo_out, undo_err = await asyncio.wait_for(undoing.communicate(), 30)
    _, set_err = await asyncio.wait_for(setting.communicate(), 30)
    assert setting.returncode == 0, set_err
    assert undoing.returncode == 0, undo_err
    undone_to = json.loads(undo_out)["profile"]["avatar_hash"]
    kept, made = rows(history, "SELECT avatar_hash, result_avatar_hash FROM entries ORDER BY id")[
        -1
    ]
    now = shown_avatar_hash(emulator)
    if now == made:  # the undo first, then the set: which kept what the undo put back
        assert kept == undone_to, "the set's entry keeps a photo the undo had replaced"
    else:  # the set first, then the undo, which undid it
        assert now == undone_to == kept, "the undo did not undo the set"
