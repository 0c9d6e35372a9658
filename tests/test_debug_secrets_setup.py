"""Secrets under full debugging when a tool is set up wrong, or an agent's call fails.

tests/test_debug_secrets.py renders a failed call's frames with their locals; these are
the frames before any call: a constructor given a token (or an environment holding one)
and a setting it refuses, and an agent's call given its token in a header. An
application that builds its tool at start-up with an error reporter's defaults (Sentry's
``include_local_variables=True``) sends every local of those frames when a setting is
wrong: the token must not be one of them, and rendering must not fail.
"""

from __future__ import annotations

import inspect
import pickle
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import (
    InvalidArguments,
    SlackApiError,
    UsersPhotoError,
    UsersSetPhoto,
    register,
)
from ocp_users_photo.credentials import ClientCredentials
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.environment import Environment
from ocp_users_photo.installations import InstallationTokenSource
from ocp_users_photo.slack.stacks import HTTP_STACK_VARIABLE
from tests.conftest import CANARY_TOKEN, inject, make_image
from tests.installation_helpers import CLIENT_ID, CLIENT_SECRET, sqlite_store
from tests.test_debug_secrets import (
    CANARY_SECRET,
    rendered_by_pytest_long,
    rendered_with_locals,
    reported_with_locals,
    sentry_with_defaults,
)

PROXY_PASSWORD = "proxy-password-5e1c7a"
SECRETS = (CANARY_SECRET, CLIENT_SECRET, PROXY_PASSWORD)


def reported_by_sentry(error: BaseException) -> str:
    """The event Sentry's SDK makes of ``error`` with its defaults (locals included)."""
    import sentry_sdk

    with sentry_with_defaults() as events:
        sentry_sdk.capture_exception(error)
    assert len(events) == 1
    return reported_with_locals(events)


def assert_no_secret_rendered(error: BaseException) -> None:
    for render in (rendered_with_locals, rendered_by_pytest_long, reported_by_sentry):
        text = render(error)
        for secret in SECRETS:
            assert secret not in text, (render.__name__, secret[:12])


BAD_SETTINGS: dict[str, tuple[Callable[[], Any], str]] = {
    "a base URL in environ": (
        lambda: UsersSetPhoto(
            environ={"SLACK_USER_TOKEN": CANARY_TOKEN, "SLACK_API_URL": "ftp://slack.invalid/api"}
        ),
        "SLACK_API_URL must be an http",
    ),
    "a proxy in environ": (
        lambda: UsersSetPhoto(
            environ={"SLACK_USER_TOKEN": CANARY_TOKEN, "HTTPS_PROXY": "socks9://proxy.invalid"}
        ),
        "HTTPS_PROXY",
    ),
    "a proxy with a password in environ": (
        lambda: UsersSetPhoto(
            environ={
                "SLACK_USER_TOKEN": CANARY_TOKEN,
                "HTTPS_PROXY": f"http://me:{PROXY_PASSWORD}@proxy.invalid:99999",
            }
        ),
        "HTTPS_PROXY is not a valid URL",
    ),
    # Its password, the token's part after its prefix, a client secret: none was masked in
    # the message (the MCP server's stderr, the host's log) or the frames' locals.
    "a base URL with a password in environ": (
        lambda: UsersSetPhoto(
            environ={
                "SLACK_USER_TOKEN": CANARY_TOKEN,
                "SLACK_API_URL": f"ftp://me:{PROXY_PASSWORD}@slack.invalid/api",
            }
        ),
        "SLACK_API_URL must not carry a user name or password",
    ),
    "a base URL with the token's secret in its query in environ": (
        lambda: UsersSetPhoto(
            environ={
                "SLACK_USER_TOKEN": CANARY_TOKEN,
                "SLACK_API_URL": f"https://slack.invalid/api?token={CANARY_SECRET}",
            }
        ),
        "SLACK_API_URL must not have a query or fragment",
    ),
    "a base URL with no port and a client secret in its query in environ": (
        lambda: UsersSetPhoto(
            environ={
                "SLACK_USER_TOKEN": CANARY_TOKEN,
                "SLACK_API_URL": f"https://slack.invalid:0/api?client_secret={CLIENT_SECRET}",
            }
        ),
        "SLACK_API_URL names no usable port",
    ),
    "an HTTP stack in environ": (
        lambda: UsersSetPhoto(
            environ={"SLACK_USER_TOKEN": CANARY_TOKEN, HTTP_STACK_VARIABLE: "carrier-pigeon"}
        ),
        HTTP_STACK_VARIABLE,
    ),
    "a token argument and a bad option": (
        lambda: UsersSetPhoto(CANARY_TOKEN, fit="stretch"),  # type: ignore[arg-type]
        "fit must be one of",
    ),
    "a token argument and a bad base_url": (
        lambda: UsersSetPhoto(CANARY_TOKEN, base_url="ftp://slack.invalid/api", environ={}),
        "base_url must be an http",
    ),
    "register with a token and a bad option": (
        lambda: register(token=CANARY_TOKEN, reply_check="sometimes", environ={}),  # type: ignore[arg-type]
        "reply_check must be one of",
    ),
    "register with the token in environ and a bad URL": (
        lambda: register(
            environ={
                "SLACK_USER_TOKEN": CANARY_TOKEN,
                "SLACK_API_URL": "https://slack.invalid/api?x",
            }
        ),
        "must not have a query",
    ),
}


@pytest.mark.parametrize("setting", list(BAD_SETTINGS))
def test_a_refused_setting_shows_no_token_in_the_frames_locals(setting: str) -> None:
    make, refusal = BAD_SETTINGS[setting]
    with pytest.raises(ValueError, match=refusal) as refused:
        make()
    assert_no_secret_rendered(refused.value)


def test_the_process_environment_holding_the_token_is_not_shown_either(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No ``environ=``: the settings read os.environ, which holds the token."""
    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", "ftp://slack.invalid/api")
    with pytest.raises(ValueError, match="SLACK_API_URL must be an http") as refused:
        UsersSetPhoto()
    assert_no_secret_rendered(refused.value)


# Each made inside a function of its own: a test's own locals would be rendered too.
SOURCE_SETTINGS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "an install page": (
        lambda store: InstallationTokenSource(
            store, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, install_url="not a page"
        ),
        "install_url must be an http",
    ),
    "a client id": (
        lambda store: InstallationTokenSource(
            store, client_id="1111:2222", client_secret=CLIENT_SECRET
        ),
        "client_id holds characters",
    ),
    "a proxy in environ": (
        lambda store: InstallationTokenSource(
            store,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            environ={"SLACK_USER_TOKEN": CANARY_TOKEN, "HTTPS_PROXY": "socks9://x.invalid"},
        ),
        "HTTPS_PROXY",
    ),
}


@pytest.mark.parametrize("setting", list(SOURCE_SETTINGS))
def test_an_installation_source_refusing_a_setting_shows_no_secret(
    setting: str, tmp_path: Path
) -> None:
    store = sqlite_store(tmp_path / "installations.db")
    make, refusal = SOURCE_SETTINGS[setting]
    with pytest.raises(ValueError, match=refusal) as refused:
        make(store)
    assert_no_secret_rendered(refused.value)


def test_client_credentials_refused_show_no_secret() -> None:
    with pytest.raises(ValueError, match="client_id holds characters") as refused:
        ClientCredentials("1111 2222", CLIENT_SECRET)
    assert_no_secret_rendered(refused.value)


async def call_with_a_header(agent: Any) -> Any:
    """The call, its header made in the expression: held by no frame's locals here."""
    return await agent.call_tool(
        "usersSetPhoto", {"image": "me.png"}, headers={"Authorization": f"Bearer {CANARY_TOKEN}"}
    )


@pytest.mark.parametrize("door", ["register", "OCPAgent"])
@pytest.mark.parametrize("failure", ["refused before sending", "refused by Slack"])
async def test_an_agent_call_failing_shows_no_token_its_header_gave(
    door: str,
    failure: str,
    emulator: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    """The token of ``call_tool(..., headers={"Authorization": "Bearer xoxp-..."})``."""
    monkeypatch.chdir(tmp_path)
    if failure == "refused before sending":
        (tmp_path / "me.png").write_bytes(b"no picture")
        expected: type[UsersPhotoError] = InvalidArguments
    else:
        (tmp_path / "me.png").write_bytes(make_image((640, 640)))
        inject(emulator, Fault.slack_error("invalid_auth"))
        expected = SlackApiError
    options: dict[str, Any] = {"base_url": emulator.base_url, "environ": {}, "keep_previous": False}
    if door == "register":
        from tests.standin_agent import AsyncStandInAgent

        agent: Any = AsyncStandInAgent()
        register(agent, **options)
        with pytest.raises(expected) as refused:
            await call_with_a_header(agent)
    else:
        request.getfixturevalue("ocp_agent_library")
        from ocp_users_photo import OCPAgent

        async with OCPAgent(enable_cache=False, **options) as agent:
            with pytest.raises(expected) as refused:
                await call_with_a_header(agent)
    if failure == "refused by Slack":
        assert emulator.requests.last().header("authorization") == f"Bearer {CANARY_TOKEN}"
    assert_no_secret_rendered(refused.value)


def test_the_environment_is_held_without_showing_or_writing_a_value() -> None:
    """What the doors hold in place of a mapping: read by name, never shown, never pickled."""
    given = {"SLACK_USER_TOKEN": CANARY_TOKEN}
    held = Environment(given)
    assert held.get("SLACK_USER_TOKEN") == CANARY_TOKEN
    assert "SLACK_USER_TOKEN" in held
    assert held.get("SLACK_TOKEN") is None
    assert CANARY_SECRET not in repr(held) + str(held)
    assert not isinstance(held, Mapping)  # a reporter walks mappings into their values
    changed = held.with_value(HTTP_STACK_VARIABLE, "httpx")
    assert changed.get(HTTP_STACK_VARIABLE) == "httpx"
    assert held.get(HTTP_STACK_VARIABLE) is None
    assert given == {"SLACK_USER_TOKEN": CANARY_TOKEN}
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(held)
    assert Environment.of(held) is held
    assert Environment(held).with_value("X", "1").get("SLACK_USER_TOKEN") == CANARY_TOKEN


async def register_slack_elsewhere(agent: Any) -> Any:
    """register_api('slack') at another address than the tool's, the header in the expression."""
    registered = agent.register_api(
        "slack",
        base_url="https://slack.invalid/api",
        headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
    )
    return await registered if inspect.isawaitable(registered) else registered


@pytest.mark.parametrize("door", ["register", "OCPAgent"])
async def test_a_registration_refused_shows_no_token_its_header_gave(
    door: str, emulator: RunningEmulator, request: pytest.FixtureRequest
) -> None:
    options: dict[str, Any] = {"base_url": emulator.base_url, "environ": {}, "keep_previous": False}
    if door == "register":
        from tests.standin_agent import StandInAgent

        agent: Any = StandInAgent()
        register(agent, **options)
        with pytest.raises(ValueError, match="does not move") as refused:
            await register_slack_elsewhere(agent)
    else:
        request.getfixturevalue("ocp_agent_library")
        from ocp_users_photo import OCPAgent

        async with OCPAgent(enable_cache=False, **options) as agent:
            with pytest.raises(ValueError, match="does not move") as refused:
                await register_slack_elsewhere(agent)
    assert_no_secret_rendered(refused.value)
