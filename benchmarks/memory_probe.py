"""Peak memory of one piece of work, measured in a fresh process so nothing else is counted.

bench.py runs this once per measurement and reads the JSON line it prints:

    python memory_probe.py upload CONTENDER URL FILE WARMUP   # plugin | httpx | slack_sdk
    python memory_probe.py prepare LABEL PHOTO                # the plugin's prepare
    python memory_probe.py pillow LABEL PHOTO GAP             # the least Pillow work

``upload``: after two warm-up uploads of a small file (imports, connection,
validators), FILE is uploaded twice: ``rss_growth`` is the resident-set high-water
mark during the first (reset just before it through /proc/self/clear_refs) minus
the resident set before it; ``traced_peak`` is tracemalloc's peak of Python
allocations during the second.

``prepare`` and ``pillow``: after a warm-up on a small photo (Pillow's codecs, the
plugin's thread), the photo named LABEL (photos.py) at PHOTO is prepared once, and
``rss_growth`` is measured the same way.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from photos import PHOTOS, Photo

# Its secret part shares no run of 12 characters with the loopback server's avatar hash
# ("0123456789ab"): the plugin redacts such runs from replies, and the hash would then
# break the reply's schema.
TOKEN = "xoxp-1000000000-2000000000-3000000000-fedcba9876543210fedcba9876543210"
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
        import plugin_adapter

        tool = plugin_adapter.make_tool(TOKEN, url)

        async def plugin(path: Path) -> None:
            await plugin_adapter.call(tool, {"image": str(path), **CROP})

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


async def probe_upload(
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


def _warmup_jpeg() -> bytes:
    """A small photo that still needs scaling: loads Pillow's JPEG codecs before measuring."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1100, 600), (90, 120, 150)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


async def probe_photo(mode: str, photo: Photo, gap: str | None) -> dict[str, object]:
    import photo_prepare
    import plugin_adapter

    target = photo_prepare.target_for(photo)
    tool = plugin_adapter.make_tool(TOKEN, "http://127.0.0.1:9/api")
    reducing_gap = None if gap in (None, "None") else float(gap)

    async def work() -> None:
        if mode == "prepare":
            await plugin_adapter.prepare_and_close(tool, photo.arguments)
        else:
            photo_prepare.least_pillow_work(photo, target, reducing_gap)

    warm = {"image": _warmup_jpeg(), "crop_x": 0, "crop_y": 0, "crop_w": 580}
    for _ in range(2):  # both ways use the same codecs; the warm-up loads them
        await plugin_adapter.prepare_and_close(tool, warm)
    before = _status_kb("VmRSS")
    reset = _reset_high_water()
    await work()
    high_water = _status_kb("VmHWM")
    await plugin_adapter.close(tool)
    return {
        "mode": mode,
        "file_bytes": photo.file_bytes,
        "rss_growth": (high_water - before) * 1024 if reset else None,
    }


def main() -> None:
    mode, *rest = sys.argv[1:]
    if mode == "upload":
        contender, url, path, warmup = rest
        size = Path(path).stat().st_size
        result = asyncio.run(probe_upload(contender, url, Path(path), Path(warmup), size))
    elif mode in ("prepare", "pillow"):
        label, path, *gap = rest
        spec = next(spec for spec in PHOTOS if spec.label == label)
        photo = Photo(spec, Path(path), Path(path).stat().st_size)
        result = asyncio.run(probe_photo(mode, photo, gap[0] if gap else None))
    else:
        raise SystemExit(f"unknown mode {mode!r}: upload, prepare or pillow")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
