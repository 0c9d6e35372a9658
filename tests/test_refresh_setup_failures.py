"""A refresh that meets this host's own setup (a proxy refusing its password, a certificate
that does not verify, an unreadable CA file) says what to mend, not "try again in a few
minutes"; one that meets a failure that may pass keeps that advice.

The photo's call goes through the same proxy and the same trusted roots: trying again
meets the same failure, and a 407 sent again with the same password can lock a directory
account. The request's own failure already says so; the refresh's must not contradict it.
A proxy's 503 to the tunnel (Slack unreachable from it) or a proxy down for a moment is no
setting at fault (the review of this session found them told as one), so those keep "try
again in a few minutes", and the model is not told the host "failed at a setting of its
own".
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


async def _refresh_failure(
    store: SQLite3InstallationStore,
    environ: dict[str, str],
    base_url: str = "https://slack.invalid/api",
) -> TokenRefreshFailed:
    """The failure of Alice's refresh (her token expired) with ``environ``'s settings."""
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=base_url,
        clock=Clock(LIFETIME),  # expired: the token is refreshed before it is given
        max_retries=1,
        environ=environ,
    )
    try:
        with pytest.raises(TokenRefreshFailed) as failed:
            await source.token_for(ALICE)
    finally:
        await source.aclose()
    return failed.value


def _told_what_to_mend(failure: TokenRefreshFailed, setting: str) -> None:
    """A failure of this host's own setup: named, ``setting`` among what the person and a
    model are told, and neither told to try again later."""
    told = str(failure)
    assert failure.no_answer
    assert "try again in a few minutes" not in told
    assert failure.model_message is not None
    assert "try again in a few minutes" not in failure.model_message
    assert setting in failure.model_message


def _told_to_try_again_later(failure: TokenRefreshFailed) -> None:
    told = str(failure)
    assert failure.no_answer
    assert "try again in a few minutes" in told
    assert "likely to fail the same way" not in told
    assert failure.model_message is not None
    assert "try again in a few minutes" in failure.model_message
    assert "a setting of its own" not in failure.model_message
    assert failure.to_check is None


async def test_a_proxy_refusing_the_password_is_named_with_no_advice_to_try_again(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    await install(emulator, store, ALICE.user_id)
    async with loopback.serve() as proxy:
        proxy.on("slack.invalid:443", loopback.reply(407, b"who are you"))
        failure = await _refresh_failure(
            store, {"HTTPS_PROXY": proxy.url("").replace("://", "://pat:wrong@")}
        )
    assert len(proxy.requests) == 1, "the same password is not sent again"
    _told_what_to_mend(failure, "the proxy")
    told = str(failure)
    assert failure.model_message is not None
    assert "407" in told
    assert "user name and password" in told
    assert "wrong" not in told + failure.model_message
    assert CLIENT_SECRET not in told + failure.model_message


async def test_a_certificate_that_does_not_verify_names_the_ca_setting(
    emulator: RunningEmulator, store: SQLite3InstallationStore, host: loopback.LoopbackServer
) -> None:
    """``host`` serves https with a certificate of a CA this process does not trust, as a
    company gateway that re-signs TLS does."""
    await install(emulator, store, ALICE.user_id)
    failure = await _refresh_failure(store, {}, base_url=host.url("/api"))
    _told_what_to_mend(failure, "SSL_CERT_FILE")
    told = str(failure)
    assert failure.to_check is not None
    assert "SSL_CERT_FILE" in failure.to_check
    assert "could not be verified" in told
    assert "SSL_CERT_FILE" in told
    assert host.requests == [], "nothing but the handshake reached the server"


async def test_a_proxy_that_cannot_reach_slack_for_now_keeps_try_again_later(
    emulator: RunningEmulator, store: SQLite3InstallationStore
) -> None:
    """A 503 to the CONNECT: the proxy could not reach Slack (an outage seen through it)."""
    await install(emulator, store, ALICE.user_id)
    async with loopback.serve() as proxy:
        proxy.on("slack.invalid:443", loopback.reply(503, b"upstream unreachable"))
        failure = await _refresh_failure(store, {"HTTPS_PROXY": proxy.url("")})
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
    failure = await _refresh_failure(store, {"HTTPS_PROXY": f"http://127.0.0.1:{port}"})
    assert "the proxy" in str(failure)
    _told_to_try_again_later(failure)


async def test_an_unreadable_ca_file_is_still_named_with_no_advice_to_try_again(
    emulator: RunningEmulator, store: SQLite3InstallationStore, tmp_path: Path
) -> None:
    """What trying again meets again keeps naming its setting."""
    await install(emulator, store, ALICE.user_id)
    not_certificates = tmp_path / "ca.pem"
    not_certificates.write_text("not a certificate\n")
    failure = await _refresh_failure(store, {"SSL_CERT_FILE": str(not_certificates)})
    assert failure.to_check == "SSL_CERT_FILE"
    _told_what_to_mend(failure, "SSL_CERT_FILE")
