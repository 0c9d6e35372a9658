"""Review angle: a model gives the image as an https URL, first try and under attack.

Image hosts are loopback https servers with trustme certificates; names other than
127.0.0.1 go through a resolver stub; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.images.byte_budget import ByteBudget
from tests.conftest import CANARY_TOKEN


@pytest.mark.parametrize(
    ("hosts", "url", "told"),
    [
        # No host allowed (every tool's default): refused offline, saying how to allow one.
        ((), "https://images.example.com/me.png", "does not fetch URLs"),
        # A host off the list: refused offline, naming the list.
        (("images.example.com",), "https://elsewhere.example/me.png", "not allowed"),
        # Not https: refused offline.
        (("images.example.com",), "http://images.example.com/me.png", "only https://"),
    ],
)
async def test_a_url_refused_offline_is_told_at_once_while_other_calls_hold_the_budget(
    monkeypatch: pytest.MonkeyPatch, hosts: tuple[str, ...], url: str, told: str
) -> None:
    """A URL took the whole byte cap from the process's budget before its offline checks:
    while other calls' images filled the budget, a URL that would be refused without any
    fetch waited in line (ahead of calls behind it) until the deadline, and the model was
    told 'no time was left ... try again' instead of why the URL cannot work."""
    budget = ByteBudget(1000)
    monkeypatch.setattr("ocp_users_photo.images.byte_budget.image_bytes", budget)
    others = await budget.hold(1000)  # other calls' images fill it
    try:
        async with UsersSetPhoto(
            CANARY_TOKEN,
            base_url="http://127.0.0.1:9/api",
            environ={},
            url_hosts=hosts,
            deadline=0.5,
        ) as tool:
            result = await tool.run({"image": url})
        assert result["ok"] is False, result
        assert "deadline" not in result["message"], result
        (problem,) = result["problems"]
        assert problem["path"] == "$.image"
        assert told in problem["message"]
        assert budget.waiting == 0
    finally:
        others.release()
    assert budget.held == 0
