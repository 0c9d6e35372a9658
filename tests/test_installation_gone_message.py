"""A token from a person's installation that Slack refuses as revoked or not valid: the
model is told that this person installs the app again, with the page. It was told the
single-token host's remedy first ("create a new user token (xoxp-...) and set it"), under
the name of a method it never called ("Slack refused auth.test")."""

from __future__ import annotations

import pytest

from ocp_users_photo.errors import SlackApiError
from ocp_users_photo.hints import hint_for
from ocp_users_photo.model_result import error_result

PAGE = "https://example.com/slack/install"


def _refusal(code: str, method: str = "auth.test") -> SlackApiError:
    return SlackApiError(
        code,
        hint=hint_for(code, method),
        reply={"ok": False, "error": code},
        method=method,
    )


@pytest.mark.parametrize("code", ["token_revoked", "invalid_auth"])
@pytest.mark.parametrize("method", ["auth.test", "users.setPhoto"])
def test_an_installations_refused_token_leads_with_installing_again(code: str, method: str) -> None:
    result = error_result(_refusal(code, method), install_url=PAGE)
    assert result["message"] == (
        f"Slack refused the token of this person's installation of the app ({method}: "
        f"{code}), so nothing was changed: they install the app again, then ask again. "
        f"The app's install page: {PAGE}"
    )
    assert result["install_url"] == PAGE
    assert result["error"] == code
    assert "create a new user token" not in result["message"]


def test_a_host_with_one_token_keeps_its_own_advice() -> None:
    # No install page: no installation either; the token is the host's to replace.
    result = error_result(_refusal("token_revoked"))
    assert "create a new user token (xoxp-...) and set it" in result["message"]
    assert "install_url" not in result


def test_a_missing_scope_keeps_its_advice_with_the_page() -> None:
    result = error_result(_refusal("missing_scope", "users.setPhoto"), install_url=PAGE)
    assert "add users.profile:write to the app's user token scopes" in result["message"]
    assert result["message"].endswith(f"The app's install page: {PAGE}")
