"""DEFAULTS.md by door, a second look: cells where one door (or one connection behind a
door) reads the environment or the defaults differently from the others.

Each test failed when written; its docstring says what an operator or a user hits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocp_users_photo import ActingPerson, UsersPhotoError, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from tests import loopback
from tests.conftest import CANARY_TOKEN, company_ca, make_image
from tests.test_ocp_agent import OPENAPI, home, slack_emulator_config  # noqa: F401

TEAM = "T0EMULATOR"
USER = "U0ALICE0001"


async def test_a_refresh_trusts_the_company_ca_that_every_other_slack_call_trusts(
    tmp_path: Path,
) -> None:
    """README, Security: SSL_CERT_FILE / SSL_CERT_DIR are read "from the same environment
    (environ= included) ... for every connection the tool makes (Slack's API, ...)"; the
    proxy for the refresh is taken from that environment too ("The environment's proxy and
    HTTP stack, as the tool's own calls use them"). InstallationTokenSource builds its
    SlackClient without the settings' trusted_roots (installations/source.py), so on a
    TLS-inspecting network every oauth.v2.access refresh fails the certificate check while
    users.setPhoto, with the same environ, goes through: each person's token works until
    it first needs refreshing, then every call of theirs fails."""
    from slack_sdk.oauth.installation_store import Installation

    from ocp_users_photo.installations import InstallationTokenSource
    from tests.installation_helpers import CLIENT_ID, CLIENT_SECRET, sqlite_store

    server_tls, bundle = company_ca(tmp_path)

    store = sqlite_store(tmp_path / "installations.db")
    store.save(
        Installation(
            app_id="A0EMULATOR1",
            team_id=TEAM,
            user_id=USER,
            user_token="xoxe.xoxp-1-Mi0yLTExMTEtMjIyMi0zMzMzLTQ0NDQtNTU1NQ",
            user_scopes="users.profile:read,users.profile:write",
            user_refresh_token="xoxe-1-My0xLTExMTEtMjIyMi0zMzMzLTQ0NDQtNjY2Ng",
            user_token_expires_at=int(time.time()) + 10,  # within the refresh margin
        )
    )
    async with loopback.serve(server_tls) as slack:
        refreshed = {
            "ok": True,
            "app_id": "A0EMULATOR1",
            "team": {"id": TEAM},
            "authed_user": {
                "id": USER,
                "scope": "users.profile:read,users.profile:write",
                "token_type": "user",
                "access_token": "xoxe.xoxp-1-Mi0yLTExMTEtMjIyMi0zMzMzLTQ0NDQtNzc3Nw",
                "refresh_token": "xoxe-1-My0xLTExMTEtMjIyMi0zMzMzLTQ0NDQtODg4OA",
                "expires_in": 43200,
            },
        }
        slack.on(
            "/api/oauth.v2.access",
            loopback.reply(
                200, json.dumps(refreshed).encode(), [("Content-Type", "application/json")]
            ),
        )
        source = InstallationTokenSource(
            store,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            base_url=slack.base_url(),
            environ={"SSL_CERT_FILE": str(bundle)},
            max_retries=0,
        )
        async with source:
            try:
                await source.token_for(ActingPerson(team_id=TEAM, user_id=USER))
            except Exception as failure:  # what it was is the finding
                outcome = f"{type(failure).__name__}: {failure}"
            else:
                outcome = "refreshed"
        seen = [request.target for request in slack.requests]
    assert seen == ["/api/oauth.v2.access"], outcome


async def test_a_plain_http_base_url_never_goes_through_a_proxy_with_a_callers_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DEFAULTS.md, proxies, every door: "never for a plain-http (loopback) base URL". With
    ``client=httpx.AsyncClient()`` (trust_env on, httpx's default) and HTTP_PROXY set, as on
    any machine behind a company proxy, the tool sent users.setPhoto to the emulator through
    the proxy in clear text, Authorization header and image included, three times (the
    proxy's 502 taken for Slack's). Now the tool is refused when made, saying what to do,
    and the proxy sees nothing."""
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.read(65536))
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://user:{CANARY_TOKEN[-12:]}@127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        async with loopback.serve() as slack, httpx.AsyncClient() as client:
            with pytest.raises(ValueError, match="through a proxy") as refused:
                UsersSetPhoto(CANARY_TOKEN, base_url=slack.base_url(), client=client, environ={})
            assert "trust_env=False" in str(refused.value)
            assert "NO_PROXY" in str(refused.value)
            assert CANARY_TOKEN[-12:] not in str(refused.value)  # the proxy's password
            # The same client with the proxy bypassed for the host is taken, and used.
            monkeypatch.setenv("NO_PROXY", "127.0.0.1")
            async with (
                httpx.AsyncClient() as bypassing,
                UsersSetPhoto(
                    CANARY_TOKEN, base_url=slack.base_url(), client=bypassing, environ={}
                ) as tool,
            ):
                with contextlib.suppress(UsersPhotoError):  # the bare server answers 404
                    await tool.call({"image": make_image((600, 600))})
            assert slack.requests, "the call went to the server itself"
            # An https base URL through the caller's proxy is a tunnel: taken as given.
            monkeypatch.delenv("NO_PROXY")
            async with httpx.AsyncClient() as tunnelling:
                UsersSetPhoto(
                    CANARY_TOKEN, base_url="https://slack.com/api", client=tunnelling, environ={}
                )
            # A proxy given to the client itself is refused as well for plain http.
            async with httpx.AsyncClient(
                trust_env=False, proxy=f"http://127.0.0.1:{port}"
            ) as configured:
                with pytest.raises(ValueError, match="through a proxy"):
                    UsersSetPhoto(
                        CANARY_TOKEN, base_url=slack.base_url(), client=configured, environ={}
                    )
    finally:
        server.close()
    assert seen == []


async def test_the_packages_ocpagent_keeps_registration_headers_for_slack_tools_found_later(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """README, "Credentials, the ocp-agent way": the headers given to
    register_api('slack', headers=...) "serve the Slack tools a later spec_url discovery
    finds too". register(agent) does so (tests/test_ocp_agent_door.py); the package's own
    OCPAgent, the other way in, hands the library's discovery the call's headers only
    (agents/agent.py register_api), so every generic Slack tool it finds goes to Slack
    without any Authorization: the same two lines work through one door and not the other."""
    from ocp_users_photo import OCPAgent

    async with OCPAgent(
        enable_cache=False, base_url=slack_emulator.base_url, environ={}, keep_previous=False
    ) as agent:
        await agent.register_api("slack", headers={"Authorization": f"Bearer {CANARY_TOKEN}"})
        await agent.register_api("slack", spec_url=str(OPENAPI), base_url=slack_emulator.base_url)
        await agent.call_tool("usersProfileGet", {"token": "t"})
    assert slack_emulator.requests.last().header("authorization") == f"Bearer {CANARY_TOKEN}"


async def test_a_tool_and_its_token_source_renew_at_the_same_slack(tmp_path: Path) -> None:
    """UsersSetPhoto(source, base_url="https://slack-gov.com/api") with a source made without
    base_url refreshed at https://slack.com/api: the refresh token and the app's secret went
    to a Slack that did not issue them. Refused when the tool is made, naming both."""
    from ocp_users_photo.installations import InstallationTokenSource
    from tests.installation_helpers import CLIENT_ID, CLIENT_SECRET, sqlite_store

    store = sqlite_store(tmp_path / "installations.db")
    async with InstallationTokenSource(
        store, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, environ={}
    ) as source:
        assert source.base_url == "https://slack.com/api"
        with pytest.raises(ValueError, match=r"renews tokens at https://slack\.com/api") as refused:
            UsersSetPhoto(source, base_url="https://slack-gov.com/api", environ={})
        assert "https://slack-gov.com/api" in str(refused.value)
        assert CLIENT_SECRET not in str(refused.value)
        async with UsersSetPhoto(source, environ={}) as tool:  # the same Slack: taken
            assert tool.base_url == source.base_url
