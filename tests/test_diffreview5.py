"""Review of 676909d..HEAD (diffreview5): defects the session's latest changes brought in.

Each test failed when written; its docstring says what a user or an attacker hits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator, run_emulator
from tests.conftest import CANARY_TOKEN
from tests.test_ocp_agent import OPENAPI, home, slack_emulator_config  # noqa: F401


async def test_ocpagent_registered_headers_stay_at_the_tools_slack_on_discovery(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    """README, Credentials the ocp-agent way: "Registration headers are for the Slack
    address they were given at". agents/agent.py (beb5e09) handed them to a later spec_url
    discovery made without base_url, and ocp-agent binds them to the base URL the *spec*
    names (host/basePath, or servers[0]): the token registered for the tool's Slack (an
    emulator, GovSlack, an Enterprise host) went to whatever host the spec file names,
    with every generic Slack tool call (Slack's own spec names https://slack.com/api)."""
    from ocp_users_photo import OCPAgent

    spec = json.loads(OPENAPI.read_text())
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as elsewhere:
        # Slack's spec is Swagger 2.0: its address is host, basePath and schemes.
        other = urlsplit(elsewhere.base_url)
        spec.update(host=other.netloc, basePath=other.path, schemes=[other.scheme])
        spec_file = tmp_path / "spec.json"
        spec_file.write_text(json.dumps(spec))
        async with OCPAgent(
            enable_cache=False, base_url=slack_emulator.base_url, environ={}, keep_previous=False
        ) as agent:
            await agent.register_api("slack", headers={"Authorization": f"Bearer {CANARY_TOKEN}"})
            await agent.register_api("slack", spec_url=str(spec_file))
            await agent.call_tool("usersProfileGet", {"token": "t"})
        sent_elsewhere = [request.header("authorization") for request in elsewhere.requests.all()]
    assert f"Bearer {CANARY_TOKEN}" not in sent_elsewhere, (
        "the token registered for the tool's Slack went to the spec's server"
    )


def test_register_keeps_registered_headers_at_the_tools_slack_on_discovery(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The same through register(agent) (agents/register.py:118-120, older than the range:
    the door the OCPAgent change copied). Slack's own spec names https://slack.com/api."""
    import asyncio

    from ocp_users_photo import register

    spec = json.loads(OPENAPI.read_text())

    async def run() -> list[str | None]:
        async with run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as elsewhere:
            other = urlsplit(elsewhere.base_url)
            spec.update(host=other.netloc, basePath=other.path, schemes=[other.scheme])
            spec_file = tmp_path / "spec.json"
            spec_file.write_text(json.dumps(spec))
            agent = ocp_agent_library.OCPAgent(enable_cache=False)
            tool = register(agent, base_url=slack_emulator.base_url, environ={})
            try:
                agent.register_api("slack", headers={"Authorization": f"Bearer {CANARY_TOKEN}"})
                await agent.register_api("slack", str(spec_file))  # awaitable in a loop
                await asyncio.to_thread(agent.call_tool, "usersProfileGet", {"token": "t"})
            finally:
                await tool.aclose()
            return [request.header("authorization") for request in elsewhere.requests.all()]

    sent_elsewhere = asyncio.run(run())
    assert f"Bearer {CANARY_TOKEN}" not in sent_elsewhere, (
        "the token registered for the tool's Slack went to the spec's server"
    )


async def test_a_tools_size_rule_says_the_ratio_its_limits_take() -> None:
    """images/policy.py:190-197 (b79a966): "Every export's description says the size rule of
    the tool given" (README). The ratio is max_side // min_side, floored: with
    ImageLimits(max_side=800) the description says "one longer than 1:1 needs the crop
    box" (any image not square), yet a 1000x700 image is taken without one (scaled to
    800x560); the real bound is 800/512, about 1.56:1."""
    import io

    from PIL import Image

    from ocp_users_photo.images.limits import ImageLimits

    buffer = io.BytesIO()
    Image.new("RGB", (1000, 700), (9, 9, 9)).save(buffer, format="PNG")
    async with UsersSetPhoto(CANARY_TOKEN, environ={}, limits=ImageLimits(max_side=800)) as tool:
        async with tool.prepare({"image": buffer.getvalue()}) as upload:
            assert (upload.summary()["width"], upload.summary()["height"]) == (800, 560)
        assert "longer than 1:1 needs the crop box" not in tool.description, tool.description


async def test_a_source_at_the_same_slack_spelled_otherwise_is_taken(tmp_path: Path) -> None:
    """tool.py:803-813 (cc2bbe0): _check_same_slack compares the two base URLs as text
    (check_base_url only strips a trailing slash), so the same Slack spelled with an upper-case
    host or scheme, or its default port, refuses to make the tool: "the token source renews
    tokens at https://slack.com:443/api while this tool calls https://slack.com/api"."""
    from ocp_users_photo.installations import InstallationTokenSource
    from tests.installation_helpers import CLIENT_ID, CLIENT_SECRET, sqlite_store

    store = sqlite_store(tmp_path / "installations.db")
    for spelled in ("https://slack.com:443/api", "https://Slack.com/api"):
        async with (
            InstallationTokenSource(
                store,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                environ={},
                base_url=spelled,
            ) as source,
            UsersSetPhoto(source, base_url="https://slack.com/api", environ={}),
        ):
            pass
