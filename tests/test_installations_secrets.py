"""Neither token of an installation, nor the app's client secret, shows up anywhere.

The access token, the refresh token, the tokens a refresh gives, and the client secret
are searched for in every log record at DEBUG (slack_sdk's store, httpx and ours
included), every exception's text, repr, attributes and causes, every result a model
gets, and an ocp-agent's history, across the paths an installation can take: used,
refreshed on token_expired, refresh refused, a hostile server echoing the
credentials, not installed, and a store that raises with a token in its message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import UsersPhotoError, UsersSetPhoto, register
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.installations import InstallationTokenSource, SingleProcessRefreshLock
from ocp_users_photo.tokens import ActingPerson, acting_as
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    LIFETIME,
    TEAM_ID,
    install,
    portrait,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
)
from tests.test_secrets import texts_of_error

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")


@pytest.fixture
def store(tmp_path: Path) -> SQLite3InstallationStore:
    return SQLite3InstallationStore(database=str(tmp_path / "i.db"), client_id=CLIENT_ID)


@pytest.fixture
async def tool(emulator: RunningEmulator, store: SQLite3InstallationStore) -> AsyncIterator[Any]:
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        install_url="https://photos.example.com/install",
        environ={},
    )
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as photo:
        yield photo


def every_secret(store: SQLite3InstallationStore) -> list[str]:
    """Every access and refresh token the store ever held, and the client secret."""
    with store.connect() as database:
        rows = database.execute(
            "SELECT user_token, user_refresh_token FROM slack_installations"
        ).fetchall()
    found = [value for row in rows for value in row if value]
    assert found, "the store holds tokens"
    return [*found, CLIENT_SECRET]


async def test_no_token_or_secret_anywhere(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    tool: UsersSetPhoto,
    caplog: pytest.LogCaptureFixture,
    ocp_agent_library: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    await install(emulator, store, ALICE.user_id)
    texts: list[str] = [repr(tool), repr(tool.token_source), tool.token_source.description]
    errors: list[BaseException] = []
    as_alice = tool.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id)

    # Used, then refreshed on token_expired, with a result a model reads.
    texts.append(json.dumps(await as_alice.run({"image": portrait()})))
    emulator.state.advance_clock(LIFETIME)
    texts.append(json.dumps(await as_alice.run({"image": portrait()})))
    assert refreshes(emulator) == 1
    texts.append(json.dumps((await as_alice.whoami()).as_dict()))

    # Through ocp-agent, whose history travels with its later requests.
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, tool=tool)
    with acting_as(ALICE):
        reply = await agent.call_tool("usersSetPhoto", {"image": portrait()})
    assert reply["ok"] is True
    texts.append(json.dumps(agent.context.to_dict(), default=str))

    # A hostile oauth.v2.access echoing the credentials, as HTML and as a Slack error.
    for body in (b"<html>{authorization}</html>", b'{"ok":false,"error":"{authorization}"}'):
        emulator.faults.inject(Fault.status(200, body=body), path="oauth.v2.access")
        emulator.state.advance_clock(LIFETIME)
        try:
            await as_alice.call({"image": portrait()})
        except UsersPhotoError as error:
            errors.append(error)
        texts.append(json.dumps(await as_alice.run({"image": portrait()}), default=str))

    # Refused: the app was uninstalled, its refresh token revoked.
    emulator.state.oauth.revoke_installation(ALICE.user_id)
    emulator.state.advance_clock(LIFETIME)
    try:
        await as_alice.call({"image": portrait()})
    except UsersPhotoError as error:
        errors.append(error)

    # Nobody installed; a store that raises with a token in its message.
    texts.append(json.dumps(await tool.acting_as(team_id=TEAM_ID, user_id="UNOBODY01").run({})))
    secrets = every_secret(store)

    class LeakyStore(InstallationStore):
        def save(self, installation: Installation) -> None:
            raise RuntimeError(secrets[0])

        def find_installation(self, **_: object) -> Installation | None:
            raise RuntimeError(f"row ({secrets[0]}, {secrets[1]}) could not be read")

    leaky = InstallationTokenSource(
        LeakyStore(),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_lock=SingleProcessRefreshLock(),
        base_url=emulator.base_url,
        environ={},
    )
    async with leaky, UsersSetPhoto(leaky, base_url=emulator.base_url, environ={}) as other:
        try:
            await other.acting_as(team_id=TEAM_ID, user_id=ALICE.user_id).call({"image": b""})
        except UsersPhotoError as error:
            errors.append(error)

    assert len(errors) == 4
    for caught in errors:
        texts.extend(texts_of_error(caught))
    texts.extend(record.getMessage() for record in caplog.records)
    texts.append(caplog.text)
    for secret in secrets:
        for text in texts:
            assert secret not in text, text[:300]
