"""What a newcomer reading README.md and docs/ meets that the code does otherwise.

Each test is one documented promise, run as the documentation says to run it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, run_emulator
from ocp_users_photo.exit_codes import ExitCode
from ocp_users_photo.photo_reply import check_photo_reply
from tests.conftest import success_reply
from tests.installation_helpers import portrait
from tests.programs import environment_without_slack, mypy_strict_on, run_cli
from tests.test_bolt_photo_app import SIGNING_SECRET, emulator_config  # noqa: F401

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
def test_emulator_port_out_of_range_is_a_one_line_status_2(port: str) -> None:
    """docs/emulator.md: "A bad flag or tokens file, or a port in use, ends the command
    with status 2 and a one-line message". --port 99999 ends in an OverflowError
    traceback from socket.bind, status 1."""
    done = run_cli("emulator", "--port", port, timeout=30)
    assert "Traceback" not in done.stderr, done.stderr[-600:]
    assert done.returncode == ExitCode.INVALID
    # argparse's usage, as for every bad flag, then the one line that says what is wrong.
    assert done.stderr.strip().splitlines()[-1].endswith("is not a port: give 0 to 65535")


async def test_the_docs_rate_limit_is_counted_as_the_emulator_counts_it() -> None:
    """docs/emulator.md's flag table: `--rate-limit N` is "calls a minute per token and
    method". The emulator (and its --help, and the README) count per app: a second
    token gets 429 once the first has used the app's calls."""
    async with run_emulator(EmulatorConfig(rate_limit_per_minute=2)) as emulator:
        statuses = []
        async with httpx.AsyncClient() as client:
            for who in ("alice", "alice", "bob0"):
                answer = await client.post(
                    f"{emulator.base_url}/users.setPhoto",
                    headers={"Authorization": f"Bearer xoxp-1-2-{who}{who}{who}{who}"},
                    files={"image": ("me.png", portrait((1, 2, 3)), "image/png")},
                )
                statuses.append(answer.status_code)
    per_token = statuses == [200, 200, 200]
    [row] = [
        line
        for line in (DOCS / "emulator.md").read_text().splitlines()
        if line.startswith("| `--rate-limit N`")
    ]
    assert ("per token" in row) == per_token, (row, statuses)


def test_a_missing_extra_names_the_missing_package_not_the_packages_own_module() -> None:
    """`pip install .` (no [emulator]) then `ocp-users-photo demo`: "this command needs
    ocp_users_photo.demo, which is not installed" - the package's own module is there;
    Starlette is what is missing (the mcp command names its package: "needs the mcp
    package")."""
    program = (
        "import sys; sys.modules['starlette'] = None\n"
        "from ocp_users_photo.cli import main\n"
        "sys.argv = ['ocp-users-photo', 'demo']\n"
        "sys.exit(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env=environment_without_slack(),
        timeout=60,
        check=False,
    )
    assert done.returncode == ExitCode.INVALID
    assert "[emulator]" in done.stderr
    assert "ocp_users_photo.demo, which is not installed" not in done.stderr, done.stderr


def test_the_emulator_banner_names_a_base_url_the_tool_takes() -> None:
    """`ocp-users-photo emulator --host 0.0.0.0` (or --host '', which binds every
    interface too) says "set SLACK_API_URL=http://0.0.0.0:PORT/api", which every command
    then refuses ("plain http to 0.0.0.0").
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "ocp_users_photo.cli", "emulator", "--host", "0.0.0.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment_without_slack(),
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()
        ready = process.stdout.readline()
    finally:
        process.terminate()
        process.communicate(timeout=20)
    suggested = ready.split("set SLACK_API_URL=", 1)[1].split(". Ctrl-C", 1)[0]
    UsersSetPhoto("xoxp-1-2-abcdefabcdef", base_url=suggested)  # refused: ValueError


def _documented_install_program() -> str:
    """docs/emulator.md's "Into an installation store" program, as written."""
    text = (DOCS / "emulator.md").read_text(encoding="utf-8")
    start = text.index("```python\n", text.index("**4. Into an installation store.**"))
    return text[start + len("```python\n") : text.index("```", start + 10)]


def test_the_documented_install_program_fills_the_store_the_readme_reads(tmp_path: Path) -> None:
    """README, "Tokens per person": installations.db "fills when people install through the
    emulator's OAuth"; the builder-try helper found no step that did it and wrote its own.
    The program docs/emulator.md now gives, run as written; then README's program, its
    placeholder ids replaced by the emulator's as README says, sets each person's photo
    with that person's own token from the store."""
    from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

    from ocp_users_photo.emulator import start_emulator_in_thread
    from tests.installation_helpers import owner_of, photo_tokens

    work, home = tmp_path / "work", tmp_path / "home"  # neither holds the other
    work.mkdir()
    home.mkdir()
    (work / "install_people.py").write_text(_documented_install_program())
    with start_emulator_in_thread(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        done = _install_program_run(work, emulator.base_url, "UALICE0001", "UBOB00002")
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == [
            "installed UALICE0001 in T0EMULATOR",
            "installed UBOB00002 in T0EMULATOR",
        ]
        store = SQLite3InstallationStore(
            database=str(work / "installations.db"), client_id="1111111111.2222222222"
        )
        for user_id in ("UALICE0001", "UBOB00002"):
            found = store.find_installation(
                enterprise_id=None, team_id="T0EMULATOR", user_id=user_id
            )
            assert found is not None, user_id
            assert found.user_token is not None, user_id
            assert owner_of(emulator, found.user_token) == user_id
            assert "users.profile:write" in (found.user_scopes or [])
        (work / "per_person.py").write_text(_readme_per_person_program())
        (work / "me.png").write_bytes(portrait())
        (work / "them.png").write_bytes(portrait((200, 40, 40)))
        ran = subprocess.run(
            [sys.executable, "per_person.py"],
            cwd=work,
            env=environment_without_slack(
                {
                    "SLACK_API_URL": emulator.base_url,
                    "SLACK_CLIENT_ID": "1111111111.2222222222",
                    "SLACK_CLIENT_SECRET": "emulator-client-secret",
                    "HOME": str(home),  # the photo history's default place
                }
            ),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr
        assert ran.stderr == ""  # no warning: the program left the database its owner's only
        assert ran.stdout.startswith("{'ok': True"), ran.stdout  # the second person's answer
        setters = [owner_of(emulator, token) for token in photo_tokens(emulator)]
        assert setters == ["UALICE0001", "UBOB00002"]


def test_the_documented_install_program_says_what_to_do_instead_of_a_traceback(
    tmp_path: Path,
) -> None:
    """A newcomer's first try names people as they know them (alice) or forgets
    SLACK_API_URL: the program crashed with KeyError: 'location' (the emulator answers a bad
    user id with an error page, no redirect) or KeyError: 'SLACK_API_URL', saying nothing of
    what to do. It now says the emulator's reason, or the variable to set."""
    from ocp_users_photo.emulator import start_emulator_in_thread

    (tmp_path / "install_people.py").write_text(_documented_install_program())
    with start_emulator_in_thread(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        bad_user = _install_program_run(tmp_path, emulator.base_url, "alice")
    no_url = _install_program_run(tmp_path, None)
    assert bad_user.returncode == 1
    assert "Traceback" not in bad_user.stderr, bad_user.stderr
    assert "alice was not installed: invalid_emulator_user:" in bad_user.stderr
    assert "emulator_user must look like a Slack user id" in bad_user.stderr
    assert "<" not in bad_user.stderr  # the page's words, not its HTML
    assert bad_user.stdout == ""
    assert no_url.returncode == 1
    assert "Traceback" not in no_url.stderr, no_url.stderr
    assert "set SLACK_API_URL to the emulator's base URL" in no_url.stderr


def _install_program_run(
    folder: Path, api_url: str | None, *people: str
) -> subprocess.CompletedProcess[str]:
    """docs/emulator.md's install program (written to ``folder``) run for ``people``, with
    SLACK_API_URL set to ``api_url`` (None: left unset, as a newcomer may)."""
    extra = {"SLACK_API_URL": api_url} if api_url is not None else {}
    return subprocess.run(
        [sys.executable, "install_people.py", *people],
        cwd=folder,
        env=environment_without_slack(extra),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _readme_per_person_program() -> str:
    """README's "Tokens per person" program, with the emulator's ids for its placeholders."""
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    at = readme.index('CLIENT_ID = os.environ["SLACK_CLIENT_ID"]')
    start = readme.rindex("```python\n", 0, at) + len("```python\n")
    program = readme[start : readme.index("```", at)]
    for placeholder, emulated in (("T0123", "T0EMULATOR"), ("U0456", "UALICE0001")):
        assert f'"{placeholder}"' in program, placeholder
        program = program.replace(f'"{placeholder}"', f'"{emulated}"')
    return program.replace('"U0789"', '"UBOB00002"')


def test_slacks_warnings_on_a_set_photo_are_cut_where_the_security_section_says() -> None:
    """The README bounds Slack's warnings to 200 characters each, at most 10, on their way
    to a terminal, a log or a model: an ok reply's ``warning`` went to a model at 300."""
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    assert "(`response_metadata.messages`; 200 each, at most 10)" in readme
    body = success_reply()
    body["warning"] = "w" * 1000
    body["response_metadata"] = {"warnings": ["m" * 1000] * 12}
    result = check_photo_reply(body, reply_check="strict")
    assert 0 < len(result["warning"]) <= 200
    warnings = result["response_metadata"]["warnings"]
    assert 0 < len(warnings) <= 10
    assert all(0 < len(text) <= 200 for text in warnings)


def test_each_emulator_program_using_slack_sdk_names_the_extra_that_installs_it() -> None:
    """docs/emulator.md: the Quick start's `.[emulator]` installs no slack_sdk.

    A newcomer who runs the page's slack_sdk programs in that environment met
    ``ModuleNotFoundError: No module named 'slack_sdk'``: the prose leading to each such
    program (from the code block or heading before it) names the `installations` extra.
    """
    text = (DOCS / "emulator.md").read_text(encoding="utf-8")
    unnamed = []
    for start in (i for i in range(len(text)) if text.startswith("```python\n", i)):
        end = text.index("```", start + len("```python\n"))
        if "from slack_sdk" not in text[start:end]:
            continue
        before = text[:start]
        lead = before[max(before.rfind("```"), before.rfind("\n#")) :]
        if "installations" not in lead:
            unnamed.append(text[start:end].splitlines()[1:4])
    assert not unnamed, f"slack_sdk programs with no word of the extra: {unnamed}"


@pytest.mark.runs_long
def test_the_documented_pytest_fixture_test_type_checks_as_written(tmp_path: Path) -> None:
    """docs/emulator.md, "The pytest fixture": the test a user copies beside their own, which
    a project checked with ``mypy --strict`` checks too. Its fixture and test had no
    annotations ("Function is missing a return type annotation", twice), and nothing there
    said that the fixture ``slack_emulator`` gives a ``RunningEmulator``."""
    text = (DOCS / "emulator.md").read_text(encoding="utf-8")
    start = text.index("```python\n", text.index("## The pytest fixture"))
    program = text[start + len("```python\n") : text.index("```", start + 10)]
    assert "def test_whoami(" in program
    checked = mypy_strict_on(tmp_path, program)
    assert checked.returncode == 0, checked.stdout
