"""One OS process of the cross-process history tests: takes or tries a person's turn.

    python -m tests.history_turn_worker hold HISTORY   # prints "held", holds until stdin ends
    python -m tests.history_turn_worker try HISTORY    # prints "took" or "waited"

``try`` waits at most a few seconds for the turn (a short call deadline), so a turn held
by another process shows as "waited", never as a long wait.
"""

from __future__ import annotations

import asyncio
import sys

from ocp_users_photo.undo import PhotoHistory
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.errors import HistoryBusy

OWNER = HistoryOwner("T0EMULATOR", "UALICE0001")


async def hold(path: str) -> None:
    history = PhotoHistory(path)
    turn = await history.turn(OWNER)
    print("held", flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until the test closes our stdin
    await turn.end()
    await history.aclose()


async def attempt(path: str) -> None:
    history = PhotoHistory(path)
    try:
        turn = await asyncio.wait_for(history.turn(OWNER), timeout=3.0)
    except (TimeoutError, HistoryBusy):
        print("waited", flush=True)
    else:
        print("took", flush=True)
        await turn.end()
    await history.aclose()


if __name__ == "__main__":
    mode, history_path = sys.argv[1:]
    asyncio.run(hold(history_path) if mode == "hold" else attempt(history_path))
