"""DEFAULTS.md, door by door, where a cell did not hold when the door was driven (fixed).

Each test drives a door against the emulator (the Python API, the model doors, the
command line in-process or as a subprocess, the MCP server with the real ``mcp`` client)
and states what the project's defaults for every door say should happen.
"""

from __future__ import annotations

import asyncio
import base64
import os
import pwd
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.cli import main as cli_main
from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.conftest import CANARY_TOKEN, make_image, shown_avatar_hash
from tests.programs import environment_without_slack

# --------------------------------------------------------------------------------------
# A process whose home folder cannot be determined: HOME unset and no passwd entry for
# its uid (a container run with an arbitrary --user, an OpenShift pod, a service started
# with a scrubbed environment). Python's Path.home() then raises RuntimeError.
# --------------------------------------------------------------------------------------

_HOMELESS_PRELUDE = (
    "import os, pwd, sys, runpy\n"
    "os.environ.pop('HOME', None)  # the mcp client passes its own HOME on\n"
    "def _no_entry(uid):\n"
    "    raise KeyError(uid)\n"
    "pwd.getpwuid = _no_entry\n"
)


def homeless(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as one with no HOME and no passwd entry for its uid."""

    def no_entry(uid: int) -> Any:
        raise KeyError(uid)

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    with pytest.raises(RuntimeError):
        Path.home()


def python_call_sets(slack_emulator: RunningEmulator, picture: Path) -> bool:
    """Whether the Python door's ``call`` of ``picture`` (an absolute path) sets the photo."""

    async def set_it() -> dict[str, Any]:
        async with UsersSetPhoto(
            CANARY_TOKEN, base_url=slack_emulator.base_url, environ={}
        ) as tool:
            return await tool.call({"image": str(picture)})

    return asyncio.run(set_it())["ok"] is True


def test_python_call_reads_anywhere_even_without_a_home_folder(
    slack_emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python door: "anywhere, unless image_roots is given", keeping off. Nothing about
    the home folder is needed, yet UsersSetPhoto() raises RuntimeError when it is made
    (settings.door_image_roots computes the model doors' root in the constructor)."""
    picture = tmp_path / "me.png"
    picture.write_bytes(make_image((600, 600)))
    homeless(monkeypatch)
    assert python_call_sets(slack_emulator, picture)


@pytest.mark.parametrize(
    "keeping",
    [["--no-keep-previous"], []],
    ids=["no-keep-previous", "default-keeping"],
)
def test_cli_set_without_a_home_folder_is_no_traceback(
    slack_emulator: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    keeping: list[str],
) -> None:
    """CLI door: "anywhere"; keeping on. Without a home folder, `set` dies with a
    RuntimeError traceback (exit 1): with --no-keep-previous from the model doors' root
    computed in UsersSetPhoto(); with keeping on, also from the history's default place
    (platformdirs). Expected: the photo is set (exit 0), or, when the history has no
    place, exit 2 naming --history, as for any unusable history."""
    picture = tmp_path / "me.png"
    picture.write_bytes(make_image((600, 600)))
    monkeypatch.setenv("SLACK_API_URL", slack_emulator.base_url)
    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("OCP_USERS_PHOTO_HISTORY", raising=False)
    monkeypatch.chdir(tmp_path)
    homeless(monkeypatch)

    code = cli_main(["set", str(picture), *keeping])

    err = capsys.readouterr().err
    assert code in (0, 2), err
    if code == 2:
        assert "--history" in err


def test_mcp_server_starts_without_a_home_folder(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """MCP door: the server, started by a host with a scrubbed environment and no passwd
    entry, dies at start (RuntimeError from Path.home()) instead of serving; bytes and
    base64 images at least must work (DEFAULTS: "bytes and base64 still work")."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    prelude = _HOMELESS_PRELUDE + (
        "sys.argv = ['ocp-users-photo-mcp', '--no-keep-previous']\n"
        "runpy.run_module('ocp_users_photo.mcp_server', run_name='__main__')\n"
    )
    env = environment_without_slack(
        {"SLACK_API_URL": slack_emulator.base_url, "SLACK_USER_TOKEN": CANARY_TOKEN}
    )
    env.pop("HOME", None)
    image = base64.b64encode(make_image((600, 600))).decode()
    stderr_path = tmp_path / "server-stderr.txt"

    async def drive() -> Any:
        parameters = StdioServerParameters(
            command=sys.executable, args=["-c", prelude], env=env, cwd=str(tmp_path)
        )
        with stderr_path.open("w") as errlog:
            async with (
                stdio_client(parameters, errlog=errlog) as (read, write),
                ClientSession(read, write) as session,
            ):
                await asyncio.wait_for(session.initialize(), 20)
                return await asyncio.wait_for(
                    session.call_tool("usersSetPhoto", {"image": image}), 30
                )

    try:
        result = asyncio.run(drive())
    except BaseException as error:  # the server died: show why
        pytest.fail(f"MCP server did not serve: {error!r}\n{stderr_path.read_text()[-600:]}")
    assert not getattr(result, "is_error", getattr(result, "isError", False)), result


@pytest.fixture
def vanished_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process's working directory was removed (a deploy replaced it, a temp folder
    was cleaned): os.getcwd() raises FileNotFoundError."""
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    with pytest.raises(FileNotFoundError):
        os.getcwd()


@pytest.mark.usefixtures("vanished_working_directory")
def test_python_call_of_an_absolute_path_needs_no_working_directory(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Python door: "anywhere". UsersSetPhoto() raises a bare FileNotFoundError when made,
    from the model doors' default root (Path.cwd()), though this door never uses it."""
    picture = tmp_path / "me.png"
    picture.write_bytes(make_image((600, 600)))
    assert python_call_sets(slack_emulator, picture)


@pytest.mark.usefixtures("vanished_working_directory")
def test_cli_set_of_an_absolute_path_needs_no_working_directory(
    slack_emulator: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """CLI door: "anywhere". `set /abs/me.png` exits 2 with only
    "[Errno 2] No such file or directory", naming nothing, and nothing is sent."""
    picture = tmp_path / "me.png"
    picture.write_bytes(make_image((600, 600)))
    monkeypatch.setenv("SLACK_API_URL", slack_emulator.base_url)
    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)

    code = cli_main(["set", str(picture), "--no-keep-previous"])

    assert code == 0, capsys.readouterr().err


# --------------------------------------------------------------------------------------
# Proxies x keeping. DEFAULTS: Slack API calls use the environment's https proxy; image
# fetches never use a proxy, "documented: a host that can only reach the web through a
# proxy cannot use URL images". The original a change replaces (Slack's own avatar URL)
# is such an image fetch, so on that host every change at a model door and every CLI
# `set` with users.profile:read is refused: not documented, and the refusal says
# "Try again later" / "check the URL's host", which never helps there.
# --------------------------------------------------------------------------------------

SLACK_EDGE_PROFILE = {
    "ok": True,
    "profile": {
        "avatar_hash": "4f1c2a9b7d3e",
        "is_custom_image": True,
        "image_original": (
            "https://avatars.slack-edge.com/2026-11-30/8123456789012_4f1c2a9b7d3e_original.png"
        ),
        "image_192": "https://avatars.slack-edge.com/2026-11-30/8123456789012_4f1c2a9b7d3e_192.png",
    },
}


class ConnectRecorder:
    """A proxy that records the first line of each request (CONNECT host:port) and answers 502."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    first = connection.recv(4096).split(b"\r\n", 1)[0]
                    self.lines.append(first.decode("latin-1"))
                    connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._socket.close()


@pytest.fixture
def proxy() -> Iterator[ConnectRecorder]:
    recorder = ConnectRecorder()
    yield recorder
    recorder.close()


@pytest.fixture
def names_only_through_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """No direct DNS for outside names, as on a host that reaches the web only through its
    proxy (and so no test ever reaches the internet)."""

    async def no_direct_dns(host: str, port: int) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr("ocp_users_photo.web_image.fetch.system_resolver", no_direct_dns)


def _refusal_explains_the_proxy(message: str, proxy: ConnectRecorder) -> None:
    used = any("avatars.slack-edge.com" in line for line in proxy.lines)
    assert used or "proxy" in message.lower(), (
        "behind an https proxy the replaced photo's original was fetched directly and the "
        f"change refused without saying why; the proxy saw {proxy.lines!r}; message: {message}"
    )


@pytest.mark.usefixtures("names_only_through_the_proxy")
def test_model_door_behind_an_https_proxy_is_told_why_it_cannot_keep(
    slack_emulator: RunningEmulator, tmp_path: Path, proxy: ConnectRecorder
) -> None:
    picture = tmp_path / "me.png"
    picture.write_bytes(make_image((600, 600)))
    slack_emulator.faults.inject(Fault.json(SLACK_EDGE_PROFILE), path="users.profile.get")
    before = shown_avatar_hash(slack_emulator)

    async def run_it() -> dict[str, Any]:
        async with UsersSetPhoto(
            CANARY_TOKEN,
            base_url=slack_emulator.base_url,
            environ={"HTTPS_PROXY": proxy.url, "ALL_PROXY": proxy.url},
            image_roots=[tmp_path],
            photo_history=tmp_path / "history.sqlite3",
        ) as tool:
            return await tool.run({"image": "me.png"})

    result = asyncio.run(run_it())
    assert result["ok"] is False
    assert result["error"] == "previous_photo_not_kept"
    assert shown_avatar_hash(slack_emulator) == before
    _refusal_explains_the_proxy(result["message"], proxy)


@pytest.mark.usefixtures("names_only_through_the_proxy")
def test_cli_set_behind_an_https_proxy_is_told_why_it_cannot_keep(
    slack_emulator: RunningEmulator,
    tmp_path: Path,
    proxy: ConnectRecorder,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    picture = tmp_path / "me.png"
    picture.write_bytes(make_image((600, 600)))
    slack_emulator.faults.inject(Fault.json(SLACK_EDGE_PROFILE), path="users.profile.get")
    monkeypatch.setenv("SLACK_API_URL", slack_emulator.base_url)
    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("ALL_PROXY", proxy.url)

    code = cli_main(["set", str(picture), "--history", str(tmp_path / "history.sqlite3")])

    err = capsys.readouterr().err
    if code == 0:  # set, with a warning that it was not kept, is what DEFAULTS' CLI cell allows
        assert "not kept" in err
        return
    assert code == 2, err
    _refusal_explains_the_proxy(err, proxy)


# --------------------------------------------------------------------------------------
# Images from URLs, as the model is told. README: "With UsersSetPhoto(url_hosts=[...])
# (the CLI's and MCP server's --allow-url-host, register(agent, url_hosts=[...])) ... the
# input schema a model sees says which hosts." Every framework export and the MCP tool
# say it; the ocp-agent door's tool (get_tool / list_tools, what an agent hands its
# model) does not, so a model there is never told URLs are allowed.
# --------------------------------------------------------------------------------------


def test_agent_door_tells_the_model_which_url_hosts_are_allowed(
    tmp_path: Path, ocp_agent_library: Any
) -> None:
    ocp_agent = ocp_agent_library
    from ocp_users_photo import register

    agent = ocp_agent.OCPAgent(enable_cache=False)
    register(
        agent,
        token=CANARY_TOKEN,
        base_url="http://127.0.0.1:9/api",
        environ={},
        image_roots=[tmp_path],
        url_hosts=["images.example.com"],
    )
    agent.register_api("slack")
    offered = agent.get_tool("usersSetPhoto")
    told = f"{offered.description} {offered.parameters}"
    assert "images.example.com" in told
