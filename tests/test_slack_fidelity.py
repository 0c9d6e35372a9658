"""The plugin's advice and the emulator's answers as Slack documents them (method pages,
the common Web API errors, the rate-limit guide): each test quotes what Slack says.
"""

from __future__ import annotations

import httpx
import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, Fault, run_emulator
from ocp_users_photo.errors import SlackApiError, TokenNotUsable
from ocp_users_photo.hints import REINSTALL_CODES, UNKNOWN_CODE_HINT, hint_for
from ocp_users_photo.model_result import error_result
from tests.conftest import make_image

TOKEN = "xoxp-fidelity-review"
INSTALL_PAGE = "https://photos.example.com/slack/install"


# --- the plugin's advice ---------------------------------------------------------------


def test_team_added_to_org_is_a_wait_not_a_reinstall() -> None:
    """Slack: team_added_to_org means "the workspace ... is currently undergoing migration
    to an Enterprise Organization. Web API and other platform operations will be
    intermittently unavailable until the transition is complete": wait and try again.
    No reinstall advice and no install page (both were given)."""
    hint = hint_for("team_added_to_org")
    assert "reinstall" not in hint.lower()
    assert "team_added_to_org" not in REINSTALL_CODES
    error = SlackApiError(
        "team_added_to_org",
        hint=hint,
        reply={"ok": False, "error": "team_added_to_org"},
    )
    assert "install_url" not in error_result(error, install_url=INSTALL_PAGE)


@pytest.mark.parametrize(
    "code",
    [
        # Slack's common errors, listed on users.setPhoto's and users.deletePhoto's pages
        "two_factor_setup_required",  # "Two factor setup is required."
        "enterprise_is_restricted",  # "The method cannot be called from an Enterprise."
        "team_access_not_granted",  # org token without access to the workspace
        "method_deprecated",
        "deprecated_endpoint",
    ],
)
def test_documented_common_codes_say_what_to_do(code: str) -> None:
    """Every code Slack documents for the method gets advice, not "Slack gave no more detail"."""
    assert hint_for(code) != UNKNOWN_CODE_HINT


async def test_slacks_response_metadata_messages_reach_the_caller() -> None:
    """Slack explains some refusals in response_metadata.messages ("[ERROR] ..."): the
    caller and the model see it (they were told "Slack gave no more detail")."""
    explanation = "[ERROR] crop_w must be at least 512"
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        emulator.faults.inject(
            Fault.json(
                {
                    "ok": False,
                    "error": "invalid_arguments",
                    "response_metadata": {"messages": [explanation]},
                }
            )
        )
        async with UsersSetPhoto(TOKEN, base_url=emulator.base_url, environ={}) as tool:
            result = await tool.run({"image": make_image()})
    assert result["error"] == "invalid_arguments"
    assert "no more detail" not in result["message"]
    assert explanation in result["message"]
    assert result["slack_messages"] == [explanation]


# --- the emulator's answers ------------------------------------------------------------


async def _set_photo(
    base_url: str,
    *,
    token: str = TOKEN,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    data: dict[str, str] | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            f"{base_url}/users.setPhoto",
            headers={"Authorization": f"Bearer {token}", **(headers or {})},
            content=content,
            data=data,
            files=files,
        )


async def test_emulator_body_without_content_type_is_missing_post_type() -> None:
    """Slack: missing_post_type, "called via a POST request and included a data payload,
    but the request did not include a Content-Type header" (not invalid_post_type, for a
    content type that was given but is not valid)."""
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        reply = await _set_photo(emulator.base_url, content=b"crop_x=1")
    assert reply.json() == {"ok": False, "error": "missing_post_type"}


async def test_emulator_refuses_an_invalid_charset() -> None:
    """Slack: invalid_charset, "the charset specified in the Content-Type header was
    invalid. Valid charset names are: utf-8 iso-8859-1"."""
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        reply = await _set_photo(
            emulator.base_url,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=koi8-r"},
            content=b"crop_x=1",
        )
    assert reply.json() == {"ok": False, "error": "invalid_charset"}


async def test_emulator_refuses_a_php_style_array_argument() -> None:
    """Slack: invalid_array_arg, "passed a PHP-style array argument (e.g. with a name like
    foo[7]). These are never valid": nothing is set."""
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        reply = await _set_photo(
            emulator.base_url,
            data={"crop_x[7]": "1"},
            files={"image": ("me.png", make_image(), "image/png")},
        )
    assert reply.json() == {"ok": False, "error": "invalid_array_arg"}


@pytest.mark.parametrize("name", ["crop-x", "a" * 300])
async def test_emulator_refuses_an_indecent_argument_name(name: str) -> None:
    """Slack: invalid_arg_name, "very long names and names with non-alphanumeric characters
    other than _": nothing is set."""
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        reply = await _set_photo(
            emulator.base_url,
            data={name: "1"},
            files={"image": ("me.png", make_image(), "image/png")},
        )
    assert reply.json() == {"ok": False, "error": "invalid_arg_name"}


async def test_emulator_rate_limit_is_per_app_and_workspace_not_per_token() -> None:
    """Slack applies Tier 2 "on a per API method per workspace/team per app basis"
    (SLACK.md: "about 20 calls a minute per workspace and app"): N people of one app in
    one workspace share one budget, not N times it."""
    async with (
        run_emulator(EmulatorConfig(rate_limit_per_minute=2)) as emulator,
        httpx.AsyncClient(timeout=10) as client,
    ):
        for token in ("xoxp-person-one", "xoxp-person-one", "xoxp-person-two"):
            last = await client.post(
                f"{emulator.base_url}/users.deletePhoto",
                headers={"Authorization": f"Bearer {token}"},
            )
    assert last.status_code == 429


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("xapp-1-A0123456789-1234567890123-" + "ab" * 32, "app-level token (xapp-)"),
        ("xoxe-1-" + "cd" * 40, "refresh token (xoxe-)"),
    ],
)
async def test_whoami_says_what_an_app_level_or_refresh_token_is_without_sending_it(
    token: str, kind: str
) -> None:
    """An app-level or refresh token acts for no person: whoami says so and what to use,
    with nothing sent (the emulator, unlike Slack's auth.test, calls an xapp token invalid,
    so the advice would have been to reinstall)."""
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        async with UsersSetPhoto(token, base_url=emulator.base_url, environ={}) as tool:
            with pytest.raises(TokenNotUsable, match=r"auth\.test was not called") as refused:
                await tool.whoami()
        assert emulator.requests.all() == []
    assert kind in str(refused.value)
    assert "user token" in str(refused.value)
    assert token not in str(refused.value)


async def test_emulator_names_the_scopes_on_every_method_reply() -> None:
    """Slack sends x-oauth-scopes on every Web API reply to a known token, not on auth.test's
    alone, and x-accepted-oauth-scopes, the method's (Slack's Node SDK reads both into
    response_metadata): on a refusal too, once the token is known."""
    both = "users.profile:read,users.profile:write"
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=1)) as emulator:
        emulator.state.add_token("xoxp-reads-only", scopes="users.profile:read")
        image = {"image": ("me.png", make_image(), "image/png")}
        replies = {
            "set": await _set_photo(emulator.base_url, files=image),
            "limited": await _set_photo(emulator.base_url, files=image),
            "missing_scope": await _set_photo(emulator.base_url, token="xoxp-reads-only"),
        }
        async with httpx.AsyncClient(timeout=10) as client:
            replies["user_not_found"] = await client.get(
                f"{emulator.base_url}/users.profile.get",
                params={"user": "UNOSUCHUSER"},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
        emulator.state.set_rate_limit(None)
        replies["bad_image"] = await _set_photo(
            emulator.base_url, files={"image": ("me.png", b"not an image", "image/png")}
        )
        emulator.state.revoke("xoxp-reads-only")
        unknown = await _set_photo(emulator.base_url, token="xoxp-reads-only")
    outcomes = {name: reply.json().get("error", "ok") for name, reply in replies.items()}
    assert outcomes == {
        "set": "ok",
        "limited": "ratelimited",
        "missing_scope": "missing_scope",
        "user_not_found": "user_not_found",
        "bad_image": "bad_image",
    }
    told = {
        name: (reply.headers.get("x-oauth-scopes"), reply.headers.get("x-accepted-oauth-scopes"))
        for name, reply in replies.items()
    }
    assert told == {
        "set": (both, "users.profile:write"),
        "limited": (both, "users.profile:write"),
        "missing_scope": ("users.profile:read", "users.profile:write"),
        "user_not_found": (both, "users.profile:read"),
        "bad_image": (both, "users.profile:write"),
    }
    # A token no longer known has no scopes to name.
    assert unknown.json()["error"] == "token_revoked"
    assert "x-oauth-scopes" not in unknown.headers
