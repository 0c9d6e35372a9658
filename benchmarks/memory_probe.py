"""Peak memory of one contender uploading one file from a path, measured in a fresh process.

bench.py runs this once per contender: ``python memory_probe.py CONTENDER URL FILE WARMUP``.
After a warm-up upload of a small file (imports, connection, validators), it uploads
FILE twice and prints one JSON line:

- ``rss_growth``: the process's resident-set high-water mark during the first upload
  (reset just before it through /proc/self/clear_refs) minus the resident set before it;
- ``traced_peak``: tracemalloc's peak of Python allocations during the second upload.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

TOKEN = "xoxp-1000000000-2000000000-3000000000-0123456789abcdef0123456789abcdef"
CROP = {"crop_x": 0, "crop_y": 0, "crop_w": 512}


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} is not in /proc/self/status")


def _reset_high_water() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


async def _uploader(contender: str, url: str) -> tuple[Callable[[Path], Awaitable[None]], object]:
    if contender == "plugin":
        from ocp_users_photo import UsersSetPhoto

        tool = UsersSetPhoto(TOKEN, base_url=url, environ={})

        async def plugin(path: Path) -> None:
            await tool.call({"image": str(path), **CROP})

        return plugin, tool
    if contender == "httpx":
        client = httpx.AsyncClient(timeout=30.0)

        async def floor(path: Path) -> None:
            with path.open("rb") as file:
                reply = await client.post(
                    f"{url}/users.setPhoto",
                    headers={"Authorization": f"Bearer {TOKEN}"},
                    data={name: str(value) for name, value in CROP.items()},
                    files={"image": (path.name, file, "image/png")},
                )
            if not reply.json().get("ok"):
                raise RuntimeError(f"httpx upload refused: {reply.text}")

        return floor, client
    if contender == "slack_sdk":
        from slack_sdk.web.async_client import AsyncWebClient

        web = AsyncWebClient(token=TOKEN, base_url=url + "/")

        async def sdk(path: Path) -> None:
            # aiohttp takes no int form values next to a file: the crop goes as text.
            await web.users_setPhoto(image=str(path), **{k: str(v) for k, v in CROP.items()})

        return sdk, web
    raise SystemExit(f"unknown contender {contender!r}")


async def probe(
    contender: str, url: str, path: Path, warmup: Path, file_bytes: int
) -> dict[str, object]:
    upload, owner = await _uploader(contender, url)
    await upload(warmup)
    await upload(warmup)
    before = _status_kb("VmRSS")
    reset = _reset_high_water()
    await upload(path)
    high_water = _status_kb("VmHWM")
    tracemalloc.start()
    await upload(path)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if hasattr(owner, "aclose"):
        await owner.aclose()
    return {
        "contender": contender,
        "file_bytes": file_bytes,
        "rss_growth": (high_water - before) * 1024 if reset else None,
        "traced_peak": traced_peak,
    }


def main() -> None:
    contender, url, path, warmup = sys.argv[1:5]
    file_bytes = Path(path).stat().st_size
    result = asyncio.run(probe(contender, url, Path(path), Path(warmup), file_bytes))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
