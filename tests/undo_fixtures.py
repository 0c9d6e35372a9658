"""What the undo tests share: what Slack (the emulator) shows a person, read over HTTP, and images.

``shown`` asks the emulator as any Slack client would: users.profile.get, then every
rendition URL it names, so a test compares the avatar hash and the pictures people
see, not only the bytes kept.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RENDITION_SIZES, Fault, RunningEmulator
from ocp_users_photo.undo import PhotoHistory
from tests.conftest import CANARY_TOKEN, shown_avatar_hash

# A user token that may change the photo but not read it (no users.profile:read).
NO_READ_TOKEN = "xoxp-5555555555-6666666666-7777777777-noreadscope0000000000000000000000"


def history_tool(
    emulator: RunningEmulator,
    history: Path | PhotoHistory,
    *,
    token: str = CANARY_TOKEN,
    **options: Any,
) -> UsersSetPhoto:
    """A tool on the emulator keeping photos in ``history``, reading no environment."""
    return UsersSetPhoto(
        token, base_url=emulator.base_url, environ={}, photo_history=history, **options
    )


# The lease of a history whose test meets a change in doubt (a lost answer, a cancelled
# upload) only on its way: such a change holds the person's turn for the settle time, half
# the lease at most (turns.settle_within), so 2 s here rather than a person's 10. The tests
# of that hold keep the default lease.
BRIEF_LEASE_SECONDS = 4.0


@asynccontextmanager
async def briefly_held_history(path: Path) -> AsyncIterator[PhotoHistory]:
    """A history at ``path`` on a lease of ``BRIEF_LEASE_SECONDS``, closed after."""
    history = PhotoHistory(path, lease_seconds=BRIEF_LEASE_SECONDS)
    try:
        yield history
    finally:
        await history.aclose()


def no_read_token(emulator: RunningEmulator) -> str:
    """``NO_READ_TOKEN``, granted users.profile:write alone by the emulator."""
    emulator.state.add_token(NO_READ_TOKEN, scopes="users.profile:write")
    return NO_READ_TOKEN


@dataclass(frozen=True)
class Shown:
    """What Slack shows for a person: the avatar hash, whether it is their own, the renditions."""

    avatar_hash: str
    is_custom: bool
    renditions: dict[int, bytes]
    original: bytes | None


async def shown(emulator: RunningEmulator, token: str) -> Shown:
    """users.profile.get and every image it names, fetched over HTTP."""
    async with httpx.AsyncClient(timeout=10) as http:
        reply = await http.post(
            f"{emulator.base_url}/users.profile.get",
            headers={"Authorization": f"Bearer {token}"},
        )
        profile = reply.json()["profile"]
        renditions = {}
        for size in RENDITION_SIZES:
            answer = await http.get(profile[f"image_{size}"])
            answer.raise_for_status()
            renditions[size] = answer.content
        original = None
        if "image_original" in profile:
            answer = await http.get(profile["image_original"])
            answer.raise_for_status()
            original = answer.content
    return Shown(profile["avatar_hash"], profile["is_custom_image"], renditions, original)


def picture(color: tuple[int, int, int], size: int = 600, fmt: str = "PNG") -> bytes:
    """A square image of one colour with a differently coloured quarter (crops show)."""
    image = Image.new("RGB", (size, size), color)
    image.paste((20, 40, 220), (size // 2, 0, size, size // 2))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def rows(path: Path, query: str) -> list[tuple[object, ...]]:
    """Rows of the history file, read with a connection of the test's own."""
    with sqlite3.connect(path) as database:
        return list(database.execute(query).fetchall())


def write_file(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def exists(path: Path) -> bool:
    return path.exists()


def file_mode(path: Path) -> int:
    return path.stat().st_mode


def damage_table(path: Path, table: str) -> None:
    """Overwrite the root page of ``table`` with bytes no b-tree page starts with."""
    with sqlite3.connect(path) as database:
        page_size = database.execute("PRAGMA page_size").fetchone()[0]
        (root,) = database.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
        database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with path.open("r+b") as file:
        file.seek(page_size * (root - 1))
        file.write(b"\xff" * 64)


def stored_bytes(folder: Path, prefix: str) -> bytes:
    """Every file in ``folder`` whose name starts with ``prefix`` (a database and its WAL)."""
    return b"".join(path.read_bytes() for path in folder.iterdir() if path.name.startswith(prefix))


# Two photos every undo test sets, told apart by their colour.
RED = picture((200, 30, 30))
GREEN = picture((30, 160, 60))


async def own_photo(emulator: RunningEmulator) -> str:
    """RED set outside any history (as Slack's own client would): its avatar hash."""
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as outside:
        await outside.call({"image": RED})
    return shown_avatar_hash(emulator)


LONG_RATE_LIMIT = httpx.Response(
    429, headers={"retry-after": "120"}, json={"ok": False, "error": "ratelimited"}
)


class AppliedThen(httpx.AsyncBaseTransport):
    """Once armed: the first users.setPhoto reaches Slack (the emulator applies it) and is
    answered HTTP 503 (Slack failed partway: the change may have happened); the later ones
    get ``later`` in turn, its last again and again. Everything else passes through."""

    def __init__(self, *later: httpx.Response) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.later = later
        self.armed = False
        self.sets = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not (self.armed and request.url.path.endswith("/users.setPhoto")):
            return await self.inner.handle_async_request(request)
        self.sets += 1
        if self.sets == 1:
            applied = await self.inner.handle_async_request(request)
            await applied.aread()
            return httpx.Response(503, json={"ok": False, "error": "internal_error"})
        scripted = self.later[min(self.sets - 2, len(self.later) - 1)]
        return httpx.Response(
            scripted.status_code, headers=scripted.headers, content=scripted.content
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


async def auth_test_without_scopes(emulator: RunningEmulator, token: str) -> None:
    """auth.test's next answer for ``token`` as Slack's own, without its x-oauth-scopes
    header: a token whose scopes go unlisted."""
    async with httpx.AsyncClient() as client:
        who = (
            await client.post(
                f"{emulator.base_url}/auth.test", headers={"Authorization": f"Bearer {token}"}
            )
        ).json()
    emulator.faults.inject(Fault.json(who), path="auth.test", times=1)
