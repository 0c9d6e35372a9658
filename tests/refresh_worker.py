"""One OS process of the cross-process refresh tests: waits for "go" on stdin, asks for a token.

    python -m tests.refresh_worker STORE BASE_URL TEAM_ID USER_ID CLOCK_OFFSET

STORE is ``sqlite:PATH`` or an SQLAlchemy URL (PostgreSQL). The source's clock runs
CLOCK_OFFSET seconds ahead, so the stored token looks about to expire and every
process wants to refresh it. Prints one JSON line: a digest of the token it got (never
the token).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import time
from typing import Any

from ocp_users_photo.installations import InstallationTokenSource
from ocp_users_photo.tokens import ActingPerson
from tests.installation_helpers import CLIENT_ID, CLIENT_SECRET


def open_store(spec: str) -> Any:
    if spec.startswith("sqlite:"):
        from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

        return SQLite3InstallationStore(database=spec.removeprefix("sqlite:"), client_id=CLIENT_ID)
    import sqlalchemy
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    engine = sqlalchemy.create_engine(spec, hide_parameters=True)
    return SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)


async def main(arguments: list[str]) -> dict[str, Any]:
    store_spec, base_url, team_id, user_id, offset = arguments
    ahead = float(offset)
    source = InstallationTokenSource(
        open_store(store_spec),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=base_url,
        clock=lambda: time.time() + ahead,
        environ={},
    )
    async with source:
        token = await source.token_for(ActingPerson(team_id=team_id, user_id=user_id))
    digest = hashlib.sha256(token.reveal().encode()).hexdigest()[:16]
    return {"token_sha256": digest}


if __name__ == "__main__":
    # Everything is imported and the store opened lazily; the race starts at "go".
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("expected 'go' on stdin")
    print(json.dumps(asyncio.run(main(sys.argv[1:]))))
