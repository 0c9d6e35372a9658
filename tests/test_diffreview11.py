"""Review of session 11's change as a whole (git diff 6ff51b1..HEAD): what its own tests
left untried."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import register
from ocp_users_photo.acting_tool import acting_person_for
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.tokens import ActingPerson
from tests.conftest import CANARY_TOKEN
from tests.programs import environment_without_slack
from tests.test_ocp_agent import OPENAPI, home, slack_emulator_config  # noqa: F401

TOKEN = "xoxp-7777777777-8888888888-9999999999-diffreview11"


def test_headers_given_with_the_spec_url_serve_slack_tools_found_in_the_spec_cache(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """register_api('slack', spec_url=..., headers=...) after register(), in one call: on the
    first run ocp-agent's fresh discovery makes a client for the headers; on every later
    run its spec cache answers and makes none, so the Slack tools it found went without
    Authorization (only headers registered in an earlier call were served)."""
    first = ocp_agent_library.OCPAgent()  # enable_cache=True: the spec is cached
    first.register_api("slack", spec_url=str(OPENAPI), base_url=slack_emulator.base_url)
    agent = ocp_agent_library.OCPAgent()
    register(agent, base_url=slack_emulator.base_url, environ={})
    agent.register_api(
        "slack",
        spec_url=str(OPENAPI),
        base_url=slack_emulator.base_url,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert agent.context.api_specs["slack"] == "cache"  # served from the cache
    agent.call_tool("usersProfileGet", {"token": "t"})
    assert slack_emulator.requests.last().header("authorization") == f"Bearer {TOKEN}"


async def test_headers_given_with_the_spec_url_serve_slack_tools_found_in_the_cache_ocpagent(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """The same on this package's OCPAgent."""
    from ocp_users_photo import OCPAgent

    first = ocp_agent_library.OCPAgent()
    first.register_api("slack", spec_url=str(OPENAPI), base_url=slack_emulator.base_url)
    async with OCPAgent(base_url=slack_emulator.base_url, environ={}) as agent:
        await agent.register_api(
            "slack",
            spec_url=str(OPENAPI),
            base_url=slack_emulator.base_url,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert agent.context.api_specs["slack"] == "cache"
        await agent.call_tool("usersProfileGet", {"token": "t"})
        assert slack_emulator.requests.last().header("authorization") == f"Bearer {TOKEN}"


def test_a_relative_image_root_with_the_working_directory_removed_is_refused_in_words(
    tmp_path: Path,
) -> None:
    """The relative-root check resolved the root from a working directory that had been
    removed under the process (a deploy, a cleaned temporary folder): FileNotFoundError,
    a traceback from ``python -m ocp_users_photo.mcp_server``, where the root's own check
    says it is taken from the working directory and to give the full path."""
    gone = tmp_path / "gone"
    gone.mkdir()
    program = (
        "import os, sys\n"
        f"os.chdir({str(gone)!r}); os.rmdir({str(gone)!r})\n"
        "from ocp_users_photo.mcp_command import main\n"
        "sys.exit(main(['--image-root', 'Pictures']))\n"
    )
    # -P: no working directory on sys.path, as for the installed command (its script's
    # folder) and python -m (the full name of the folder it started in). With "" there
    # (python -c), CPython 3.13.0 raises SystemError from a failed attribute lookup on any
    # module once that folder is gone (cpython gh-130932, fixed in a later 3.13): here from
    # `import asyncio`, before a line of this package runs.
    done = subprocess.run(
        [sys.executable, "-P", "-c", program],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environment_without_slack({"SLACK_USER_TOKEN": CANARY_TOKEN}),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    assert "give the full path" in done.stderr, done.stderr
    assert CANARY_TOKEN not in done.stderr


SECRET_TOKEN = "xoxp-1234567890-2345678901-3456789012-abcdefabcdef0123"


@pytest.mark.parametrize(
    "user_id", [f"Bearer {SECRET_TOKEN}", f" {SECRET_TOKEN}", SECRET_TOKEN, f"U1{SECRET_TOKEN}"]
)
def test_a_token_given_as_an_id_is_refused_without_quoting_it(user_id: str) -> None:
    """A host passing the wrong variable (the person's token, or the Authorization header)
    as user_id: the refusal quoted the value's first 40 characters, the token among them;
    and a bare token, shaped as the ids' pattern allows, was taken as the person, to be
    logged and told (str(person): 'xoxp-... in T1') in every message naming them."""
    with pytest.raises(ValueError, match="user_id must be a Slack id") as refused:
        ActingPerson(team_id="T1", user_id=user_id)
    assert SECRET_TOKEN[5:25] not in str(refused.value)
    with pytest.raises(ValueError, match="user_id must be a Slack id") as refused:
        acting_person_for(team_id="T1", user_id=user_id)
    assert SECRET_TOKEN[5:25] not in str(refused.value)


def test_a_token_given_as_the_team_is_refused_without_quoting_it() -> None:
    with pytest.raises(ValueError, match="team_id must be a Slack id") as refused:
        ActingPerson(team_id=SECRET_TOKEN, user_id="U1")
    assert SECRET_TOKEN[5:25] not in str(refused.value)
