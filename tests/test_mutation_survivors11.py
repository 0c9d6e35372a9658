"""Tests that kill mutants of review 11's new code which the session's tests let live.

Each names the mutant it kills; each checks behaviour the product states, at its edge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import TransportError, register
from ocp_users_photo.credentials import check_token_text
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.settings import refuse_relative_roots_opening_everything
from ocp_users_photo.slack.replies import decode_reply
from tests.test_ocp_agent import OPENAPI, home, slack_emulator_config  # noqa: F401
from tests.test_ocpagent11 import TOKEN
from tests.test_reply import reply_of

# --- slack/replies.py: the 4xx branches at their edges --------------------------------


def test_a_400_with_ok_true_is_refused_on_the_way_too() -> None:
    """Mutant: the codeless-4xx branch from 401: a 400 went to the generic non-2xx words,
    which say the change may have acted."""
    with pytest.raises(TransportError) as caught:
        decode_reply(reply_of({"ok": True}, 400), method="users.setPhoto", redact=lambda v: v)
    assert caught.value.reached is False
    assert "HTTP 400" in str(caught.value)
    assert "nothing changed" in str(caught.value)


@pytest.mark.parametrize("status", [400, 499])
def test_a_4xx_page_at_either_end_of_the_range_is_refused_on_the_way(status: int) -> None:
    """Mutant: _no_slack_reply's 4xx test ending at 498: a 499 page said the change might
    have acted."""
    page = b"<html><body>Blocked by the proxy</body></html>"
    with pytest.raises(TransportError) as caught:
        decode_reply(reply_of(page, status), method="users.setPhoto", redact=lambda v: v)
    assert caught.value.reached is False
    assert f"HTTP {status}" in str(caught.value)
    assert "nothing changed" in str(caught.value)


# --- settings.py: a relative root that the working directory makes / ------------------


def test_a_relative_root_that_is_slash_is_refused_with_no_home_folder_known(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Mutant: _opens_everything's own check of a drive's root dropped. / is then refused
    only as a folder holding the home folder: a container's arbitrary user, with no HOME
    and no passwd entry, had '.' in / taken as the whole disk."""
    import pwd

    def no_entry(uid: int) -> Any:
        raise KeyError(uid)

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    monkeypatch.chdir("/")
    with pytest.raises(ValueError, match="is relative"):
        refuse_relative_roots_opening_everything(".")


def test_a_relative_root_that_is_the_folder_holding_the_home_folder_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Mutant: _opens_everything's 'a folder holding it (/home)' dropped: '.' with the
    host in /home would have opened every account's images."""
    import pwd

    def no_entry(uid: int) -> Any:
        raise KeyError(uid)

    home_folder = tmp_path / "home" / "someone"
    home_folder.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home_folder))
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    monkeypatch.chdir(home_folder.parent)
    with pytest.raises(ValueError, match="is relative"):
        refuse_relative_roots_opening_everything(["."])
    monkeypatch.chdir(home_folder)
    with pytest.raises(ValueError, match="is relative"):
        refuse_relative_roots_opening_everything(".")
    (home_folder / "Pictures").mkdir()
    monkeypatch.chdir(home_folder / "Pictures")
    refuse_relative_roots_opening_everything(".")  # below the home folder: taken


# --- undo_command.py and cli_options.py: the numbers at their edges --------------------


def test_undo_entry_takes_sixteen_digits_and_refuses_seventeen() -> None:
    """Mutants: the entry's bound of 16 digits moved either way (the model's entry has the
    same bound)."""
    from ocp_users_photo.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["undo", "--entry", "9" * 16]).entry == int("9" * 16)
    with pytest.raises(SystemExit) as refused:
        parser.parse_args(["undo", "--entry", "1" * 17])
    assert refused.value.code == 2


@pytest.mark.parametrize(
    ("written", "seconds"), [("5.", 5.0), ("25e-1", 2.5), ("1E+1", 10.0), ("1e2", 100.0)]
)
def test_timeout_written_with_a_trailing_point_or_an_exponent_is_taken(
    written: str, seconds: float
) -> None:
    """Mutants: _PLAIN_NUMBER without its '5.' form, or without a signed exponent: numbers
    as Python and most languages write them, in the digits 0-9."""
    from ocp_users_photo.cli import build_parser

    assert build_parser().parse_args(["whoami", "--timeout", written]).timeout == seconds


def test_one_relative_root_given_as_text_or_a_path_is_judged_whole(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Mutant: the single root taken as a sequence: 'my.photos' was judged letter by
    letter, and its '.' (the home folder here) refused a folder below it."""
    home_folder = tmp_path / "someone"
    (home_folder / "my.photos").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home_folder))
    monkeypatch.chdir(home_folder)
    refuse_relative_roots_opening_everything("my.photos")
    refuse_relative_roots_opening_everything(Path("my.photos"))
    with pytest.raises(ValueError, match="is relative"):
        refuse_relative_roots_opening_everything(Path("my.photos/.."))


# --- credentials.py: a token pasted with its quotes ------------------------------------


@pytest.mark.parametrize(
    "pasted",
    ['"xapp-1-A0123-456-abcdef"', "'xapp-1-A0123-456-abcdef'", "'xoxp-1-2-3-abcdef'"],
    ids=["app-token-double", "app-token-single", "user-token-single"],
)
def test_any_slack_token_pasted_with_its_quotes_is_told_to_remove_them(pasted: str) -> None:
    """Mutants: the quote check knowing xox only (an app token is Slack's too, and its
    own refusal follows once the quotes are gone), or stripping double quotes only."""
    token, problems = check_token_text(pasted, origin="SLACK_USER_TOKEN")
    assert token is None
    (problem,) = problems
    assert "quote marks around it: remove them" in problem.message
    assert "abcdef" not in problem.message


# --- agents/route.py: registration headers on tools a cached discovery found ----------


def test_registration_headers_go_to_no_client_for_a_spec_cached_for_another_address(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """Mutant: serve_discovered without its address check: the token given for the tool's
    Slack address was put on a client for whatever address the cached spec named."""
    elsewhere = "http://127.0.0.1:9/api"
    first = ocp_agent_library.OCPAgent()  # enable_cache=True: the spec is cached
    first.register_api("slack", spec_url=str(OPENAPI), base_url=elsewhere)
    agent = ocp_agent_library.OCPAgent()
    register(agent, base_url=slack_emulator.base_url, environ={})
    agent.register_api("slack", headers={"Authorization": f"Bearer {TOKEN}"})
    agent.register_api("slack", spec_url=str(OPENAPI))
    assert agent.context.api_specs["slack"] == "cache"
    for client in agent.api_clients.values():
        assert TOKEN not in str(dict(client.http_client.headers)), client
