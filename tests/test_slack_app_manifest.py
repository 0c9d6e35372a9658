"""The shipped Slack app manifest asks for exactly the user scopes the tool needs."""

from __future__ import annotations

import json
from pathlib import Path

from ocp_users_photo.whoami import READ_SCOPE, WRITE_SCOPE

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "slack-app-manifest.json"


def test_the_manifest_asks_for_the_two_user_scopes_and_nothing_else() -> None:
    manifest = json.loads(MANIFEST.read_text())
    assert manifest["_metadata"] == {"major_version": 1, "minor_version": 1}
    assert manifest["oauth_config"]["scopes"] == {"user": [WRITE_SCOPE, READ_SCOPE]}
    assert "bot_user" not in manifest.get("features", {})
    # A token that never expires: the single-person path has nobody to refresh it.
    assert manifest["settings"]["token_rotation_enabled"] is False
    # Slack's limits on the app's name and short description.
    assert 0 < len(manifest["display_information"]["name"]) <= 35
    assert 0 < len(manifest["display_information"]["description"]) <= 140


def test_the_readme_walks_through_it() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## From zero to your photo in Slack", 1)[1].split("\n## ", 1)[0]
    for step in (
        "slack-app-manifest.json",
        "**Create New App**",
        "**From an app manifest**",
        "**Install to Workspace**",
        "**User OAuth Token**",
        "read -rs SLACK_USER_TOKEN",
        "ocp-users-photo whoami",
        "ocp-users-photo set me.png",
    ):
        assert step in section, step
    packaged = (ROOT / "pyproject.toml").read_text()
    assert '"slack-app-manifest.json"' in packaged
