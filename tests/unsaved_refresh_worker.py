"""One OS process of the cross-process refresh tests whose store refuses a save for a while.

    python -m tests.unsaved_refresh_worker STORE_PATH BASE_URL TEAM_ID USER_ID CLOCK_OFFSET LOCKED

While the file LOCKED exists, the store's save fails as SQLite's does when another
program holds the file ("database is locked": a backup, a long write). The worker asks for
the person's token at once (its clock CLOCK_OFFSET seconds ahead, so it refreshes),
prints one JSON line (the outcome: "ok" or the error's code), then stays alive, idle as a
web worker between requests, until its stdin ends.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
from pathlib import Path

from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.errors import TokenUnavailable
from ocp_users_photo.installations import InstallationTokenSource
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import CLIENT_ID, CLIENT_SECRET


class LockedWhileFlagged(SQLite3InstallationStore):
    """slack_sdk's SQLite store, whose writes fail while ``flag`` exists."""

    def __init__(self, database: str, flag: Path) -> None:
        super().__init__(database=database, client_id=CLIENT_ID)
        self.flag = flag

    def save(self, installation: Installation) -> None:
        if self.flag.exists():
            raise sqlite3.OperationalError("database is locked")
        super().save(installation)


async def main(arguments: list[str]) -> None:
    database, base_url, team_id, user_id, offset, locked = arguments
    ahead = float(offset)
    source = InstallationTokenSource(
        LockedWhileFlagged(database, Path(locked)),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=base_url,
        clock=lambda: time.time() + ahead,
        environ={},
    )
    async with source:
        try:
            await source.token_for(ActingPerson(team_id=team_id, user_id=user_id))
        except TokenUnavailable as error:
            outcome = error.code
        else:
            outcome = "ok"
        print(json.dumps({"outcome": outcome}), flush=True)
        await asyncio.to_thread(sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
