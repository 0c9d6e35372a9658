"""Review of session 22's product changes (4410b2b..): defects found, each pinned here.

A refresh whose request failed at the proxy in a way that may pass (the proxy's own
refusal of the tunnel with a 502/503, as when Slack is unreachable from it; a proxy that
is down for a moment) is not this host's setting at fault: it keeps "try again in a few
minutes", and the model is not told the host's connection "failed at a setting of its
own". Only what trying again meets again (a 407, a certificate that does not verify, an
unreadable CA file) names the setting instead.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.installations import InstallationTokenSource, TokenRefreshFailed
from ocp_users_photo.tokens import ActingPerson
from tests import loopback
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    LIFETIME,
    TEAM_ID,
    Clock,
    install,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store_fixture,  # noqa: F401 (fixture: store)
)

ALICE = ActingPerson(team_id=TEAM_ID, user_id="UALICE0001")


async def _refresh_through(proxy_url: str, store: SQLite3InstallationStore) -> TokenRefreshFailed:
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url="https://slack.invalid/api",
        clock=Clock(LIFETIME),  # expired: the token is refreshed before it is given
        max_retries=1,
        environ={"HTTPS_PROXY": proxy_url},
    )
    try:
        with pytest.raises(TokenRefreshFailed) as failed:
            await source.token_for(ALICE)
    finally:
        await source.aclose()
    return failed.value


def _told_to_try_again_later(failure: TokenRefreshFailed) -> None:
    told = str(failure)
    assert failure.no_answer
    assert "try again in a few minutes" in told
    assert "likely to fail the same way" not in told
    assert failure.model_message is not None
    assert "try again in a few minutes" in failure.model_message
    assert "a setting of its own" not in failure.model_message
    assert failure.to_check is None


async def test_a_proxy_that_cannot_reach_slack_for_now_keeps_try_again_later(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """A 503 to the CONNECT: the proxy could not reach Slack (an outage seen through it)."""
    await install(emulator, store, ALICE.user_id)
    async with loopback.serve() as proxy:
        proxy.on("slack.invalid:443", loopback.reply(503, b"upstream unreachable"))
        failure = await _refresh_through(proxy.url(""), store)
    assert len(proxy.requests) == 2, "a refusal that may pass is tried again"
    assert "503" in str(failure)
    _told_to_try_again_later(failure)


async def test_a_proxy_down_for_the_moment_keeps_try_again_later(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """The proxy's port refuses the connection (a proxy restarting)."""
    await install(emulator, store, ALICE.user_id)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    failure = await _refresh_through(f"http://127.0.0.1:{port}", store)
    assert "the proxy" in str(failure)
    _told_to_try_again_later(failure)


async def test_an_unreadable_ca_file_is_still_named_with_no_advice_to_try_again(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tmp_path: Path
) -> None:
    """What trying again meets again keeps naming its setting (the fix above keeps it)."""
    await install(emulator, store, ALICE.user_id)
    not_certificates = tmp_path / "ca.pem"
    not_certificates.write_text("not a certificate\n")
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url="https://slack.invalid/api",
        clock=Clock(LIFETIME),
        max_retries=1,
        environ={"SSL_CERT_FILE": str(not_certificates)},
    )
    try:
        with pytest.raises(TokenRefreshFailed) as failed:
            await source.token_for(ALICE)
    finally:
        await source.aclose()
    failure = failed.value
    assert failure.to_check == "SSL_CERT_FILE"
    assert "try again in a few minutes" not in str(failure)
    assert failure.model_message is not None
    assert "SSL_CERT_FILE" in failure.model_message
