"""The Python API as a typed project embedding it uses it: its own httpx client (with its
auth, cookies, or closed), and the README's snippets under the user's ``mypy --strict``."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from tests.readme_blocks import README, read_blocks

TOKEN = "xoxp-1234567890-1234567890123-fedcba9876543210aaaabbbbccccdddd"
GOOD_REPLY = {
    "ok": True,
    "profile": {
        "avatar_hash": "0a1b2c3d4e5f",
        **{
            f"image_{size}": f"https://avatars.slack-edge.com/2026-12-01/1_0a1b2c3d4e5f_{size}.png"
            for size in ("24", "32", "48", "72", "192", "512", "1024", "original")
        },
    },
}


def picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 600), (10, 20, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


async def requests_slack_gets(**client_options: Any) -> list[httpx.Request]:
    """The requests one users.setPhoto call sends through a caller's ``httpx.AsyncClient``
    made with ``client_options`` (its transport answers as Slack does)."""
    seen: list[httpx.Request] = []

    def slack(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=GOOD_REPLY)

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(slack), **client_options) as client,
        UsersSetPhoto(TOKEN, client=client, environ={}) as tool,
    ):
        await tool.call({"image": picture()})
    return seen


async def test_a_callers_client_with_its_own_auth_still_sends_the_slack_token() -> None:
    """A client= that carries its own auth (a company's shared client, set up for another
    service) must not replace the tool's Slack token: Slack must get ``Bearer <token>``,
    and never the client's own credentials. httpx applies the client's default auth in
    ``client.send`` unless ``auth=`` says otherwise, so the Bearer header was overwritten
    with the client's Basic credentials, which went to slack.com, and Slack would answer
    not_authed/invalid_auth."""
    seen = await requests_slack_gets(auth=httpx.BasicAuth("intranet-user", "intranet-pw"))
    assert [request.headers.get("authorization") for request in seen] == [f"Bearer {TOKEN}"]


async def test_a_callers_client_cookies_for_other_sites_do_not_go_to_slack() -> None:
    """The tool's own stack sends no client-layer cookies (README); a client= given cookies
    for the caller's own service (``httpx.AsyncClient(cookies=...)``) sent them to slack.com
    with every users.setPhoto call: credentials of another origin must not go to Slack."""
    seen = await requests_slack_gets(cookies={"intranet_session": "s3cr3t-session"})
    assert [request.headers.get("cookie") for request in seen] == [None]


async def test_a_closed_callers_client_is_a_typed_error_not_a_stray_runtime_error() -> None:
    """README: "Every call ends: a success or a typed error, never a hang or a stray
    exception", and ``run()`` "never raises for an expected failure". A client= its owner has
    closed (an app's shutdown, an ``async with httpx.AsyncClient()`` block left) made
    ``call``, ``whoami`` and ``run`` raise httpx's bare ``RuntimeError('Cannot send a
    request, as the client has been closed.')``; a client on another loop, or the tool's own
    stack closed, is a ``TransportError`` saying nothing was sent."""
    from ocp_users_photo import TransportError

    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(200)))
    await client.aclose()
    tool = UsersSetPhoto(TOKEN, client=client, environ={})
    with pytest.raises(TransportError) as raised:
        await tool.call({"image": picture()})
    assert raised.value.reached is False
    with pytest.raises(TransportError):
        await tool.whoami()
    result = await tool.run({"image": picture()})
    assert result["ok"] is False
    assert result["error"] == "transport_error"


TEXT_TOKEN_SOURCE = """
import asyncio

from ocp_users_photo import ActingPerson, SlackToken, UsersSetPhoto


class VaultTokens:
    description = "tokens from the vault"

    async def token_for(self, person: ActingPerson | None) -> str:
        return "xoxp-1234567890-1234567890123-fedcba9876543210aaaabbbbccccdddd"

    async def renew(self, person: ActingPerson | None, expired: SlackToken) -> str | None:
        return None


async def main() -> None:
    async with UsersSetPhoto(VaultTokens()) as tool:
        await tool.call({"image": "me.png"})


asyncio.run(main())
"""


def readme_block_calling(name: str) -> str:
    """The README's one Python block that calls ``name``, as written."""
    found = [
        block.code
        for block in read_blocks(README.read_text(encoding="utf-8"))
        if block.kind == "python" and f"{name}(" in block.code
    ]
    assert len(found) == 1, f"{len(found)} README blocks call {name}"
    return found[0]


@pytest.mark.runs_long
def test_the_readmes_framework_snippets_and_a_text_token_source_type_check(
    tmp_path: Path,
) -> None:
    """What a user copies into a project checked with ``mypy --strict`` (the package ships
    py.typed) type-checks there, in one mypy run:
    - the README's OpenAI Agents SDK snippet: ``Agent(tools=...)`` takes ``list[Tool]``
      and a list is invariant (``openai_agents_tools`` returned ``list[FunctionTool]``);
    - the README's LangChain snippet (its input was a ``("user", ...)`` tuple, which
      LangChain 1.x does not type);
    - a ``TokenSource`` whose ``token_for``/``renew`` give the token as text, as the README
      allows (the Protocol said ``-> SlackToken``)."""
    files = {
        "openai_agents_snippet.py": readme_block_calling("openai_agents_tools"),
        "langchain_snippet.py": readme_block_calling("langchain_tools"),
        "text_token_source.py": TEXT_TOKEN_SOURCE,
    }
    for name, code in files.items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    # The snippets hand nothing to openai's or LangSmith's own types, so those are read as
    # Any; the Agents SDK and LangChain, which the snippets call, are read whole. Reading
    # openai's 2,000 modules too took 20 of this check's 33 s of CPU, and did not change
    # what it finds (openai_agents_tools typed list[FunctionTool] is still refused).
    (tmp_path / "mypy.ini").write_text(
        "[mypy]\n[mypy-openai.*,langsmith.*]\nfollow_imports = skip\n", encoding="utf-8"
    )
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *files],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
