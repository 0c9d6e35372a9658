"""Property-based: over the whole argument space, a call is accepted or refused, nothing else.

Hypothesis generates argument sets (images as paths, bytes, base64, data: URIs, URLs on
an allowed https image host and odd or other ones, mutated files, and every JSON and
Python shape where they do not belong; crop values of every
type; stray names; tokens of every kind). Each one either succeeds over real HTTP with
exactly one request, or is refused with InvalidArguments and no request at all; no other
exception escapes. A model's arguments that the input schema rejects are always refused,
and so is a strict-mode call (every name, null for what is left out) that a strict
variant of it rejects.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import ssl
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from ocp_users_photo import InvalidArguments, SlackApiError, UsersPhotoError, UsersSetPhoto
from ocp_users_photo.emulator import EmulatorConfig, EmulatorThread
from ocp_users_photo.exports import anthropic_strict_input_schema, strict_input_schema
from ocp_users_photo.images.url_resolver import UrlResolver
from ocp_users_photo.spec import input_validator, load_manifest
from ocp_users_photo.web_image import UrlPolicy
from tests.conftest import CANARY_TOKEN, make_image
from tests.loopback import redirect, reply, serve
from tests.reliability_report import ReliabilityReport

# The default run's budget (about 25 s of one worker here); 10,000 until the suite's
# growth took .ci/run near its 15 minutes on a slow sitting. -m slow runs 100,000 more.
DEFAULT_EXAMPLES = 4_000
SLOW_EXAMPLES = 100_000

VALID_PNG = make_image((600, 600))
IMAGES = {
    "good.png": VALID_PNG,
    "good.jpg": make_image((640, 520), "JPEG"),
    "good.gif": make_image((512, 512), "GIF"),
    "small.png": make_image((100, 100)),
    "large.png": make_image((1300, 1100)),
    "text.png": b"not an image at all",
    "empty.png": b"",
}


def _mutations(data: bytes) -> st.SearchStrategy[bytes]:
    """``data`` with a few bytes flipped, cut short, or grown: what a broken upload looks like."""

    def mutate(positions: list[int], values: list[int], cut: int) -> bytes:
        mutated = bytearray(data)
        for position, value in zip(positions, values, strict=False):
            mutated[position % len(mutated)] = value
        return bytes(mutated[: max(1, len(mutated) - cut)])

    return st.builds(
        mutate,
        st.lists(st.integers(0, len(data) - 1), max_size=4),
        st.lists(st.integers(0, 255), max_size=4),
        st.sampled_from([0, 0, 0, 1, 13, 100, len(data) // 2]),
    )


def json_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
    )


def nested() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(json_scalars(), max_size=3),
        st.dictionaries(st.text(max_size=5), json_scalars(), max_size=3),
    )


def crop_values() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(-5, 1400),
        st.integers(),
        st.from_regex(r"[0-9]{1,6}", fullmatch=True),
        st.floats(-10, 1400),
        st.sampled_from(["", " 5", "5 ", "-1", "1e3", "0x10", "\u0665", "10\n"]),
        json_scalars(),
        nested(),
    )


def image_urls(base: str) -> st.SearchStrategy[str]:
    """URLs: on the allowed image host (an image, a page, a redirect away, a missing path),
    odd forms of it that a URL parser could read another way, and other hosts."""
    host = base.split("//", 1)[1]
    fixed = [
        f"{base}/good.png",
        f"{base}/good.png?X-Signature=abc&expires=1#part",
        f"{base}/page.html",
        f"{base}/away.png",
        f"{base}/missing.png",
        f"https://user@{host}/good.png",
        f"https://{host}@evil.test/good.png",
        f"https://evil.test\\@{host}/good.png",
        f"http://{host}/good.png",
        "https://2130706433/good.png",
        "https://[::1]/good.png",
        "https://0x7f.1/good.png",
        "https://images.test./good.png",
        "HTTPS://IMAGES.TEST/good.png",
        "https://xn--mages-9wa.test/good.png",
        "https://evil.test/good.png",
    ]
    return st.one_of(
        st.sampled_from(fixed),
        st.text(max_size=30).map(lambda tail: f"{base}/{tail}"),
        st.text(max_size=30).map(lambda tail: f"https://{tail}"),
    )


def image_values(folder: Path, url_base: str) -> st.SearchStrategy[Any]:
    paths = [str(folder / name) for name in IMAGES] + [
        str(folder),
        str(folder / "missing.png"),
        str(folder / ".." / "outside.png"),
        "good.png",
        "https://example.com/good.png",
        "ftp://example.com/good.png",
        "file://" + str(folder / "good.png"),
        "data:image/png;base64," + base64.b64encode(VALID_PNG).decode(),
        "data:text/plain;base64,aGVsbG8=",
        base64.b64encode(VALID_PNG).decode(),
    ]
    return st.one_of(
        st.sampled_from(paths),
        st.sampled_from(paths).map(Path),
        image_urls(url_base),
        st.sampled_from(list(IMAGES.values())),
        _mutations(VALID_PNG),
        _mutations(IMAGES["good.gif"]),
        st.binary(max_size=80),
        st.text(max_size=40),
        json_scalars(),
        nested(),
    )


def tokens() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.just(CANARY_TOKEN),
        st.sampled_from(["xoxb-1-2-bot", "xapp-1-A-1-x", "", "xoxp-1 2", "xoxp-\n1"]),
        st.text(max_size=12),
        json_scalars(),
    )


def argument_sets(folder: Path, url_base: str) -> st.SearchStrategy[dict[Any, Any]]:
    known = st.fixed_dictionaries(
        {},
        optional={
            "image": image_values(folder, url_base),
            "crop_x": crop_values(),
            "crop_y": crop_values(),
            "crop_w": crop_values(),
            "token": tokens(),
        },
    )
    stray = st.dictionaries(
        st.one_of(st.text(max_size=8), st.integers()), json_scalars(), max_size=2
    )
    whole_box = st.fixed_dictionaries(
        {
            "image": image_values(folder, url_base),
            "crop_x": st.integers(0, 700),
            "crop_y": st.integers(0, 700),
            "crop_w": st.integers(1, 700),
        }
    )
    return st.one_of(
        known,
        whole_box,
        st.builds(lambda first, second: {**second, **first}, known, stray),
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    for name, data in IMAGES.items():
        (root / name).write_bytes(data)
    (tmp_path / "outside.png").write_bytes(VALID_PNG)
    return root


async def _outcome(call: Awaitable[dict[str, Any]]) -> dict[str, Any] | UsersPhotoError:
    """The reply, or the UsersPhotoError raised; any other exception propagates."""
    try:
        return await call
    except UsersPhotoError as error:
        return error


def _is_json(arguments: dict[Any, Any]) -> bool:
    try:
        json.dumps(arguments, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return all(isinstance(key, str) for key in arguments)


def strict_validators() -> list[Draft202012Validator]:
    """The strict variants a provider may be given, compiled once per exploration."""
    schema = load_manifest()["input_schema"]
    return [
        Draft202012Validator(strict_input_schema(schema)),
        Draft202012Validator(anthropic_strict_input_schema(schema)),
    ]


def as_strict_call(arguments: dict[Any, Any]) -> dict[Any, Any]:
    """The same call as a model in strict mode writes it: every name, null for the rest."""
    names = load_manifest()["input_schema"]["properties"]
    return {**dict.fromkeys(names), **arguments}


def explore(examples: int, folder: Path, reliability: ReliabilityReport) -> None:
    """Run ``examples`` generated argument sets through one tool against the emulator.

    Hypothesis drives a plain function, so the emulator runs in its own thread and each
    example runs on one event loop kept for the whole exploration (the tool's client
    belongs to it).
    """
    sent: list[httpx.Request] = []
    tally = {
        "tried": 0,
        "accepted": 0,
        "refused": 0,
        "schema-refused model calls": 0,
        "strict-refused model calls": 0,
        "accepted image URLs": 0,
        "escaped": 0,
    }
    escaped: list[str] = []
    strict_checks = strict_validators()

    async def count(request: httpx.Request) -> None:
        sent.append(request)

    config = EmulatorConfig(rate_limit_per_minute=None, process_images=False, record_bodies=False)
    loop = asyncio.new_event_loop()
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("images.test").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    authority.configure_trust(client_tls)
    image_host = serve(server_tls)
    images = loop.run_until_complete(image_host.__aenter__())
    images.on("/good.png", reply(200, VALID_PNG, [("Content-Type", "image/png")]))
    images.on("/page.html", reply(200, b"<!doctype html>", [("Content-Type", "text/html")]))
    images.on("/away.png", redirect("https://evil.test/good.png"))
    url_base = f"https://images.test:{images.port}"

    async def loopback_only(name: str, port: int) -> list[str]:
        if name != "images.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return ["127.0.0.1"]

    url_policy = UrlPolicy(allowed_hosts=["images.test"], allow_loopback_for_tests=True)
    with EmulatorThread(config) as emulator:
        client = httpx.AsyncClient(event_hooks={"request": [count]})
        tool = UsersSetPhoto(
            CANARY_TOKEN,
            base_url=emulator.base_url,
            client=client,
            image_roots=[folder],
            retry_backoff=0.0,
            environ={},
            image_resolvers={
                "url": UrlResolver(url_policy, ssl_context=client_tls, resolver=loopback_only)
            },
        )

        async def one_call(arguments: dict[Any, Any]) -> None:
            tally["tried"] += 1
            before = len(sent)
            try:
                outcome = await _outcome(tool.call(arguments))
            except Exception as error:  # counted, reported, then failed on below
                tally["escaped"] += 1
                escaped.append(f"{type(error).__name__} for {arguments!r:.300}")
                return
            if isinstance(outcome, InvalidArguments):
                tally["refused"] += 1
                assert outcome.problems
                assert all(problem.path.startswith("$") for problem in outcome.problems)
                assert len(sent) == before, "a refused call made a request"
            else:
                # Sent exactly once; Slack (the emulator) may still answer with its own
                # error, e.g. invalid_auth for a made-up token: a typed answer, not a crash.
                tally["accepted"] += 1
                assert len(sent) == before + 1
                image = arguments.get("image")
                if isinstance(image, str) and image.startswith(url_base):
                    tally["accepted image URLs"] += 1
                assert isinstance(outcome, SlackApiError) or (
                    isinstance(outcome, dict) and outcome["ok"] is True
                )
            if not _is_json(arguments):
                return
            refused_by_schema = next(input_validator().iter_errors(arguments), None)
            if refused_by_schema:
                await assert_refused(arguments)
                tally["schema-refused model calls"] += 1
            strict_call = as_strict_call(arguments)
            if any(not check.is_valid(strict_call) for check in strict_checks):
                # One run answers for both strict variants; when the call adds no names,
                # the run above already answered for it.
                if strict_call != arguments or not refused_by_schema:
                    await assert_refused(strict_call)
                tally["strict-refused model calls"] += 1

        async def assert_refused(arguments: dict[Any, Any]) -> None:
            before = len(sent)
            result = await tool.run(arguments)
            assert result["error"] == "invalid_arguments", result
            assert len(sent) == before

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(arguments=argument_sets(folder, url_base))
        # Run every time, whatever is drawn: at 4,000 draws the generator reaches an
        # allowed image URL with nothing else wrong about 4 times, and none ~2% of runs.
        @example(arguments={"image": f"{url_base}/good.png"})
        def property_holds(arguments: dict[Any, Any]) -> None:
            loop.run_until_complete(one_call(arguments))

        try:
            property_holds()
            fetched = len(images.requests)
        finally:
            loop.run_until_complete(client.aclose())
            loop.run_until_complete(image_host.__aexit__(None, None, None))
            loop.close()
    section = "hostile input"
    reliability.count(section, "other exceptions escaping", tally["escaped"])
    assert escaped == [], escaped[:5]
    assert tally["tried"] >= examples
    assert tally["accepted"] > 0
    assert tally["refused"] > 0
    assert tally["schema-refused model calls"] > 0
    assert tally["strict-refused model calls"] > 0
    assert fetched > 0, "some generated URLs reached the allowed image host"
    assert tally["accepted image URLs"] > 0, "some fetched images passed the checks and were sent"
    reliability.count(section, "generated argument sets", tally["tried"])
    reliability.count(section, "generated sets accepted, one request each", tally["accepted"])
    reliability.count(section, "generated sets refused, no request", tally["refused"])
    reliability.count(section, "generated sets whose image URL was fetched", fetched)
    reliability.count(
        section, "generated sets sent from a fetched image URL", tally["accepted image URLs"]
    )


@pytest.mark.runs_long
def test_every_argument_set_is_accepted_or_refused(
    folder: Path, reliability: ReliabilityReport
) -> None:
    explore(DEFAULT_EXAMPLES, folder, reliability)


@pytest.mark.slow
@pytest.mark.timeout(3600)  # the larger budget is many minutes of Hypothesis
def test_every_argument_set_is_accepted_or_refused_larger_budget(
    folder: Path, reliability: ReliabilityReport
) -> None:
    explore(SLOW_EXAMPLES, folder, reliability)
