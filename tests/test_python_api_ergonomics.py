"""A Python developer embedding the package, by the README's word: a caller's client over
call_sync's loops, a host's own PhotoKeeper, a host's own token source, listing the
package without ocp-agent, code with no asyncio loop, and the typing of every door.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

import ocp_users_photo
from ocp_users_photo import ActingPerson, UsersPhotoError, UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, EmulatorThread, RunningEmulator
from ocp_users_photo.undo import PhotoHistory, PhotoKeeper
from tests.programs import mypy_strict_on

TOKEN = "xoxp-ergonomics-review-0001"


def picture(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 600), color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_call_sync_with_a_callers_client_never_lets_a_stray_runtime_error_out() -> None:
    # README: "tool.call_sync(arguments) is call for code without an event loop", and a
    # call ends "a success or a typed error, never ... a stray exception". With client=,
    # every second call_sync reuses a keep-alive connection of the previous (closed) loop:
    # the photo IS set, then builtins.RuntimeError('Event loop is closed') escapes.
    with EmulatorThread(EmulatorConfig(rate_limit_per_minute=None)) as emulator:
        client = httpx.AsyncClient()
        tool = UsersSetPhoto(TOKEN, base_url=emulator.base_url, client=client, environ={})
        escaped: list[str] = []
        for number in range(4):
            try:
                tool.call_sync({"image": picture((number * 50, 1, 2))})
            except UsersPhotoError:
                pass  # a typed refusal (say, "give no client= to call_sync") is fine
            except Exception as error:
                escaped.append(f"call {number}: {type(error).__module__}.{error!r}")
    assert escaped == []


async def test_run_with_the_readmes_keeper_observer_on_the_tools_history_ends(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # README (Undo): "PhotoKeeper is the CallObserver that does the keeping, for a host that
    # assembles observers itself: UsersSetPhoto(observers=[PhotoKeeper(history)])". Given
    # the same history as photo_history (so that tool.undo() finds what it keeps), run()
    # must not add the door's own keeper: both would wait for the same person's turn in
    # one task, and run() would never end (undo() and restore() likewise).
    history = PhotoHistory(tmp_path / "history.sqlite3")
    async with UsersSetPhoto(
        TOKEN,
        base_url=emulator.base_url,
        photo_history=history,
        observers=[PhotoKeeper(history)],
        environ={},
    ) as tool:
        await tool.call({"image": picture((1, 2, 3))})  # the Python door: one keeper, fine
        try:
            result = await asyncio.wait_for(tool.run({"image": picture((4, 5, 6))}), 20)
        except TimeoutError:
            pytest.fail("run() was still waiting for the person's turn after 20 s")
    await history.aclose()
    assert result["ok"] is True


async def test_readmes_keeper_observer_keeps_where_tool_undo_looks(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # The README's form exactly (no photo_history=): the photos are kept in `history`, and
    # tool.history() and tool.undo() must read it (they read the default file, and undo
    # said NothingToUndo).
    history = PhotoHistory(tmp_path / "kept.sqlite3")
    async with UsersSetPhoto(
        TOKEN,
        base_url=emulator.base_url,
        observers=[PhotoKeeper(history)],
        environ={"OCP_USERS_PHOTO_HISTORY": str(tmp_path / "default.sqlite3")},
    ) as tool:
        await tool.call({"image": picture((1, 2, 3))})
        await tool.call({"image": picture((7, 8, 9))})
        listed = await tool.history()
    await history.aclose()
    assert len(listed) == 2


class TextTokenSource:
    """A host's own source written from the README ("description, async token_for(person),
    async renew(person, expired)"), which never says what token_for returns."""

    description = "vault"

    async def token_for(self, person: ActingPerson | None) -> str:
        return TOKEN

    async def renew(self, person: ActingPerson | None, expired: object) -> None:
        return None


def test_the_type_a_token_source_returns_is_public_beside_token_source() -> None:
    # TokenSource is exported and documented as a port; what its token_for must return
    # (SlackToken) lives in ocp_users_photo.credentials, a module with no __all__ that the
    # README never names. A source returning text makes call(), run() and whoami() raise
    # AttributeError: 'str' object has no attribute 'kind'.
    assert "SlackToken" in ocp_users_photo.__all__


async def test_a_token_source_giving_text_is_taken_and_one_giving_no_token_refused(
    emulator: RunningEmulator,
) -> None:
    # A host's source giving the token as text made call(), run() and whoami() raise
    # AttributeError ('str' object has no attribute 'kind'); it is checked as any token is.
    async with UsersSetPhoto(TextTokenSource(), base_url=emulator.base_url) as tool:
        assert (await tool.run({"image": picture((1, 2, 3))}))["ok"] is True
        assert (await tool.whoami()).user_id

    class NumberSource(TextTokenSource):
        async def token_for(self, person: ActingPerson | None) -> str:
            return 12345  # type: ignore[return-value]

    async with UsersSetPhoto(NumberSource(), base_url=emulator.base_url) as tool:
        result = await tool.run({"image": picture((1, 2, 3))})
    assert result["ok"] is False
    assert result["error"] == "token_not_usable"
    assert (
        "the token from vault must be text, not int: give the user token as a string (xoxp-...)"
        in result["message"]
    )
    assert len(emulator.requests.for_path("/api/users.setPhoto")) == 1  # the first call's


def test_star_import_and_help_work_without_ocp_agent() -> None:
    # ocp-agent is not on the package index, so most installs lack it; yet OCPAgent is in
    # __all__, so `from ocp_users_photo import *`, help(ocp_users_photo) (pydoc) and
    # inspect.getmembers (IDEs, Jupyter's completion, Sphinx) raise ImportError.
    program = textwrap.dedent(
        """
        import sys
        sys.modules["ocp_agent"] = None  # as on an install without it
        import inspect, pydoc
        import ocp_users_photo
        failures = []
        for name, attempt in [
            ("star import", lambda: exec("from ocp_users_photo import *", {})),
            ("pydoc", lambda: pydoc.render_doc(ocp_users_photo)),
            ("getmembers", lambda: inspect.getmembers(ocp_users_photo)),
        ]:
            try:
                attempt()
            except ImportError as error:
                failures.append(name)
        print(",".join(failures))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == ""


def test_a_call_with_no_asyncio_loop_says_it_needs_one() -> None:
    # Under trio (anyio.run(..., backend="trio")) or any runner that is not asyncio, the
    # checks pass and then asyncio.timeout raised a bare "no running event loop". Driven by
    # hand here, as such a runner drives it: nothing but the coroutine protocol.
    tool = UsersSetPhoto(TOKEN, base_url="http://127.0.0.1:9/api", environ={})
    running = tool.call({"image": picture((1, 2, 3))})
    with pytest.raises(RuntimeError, match="runs on asyncio") as refused:
        running.send(None)
    assert "trio has none" in str(refused.value)
    running.close()


@pytest.mark.runs_long
def test_mypy_strict_catches_a_misspelt_option_at_every_python_door(tmp_path: Path) -> None:
    # UsersSetPhoto(keep_previus=True) is a mypy error; OCPAgent(...) and register(...) take
    # the same options typed as ToolOptions, so the same typo is one there too (it passed as
    # **tool_options: Any, to fail only at run time).
    done = mypy_strict_on(
        tmp_path,
        "from ocp_users_photo import OCPAgent, UsersSetPhoto, register\n"
        "UsersSetPhoto(keep_previus=True)\n"
        "OCPAgent(keep_previus=True)\n"
        "register(None, keep_previus=True)\n",
    )
    flagged = {int(line.split(":")[1]) for line in done.stdout.splitlines() if ": error:" in line}
    assert flagged == {2, 3, 4}, done.stdout


def test_tool_options_are_exactly_the_tools_arguments() -> None:
    """register(**options) and OCPAgent(**options) are typed by ToolOptions: it must name
    each argument of UsersSetPhoto, no more, or a typo passes (or a real option fails)."""
    import inspect

    from ocp_users_photo.tool_options import ToolOptions

    arguments = set(inspect.signature(UsersSetPhoto.__init__).parameters) - {"self"}
    assert set(ToolOptions.__annotations__) == arguments


def test_a_hosts_keeper_and_photo_history_must_name_one_file(tmp_path: Path) -> None:
    kept_in = PhotoHistory(tmp_path / "kept.sqlite3")
    with pytest.raises(ValueError, match="is not the history the PhotoKeeper in observers"):
        UsersSetPhoto(
            TOKEN, photo_history=tmp_path / "other.sqlite3", observers=[PhotoKeeper(kept_in)]
        )
    same = UsersSetPhoto(
        TOKEN, photo_history=tmp_path / "kept.sqlite3", observers=[PhotoKeeper(kept_in)]
    )
    assert same.photo_history is kept_in
    with pytest.raises(ValueError, match="more than one PhotoKeeper"):
        UsersSetPhoto(TOKEN, observers=[PhotoKeeper(kept_in), PhotoKeeper(kept_in)])


@pytest.mark.parametrize(
    ("settle_seconds", "said"),
    [(-(10**5000), "got a 16610-bit integer"), (10**400, "got a 1329-bit integer"), (True, "True")],
    ids=["-10**5000", "10**400", "True"],
)
def test_a_keepers_settle_seconds_past_any_number_are_refused_naming_it(
    tmp_path: Path, settle_seconds: int, said: str
) -> None:
    """finite_seconds is every setting's check but this one's: -(10**5000) raised Python's
    own int-to-text error, which names no setting, and 10**400 and True were taken."""
    history = PhotoHistory(tmp_path / "kept.sqlite3")
    with pytest.raises(
        ValueError, match="settle_seconds must be a number of seconds 0 or more"
    ) as refused:
        PhotoKeeper(history, settle_seconds=settle_seconds)
    assert said in str(refused.value)


@pytest.mark.parametrize("setting", ["timeout", "max_retries"])
def test_a_setting_of_a_numpy_integer_is_said_with_its_article(setting: str) -> None:
    """A config read through NumPy gives np.int64: the refusal said "got a int64"."""
    options: dict[str, Any] = {setting: np.int64(2)}  # not an int, on purpose
    with pytest.raises(ValueError, match=f"{setting} must be .*, got an int64") as refused:
        UsersSetPhoto(TOKEN, environ={}, **options)
    assert "a int64" not in str(refused.value)


@pytest.mark.parametrize(
    ("max_retries", "said"),
    [
        (-(2**85), "got an 86-bit integer"),
        (-(2**10999), "got an 11000-bit integer"),
        (-(2**100), "got a 101-bit integer"),
    ],
    ids=["eighty-six", "eleven thousand", "a hundred and one"],
)
def test_a_large_integer_is_said_with_its_article(max_retries: int, said: str) -> None:
    """Eighty-six, eleven thousand: the refusal said "got a 86-bit integer"."""
    with pytest.raises(ValueError, match="max_retries must be a whole number") as refused:
        UsersSetPhoto(TOKEN, environ={}, max_retries=max_retries)
    assert str(refused.value).endswith(said), str(refused.value)
