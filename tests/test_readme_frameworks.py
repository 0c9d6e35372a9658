"""The README's framework snippets run as written, against the emulator, each with a test model.

A snippet is a fenced python block after ``<!-- runnable: NAME -->``. It runs with
SLACK_API_URL pointed at an emulator and SLACK_USER_TOKEN set, in a folder holding
portrait.png; only its ``model = ...`` line is left out, ``model`` being the
framework's test model, which calls usersSetPhoto once and then answers "Done.".
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage

from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import make_image
from tests.framework_fixtures import HOST_TOKEN
from tests.readme_sections import README
from tests.test_frameworks_langchain import ToolCallingFakeModel, tool_call
from tests.test_frameworks_openai_agents import Call, ScriptedModel
from tests.test_frameworks_pydantic_ai import Script

SNIPPET = re.compile(
    r"<!-- runnable: (?P<name>[a-z-]+) -->\n```python\n(?P<code>.*?)```", re.DOTALL
)
FRAMEWORKS = ("openai-agents", "pydantic-ai", "langchain")


def snippets() -> dict[str, str]:
    found = [(match["name"], match["code"]) for match in SNIPPET.finditer(README.read_text())]
    assert len({name for name, _ in found}) == len(found), "two snippets share a name"
    return dict(found)


def test_the_readme_has_one_runnable_snippet_per_framework() -> None:
    assert tuple(snippets()) == FRAMEWORKS


def test_each_framework_snippet_sits_in_the_framework_section() -> None:
    section = README.read_text().split("## Use it from an agent framework", 1)[1]
    section = section.split("\n## ", 1)[0]
    for name in FRAMEWORKS:
        assert f"<!-- runnable: {name} -->" in section
        assert f"pip install 'ocp-users-photo[{name}]'" in section


class SnippetModels:
    """Each framework's test model, playing: call usersSetPhoto with portrait.png, then "Done."."""

    def __init__(self) -> None:
        call = {"image": "portrait.png", "crop_x": None, "crop_y": None, "crop_w": None}
        self.openai_agents = ScriptedModel([Call("usersSetPhoto", json.dumps(call)), "Done."])
        self.pydantic_ai = Script([{"image": "portrait.png"}, "Done."])
        self.langchain = ToolCallingFakeModel(
            messages=iter([tool_call({"image": "portrait.png"}, 1), AIMessage(content="Done.")])
        )

    def model(self, framework: str) -> Any:
        if framework == "openai-agents":
            return self.openai_agents
        if framework == "pydantic-ai":
            from pydantic_ai.models.function import FunctionModel

            return FunctionModel(self.pydantic_ai)
        return self.langchain

    def tool_result(self, framework: str) -> dict[str, Any]:
        """The tool's result as the framework handed it to the model."""
        if framework == "openai-agents":
            (result,) = self.openai_agents.tool_outputs(2)
            return result
        if framework == "pydantic-ai":
            (part,) = self.pydantic_ai.parts_sent(2)
            content: dict[str, Any] = part.content
            return content
        raise AssertionError("the LangChain test model keeps no history; see the loop tests")


async def avatar_hash(emulator: RunningEmulator) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        reply = await client.get(
            f"{emulator.base_url}/users.profile.get",
            headers={"Authorization": f"Bearer {HOST_TOKEN}"},
        )
    avatar: str = reply.json()["profile"]["avatar_hash"]
    return avatar


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_the_snippet_runs_against_the_emulator(
    framework: str,
    emulator: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = snippets()[framework].splitlines()
    model_lines = [line for line in lines if line.startswith("model = ")]
    assert len(model_lines) == 1, "a snippet names its model on one line"
    code = "\n".join(line for line in lines if line not in model_lines)

    (tmp_path / "portrait.png").write_bytes(make_image((600, 600)))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_API_URL", emulator.base_url)
    monkeypatch.setenv("SLACK_USER_TOKEN", HOST_TOKEN)
    monkeypatch.delenv("SLACK_TOKEN", raising=False)
    # No key, so nothing could reach OpenAI even if tracing were on (framework_fixtures
    # turns it off for the whole run).
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    before = await avatar_hash(emulator)

    models = SnippetModels()
    compiled = compile(
        code, f"README.md ({framework})", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    running = eval(compiled, {"model": models.model(framework)})
    if inspect.iscoroutine(running):
        await running

    assert capsys.readouterr().out == "Done.\n"
    after = await avatar_hash(emulator)
    assert after != before, "the snippet set the host user's photo on the emulator"
    if framework != "langchain":
        assert models.tool_result(framework)["profile"]["avatar_hash"] == after
