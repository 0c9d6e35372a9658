"""A name server that never answers: an image host's lookup stalls, and the program still
ends at the fetch's deadline, with Slack's lookups and a call from a path unhindered.

The lookup of an allowed image host is the system's ``getaddrinfo``, which nothing can
cancel. It used to run in asyncio's executor: ``asyncio.run`` waits for that executor's
threads as it ends, so a stalled lookup held the program's exit past the refusal (the
command line said "took longer than 30 s" after 40 s), and a few stalled lookups held
every thread httpx's own lookups of Slack's host need. Here ``socket.getaddrinfo``
stands still until the test lets it go; nothing is looked up or sent anywhere.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.own_loop import new_own_loop
from ocp_users_photo.web_image import FetchTimedOut, UrlPolicy, fetch_image
from ocp_users_photo.web_image.addresses import system_resolver
from tests.conftest import CANARY_TOKEN, make_image

HOST = "photos.example.com"
# socket.getaddrinfo never returns in the programs that start with it; ``started`` is set.
STALLED_LOOKUPS = textwrap.dedent(
    """
    import socket, sys, threading, time

    never = threading.Event()

    def stalled(*args, **kwargs):
        never.wait()

    socket.getaddrinfo = stalled
    started = time.monotonic()
    """
)
STALLED_PROGRAM = STALLED_LOOKUPS + textwrap.dedent(
    f"""
    import asyncio
    from ocp_users_photo.web_image import FetchTimedOut, UrlPolicy, fetch_image

    async def main() -> None:
        policy = UrlPolicy(allowed_hosts=[{HOST!r}], total_timeout=0.3)
        try:
            await fetch_image("https://{HOST}/me.png", policy)
        except FetchTimedOut as refusal:
            print("refused:", refusal.message, flush=True)

    asyncio.run(main())
    print(f"ended after {{time.monotonic() - started:.1f}} s", flush=True)
    """
)


def test_a_program_whose_image_host_lookup_stalls_ends_at_the_fetch_deadline() -> None:
    """asyncio.run returns once the fetch is refused, the lookup still stalled (it used to
    wait for it forever: Python 3.11's asyncio.run waits for its executor's threads)."""
    done = subprocess.run(
        [sys.executable, "-c", STALLED_PROGRAM],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"refused: fetching the image from the image host {HOST}")
    assert "took longer than 0.3 s" in lines[0]
    assert lines[1].startswith("ended after ")
    assert float(lines[1].split()[2]) < 10, done.stdout


async def test_stalled_image_host_lookups_hold_neither_asyncio_executor_nor_file_reads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """More stalled lookups than asyncio's executor has threads (6 on 2 cores): the
    executor httpx resolves Slack's host in still runs a job at once, and a call from a
    path reads its file at once. The lookups are let go before the test ends, whatever
    it finds: the test's loop waits for its executor's threads as it closes."""
    release = threading.Event()
    asked: list[str] = []
    lookup_threads: list[threading.Thread] = []

    def stalled(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        lookup_threads.append(threading.current_thread())
        release.wait()
        return []

    monkeypatch.setattr(socket, "getaddrinfo", stalled)
    photo = tmp_path / "me.png"
    photo.write_bytes(make_image((600, 600)))
    tool = UsersSetPhoto(CANARY_TOKEN, base_url="http://127.0.0.1:9/api")
    try:
        policy = UrlPolicy(allowed_hosts=[HOST], total_timeout=0.3)
        fetches = [fetch_image(f"https://{HOST}/{n}.png", policy) for n in range(10)]
        refusals = await asyncio.gather(*fetches, return_exceptions=True)
        assert all(isinstance(refusal, FetchTimedOut) for refusal in refusals), refusals
        assert asked
        assert set(asked) == {HOST}
        # Daemons, named for what they do: a stack dump of a stuck program says "lookup".
        assert all(thread.daemon for thread in lookup_threads)
        assert all(t.name.startswith("ocp-users-photo-lookup-") for t in lookup_threads)

        loop = asyncio.get_running_loop()
        started = time.monotonic()
        async with asyncio.timeout(3):
            assert await loop.run_in_executor(None, sum, [20, 22]) == 42
        assert time.monotonic() - started < 1

        async with asyncio.timeout(3):
            async with tool.prepare({"image": str(photo)}) as upload:
                assert (upload.image.width, upload.image.height) == (600, 600)
    finally:
        release.set()
        await tool.aclose()


async def test_stalled_image_host_lookups_hold_up_neither_slacks_lookup_nor_another_hosts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A suffix (``.example.com``) lets a model pick any name under it: ten of them whose
    name server never answers, more than the machine's cores give threads, leave the own
    loop's lookup of Slack's host and an allowed image host's lookup answering at once
    (they used to wait behind the stalled ones, all in one pool of six threads)."""
    release = threading.Event()
    answer = [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("93.184.216.34", 443))]
    looked_up_in: dict[str, str] = {}

    def lookup(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        looked_up_in[host] = threading.current_thread().name
        if host.startswith("stalled-"):
            release.wait()
        return answer

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    policy = UrlPolicy(allowed_hosts=[".example.com"], total_timeout=20)
    fetches = [
        asyncio.ensure_future(fetch_image(f"https://stalled-{n}.example.com/me.png", policy))
        for n in range(10)
    ]
    own_loop = new_own_loop()
    try:
        await asyncio.sleep(0.2)  # every stalled lookup has its thread, or waits for one
        assert not any(fetch.done() for fetch in fetches)
        async with asyncio.timeout(3):
            started = time.monotonic()
            assert await own_loop.getaddrinfo("slack.com", 443) == answer
            assert await system_resolver("photos.example.com", 443) == ["93.184.216.34"]
        assert time.monotonic() - started < 1
        assert looked_up_in["slack.com"].startswith("ocp-users-photo-configured-lookup-")
        assert looked_up_in["photos.example.com"].startswith("ocp-users-photo-lookup-")
    finally:
        for fetch in fetches:  # before the lookups answer: no fetch goes on to connect
            fetch.cancel()
        release.set()
        await asyncio.gather(*fetches, return_exceptions=True)
        own_loop.close()
