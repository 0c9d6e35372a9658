"""What hostile Slack replies cost to read: the decode and the search for the token's
spellings in them, at two sizes, to show how each grows (a doubled reply should take
about twice as long; one that takes four times is quadratic).

    .venv/bin/python benchmarks/hostile_replies.py [--reps 5]

The suite proves what these replies give (tests/test_reply_scrub.py,
tests/test_joined_lines.py) without timing them; this times ``decode_reply`` with the
redaction a call uses, in one process, the cases taking turns. Printed as median
(min-max) milliseconds over the repetitions.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from spread import Spread

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ocp_users_photo import TransportError, UsersPhotoError  # noqa: E402
from ocp_users_photo.credentials import SlackToken, redactor  # noqa: E402
from ocp_users_photo.slack.replies import HttpReply, decode_reply  # noqa: E402

TOKEN = "xoxp-1111111111-2222222222-3333333333-benchmarkbenchmarkbenchmark0000"
SECRET = TOKEN.rsplit("-", 1)[1]


def _strings(item: bytes, size: int, error: bytes = b"x") -> bytes:
    count = size // (len(item) + 1)
    return b'{"ok":false,"error":"' + error + b'","a":[' + b",".join([item] * count) + b"]}"


CASES: dict[str, Callable[[int], bytes]] = {
    'one-character strings, "&"': lambda size: _strings(b'"&"', size),
    'one-character strings, "%"': lambda size: _strings(b'"%"', size),
    '17-character strings with "%", and the secret echoed once': lambda size: _strings(
        b'"%aaaaaaaaaaaaaaaa"', size, SECRET.encode()
    ),
    '19,000 strings with "%" filling it, and the secret echoed once': lambda size: _strings(
        b'"%' + b"a" * (-(-size // 19_000) - 3) + b'"', size, SECRET.encode()
    ),
    "a run of spaces, and a line break in another string": lambda size: (
        b'{"ok":true,"a":"' + b" " * size + b'","b":"50% off\\nnow"}'
    ),
    "one string of short lines (JSON's \\n)": lambda size: (
        b'{"ok":true,"a":"' + b"a\\n" * (size // 3) + b'"}'
    ),
}
SIZES = (256 * 1024, 512 * 1024)


def decode_once(body: bytes) -> tuple[float, str]:
    """How long reading ``body`` took, and how it ended: "decoded" (Slack's error or the
    schema's refusal included: the body was parsed and searched) or "not read" (refused
    before its parse, as no Slack reply)."""
    secrets = SlackToken(TOKEN).secret_texts()
    reply = HttpReply(200, httpx.Headers({}), body, 1)
    started = time.perf_counter()
    outcome = "decoded"
    try:
        decode_reply(reply, method="users.setPhoto", redact=redactor(secrets, body))
    except TransportError:
        outcome = "not read"
    except UsersPhotoError:
        pass
    return time.perf_counter() - started, outcome


def measure(reps: int) -> tuple[dict[tuple[str, int], list[float]], dict[tuple[str, int], str]]:
    bodies = {(name, size): make(size) for name, make in CASES.items() for size in SIZES}
    keys = list(bodies)
    timings: dict[tuple[str, int], list[float]] = {key: [] for key in keys}
    outcomes = {key: decode_once(bodies[key])[1] for key in keys}  # one warm-up each
    for repetition in range(reps):
        shift = repetition % len(keys)
        for key in keys[shift:] + keys[:shift]:
            seconds, _ = decode_once(bodies[key])
            timings[key].append(seconds * 1000)
    return timings, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    arguments = parser.parse_args()
    started = time.monotonic()
    timings, outcomes = measure(arguments.reps)
    small, large = SIZES
    print(
        f"| reply | {small // 1024} KiB, ms | {large // 1024} KiB, ms | growth "
        f"(median of {arguments.reps}) |"
    )
    print("|---|---:|---:|---:|")
    for name in CASES:
        first, second = Spread.of(timings[name, small]), Spread.of(timings[name, large])
        growth = second.median / first.median if first.median else float("nan")
        print(
            f"| {name} | {first.text(1)}, {outcomes[name, small]} | {second.text(1)}, "
            f"{outcomes[name, large]} | {growth:.2f}x |"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{time.monotonic() - started:.0f} s in all; load average {load:.2f} at the end")


if __name__ == "__main__":
    main()
