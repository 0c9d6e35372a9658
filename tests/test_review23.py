"""Review of the setup-secrets change: paths it left where a secret is still a local.

Each failing call is made inside a lambda or helper that references module constants only:
a test's own frame is part of the traceback and would show a local holding the secret.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto, register
from ocp_users_photo.installations import InstallationTokenSource
from ocp_users_photo.slack.stacks import HTTP_STACK_VARIABLE
from ocp_users_photo.tokens import ActingPerson
from tests.conftest import CANARY_TOKEN
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_CLIENT_ID,
    set_up,
    sqlite_store,
)
from tests.test_debug_secrets_setup import PROXY_PASSWORD, assert_no_secret_rendered

SOCKS_WITH_PASSWORD = f"socks5://me:{PROXY_PASSWORD}@proxy.invalid:1080"


def _a_tool() -> UsersSetPhoto:
    return UsersSetPhoto(environ={}, keep_previous=False)


SETUPS: dict[str, tuple[Callable[[], Any], type[Exception], str]] = {
    "register given both tool= and a token": (
        lambda: register(tool=_a_tool(), token=CANARY_TOKEN),
        TypeError,
        "give either tool= or options",
    ),
    "register given both tool= and an environ holding the token": (
        lambda: register(tool=_a_tool(), environ={"SLACK_USER_TOKEN": CANARY_TOKEN}),
        TypeError,
        "give either tool= or options",
    ),
    "aiohttp named with a SOCKS proxy holding a password": (
        lambda: UsersSetPhoto(
            environ={
                "SLACK_USER_TOKEN": CANARY_TOKEN,
                HTTP_STACK_VARIABLE: "aiohttp",
                "HTTPS_PROXY": SOCKS_WITH_PASSWORD,
            }
        ),
        ValueError,
        "cannot go through a SOCKS proxy",
    ),
    "a token and a bad url_hosts": (
        lambda: UsersSetPhoto(CANARY_TOKEN, environ={}, url_hosts=["not a host/"]),
        ValueError,
        "is not a host name",
    ),
    "a usable proxy with a password, then a bad url_hosts": (
        lambda: UsersSetPhoto(
            environ={
                "SLACK_USER_TOKEN": CANARY_TOKEN,
                "HTTPS_PROXY": f"http://me:{PROXY_PASSWORD}@proxy.invalid:3128",
            },
            url_hosts=["not a host/"],
        ),
        ValueError,
        "is not a host name",
    ),
    "acting_as given a token for the user id": (
        lambda: _a_tool().acting_as(team_id="T0123ABCD", user_id=CANARY_TOKEN),
        ValueError,
        "user_id must be a Slack id",
    ),
    "an ActingPerson given a token for the user id": (
        lambda: ActingPerson(team_id="T0123ABCD", user_id=CANARY_TOKEN),
        ValueError,
        "user_id must be a Slack id",
    ),
}


@pytest.mark.parametrize("setup", list(SETUPS))
def test_a_setup_refused_shows_no_secret(setup: str) -> None:
    make, kind, refusal = SETUPS[setup]
    with pytest.raises(kind, match=refusal) as refused:
        make()
    assert_no_secret_rendered(refused.value)


SOURCE_SETUPS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "the store's client id differs": (
        lambda store: InstallationTokenSource(
            store, client_id=OTHER_CLIENT_ID, client_secret=CLIENT_SECRET
        ),
        "the store keeps installations of client_id",
    ),
    "a bad refresh margin": (
        lambda store: InstallationTokenSource(
            store, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_margin=-5
        ),
        "refresh_margin must be a number of seconds 0 or more, got -5",
    ),
    "a bad base_url": (
        lambda store: InstallationTokenSource(
            store, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url="ftp://x.invalid"
        ),
        "base_url must be an http",
    ),
    "aiohttp with a SOCKS proxy in environ": (
        lambda store: InstallationTokenSource(
            store,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            environ={HTTP_STACK_VARIABLE: "aiohttp", "HTTPS_PROXY": SOCKS_WITH_PASSWORD},
        ),
        "SOCKS",
    ),
}


@pytest.mark.parametrize("setup", list(SOURCE_SETUPS))
def test_an_installation_source_refused_shows_no_secret(setup: str, tmp_path: Path) -> None:
    store = sqlite_store(tmp_path / "installations.db")
    if setup == "the store's client id differs":
        InstallationTokenSource(store, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        store = sqlite_store(tmp_path / "installations.db")
    make, refusal = SOURCE_SETUPS[setup]
    with pytest.raises((ValueError, TypeError), match=refusal) as refused:
        make(store)
    assert_no_secret_rendered(refused.value)


# A host that swapped its client id and secret (SLACK_CLIENT_ID holding the secret), as
# credentials.shown_client_id expects: the secret arrives as client_id.
SWAPPED_SETUPS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "the store's client id differs": (
        lambda store: InstallationTokenSource(
            store, client_id=CLIENT_SECRET, client_secret=CLIENT_ID
        ),
        "the store keeps installations of client_id",
    ),
    "an install page": (
        lambda store: InstallationTokenSource(
            store, client_id=CLIENT_SECRET, client_secret=CLIENT_ID, install_url="not a page"
        ),
        "install_url must be an http",
    ),
}


def _store_of_client(path: Path, client_id: str) -> Any:
    from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

    store = SQLite3InstallationStore(database=str(path), client_id=client_id)
    set_up(store.init)
    return store


@pytest.mark.parametrize("setup", list(SWAPPED_SETUPS))
def test_swapped_client_credentials_refused_show_no_secret(setup: str, tmp_path: Path) -> None:
    store = sqlite_store(tmp_path / "installations.db")  # the app's own client id
    if setup == "an install page":  # the store made from the same swapped settings
        store = _store_of_client(tmp_path / "swapped.db", CLIENT_SECRET)
    make, refusal = SWAPPED_SETUPS[setup]
    with pytest.raises(ValueError, match=refusal) as refused:
        make(store)
    assert_no_secret_rendered(refused.value)


def _an_agent_given_a_tool_and_a_token() -> Any:
    from ocp_users_photo import OCPAgent

    return OCPAgent(enable_cache=False, tool=_a_tool(), token=CANARY_TOKEN)


def test_ocp_agent_given_a_tool_and_a_token_shows_no_token(
    request: pytest.FixtureRequest,
) -> None:
    request.getfixturevalue("ocp_agent_library")
    with pytest.raises(TypeError, match="give either tool= or options") as refused:
        _an_agent_given_a_tool_and_a_token()
    assert_no_secret_rendered(refused.value)


def _an_agent_with_a_bad_registry_and_a_token() -> Any:
    from ocp_users_photo import OCPAgent

    return OCPAgent(enable_cache=False, registry_url="ftp://registry.invalid", token=CANARY_TOKEN)


def test_ocp_agent_refused_by_ocp_agent_itself_shows_no_token(
    request: pytest.FixtureRequest,
) -> None:
    """ocp-agent's own constructor refuses the registry URL, under OCPAgent's frame."""
    request.getfixturevalue("ocp_agent_library")
    with pytest.raises(ValueError, match="Invalid registry URL") as refused:
        _an_agent_with_a_bad_registry_and_a_token()
    assert_no_secret_rendered(refused.value)


def call_from_sync_code(agent: Any) -> Any:
    """ocp-agent's call_tool is a plain method: a program without a loop calls it so, and
    the call runs to completion inside register's wrapper. The header made in the call."""
    return agent.call_tool(
        "usersSetPhoto", {"image": "me.png"}, headers={"Authorization": f"Bearer {CANARY_TOKEN}"}
    )


def test_a_sync_agent_call_failing_shows_no_token_its_header_gave(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocp_users_photo import InvalidArguments
    from tests.standin_agent import StandInAgent

    monkeypatch.chdir(tmp_path)
    (tmp_path / "me.png").write_bytes(b"no picture")
    agent = StandInAgent()
    register(agent, environ={}, keep_previous=False)
    with pytest.raises(InvalidArguments) as refused:
        call_from_sync_code(agent)
    assert_no_secret_rendered(refused.value)
