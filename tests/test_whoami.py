"""``ocp-users-photo whoami`` and ``tool.whoami()``, against the emulator's auth.test over HTTP."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import (
    EmulatorConfig,
    RunningEmulator,
    UserRecord,
    start_emulator_in_thread,
)
from ocp_users_photo.whoami import READ_SCOPE, WRITE_SCOPE, TokenIdentity, identity_from
from ocp_users_photo.whoami_command import describe
from tests.conftest import CANARY_TOKEN, make_image
from tests.programs import run_cli

READER_TOKEN = "xoxp-2222222222-3333333333-4444444444-readeronlycanary9f8e7d6c5b4a"
BOT_TOKEN = "xoxb-5555555555-6666666666-botcanary1a2b3c4d5e6f7a8b9c0d"
EXPIRING_TOKEN = "xoxe.xoxp-1-expiringcanary0a1b2c3d4e5f60718293a4b5c6d7e8f9"
SECRETS = (CANARY_TOKEN, READER_TOKEN, BOT_TOKEN, EXPIRING_TOKEN)


@pytest.fixture(scope="module")
def slack() -> Iterator[RunningEmulator]:
    config = EmulatorConfig(
        accept_any_user_token=False,
        accept_any_bot_token=False,
        users=(UserRecord(user_id="UALICE0001", display_name="alice", real_name="Alice"),),
    )
    with start_emulator_in_thread(config) as emulator:
        state = emulator.state
        state.add_token(CANARY_TOKEN, user_id="UALICE0001")
        state.add_token(READER_TOKEN, user_id="UREADER001", scopes="users.profile:read")
        state.add_token(BOT_TOKEN, user_id="UBOTUSER01", scopes="users.profile:read")
        state.add_token(EXPIRING_TOKEN, user_id="UALICE0001", expires_in=43200)
        yield emulator


def whoami(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = run_cli("whoami", *args, env=env)
    for secret in SECRETS:
        assert secret not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done


def env_for(slack: RunningEmulator, token: str | None) -> dict[str, str]:
    env = {"SLACK_API_URL": slack.base_url}
    if token is not None:
        env["SLACK_USER_TOKEN"] = token
    return env


def test_a_user_token_that_can_set_a_photo(slack: RunningEmulator) -> None:
    done = whoami(env=env_for(slack, CANARY_TOKEN))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Token of alice (UALICE0001) in Emulated Workspace (T0EMULATOR): a user token",
        f"Workspace URL: {slack.root_url}/",
        "Scopes: users.profile:read, users.profile:write",
        "Can set a photo: yes (users.profile:write)",
        "Keeps the replaced photo: yes (users.profile:read)",
    ]
    [asked] = [r for r in slack.requests.for_path("auth.test") if r.header("authorization")]
    assert asked.header("authorization") == f"Bearer {CANARY_TOKEN}"


def test_json_answer(slack: RunningEmulator) -> None:
    done = whoami("--json", env=env_for(slack, CANARY_TOKEN))
    assert done.returncode == 0
    answer = json.loads(done.stdout)
    assert answer["user_id"] == "UALICE0001"
    assert answer["team_id"] == "T0EMULATOR"
    assert answer["token_kind"] == "user"
    assert answer["scopes"] == ["users.profile:read", "users.profile:write"]
    assert answer["can_set_photo"] is True
    assert answer["can_keep_previous"] is True
    assert answer["advice"] == []


def test_a_token_without_the_write_scope_says_what_to_add(slack: RunningEmulator) -> None:
    done = whoami(env=env_for(slack, READER_TOKEN))
    assert done.returncode == 2
    assert "Scopes: users.profile:read\n" in done.stdout
    assert "Can set a photo: no\n" in done.stdout
    assert "To do: add users.profile:write to the app's User Token Scopes" in done.stdout
    assert "reinstall the app" in done.stdout


def test_a_bot_token_is_named_and_the_user_token_asked_for(slack: RunningEmulator) -> None:
    done = whoami(
        "--token-env", "MY_BOT", env={"SLACK_API_URL": slack.base_url, "MY_BOT": BOT_TOKEN}
    )
    assert done.returncode == 2
    assert ": a bot token" in done.stdout
    assert "Can set a photo: no" in done.stdout
    assert "User OAuth Token" in done.stdout


def test_an_expiring_token_says_when(slack: RunningEmulator) -> None:
    done = whoami(env=env_for(slack, EXPIRING_TOKEN))
    assert done.returncode == 0
    assert "Expires in: 11 h 59 min (token rotation is on)" in done.stdout or (
        "Expires in: 12 h 0 min" in done.stdout
    )


def test_a_token_slack_does_not_know_exits_3(slack: RunningEmulator) -> None:
    unknown = "xoxp-9999999999-8888888888-unknowncanary"
    done = whoami(env=env_for(slack, unknown))
    assert done.returncode == 3
    assert "invalid_auth" in done.stderr
    assert unknown not in done.stderr
    assert done.stdout == ""
    advice = done.stderr.strip().splitlines()[-1]
    assert advice == (
        "ocp-users-photo: next: put a current user token (xoxp-...) in SLACK_USER_TOKEN "
        "(or SLACK_TOKEN)"
    ), advice  # not "'ocp-users-photo whoami' checks it": that is the command just run


def test_no_token_exits_2_saying_where_to_put_it(slack: RunningEmulator) -> None:
    done = whoami(env=env_for(slack, None))
    assert done.returncode == 2
    assert "set SLACK_USER_TOKEN" in done.stderr
    assert "usersSetPhoto sent nothing to Slack" not in done.stderr
    assert "whoami' checks it" not in done.stderr  # not the command that was just run


def test_nothing_listening_exits_5() -> None:
    done = whoami(
        "--timeout",
        "2",
        env={"SLACK_API_URL": "http://127.0.0.1:9/api", "SLACK_USER_TOKEN": CANARY_TOKEN},
    )
    assert done.returncode == 5


async def test_tool_whoami_in_python(slack: RunningEmulator) -> None:
    async with UsersSetPhoto(CANARY_TOKEN, base_url=slack.base_url, environ={}) as tool:
        identity = await tool.whoami()
    assert identity.user_id == "UALICE0001"
    assert identity.can_set_photo
    assert CANARY_TOKEN not in repr(identity)


def test_hostile_answers_are_bounded_and_printable() -> None:
    identity = identity_from(
        {"user_id": "U1", "user": "\x1b[31mevil\x1b[0m" + "x" * 1000, "team": 7},
        {"x-oauth-scopes": "users.profile:write,\x07bell"},
        "user",
    )
    assert isinstance(identity, TokenIdentity)
    assert "\x1b" not in identity.user
    assert len(identity.user) <= 203
    assert identity.team == ""
    # Only names shaped like Slack's scopes are kept; the others are counted.
    assert identity.scopes == ("users.profile:write",)
    assert identity.scopes_left_out == 1
    assert identity.can_set_photo


@pytest.mark.parametrize(
    "expires_in",
    [10**4000 - 1, -1, 0, 8 * 24 * 3600],
    ids=["4000 digits", "negative", "zero", "eight days"],
)
def test_a_lifetime_no_token_has_is_not_shown(expires_in: int) -> None:
    """A server's expires_in of 4,000 digits went to the terminal whole, and -1 as
    "Expires in: -1 h 59 min": neither is a lifetime, so neither is told as one."""
    identity = identity_from({"user_id": "U1", "expires_in": expires_in}, {}, "user")
    assert identity.expires_in is None
    assert "Expires in" not in describe(identity)
    assert len(json.dumps(identity.as_dict())) < 2000


def test_a_lifetime_a_token_has_is_shown() -> None:
    identity = identity_from({"user_id": "U1", "expires_in": 43200}, {}, "user")
    assert "Expires in: 12 h 0 min" in describe(identity)


def test_scopes_slack_did_not_list_are_not_said_missing() -> None:
    """With no x-oauth-scopes header, whoami printed "Scopes: not listed by Slack" and
    then "users.profile:read is missing": a claim about scopes no one was told."""
    identity = identity_from({"user_id": "U1", "user": "bob"}, {}, "user")
    said = describe(identity)
    assert "Scopes: not listed by Slack" in said
    assert "is missing" not in said, said
    assert "Can set a photo: not known\n" in said, said
    assert "Keeps the replaced photo: not known\n" in said, said
    assert "To do: Slack did not list the token's scopes" in said, said


def test_the_longest_lifetime_a_token_has_is_shown() -> None:
    """A week to the second (a rotating token's longest) is a lifetime, not a server's odd
    number: the bound is kept, not one short of it."""
    identity = identity_from({"user_id": "U1", "expires_in": 7 * 24 * 3600}, {}, "user")
    assert "Expires in: 168 h 0 min" in describe(identity)


def test_a_lifetime_of_true_is_not_shown() -> None:
    """JSON's true is an int to Python (1): it is no lifetime, and "0 h 0 min" misled."""
    identity = identity_from({"user_id": "U1", "expires_in": True}, {}, "user")
    assert identity.expires_in is None
    assert "Expires in" not in describe(identity)


def test_a_bot_token_whose_scopes_slack_did_not_list_cannot_set_a_photo() -> None:
    """Unlisted scopes leave a user token's reach unknown, not a bot token's: no scope lets
    a bot token set a person's photo, so "no" stays "no"."""
    said = describe(identity_from({"user_id": "UBOT", "bot_id": "B1"}, {}, "bot"))
    assert "Can set a photo: no\n" in said, said
    assert "not known" not in said, said


# A user token whose x-oauth-scopes lists more scopes than are kept, the photo scopes last.
MANY_SCOPES_TOKEN = "xoxp-7777777777-8888888888-9999999999-manyscopescanary0a1b2c3d4e5"
MANY_SCOPES = [*(f"s{number}:read" for number in range(200)), READ_SCOPE, WRITE_SCOPE]


def test_photo_scopes_listed_past_the_cap_still_count() -> None:
    """Past the first 150 names, users.profile:write was dropped with the rest: a token
    that had it was "Can set a photo: no", told to add the scopes it had."""
    identity = identity_from({"user_id": "U1"}, {"x-oauth-scopes": ",".join(MANY_SCOPES)}, "user")
    assert identity.can_set_photo
    assert identity.can_keep_previous
    assert identity.advice() == []
    assert identity.scopes is not None
    assert len(identity.scopes) == 152
    assert identity.scopes_left_out == 50
    # Listed again and again, each is kept once: what is kept stays bounded.
    repeated = [*MANY_SCOPES[:200], *[WRITE_SCOPE] * 1000]
    identity = identity_from({"user_id": "U1"}, {"x-oauth-scopes": ",".join(repeated)}, "user")
    assert identity.scopes is not None
    assert len(identity.scopes) == 151
    assert identity.can_set_photo


async def test_a_change_is_not_refused_for_photo_scopes_listed_late(
    slack: RunningEmulator, tmp_path: Path
) -> None:
    """run() keeps the photo, so asks auth.test first: it refused the change, "auth.test
    lists the token's scopes without users.profile:write", though auth.test listed it."""
    slack.state.add_token(MANY_SCOPES_TOKEN, user_id="UMANYSCOPE1", scopes=",".join(MANY_SCOPES))
    history = tmp_path / "history.sqlite3"
    async with UsersSetPhoto(
        MANY_SCOPES_TOKEN, base_url=slack.base_url, environ={}, photo_history=history
    ) as tool:
        answer = await tool.run({"image": make_image()})
        identity = await tool.whoami()
    assert answer["ok"] is True, answer
    assert identity.can_set_photo
