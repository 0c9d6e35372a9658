"""Two revisions of the plugin, side by side: is a change a regression? (run by hand)

    .venv/bin/python benchmarks/compare_revisions.py BEFORE AFTER [--reps 7] [--calls 300]

Each revision is checked out into a temporary git worktree and imported from there
(PYTHONPATH) by a child process of this environment, so both run on the same
libraries. The children take turns, call by call in blocks, against one loopback
server in its own process (benchmarks/loopback_server.py; the children on one core, the
server on another, where there are two): each block makes ``calls``
sequential ``tool.call`` uploads of the benchmark's 1 MB PNG (images.py) from disk and
of its 100 KB PNG as bytes, and reports its median latency and the client CPU per
call (``time.process_time``, every thread of the child: the figure other work on the
machine hardly moves), then one batch of the 1 MB PNG with 64 calls at once (calls a
second). Repetitions alternate the order
(A B, B A, ...). The result is the median of the block figures for each revision, their
min-max, and the ratio AFTER / BEFORE per figure. Issue 9 asked for "within 5%".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import pin_cores
from images import sized_image

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent

CHILD = r"""
import asyncio, json, statistics, sys, time
from pathlib import Path
from ocp_users_photo import UsersSetPhoto

base_url, calls, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])

big = folder / "one_mb.png"  # the benchmark's own images (images.py), made by the parent
small = (folder / "hundred_kb.png").read_bytes()

async def block(image, label, found):
    arguments = {"image": image, "crop_x": 0, "crop_y": 0, "crop_w": 512}
    async with UsersSetPhoto("xoxp-1-bench", base_url=base_url, environ={}) as tool:
        for _ in range(20):
            await tool.call(arguments)
        times = []
        cpu = time.process_time()
        for _ in range(calls):
            started = time.perf_counter()
            await tool.call(arguments)
            times.append(time.perf_counter() - started)
        cpu = time.process_time() - cpu
        found[f"{label}: latency ms"] = statistics.median(times) * 1000
        found[f"{label}: client CPU us/call"] = cpu / calls * 1e6
        if label.startswith("1 MB"):
            async def worker():
                for _ in range(4):
                    await tool.call(arguments)
            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(64)))
            found[f"{label}: calls/s at 64 at once"] = 256 / (time.perf_counter() - started)

async def main():
    found = {}
    await block(big, "1 MB PNG from disk", found)
    await block(small, "100 KB PNG from bytes", found)
    return found

print(json.dumps(asyncio.run(main())))
"""


def worktree(revision: str, into: Path) -> Path:
    path = into / revision.replace("/", "_")
    subprocess.run(
        ["git", "-C", str(REPOSITORY), "worktree", "add", "--detach", "-q", str(path), revision],
        check=True,
    )
    return path


def start_server(server_cpu: int | None) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, str(HERE / "loopback_server.py")]
    if server_cpu is not None:
        command += ["--cpu", str(server_cpu)]
    server = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    words = server.stdout.readline().split()
    port = words[words.index("PORT") + 1]
    return server, f"http://127.0.0.1:{port}/api"


def run_block(checkout: Path, base_url: str, calls: int, folder: Path) -> dict[str, float]:
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, base_url, str(calls), str(folder)],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "one_mb.png").write_bytes(sized_image("PNG", 1024 * 1024, 1024))
        (folder / "hundred_kb.png").write_bytes(sized_image("PNG", 100 * 1024, 512))
        checkouts = {
            "before": worktree(args.before, folder),
            "after": worktree(args.after, folder),
        }
        server_cpu, _ = pin_cores()  # the children inherit this process's core
        server, base_url = start_server(server_cpu)
        blocks: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        try:
            for rep in range(args.reps):
                order = ("before", "after") if rep % 2 == 0 else ("after", "before")
                for name in order:
                    blocks[name].append(run_block(checkouts[name], base_url, args.calls, folder))
        finally:
            server.terminate()
            server.wait()
            for path in checkouts.values():
                subprocess.run(
                    ["git", "-C", str(REPOSITORY), "worktree", "remove", "--force", str(path)],
                    check=False,
                )
    print(
        f"before {args.before}, after {args.after}: {args.reps} interleaved repetitions, "
        f"{args.calls} calls a block (and 256 at 64 at once); median (min-max) of blocks"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    for workload in blocks["before"][0]:
        before = [block[workload] for block in blocks["before"]]
        after = [block[workload] for block in blocks["after"]]
        ratios = [a / b for a, b in zip(after, before, strict=True)]
        print(
            f"  {workload}: before {statistics.median(before):.3f} "
            f"({min(before):.3f}-{max(before):.3f}), after {statistics.median(after):.3f} "
            f"({min(after):.3f}-{max(after):.3f}); after/before "
            f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})"
        )


if __name__ == "__main__":
    main()
