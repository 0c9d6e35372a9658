"""Review of 0043336..13a3f3b: whoami's bound person, and the store-exposure warning."""

from __future__ import annotations

import logging
import os
import shlex
import typing
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.installations.store_access import StoreAccess
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.whoami import TokenIdentity
from tests.installation_helpers import set_up

PERSON = ActingPerson("T0123456789", "UALICE0001")


def _identity(team_id: str, user_id: str, person: ActingPerson | None) -> TokenIdentity:
    return TokenIdentity(
        user_id=user_id,
        user="alice",
        team_id=team_id,
        team="Team",
        url="https://team.slack.com/",
        kind="user",
        scopes=("users.profile:write", "users.profile:read"),
        acting_for=person,
    )


def test_token_identitys_annotations_resolve_for_hosts_that_read_them() -> None:
    """TokenIdentity is public: pydantic (a FastAPI answer, a pydantic-ai tool's result) and
    typing.get_type_hints read its fields' types. ``acting_for``'s was imported only for
    type checkers, so reading them raised NameError (pydantic: 'not fully defined')."""
    hints = typing.get_type_hints(TokenIdentity)
    assert hints["acting_for"] == ActingPerson | None


def test_token_identity_serialises_through_pydantic() -> None:
    import pydantic  # a test extra (pydantic-ai's): never skipped

    identity = _identity("T0123456789", "UALICE0001", PERSON)
    dumped = pydantic.TypeAdapter(TokenIdentity).dump_python(identity)
    assert dumped["acting_for"]["user_id"] == "UALICE0001"


def test_the_same_user_id_in_another_workspace_is_told_apart_in_the_advice() -> None:
    """The token is U's, bound person is U too, but in another workspace: "not the own token
    of U (it is U's)" contradicts itself; the workspaces tell them apart."""
    identity = _identity("T0ELSEWHERE", "UALICE0001", PERSON)
    assert identity.is_acting_persons_own is False
    (advice,) = identity.advice()
    assert "(it is UALICE0001's)" not in advice
    assert "UALICE0001 in T0123456789" in advice
    assert "UALICE0001 in T0ELSEWHERE" in advice


def test_another_user_id_is_still_named_by_its_id_alone() -> None:
    (advice,) = _identity("T0123456789", "UOTHER0001", PERSON).advice()
    assert "not the own token of UALICE0001 (it is UOTHER0001's)" in advice


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
@pytest.mark.parametrize("folder", ["two  spaces", "tab\there", "x" * 200 + "/" + "y" * 120])
async def test_the_chmod_command_names_the_store_file_itself(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, folder: str
) -> None:
    """The warning's command was built from the path as shown (white space collapsed, cut
    at 300 characters, control characters as '?'): run, it named another file, or none."""
    (tmp_path / folder).mkdir(parents=True)
    database = tmp_path / folder / "installations.db"
    store = SQLite3InstallationStore(database=str(database), client_id="111.222")
    set_up(store.init)
    os.chmod(database, 0o644)
    with caplog.at_level(logging.WARNING, logger="ocp_users_photo"):
        assert await StoreAccess(store).find(PERSON) is None
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "(mode 644)" in warning
    assert "chmod" in warning
    if "chmod 600 " in warning:  # a command to copy: for this file, or none
        command = warning.split("chmod 600 ", 1)[1].rsplit(")", 1)[0]
        assert shlex.split(command) == [str(database)]


@pytest.mark.parametrize(
    ("words", "command"),
    [
        (["--preview", "out.png", "set", "me.png"], "set"),
        (["--token-env", "MY_TOKEN", "whoami"], "whoami"),
        (["--limit", "5", "history"], "history"),
    ],
)
def test_an_option_before_the_command_given_is_told_to_follow_that_command(
    capsys: pytest.CaptureFixture[str], words: list[str], command: str
) -> None:
    """'--preview out.png set me.png': the command is there, after its option. The refusal
    told to write 'ocp-users-photo mcp --preview ...' (mcp takes no --preview, and refuses
    --token-env); it names the command given instead."""
    from ocp_users_photo.cli import main

    with pytest.raises(SystemExit) as exited:
        main(words)
    assert exited.value.code == 2
    said = capsys.readouterr().err
    assert "ocp-users-photo mcp" not in said, said
    assert f"'ocp-users-photo {command} {words[0]} ...'" in said, said


def test_a_token_argument_to_the_restore_tool_is_told_where_the_token_comes_from() -> None:
    """usersSetPhoto's refusal says the token is the tool's own configuration; the undo's
    said only "unknown argument 'token'", which a model may take for a misspelling."""
    from ocp_users_photo.undo.errors import EntryRefused
    from ocp_users_photo.undo.restore_tool import entry_argument

    with pytest.raises(EntryRefused) as refused:
        entry_argument({"token": "xoxp-9-9-9-from-a-model", "entry": 1})
    said = str(refused.value)
    assert "comes from the tool's own configuration: leave it out" in said
    assert "xoxp-9-9-9-from-a-model" not in said
