"""The canary token never reaches the history file, a listing, an error, a repr or a log record.

The whole undo cycle runs with the canary token at DEBUG: keeping, undo, restore, the
model tool's listing and refusals, a damaged history, an unreadable original, a
server that echoes the token back; then the history file (and its WAL) is searched
byte by byte, and so is every text the cycle produced.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import UsersPhotoError
from ocp_users_photo.slack.session import IdentityCache
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import GREEN, RED, stored_bytes

CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]


async def test_no_token_in_the_history_listings_errors_or_logs(
    emulator: RunningEmulator, tmp_path: Path, debug_logs: pytest.LogCaptureFixture
) -> None:
    history_file = tmp_path / "history.sqlite3"
    texts: list[str] = []
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        photo_history=history_file,
        retry_backoff=0.01,
    ) as tool:
        restore = tool.restore_tool()
        texts.append(
            json.dumps(await tool.run({"image": RED, "crop_x": 1, "crop_y": 1, "crop_w": 512}))
        )
        texts.append(json.dumps(await tool.run({"image": GREEN})))
        texts.append(json.dumps(await restore.run({})))
        texts.append(json.dumps(await restore.run({"entry": 1})))
        texts.append(json.dumps(await restore.run({"entry": 1000})))
        texts.append(json.dumps(await restore.run({"token": CANARY_TOKEN})))
        # A server that echoes the token in the profile read: refused, never repeated.
        emulator.faults.inject(
            Fault.json({"ok": False, "error": "invalid_auth {token}"}),
            path="/api/users.profile.get",
        )
        texts.append(json.dumps(await tool.run({"image": RED})))
        original = (await tool.history())[0]
        texts.extend(entry.describe() for entry in await tool.history())
        texts.append(json.dumps([entry.as_dict() for entry in await tool.history()]))
        texts.append(repr(original))
        emulator.faults.inject(Fault.status(500), path="*", times=3)
        with pytest.raises(UsersPhotoError) as failed:
            await tool.undo()
        texts.extend([str(failed.value), repr(failed.value), failed.value.message])
        texts.extend([repr(tool), repr(tool.photo_history), repr(restore)])
        texts.extend(repr(keeper) for keeper in tool._keepers.values())
    stored = stored_bytes(tmp_path, "history")
    assert stored, "the history was written"
    assert CANARY_SECRET.encode() not in stored
    texts.extend(record.getMessage() for record in debug_logs.records)
    texts.extend(str(record.args) for record in debug_logs.records)
    assert len(texts) > 20
    for text in texts:
        assert CANARY_SECRET not in text, text


async def test_a_session_never_gives_its_token_out(emulator: RunningEmulator) -> None:
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        session = await tool._session_for()
        assert CANARY_SECRET not in repr(session)
        assert not hasattr(session, "__dict__")
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(session)
        with pytest.raises(ValueError, match="only Slack's read methods"):
            await session.call("users.setPhoto")
        first = await session.whoami()
        second = await (await tool._session_for()).whoami()
        assert first == second
    # auth.test once: the identity is remembered by an HMAC of the token, not the token.
    assert len(emulator.requests.for_path("/api/auth.test")) == 1


def test_the_identity_cache_keys_are_not_the_token() -> None:
    from ocp_users_photo.credentials import SlackToken
    from ocp_users_photo.whoami import TokenIdentity

    cache = IdentityCache(max_tokens=2)
    key = cache.key_for(SlackToken(CANARY_TOKEN))
    assert CANARY_SECRET.encode() not in key
    assert len(key) == 32
    assert IdentityCache().key_for(SlackToken(CANARY_TOKEN)) != key  # a key per cache
    # Bounded: the least recently used of three identities is forgotten.
    identities = {
        name: TokenIdentity(
            user_id=name, user=name, team_id="T1", team="t", url="", kind="user", scopes=()
        )
        for name in ("U1", "U2", "U3")
    }
    keys = {name: cache.key_for(SlackToken(f"xoxp-1-2-{name}")) for name in identities}
    cache.put(keys["U1"], identities["U1"])
    cache.put(keys["U2"], identities["U2"])
    assert cache.get(keys["U1"]) == identities["U1"]  # U1 used: U2 is now the oldest
    cache.put(keys["U3"], identities["U3"])
    assert cache.get(keys["U2"]) is None
    assert cache.get(keys["U1"]) == identities["U1"]
    assert cache.get(keys["U3"]) == identities["U3"]
    assert "canary" not in repr(cache)


def test_the_identity_cache_remembers_a_workspaces_people() -> None:
    # With one auth.test per installation token before a change, 256 answers meant one
    # more request on every call once a workspace's assistant served its 257th person.
    from ocp_users_photo.credentials import SlackToken
    from ocp_users_photo.whoami import TokenIdentity

    cache = IdentityCache()
    keys = [cache.key_for(SlackToken(f"xoxp-1-2-{n}")) for n in range(3000)]
    for n, key in enumerate(keys):
        cache.put(key, TokenIdentity(
            user_id=f"U{n}", user="u", team_id="T1", team="t", url="", kind="user", scopes=()
        ))  # fmt: skip
    assert all(cache.get(key) is not None for key in keys)
