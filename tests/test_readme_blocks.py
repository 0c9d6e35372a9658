"""Every README code block runs as written, or says why not: the README cannot rot.

Each ``##`` section's ``python`` and ``sh`` blocks run in order, in a fresh folder and
one shell, against a local Slack emulator (tests/readme_session.py says what the folder
and the environment hold); a ``sh`` block's expected output, the fence right after it,
must match what it printed (avatar hashes and byte sizes aside, and the stand-in's
address read as Slack's). Python blocks run exactly as written, saved to a file: the
agent framework snippets reach a stand-in for OpenAI's API (tests/fake_openai.py)
through their own clients. A section runs in a network namespace of its own
(``unshare``), so the README's fixed port 8765 is free there. What is not run is
listed below with its reason and printed at the end of the session.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import pytest

from ocp_users_photo import mcp_command
from tests.conftest import REQUIRE_OCP_AGENT
from tests.readme_blocks import README, Block, not_run, readme_blocks, sections

REPOSITORY: Final = Path(__file__).resolve().parent.parent
FIXED_PORT: Final = 8765

# How many users.setPhoto requests each Python block makes on the session's emulator,
# by section, in order (a snippet that only reads, or brings its own emulator, makes 0).
PHOTO_SETS: Final = {
    "Use it from Python": [1, 1, 2, 0, 5],
    "Use it from an agent": [1, 1],
    "Use it from an agent framework": [1, 1, 1],
    "The local Slack emulator": [0],
}
# The blocks the runner leaves out (the first 50 characters of each), and why: each is an
# exception a reader can check in the README, next to its reason.
EXPECTED_NOT_RUN: Final = {
    "python3 -m venv .venv && .venv/bin/pip install '.[",  # the Quick start: .ci/run runs it
    "output of: ocp-users-photo whoami",  # a real workspace's answer
    "output of: ocp-users-photo set me.png",  # a real workspace's answer
    ".venv/bin/pip install --no-deps 'ocp-agent @ git+h",  # from GitHub
    '.venv/bin/pytest -m "slow or not slow" tests/test_',  # minutes long
    "python3 -m venv .venv && .venv/bin/pip install -e ",  # the benchmark: minutes long
}


def normalised(text: str, base_url: str) -> list[str]:
    """Lines to compare: the stand-in's address as Slack's, hashes and sizes as placeholders."""
    root = base_url.removesuffix("/api")
    # The emulator's renditions, as the README shows them: at its documented address.
    text = text.replace(root + "/avatars/", f"http://127.0.0.1:{FIXED_PORT}/avatars/")
    text = text.replace(base_url, "https://slack.com/api")
    data_home = os.environ.get("XDG_DATA_HOME")
    if data_home:  # the tests' own data folder, shown in the README as a user's
        text = text.replace(data_home, "/home/me/.local/share")
    text = re.sub(r"\b[0-9a-f]{12}\b", "<avatar_hash>", text)
    text = re.sub(r"\b\d+(\.\d+)? (B|KiB|MiB)\b", "<size>", text)
    text = re.sub(r"\b\d+ bytes\b", "<size>", text)
    text = re.sub(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\b", "<time>", text)
    text = re.sub(r"\bg[0-9a-f]{11}\b", "<avatar_hash>", text)  # Slack's default avatars'
    text = re.sub(r"/avatars/U[0-9A-Z]+/", "/avatars/<user>/", text)
    return [line.rstrip() for line in text.strip("\n").splitlines()]


@functools.cache
def namespace_prefix() -> tuple[str, ...] | None:
    """The command that runs a session in a network namespace of its own; None if none can be."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if unshare is None or ip is None:
        return None
    prefix = (
        unshare,
        "--user",
        "--map-root-user",
        "--net",
        "sh",
        "-c",
        'ip link set lo up && exec "$0" "$@"',
    )
    probe = subprocess.run([*prefix, "true"], capture_output=True, check=False, timeout=30)
    return prefix if probe.returncode == 0 else None


def needs_ocp_agent() -> None:
    """Skip, saying why, where ocp-agent is not installed; fail where CI requires it."""
    try:
        import ocp_agent  # noqa: F401
    except ImportError:
        if os.environ.get(REQUIRE_OCP_AGENT):
            pytest.fail(f"{REQUIRE_OCP_AGENT} is set but ocp-agent is not installed")
        pytest.skip("ocp-agent is not installed (the README says how; .ci/run installs it)")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def run_section(blocks: list[Block]) -> dict[str, Any]:
    plan = {
        "blocks": [
            {
                "line": block.line,
                "kind": block.kind,
                "code": block.code,
                "background": block.background,
                "output_lines": len(block.output.code.strip("\n").splitlines())
                if block.output is not None
                else 0,
            }
            for block in blocks
        ]
    }
    prefix = namespace_prefix()
    if prefix is None:
        if any(f":{FIXED_PORT}" in block.code for block in blocks) and not port_is_free(FIXED_PORT):
            pytest.skip(
                f"this section listens on port {FIXED_PORT}, which is taken here, and no network "
                "namespace can be made (unshare --user --net)"
            )
        prefix = ()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SLACK_")}
    environment["PYTHONPATH"] = str(REPOSITORY)
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "tests.readme_session"],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        env=environment,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results: dict[str, Any] = json.loads(done.stdout)
    return results


def describe(block: Block, outcome: dict[str, Any]) -> str:
    return (
        f"{block.label}\n--- exit {outcome['returncode']}\n--- stdout:\n{outcome['stdout']}"
        f"\n--- stderr:\n{outcome['stderr'][-3000:]}"
    )


SECTIONS: Final = sections(readme_blocks())


def section_params() -> list[Any]:
    """One test per section; without network namespaces, those on the fixed port take turns."""
    shared_port = namespace_prefix() is None and importlib.util.find_spec("xdist") is not None
    params = []
    for name, blocks in SECTIONS.items():
        on_fixed_port = any(f":{FIXED_PORT}" in block.code for block in blocks)
        marks = (
            [pytest.mark.xdist_group(f"port-{FIXED_PORT}")] if shared_port and on_fixed_port else []
        )
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.mark.runs_long
@pytest.mark.parametrize("section", section_params())
def test_the_section_runs_as_written(section: str) -> None:
    blocks = SECTIONS[section]
    if any("ocp_agent" in block.code for block in blocks):
        needs_ocp_agent()
    results = run_section(blocks)
    outcomes = results["outcomes"]
    assert [outcome["line"] for outcome in outcomes] == [block.line for block in blocks]
    photo_sets = []
    for block, outcome in zip(blocks, outcomes, strict=True):
        if block.background:
            assert outcome["returncode"] is None, f"it stopped early: {describe(block, outcome)}"
        else:
            assert outcome["returncode"] == 0, describe(block, outcome)
        if block.kind == "python":
            photo_sets.append(outcome["photo_sets"])
        if block.output is not None and block.output.not_run is None:
            expected = normalised(block.output.code, results["base_url"])
            printed = normalised(outcome["stdout"], results["base_url"])
            assert printed == expected, describe(block, outcome)
        assert "Traceback" not in outcome["stderr"], describe(block, outcome)
    assert photo_sets == PHOTO_SETS.get(section, []), (
        f"users.setPhoto requests per Python block of {section!r} (update PHOTO_SETS when "
        "the README's snippets change)"
    )
    if section == "Use it from an agent framework":
        assert [outcome["stdout"] for outcome in outcomes] == ["Done.\n"] * 3
        # No warning either: a model its provider retires (the snippets named "gpt-5", which
        # Pydantic AI warned of, retired on 2026-12-11) is no model to copy.
        assert not any("Warning" in outcome["stderr"] for outcome in outcomes), [
            outcome["stderr"][-600:] for outcome in outcomes
        ]
    assert all(code in (0, None) for code in results["background_exit"]), results[
        "background_stderr"
    ]
    assert "Traceback" not in results["background_stderr"]


def test_what_is_not_run_says_why_and_is_the_exception() -> None:
    blocks = readme_blocks()
    left_out = not_run(blocks)
    assert all(reason.strip() for _, reason in left_out)
    assert {what[:50] for what, _ in left_out} == EXPECTED_NOT_RUN
    run = [block for block in blocks if block.kind in ("python", "sh") and block.not_run is None]
    assert len(left_out) * 3 < len(run), "most blocks run; a skipped one is the exception"


def test_every_json_block_is_json() -> None:
    checked = [block for block in readme_blocks() if block.kind == "json"]
    # Every ```json fence of the README is one of them (none read as another kind).
    assert len(checked) == README.read_text().count("```json\n") > 0
    for block in checked:
        json.loads(block.code)


def test_the_mcp_host_configuration_starts_this_server() -> None:
    configurations = [
        json.loads(block.code)
        for block in readme_blocks()
        if block.kind == "json" and "mcpServers" in block.code
    ]
    assert configurations, "the README shows an MCP host configuration"
    parser = argparse.ArgumentParser()
    mcp_command.configure_parser(parser)
    for configuration in configurations:
        (server,) = configuration["mcpServers"].values()
        assert Path(server["command"]).name == "ocp-users-photo"
        command, *options = server["args"]
        assert command == "mcp"
        parsed = parser.parse_args(options)
        assert parsed.image_roots, "the configuration names an image root"
        assert set(server["env"]) == {"SLACK_USER_TOKEN"}
