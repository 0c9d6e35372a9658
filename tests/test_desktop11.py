"""A person's first try of the MCP server from a desktop host (review: desktop11).

A host (Claude Desktop, Cursor, VS Code) starts the server from its JSON config in a
working directory of its own choosing, often ``/``: a relative path in ``args`` is taken
from there, not from where the person wrote the config. What the host's log says must let
the person find the folder meant and write it in full.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CANARY_TOKEN, photo_requests
from tests.programs import run_module
from tests.test_mcp_server import assert_refused, mcp_session


def test_a_relative_image_root_missing_where_the_host_started_says_where_it_looked(
    tmp_path: Path,
) -> None:
    """``"args": ["mcp", "--image-root", "Pictures"]``: the host started the server in
    another folder, where there is no Pictures. The log said only "image root 'Pictures'
    is not an existing folder (it does not exist)", while the person's Pictures folder
    does exist: nothing told them the path was taken from the host's working directory,
    nor to give the full path."""
    started_in = tmp_path / "host-working-directory"
    started_in.mkdir()
    (tmp_path / "Pictures").mkdir()
    done = run_module(
        "ocp_users_photo.mcp_server",
        "--image-root",
        "Pictures",
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "HOME": str(tmp_path)},
        cwd=started_in,
        stdin_closed=True,
    )
    assert done.returncode == 2, done.stderr
    assert str(started_in / "Pictures") in done.stderr, done.stderr
    assert "full path" in done.stderr, done.stderr
    assert CANARY_TOKEN not in done.stderr


def test_a_relative_history_that_cannot_be_made_says_where_it_was_looked_for(
    tmp_path: Path,
) -> None:
    """``"args": [..., "--history", "photos/history.sqlite3"]``: taken from the folder the
    host started the server in, where it cannot be made. The log named only
    "photos/history.sqlite3", so the person could not tell which folder was meant, nor
    that the path was the host's working directory's."""
    started_in = tmp_path / "host-working-directory"
    started_in.mkdir()
    (started_in / "photos").write_text("a file where the history's folder would be")
    (tmp_path / "Pictures").mkdir()
    done = run_module(
        "ocp_users_photo.mcp_server",
        "--image-root",
        str(tmp_path / "Pictures"),
        "--history",
        "photos/history.sqlite3",
        env={"SLACK_USER_TOKEN": CANARY_TOKEN, "HOME": str(tmp_path)},
        cwd=started_in,
        stdin_closed=True,
    )
    assert done.returncode == 0, done.stderr
    assert str(started_in / "photos" / "history.sqlite3") in done.stderr, done.stderr
    assert "--no-keep-previous" in done.stderr, done.stderr
    assert CANARY_TOKEN not in done.stderr


@pytest.mark.parametrize("quote", ['"', "'"])
async def test_a_token_pasted_with_its_quotes_says_to_remove_them(
    tmp_path: Path, quote: str
) -> None:
    """``"SLACK_USER_TOKEN": "\\"xoxp-...\\""`` (or a token copied from a .env file with its
    quotes): the refusal said the token "is not a Slack token (they start with xox)" and
    to give one "not a client or signing secret", while the person sees a token that does
    start with xoxp: nothing said the quotes were the trouble."""
    async with mcp_session(tmp_path, token=f"{quote}{CANARY_TOKEN}{quote}") as session:
        error = assert_refused(
            await session.call({"image": "photo.png"}), "$.token", code="token_not_usable"
        )
        assert "quotes" in error["message"], error["message"]
        assert not photo_requests(session.slack)
    logged = (tmp_path / "server-stderr.txt").read_text()
    assert "quotes" in logged, logged
