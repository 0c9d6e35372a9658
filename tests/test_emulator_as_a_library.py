"""The emulator used from another project's tests, through its Python API: the handle's URLs
work whatever address it listens on, and the state refuses what the control API refuses
(a fault's times, a token's lifetime, the clock, the rate limit) instead of answering
HTTP 500 or no JSON later (the review of 2026-12-07 22:00 UTC; each test failed before its fix)."""

from __future__ import annotations

import json
import math
import socket

import httpx
import pytest
from slack_sdk import WebClient

from ocp_users_photo.emulator import EmulatorConfig, Fault, OAuthApp, start_emulator_in_thread


def _can_listen_on(host: str) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_an_emulator_on_every_interface_answers_at_its_own_base_url(host: str) -> None:
    # `start_emulator_in_thread(host="0.0.0.0")` gave base_url http://0.0.0.0:PORT/api,
    # and every call to it got 421 host_not_allowed from the emulator's own host guard.
    if not _can_listen_on(host):
        pytest.skip(f"this machine cannot listen on {host}")
    with start_emulator_in_thread(host=host) as emulator:
        assert emulator.host == host  # where it listens, as bound
        who = WebClient(token="xoxp-every-interface", base_url=emulator.base_url + "/")
        assert who.auth_test()["team_id"] == "T0EMULATOR"
        health = httpx.get(emulator.control_url + "health", timeout=10)
        assert health.status_code == 200, health.text
        assert health.json() == {"ok": True}
        assert "0.0.0.0" not in emulator.authorize_url
        assert "[::]" not in emulator.authorize_url


@pytest.mark.parametrize("times", [1.5, 2.5])
def test_a_fault_given_no_whole_number_of_times_is_refused(times: object) -> None:
    # inject(fault, times=1.5) was taken: it counted down 0.5, -0.5, ... never reaching its
    # last use, so the fault answered every request until the emulator stopped.
    with start_emulator_in_thread() as emulator:
        with pytest.raises(TypeError, match="whole number"):
            emulator.faults.inject(Fault.status(503), times=times, path="auth.test")  # type: ignore[arg-type]
        assert emulator.faults.pending() == []
        who = WebClient(token="xoxp-counted", base_url=emulator.base_url + "/")
        assert who.auth_test()["ok"]


@pytest.mark.parametrize(
    ("times", "named"), [(None, "got None"), ("2", "got '2'"), (1.5, "got 1.5")]
)
def test_a_fault_given_no_whole_number_of_times_is_told_what_it_got(
    times: object, named: str
) -> None:
    # "times must be a whole number of requests (1 or more), not a NoneType": Python's name
    # for None, where every other whole-number setting says what it got.
    with start_emulator_in_thread() as emulator, pytest.raises(TypeError) as refused:
        emulator.faults.inject(Fault.status(503), times=times, path="auth.test")  # type: ignore[arg-type]
    assert str(refused.value) == f"times must be a whole number of requests, 1 or more, {named}"


def test_a_token_given_an_endless_lifetime_is_refused_not_a_server_error() -> None:
    # state.add_token(token, expires_in=math.inf) was taken, and auth.test with the token
    # then failed inside the emulator (int(inf): HTTP 500 and a traceback on stderr).
    with start_emulator_in_thread() as emulator:
        with pytest.raises(ValueError, match="expires_in"):
            emulator.state.add_token("xoxp-endless", expires_in=math.inf)
        with pytest.raises(ValueError, match="expires_in"):
            emulator.state.add_token("xoxp-endless", expires_in=math.nan)
        emulator.state.add_token("xoxp-endless", expires_in=60)
        who = WebClient(token="xoxp-endless", base_url=emulator.base_url + "/")
        assert who.auth_test()["expires_in"] in (59, 60)


def test_the_clock_moved_by_infinity_is_refused_and_keeps_answering_json() -> None:
    # state.advance_clock(math.inf) was taken: no token could ever be valid again, and
    # GET /_emulator/clock answered {"now": Infinity, ...}, which is no JSON.
    with start_emulator_in_thread() as emulator:
        with pytest.raises(ValueError, match="the clock only moves forward, by a finite time"):
            emulator.state.advance_clock(math.inf)
        with pytest.raises(ValueError, match="only moves forward"):
            emulator.state.advance_clock(-1)
        clock = httpx.get(emulator.control_url + "clock", timeout=10).text
        assert json.loads(clock, parse_constant=_no_constant)["offset_seconds"] == 0


def _no_constant(name: str) -> object:
    raise AssertionError(f"{name} is no JSON")


@pytest.mark.parametrize("limit", [math.nan])
def test_a_rate_limit_that_is_no_whole_number_is_refused(limit: float) -> None:
    # state.set_rate_limit(math.nan) was taken (NaN < 1 is False), and every users.setPhoto
    # and users.deletePhoto then failed inside the emulator (HTTP 500, IndexError).
    with pytest.raises(ValueError, match="whole number"):
        EmulatorConfig(rate_limit_per_minute=limit)  # type: ignore[arg-type]
    with start_emulator_in_thread() as emulator:
        with pytest.raises(ValueError, match="whole number"):
            emulator.state.set_rate_limit(limit)  # type: ignore[arg-type]
        client = WebClient(token="xoxp-limited", base_url=emulator.base_url + "/")
        assert client.users_deletePhoto()["ok"]


def test_the_clock_moved_twice_past_a_floats_reach_is_refused_and_keeps_answering_json() -> None:
    # Each move was finite, so each was taken, but their sum was not: advance_clock(1e308)
    # twice put the clock at infinity, the state the refusal of one infinite move prevents.
    with start_emulator_in_thread() as emulator:
        emulator.state.advance_clock(1e308)
        with pytest.raises(ValueError, match="finite time"):
            emulator.state.advance_clock(1e308)
        clock = httpx.get(emulator.control_url + "clock", timeout=10).text
        assert json.loads(clock, parse_constant=_no_constant)["offset_seconds"] == 1e308


@pytest.mark.parametrize("lifetime", [math.inf, math.nan, 10**400], ids=["inf", "nan", "10**400"])
def test_an_oauth_lifetime_that_is_no_finite_number_is_refused(lifetime: float) -> None:
    # state.oauth.configure(access_token_seconds=math.inf) was taken (inf < 1 is False), and
    # the OAuth exchange that issued a token with it answered HTTP 500; so did one given
    # 10**400 through PUT /_emulator/oauth/settings, an integer past a float's reach.
    with pytest.raises(ValueError, match="finite number of seconds"):
        OAuthApp(access_token_seconds=lifetime)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite number of seconds"):
        OAuthApp(code_seconds=lifetime)  # type: ignore[arg-type]
    with start_emulator_in_thread() as emulator:
        with pytest.raises(ValueError, match="finite number of seconds"):
            emulator.state.oauth.configure(access_token_seconds=lifetime)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="finite number of seconds"):
            emulator.state.oauth.configure(code_seconds=lifetime)  # type: ignore[arg-type]
        if isinstance(lifetime, int):
            answer = httpx.put(
                emulator.control_url + "oauth/settings",
                content=f'{{"access_token_seconds": {lifetime}}}',
                headers={"Content-Type": "application/json"},
                timeout=10,
            )
            assert answer.status_code == 400, answer.text
            assert "finite number of seconds" in answer.json()["detail"]
