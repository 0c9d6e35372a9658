"""Running the emulator: run_emulator, the thread runner, the pytest fixture and the CLI."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import httpx
import pytest

from ocp_users_photo.emulator import (
    EmulatorConfig,
    EmulatorState,
    EmulatorThread,
    RunningEmulator,
    create_app,
    run_emulator,
    start_emulator_in_thread,
)
from ocp_users_photo.sizes import byte_size
from tests.conftest import make_image

pytest_plugins = ["pytester"]

CLI_SCRIPT = (
    "import argparse, sys\n"
    "from ocp_users_photo.emulator import command\n"
    "parser = argparse.ArgumentParser()\n"
    "command.configure_parser(parser)\n"
    "sys.exit(command.run(parser.parse_args(sys.argv[1:])))\n"
)


async def test_run_emulator_serves_and_shuts_down_cleanly() -> None:
    before = {task for task in asyncio.all_tasks() if not task.done()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        async with run_emulator() as emulator:
            assert emulator.host == "127.0.0.1"
            assert emulator.port > 0
            assert emulator.base_url == f"http://127.0.0.1:{emulator.port}/api"
            async with httpx.AsyncClient() as client:
                health = await client.get(emulator.root_url + "/_emulator/health")
                assert health.json() == {"ok": True}
        port = emulator.port
    after = {task for task in asyncio.all_tasks() if not task.done()}
    assert after == before
    # The port is closed: nothing listens there any more.
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_shutdown_does_not_wait_for_idle_keep_alive_connections() -> None:
    async with httpx.AsyncClient() as client:
        async with run_emulator() as emulator:
            await client.get(emulator.root_url + "/_emulator/health")
        # The client still holds its connection open here; the exit above still returned.
        with pytest.raises(httpx.TransportError):
            await client.get(emulator.root_url + "/_emulator/health")


async def test_two_emulators_side_by_side_have_separate_state() -> None:
    async with run_emulator() as first, run_emulator() as second:
        assert first.port != second.port
        async with httpx.AsyncClient() as client:
            await client.get(first.base_url + "/users.profile.get", params={"token": "xoxp-1"})
        assert len(first.requests) == 1
        assert len(second.requests) == 0


async def test_given_state_is_used_and_mismatched_config_refused() -> None:
    state = EmulatorState(EmulatorConfig(team_id="TSTATE0001"))
    async with run_emulator(state=state) as emulator:
        assert emulator.state is state
        assert emulator.config.team_id == "TSTATE0001"
    with pytest.raises(ValueError, match="either a config or a state"):
        async with run_emulator(EmulatorConfig(), state=state):
            pass
    with pytest.raises(ValueError, match="either a config or a state"):
        create_app(EmulatorConfig(), state)


async def test_port_in_use_is_an_error() -> None:
    async with run_emulator() as emulator:
        with pytest.raises(OSError, match="in use"):
            async with run_emulator(port=emulator.port):
                pass


def test_thread_runner_serves_sync_code() -> None:
    threads_before = threading.active_count()
    with start_emulator_in_thread(EmulatorConfig(rate_limit_per_minute=1)) as emulator:
        assert isinstance(emulator, RunningEmulator)
        response = httpx.post(
            emulator.base_url + "/users.deletePhoto",
            headers={"Authorization": "Bearer xoxp-t"},
        )
        assert response.json() == {"ok": True}
        # State is shared with this thread, live.
        emulator.state.revoke("xoxp-t")
        response = httpx.post(
            emulator.base_url + "/users.deletePhoto",
            headers={"Authorization": "Bearer xoxp-t"},
        )
        assert response.json()["error"] == "token_revoked"
        port = emulator.port
    assert threading.active_count() == threads_before
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/_emulator/health")


def test_emulator_thread_start_stop_and_startup_failure() -> None:
    runner = EmulatorThread()
    emulator = runner.start()
    assert httpx.get(emulator.root_url + "/_emulator/health").status_code == 200
    runner.stop()
    blocked = EmulatorThread(port=emulator.port, host="256.0.0.1")
    with pytest.raises(RuntimeError, match="failed to start"):
        blocked.start()


def test_emulator_thread_on_a_port_in_use_says_so_and_what_to_do() -> None:
    """ "the emulator failed to start" alone: the port taken was said only in the traceback
    chained to it, with none of the advice the command line gives."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError) as refused:
            EmulatorThread(port=port).start()
    said = str(refused.value)
    assert said.startswith(f"the emulator failed to start: cannot listen on 127.0.0.1:{port}: ")
    assert "another program (perhaps another emulator) listens there" in said
    assert "give another port, or leave it out for a free one" in said
    assert isinstance(refused.value.__cause__, OSError)


async def test_run_emulator_on_a_port_in_use_says_so_and_what_to_do() -> None:
    """run_emulator raised "[Errno 98] Address already in use" alone: no address, none of
    the advice EmulatorThread gives for the same port (an OSError still, its errno kept)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="Address already in use") as refused:
            async with run_emulator(port=port):
                pass
    assert refused.value.errno == errno.EADDRINUSE
    assert refused.value.__notes__ == [
        f"cannot listen on 127.0.0.1:{port}: another program (perhaps another emulator) "
        "listens there: stop it, or give another port, or leave it out for a free one"
    ]


def test_a_person_with_a_photo_has_a_repr_of_bounded_size(
    slack_emulator: RunningEmulator,
) -> None:
    """A Person's repr held its photo's bytes, every rendition's too, written out as
    escapes: tens of kilobytes for a small PNG (megabytes for a photo) in a failed assert;
    a recorded request held its body so."""
    image = make_image(size=(600, 600))
    answer = httpx.post(
        slack_emulator.base_url + "/users.setPhoto",
        data={"token": "xoxp-fixture"},
        files={"image": ("me.png", image, "image/png")},
    )
    assert answer.json()["ok"] is True
    person = slack_emulator.state.person_for_token("xoxp-fixture")
    assert person.photo is not None
    shown = repr(person)
    assert len(shown) < 2000, shown[:300]
    assert f"EncodedImage(data=<{byte_size(len(image))}>" in shown
    recorded = repr(slack_emulator.requests.last())
    assert len(recorded) < 2000, recorded[:300]
    assert f"body_size={slack_emulator.requests.last().body_size}" in recorded


@pytest.mark.parametrize(
    ("lifetime", "digits"),
    # 5000 digits: past what int() reads (told "is not a whole number"); "1_000..." was
    # counted with its underscores.
    [("9" * 400, 400), ("9" * 5000, 5000), ("1_000_000" + "0" * 320, 327)],
)
def test_cli_refuses_a_token_lifetime_past_counting_without_naming_a_field(
    lifetime: str, digits: int
) -> None:
    """A lifetime of 400 digits was refused as "OAuthApp.access_token_seconds must be a
    finite number": a name the command line has not, of a number that is finite."""
    result = subprocess.run(
        [sys.executable, "-c", CLI_SCRIPT, "--token-lifetime", lifetime],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "OAuthApp" not in result.stderr
    assert f"argument --token-lifetime: a number of {digits} digits is more seconds" in (
        result.stderr
    )
    assert "give one such as 43200 (12 hours, the default)" in result.stderr
    assert "9" * 30 not in result.stderr
    assert "0" * 30 not in result.stderr


def test_slack_emulator_fixture(slack_emulator: RunningEmulator) -> None:
    response = httpx.get(
        slack_emulator.base_url + "/users.profile.get", params={"token": "xoxp-fixture"}
    )
    assert response.json()["ok"] is True
    assert slack_emulator.requests.last().path == "/api/users.profile.get"


async def test_slack_emulator_fixture_in_async_test(slack_emulator: RunningEmulator) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            slack_emulator.base_url + "/users.deletePhoto",
            headers={"Authorization": "Bearer xoxp-async-fixture"},
        )
    assert response.json() == {"ok": True}


def test_fixture_config_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        from ocp_users_photo.emulator import EmulatorConfig


        @pytest.fixture
        def slack_emulator_config():
            return EmulatorConfig(rate_limit_per_minute=1)


        def test_limited(slack_emulator):
            url = slack_emulator.base_url + "/users.deletePhoto"
            headers = {"Authorization": "Bearer xoxp-p"}
            assert httpx.post(url, headers=headers).status_code == 200
            assert httpx.post(url, headers=headers).status_code == 429


        def test_fresh_emulator_per_test(slack_emulator):
            assert len(slack_emulator.requests) == 0
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:langsmith_plugin")
    result.assert_outcomes(passed=2)


def start_cli(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-c", CLI_SCRIPT, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first_line = process.stdout.readline().strip()
    return process, first_line


def stop_cli(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return process.returncode, stderr


def test_cli_prints_its_url_serves_and_exits_cleanly_on_sigint() -> None:
    process, base_url = start_cli("--rate-limit", "1", "--max-side", "2000")
    try:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/api")
        url = base_url + "/users.deletePhoto"
        headers = {"Authorization": "Bearer xoxp-cli"}
        assert httpx.post(url, headers=headers, timeout=10).json() == {"ok": True}
        assert httpx.post(url, headers=headers, timeout=10).status_code == 429
        control = base_url.removesuffix("/api") + "/_emulator/requests"
        assert len(httpx.get(control, timeout=10).json()["requests"]) == 2
    finally:
        returncode, stderr = stop_cli(process)
    assert returncode == 0, stderr
    assert "Traceback" not in stderr


def test_cli_tokens_file_and_no_rate_limit(tmp_path: Path) -> None:
    tokens_file = tmp_path / "tokens.json"
    tokens_file.write_text(
        json.dumps(
            {
                "tokens": [{"token": "team-token", "user_id": "UFILE000001"}],
                "users": [{"user_id": "UFILE000001", "real_name": "File User"}],
                "revoked": ["xoxp-gone"],
            }
        ),
        encoding="utf-8",
    )
    process, base_url = start_cli(
        "--tokens", str(tokens_file), "--only-listed-tokens", "--no-rate-limit"
    )
    try:
        profile_url = base_url + "/users.profile.get"
        listed = httpx.get(profile_url, params={"token": "team-token"}, timeout=10).json()
        assert listed["profile"]["real_name"] == "File User"
        other = httpx.get(profile_url, params={"token": "xoxp-random"}, timeout=10).json()
        assert other["error"] == "invalid_auth"
        gone = httpx.get(profile_url, params={"token": "xoxp-gone"}, timeout=10).json()
        assert gone["error"] == "token_revoked"
        for _ in range(25):
            response = httpx.post(
                base_url + "/users.deletePhoto",
                headers={"Authorization": "Bearer team-token"},
                timeout=10,
            )
            assert response.status_code == 200
    finally:
        returncode, stderr = stop_cli(process)
    assert returncode == 0, stderr


def test_cli_says_how_to_stop_where_the_control_api_is_and_how_to_install() -> None:
    process, base_url = start_cli("--token-rotation", "--token-lifetime", "60")
    try:
        assert process.stdout is not None
        ready, control, oauth = (process.stdout.readline().strip() for _ in range(3))
        root = base_url.removesuffix("/api")
        assert ready == f"Slack emulator ready: set SLACK_API_URL={base_url}. Ctrl-C to stop."
        assert control == f"Control API: {root}/_emulator/ (GET it for the list of endpoints)"
        assert oauth.startswith(f"OAuth: {root}/oauth/v2/authorize approves at once; client_id ")
        assert oauth.endswith("token rotation on")
        endpoints = httpx.get(root + "/_emulator/", timeout=10).json()["endpoints"]
        assert {"method": "GET", "path": "/_emulator/", "summary": endpoints[0]["summary"]} in (
            endpoints
        )

        # The whole OAuth story against the command: install, expire, refresh, call again.
        authorize = httpx.get(
            root + "/oauth/v2/authorize",
            params={
                "client_id": "1111111111.2222222222",
                "user_scope": "users.profile:write",
                "redirect_uri": "http://localhost:9/cb",
            },
            timeout=10,
        )
        code = authorize.headers["location"].split("code=")[1]
        credentials = ("1111111111.2222222222", "emulator-client-secret")
        user = httpx.post(
            base_url + "/oauth.v2.access",
            data={"code": code, "redirect_uri": "http://localhost:9/cb"},
            auth=credentials,
            timeout=10,
        ).json()["authed_user"]
        assert user["expires_in"] == 60
        httpx.post(root + "/_emulator/clock", json={"advance_seconds": 60}, timeout=10)
        bearer = {"Authorization": f"Bearer {user['access_token']}"}
        expired = httpx.post(base_url + "/users.deletePhoto", headers=bearer, timeout=10)
        assert expired.json() == {"ok": False, "error": "token_expired"}
        refreshed = httpx.post(
            base_url + "/oauth.v2.access",
            data={"grant_type": "refresh_token", "refresh_token": user["refresh_token"]},
            auth=credentials,
            timeout=10,
        ).json()
        bearer = {"Authorization": f"Bearer {refreshed['access_token']}"}
        who = httpx.post(base_url + "/auth.test", headers=bearer, timeout=10).json()
        assert who["user_id"] == user["id"] == "U0INSTALLER"
    finally:
        returncode, stderr = stop_cli(process)
    assert returncode == 0, stderr


def test_cli_refuses_a_bad_oauth_user() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CLI_SCRIPT, "--oauth-user", "alice"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "Slack user id" in result.stderr


def test_cli_bad_tokens_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"tokens": [{"user_id": "U1"}]}', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", CLI_SCRIPT, "--tokens", str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "'token' must be a non-empty string" in result.stderr
    assert result.stdout == ""


def test_cli_sigterm_also_exits_cleanly() -> None:
    process, base_url = start_cli()
    assert base_url.startswith("http://127.0.0.1:")
    os.kill(process.pid, signal.SIGTERM)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr


def test_listener_is_a_tcp_socket_so_replies_are_not_delayed() -> None:
    # asyncio turns on TCP_NODELAY only for sockets whose proto is IPPROTO_TCP;
    # with proto 0 each reply waited ~40 ms for a delayed ACK.
    from ocp_users_photo.emulator.server import _bind

    listener = _bind("127.0.0.1", 0)
    try:
        assert listener.proto == socket.IPPROTO_TCP
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("lifetime", "said"),
    [
        # A sign before 5000 digits: still a whole number, past counting.
        ("+" + "9" * 5000, "a number of 5000 digits is more seconds"),
        # 43200 written after 4300 zeros: 43200 seconds, not 4305 digits past counting.
        ("0" * 4300 + "43200", None),
        ("0" * 4301, "must be at least 1"),
    ],
)
def test_cli_counts_a_token_lifetime_by_its_digits_not_its_sign_or_zeros(
    lifetime: str, said: str | None
) -> None:
    """--token-lifetime past what int() reads was told by its length as written: with a
    "+" before it, "is not a whole number" (the words the count replaced), and a small
    number after many zeros, "more seconds than the emulator can count"."""
    result = subprocess.run(
        [sys.executable, "-c", CLI_SCRIPT, "--token-lifetime", lifetime, "--port", "-1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "is not a whole number" not in result.stderr, result.stderr[-400:]
    if said is None:  # read: refused only for the port given after it
        assert "argument --token-lifetime" not in result.stderr, result.stderr[-400:]
        assert "argument --port: '-1' is not a port" in result.stderr, result.stderr[-400:]
    else:
        assert f"argument --token-lifetime: {said}" in result.stderr, result.stderr[-400:]
