"""The blockbuster check in conftest.py is live: package code that blocks the loop fails a test."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from blockbuster import BlockingError

from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.paths import open_confined
from ocp_users_photo.images.resolvers import IntakeContext, PathResolver, ResolvedImage
from tests.conftest import make_image


async def test_blocking_file_work_on_the_loop_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "me.png"
    path.write_bytes(make_image())
    with pytest.raises(BlockingError):
        open_confined(str(path), None, 1024 * 1024)


async def test_the_path_resolver_does_its_file_work_in_a_thread(tmp_path: Path) -> None:
    path = tmp_path / "me.png"
    path.write_bytes(make_image())
    context = IntakeContext(image_roots=None, limits=ImageLimits())
    resolved, problems = await PathResolver().resolve(str(path), context)
    assert problems == []
    assert isinstance(resolved, ResolvedImage)
    assert resolved.facts.stored_format == "PNG"
    resolved.close()


# Run in a fresh interpreter: the HTTP stack's package must not be imported yet. An audit
# hook notes every module imported on the event loop's thread (the thread that appends
# itself to loop_thread) during the first call.
_WATCH_IMPORTS = """
on_loop = []
loop_thread = []
def note(event, args):
    if event == "import" and loop_thread == [threading.get_ident()]:
        on_loop.append(args[0])
sys.addaudithook(note)
"""


def run_watched(script: str, argument: str) -> dict[str, Any]:
    """``script`` (with ``{watch}`` where the audit hook goes) run in a fresh interpreter;
    the JSON object its last line prints."""
    finished = subprocess.run(
        [sys.executable, "-c", script.replace("{watch}", _WATCH_IMPORTS), argument],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    seen: dict[str, Any] = json.loads(finished.stdout.splitlines()[-1])
    return seen


_FIRST_CALL = """
import asyncio, io, json, socket, sys, threading
from PIL import Image
from ocp_users_photo import TransportError, UsersSetPhoto
from ocp_users_photo.settings import HTTP_STACK_VARIABLE

{watch}image = io.BytesIO()
Image.new("RGB", (600, 600), "teal").save(image, "PNG")
with socket.socket() as closed:
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]

async def first_call():
    loop_thread.append(threading.get_ident())
    async with UsersSetPhoto(
        "xoxp-1-2-3-abcdef",
        base_url=f"http://127.0.0.1:{port}/api",
        environ={HTTP_STACK_VARIABLE: sys.argv[1]},
        max_retries=0,
    ) as tool:
        try:
            await tool.call({"image": image.getvalue()})
        except TransportError:
            pass

def stacks():
    return sorted(name for name in ("aiohttp", "httpcore") if name in sys.modules)

before = stacks()
metadata_before = "importlib.metadata" in sys.modules
asyncio.run(first_call())
print(json.dumps({
    "before": before, "after": stacks(), "on_loop": on_loop,
    "metadata_before": metadata_before, "metadata_after": "importlib.metadata" in sys.modules,
}))
"""


def test_the_first_call_imports_its_http_stack_off_the_event_loop(http_stack: str) -> None:
    # Importing aiohttp reads ~100 files and took 0.13 s here, httpcore (with h11 and h2)
    # 0.04 s: on the loop, every other task of the server stalled for that long.
    seen = run_watched(_FIRST_CALL, http_stack)
    stack_package = "aiohttp" if http_stack == "aiohttp" else "httpcore"
    assert seen["before"] == [], "the package imports no HTTP stack until a call needs one"
    assert stack_package in seen["after"], "the call got as far as its HTTP stack"
    on_loop = [name for name in seen["on_loop"] if name.split(".")[0] == stack_package]
    assert on_loop == []


def test_the_default_stack_is_chosen_off_the_event_loop() -> None:
    # "auto" reads aiohttp's version from its metadata (importlib.metadata: ~6 ms of
    # imports, then files): that happens in the thread that loads the stack, not on import
    # and not on the loop.
    seen = run_watched(_FIRST_CALL, "auto")
    assert seen["before"] == []
    assert seen["after"], "the call got as far as its HTTP stack"
    assert seen["metadata_before"] is False, "importing the tool read no package metadata"
    heavy = ("aiohttp", "httpcore", "importlib")
    assert [name for name in seen["on_loop"] if name.split(".")[0] in heavy] == []
    if importlib.util.find_spec("aiohttp") is not None:
        assert seen["metadata_after"] is True, "the choice of stack read aiohttp's version"


# The same for the guarded image fetch: its first fetch may be the process's first use of
# httpx's transport, and must not import httpcore on the loop either.
_FIRST_FETCH = """
import asyncio, json, socket, ssl, sys, threading
from ocp_users_photo.web_image import ImageUrlRefused, UrlPolicy, fetch_image

{watch}with socket.socket() as closed:
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
policy = UrlPolicy(allowed_hosts=("127.0.0.1",), allow_loopback_for_tests=True)
given = sys.argv[1] == "given"

async def first_fetch():
    loop_thread.append(threading.get_ident())
    context = ssl.create_default_context() if given else None
    try:
        await fetch_image(f"https://127.0.0.1:{port}/me.png", policy, ssl_context=context)
    except ImageUrlRefused:
        pass

before = "httpcore" in sys.modules
asyncio.run(first_fetch())
print(json.dumps({"before": before, "after": "httpcore" in sys.modules, "on_loop": on_loop}))
"""


@pytest.mark.parametrize("trust", ["default", "given"])
def test_the_first_image_fetch_imports_httpcore_off_the_event_loop(trust: str) -> None:
    seen = run_watched(_FIRST_FETCH, trust)
    assert seen["before"] is False, "nothing imported httpcore before the fetch"
    assert seen["after"] is True, "the fetch got as far as httpx's transport"
    assert [name for name in seen["on_loop"] if name.split(".")[0] == "httpcore"] == []


# A tool that allows URL hosts loads the guarded fetch (web_image.fetch, with httpx's
# transport) only when it first fetches one, and not on the loop.
_FIRST_URL = """
import asyncio, json, socket, sys, threading
from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.images.url_resolver import UrlResolver
from ocp_users_photo.web_image import UrlPolicy

{watch}with socket.socket() as closed:
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
FETCH = "ocp_users_photo.web_image.fetch"

async def first_url():
    loop_thread.append(threading.get_ident())
    policy = UrlPolicy(allowed_hosts=("127.0.0.1",), allow_loopback_for_tests=True)
    resolvers = {"url": UrlResolver(policy)}
    async with UsersSetPhoto("xoxp-1-2-3-abcdef", environ={}, image_resolvers=resolvers) as tool:
        try:
            await tool.prepare({"image": f"https://127.0.0.1:{port}/me.png"})
        except InvalidArguments as refused:
            print(refused.problems[0].message, file=sys.stderr)

before = FETCH in sys.modules
asyncio.run(first_url())
print(json.dumps({"before": before, "after": FETCH in sys.modules, "on_loop": on_loop}))
"""


def test_the_first_url_loads_the_image_fetch_off_the_event_loop() -> None:
    seen = run_watched(_FIRST_URL, "-")
    assert seen["before"] is False, "a tool that has fetched nothing has not loaded the fetch"
    assert seen["after"] is True, "the URL got as far as the fetch"
    loaded_on_loop = [
        name
        for name in seen["on_loop"]
        if name.startswith(("ocp_users_photo.web_image", "httpcore"))
    ]
    assert loaded_on_loop == []
