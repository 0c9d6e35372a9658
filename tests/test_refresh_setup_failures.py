"""A refresh that meets this host's own setup (a proxy refusing its password, a certificate
that does not verify) says what to mend, not "try again in a few minutes".

The photo's call goes through the same proxy and the same trusted roots: trying again
meets the same failure, and a 407 sent again with the same password can lock a directory
account. The request's own failure already says so; the refresh's must not contradict it.
"""

from __future__ import annotations

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
        max_retries=2,
        environ={"HTTPS_PROXY": proxy_url},
    )
    try:
        with pytest.raises(TokenRefreshFailed) as failed:
            await source.token_for(ALICE)
    finally:
        await source.aclose()
    return failed.value


async def test_a_proxy_refusing_the_password_is_named_with_no_advice_to_try_again(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    await install(emulator, store, ALICE.user_id)
    async with loopback.serve() as proxy:
        proxy.on("slack.invalid:443", loopback.reply(407, b"who are you"))
        failure = await _refresh_through(proxy.url("").replace("://", "://pat:wrong@"), store)
    assert len(proxy.requests) == 1, "the same password is not sent again"
    told = str(failure)
    assert failure.no_answer
    assert "407" in told
    assert "user name and password" in told
    assert "try again in a few minutes" not in told
    assert failure.model_message is not None
    assert "try again in a few minutes" not in failure.model_message
    assert "the proxy" in failure.model_message
    assert "wrong" not in told + failure.model_message
    assert CLIENT_SECRET not in told + failure.model_message


async def test_a_certificate_that_does_not_verify_names_the_ca_setting(
    emulator: RunningEmulator, store: SQLite3InstallationStore, host: loopback.LoopbackServer
) -> None:
    """``host`` serves https with a certificate of a CA this process does not trust, as a
    company gateway that re-signs TLS does."""
    await install(emulator, store, ALICE.user_id)
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=host.url("/api"),
        clock=Clock(LIFETIME),
        max_retries=2,
        environ={},
    )
    try:
        with pytest.raises(TokenRefreshFailed) as failed:
            await source.token_for(ALICE)
    finally:
        await source.aclose()
    failure = failed.value
    told = str(failure)
    assert failure.no_answer
    assert failure.to_check is not None
    assert "SSL_CERT_FILE" in failure.to_check
    assert "could not be verified" in told
    assert "SSL_CERT_FILE" in told
    assert "try again in a few minutes" not in told
    assert failure.model_message is not None
    assert "SSL_CERT_FILE" in failure.model_message
    assert "try again in a few minutes" not in failure.model_message
    assert host.requests == [], "nothing but the handshake reached the server"
