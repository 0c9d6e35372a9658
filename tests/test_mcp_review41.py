"""The MCP server as a hostile or careless host meets it (the attack review of 2026-12-06
19:55 UTC).

A host that closes the server's stdin with more requests written than the server lets in
at once: the server reads no more once 64 requests are unanswered (mcp_in_flight.py). A host
that wrote 100 calls and closed stdin had the server wait for room, let the next
request in as each call ended, and start it: 35 photo changes sent to Slack after the
host had gone, each then cancelled with no one told whether it took effect, and the
process left running for as long as Slack took.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from ocp_users_photo.emulator import Fault
from ocp_users_photo.mcp_in_flight import MAX_UNANSWERED
from tests.conftest import CANARY_TOKEN
from tests.test_mcp_wire_requests import wire_server

CALLS = MAX_UNANSWERED + 36


def _photo_sets(requests: object) -> int:
    return len(requests.for_path("/api/users.setPhoto"))  # type: ignore[attr-defined]


async def test_calls_past_the_bound_are_not_started_once_the_host_closes_stdin(
    tmp_path: Path,
) -> None:
    async with wire_server(tmp_path, options=["--no-keep-previous"]) as wire:
        slack = wire.slack
        assert slack is not None
        # Slack holds each change 10 s: the first 64 are under way when the host goes.
        slack.faults.inject(Fault.delay(10.0), times=CALLS)
        for number in range(1, CALLS + 1):
            call = {
                "jsonrpc": "2.0",
                "id": number,
                "method": "tools/call",
                "params": {"name": "usersSetPhoto", "arguments": {"image": "photo.png"}},
            }
            await wire.send_line(json.dumps(call))
        async with asyncio.timeout(30):
            while _photo_sets(slack.requests) < MAX_UNANSWERED:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        sent_while_there = _photo_sets(slack.requests)
        assert wire.process.stdin is not None
        wire.process.stdin.close()  # the host goes
        exited = await asyncio.wait_for(wire.process.wait(), 30)
        sent_after = _photo_sets(slack.requests) - sent_while_there
    assert exited == 0
    assert sent_while_there == MAX_UNANSWERED
    assert sent_after == 0, f"{sent_after} changes sent to Slack after the host closed stdin"
    log = (tmp_path / "stderr.txt").read_text()
    assert "Traceback" not in log, log[-2000:]


async def test_an_unknown_methods_name_comes_back_bounded_printable_and_masked(
    tmp_path: Path,
) -> None:
    """The SDK's "Method not found" gave the method's name back whole in its data: five
    megabytes, a terminal's escapes and a token, into whatever the host logs or shows."""
    name = "x" * 300_000 + "\x1b]0;pwned\x07" + CANARY_TOKEN
    async with wire_server(tmp_path) as wire:
        await wire.send_line(json.dumps({"jsonrpc": "2.0", "id": 5, "method": name}))
        answer = await wire.answer(5)
    assert answer is not None
    error = answer["error"]
    assert error["code"] == -32601
    assert error["message"] == "Method not found"  # the SDK's own words, kept
    data = error["data"]
    assert data.startswith("xxxx")
    assert len(data) <= 80
    assert "\x1b" not in data
    assert CANARY_TOKEN not in data


async def test_a_debug_log_shows_a_hosts_message_bounded_and_without_its_escapes(
    tmp_path: Path,
) -> None:
    """At --log-level debug the SDK logs a notification it has no handler for with its
    method whole: a host's two megabytes and a terminal's escapes reached stderr as sent."""
    method = "notifications/\x1b]0;pwned\x07\x1b[2J" + "x" * 2_000_000
    async with wire_server(tmp_path, options=["--log-level", "debug"]) as wire:
        await wire.send_line(json.dumps({"jsonrpc": "2.0", "method": method}))
        await wire.send_line('{"jsonrpc": "2.0", "id": 8, "method": "ping"}')
        assert await wire.answer(8) is not None
    log = (tmp_path / "stderr.txt").read_text()
    assert "pwned" in log  # the record is there, its escapes written as "?"
    assert "\x1b" not in log
    assert "\x07" not in log
    assert max(len(line) for line in log.splitlines()) < 17_000
    assert "characters more)" in log


async def test_a_long_request_nested_past_the_readers_depth_is_answered(tmp_path: Path) -> None:
    """docs/mcp.md: a request the SDK's reader cannot parse is "never left unanswered". One
    over 256 KiB (an inline photo beside nesting past 128 levels) was dropped unread: its
    id was looked for only in shorter lines, walked on the event loop."""
    line = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {}})
    line = line[:-1] + ', "padding": "' + "A" * 300_000 + '", "deep": ' + "[" * 2000
    line += "]" * 2000 + "}"
    async with wire_server(tmp_path) as wire:
        await wire.send_line(line)
        answer = await wire.answer(1, seconds=20)
    assert answer is not None, "the request was left unanswered"
    assert answer["error"]["code"] == -32700
    assert "at most 128 levels of nesting" in answer["error"]["message"]
