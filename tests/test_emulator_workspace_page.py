"""A newcomer's first hour on the emulator: the "Workspace URL" whoami prints.

whoami prints auth.test's ``url`` (the emulator's root) as "Workspace URL"; opened in a
browser, as Slack's opens the workspace, the emulator answered a bare 404 "Not Found".
It is a page naming the emulator's Web API and control API.
"""

from __future__ import annotations

import httpx

from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import CANARY_TOKEN


async def test_the_workspace_url_whoami_prints_opens_a_page_saying_what_answers_there(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    told = await client.get(
        f"{emulator.base_url}/auth.test", headers={"Authorization": f"Bearer {CANARY_TOKEN}"}
    )
    workspace_url = told.json()["url"]
    assert workspace_url == emulator.root_url + "/"
    page = await client.get(workspace_url)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/plain")
    assert f"{emulator.base_url} (set SLACK_API_URL to it)" in page.text
    assert emulator.control_url in page.text
