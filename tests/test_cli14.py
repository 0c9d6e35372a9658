"""The command line and its undo history, reviewed once more (the fourteenth look): what
a damaged or hostile history file can make the commands print."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.history_command import _history
from tests.conftest import CANARY_TOKEN
from tests.test_undo_hostile_history import history_args, tamper, two_changes


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def _strict_json(text: str) -> object:
    """JSON as RFC 8259 has it: NaN and Infinity are Python's, which no other parser reads."""

    def refused(constant: str) -> object:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refused)


@pytest.mark.parametrize(
    "replaced_by",
    [
        '{"change": "set", "image": {"bytes": NaN, "width": 512}}',
        '{"change": "set", "image": {"bytes": 1e999, "width": -Infinity}}',
        json.dumps({"change": "set", "image": {"note": f"was {CANARY_TOKEN}"}}),
    ],
    ids=["nan", "overflow", "token"],
)
async def test_history_json_stays_json_and_tokenless_whatever_the_file_describes(
    emulator: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    replaced_by: str,
) -> None:
    # store.py _kept read an entry's description of its change with json.loads, which takes
    # NaN, Infinity and 1e999 (inf): 'history --json' then printed NaN / Infinity, which no
    # JSON parser but Python's reads (jq, JavaScript's JSON.parse), and a token a hostile hand
    # or another program wrote there went to the terminal, and to a model, as it was.
    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)
    history_file = tmp_path / "history.sqlite3"
    await two_changes(emulator, history_file)
    tamper(history_file, "UPDATE entries SET replaced_by = ?", replaced_by)
    args = await history_args(emulator, history_file)
    args.json = True
    out = io.StringIO()
    await _history(args, out)
    listed = _strict_json(out.getvalue())
    assert isinstance(listed, dict)
    assert len(listed["entries"]) == 2
    assert "xoxp-" not in out.getvalue()
