"""Two revisions of the plugin, side by side: is a change a regression? (run by hand)

    .venv/bin/python benchmarks/compare_revisions.py BEFORE AFTER [--reps 7] [--calls 300]

Each revision is checked out into a temporary git worktree and imported from there
(PYTHONPATH) by a child process of this environment, so both run on the same
libraries. The children take turns, call by call in blocks, against one loopback
server in its own process (benchmarks/loopback_server.py): each block makes ``calls``
sequential ``tool.call`` uploads of a 1 MB PNG from disk and of 100 KB bytes, and
reports its median latency. Repetitions alternate the order (A B, B A, ...). The
result is the median of the block medians for each revision, their min-max, and the
ratio AFTER / BEFORE per workload. Issue 9 asked for "within 5%".
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

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent

CHILD = r"""
import asyncio, io, json, statistics, sys, time
from pathlib import Path
from PIL import Image
from ocp_users_photo import UsersSetPhoto

base_url, calls, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])

def picture(side, noise):
    image = Image.effect_noise((side, side), noise).convert("RGB")
    buffer = io.BytesIO(); image.save(buffer, format="PNG"); return buffer.getvalue()

big = folder / "one_mb.png"
if not big.exists():
    big.write_bytes(picture(1024, 60))
small = picture(600, 8)

async def block(image):
    async with UsersSetPhoto("xoxp-1-bench", base_url=base_url, environ={}) as tool:
        for _ in range(20):
            await tool.call({"image": image, "crop_x": 0, "crop_y": 0, "crop_w": 512})
        times = []
        for _ in range(calls):
            started = time.perf_counter()
            await tool.call({"image": image, "crop_x": 0, "crop_y": 0, "crop_w": 512})
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000

async def main():
    return {"1 MB PNG from disk": await block(big), "100 KB PNG from bytes": await block(small)}

print(json.dumps(asyncio.run(main())))
"""


def worktree(revision: str, into: Path) -> Path:
    path = into / revision.replace("/", "_")
    subprocess.run(
        ["git", "-C", str(REPOSITORY), "worktree", "add", "--detach", "-q", str(path), revision],
        check=True,
    )
    return path


def start_server() -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "loopback_server.py")],
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
        checkouts = {
            "before": worktree(args.before, folder),
            "after": worktree(args.after, folder),
        }
        server, base_url = start_server()
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
        f"{args.calls} calls a block; median latency in ms, median (min-max) of blocks"
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
