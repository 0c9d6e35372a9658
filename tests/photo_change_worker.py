"""One OS process of the cross-process history tests: changes one person's photo.

    python -m tests.photo_change_worker BASE_URL HISTORY ACTION [ACTION ...]

Each ACTION is a path of an image to set, or ``undo``. Waits for "go" on stdin, so that
several workers start their changes together, then prints one JSON line: per action,
"ok" or the error's class name.
"""

from __future__ import annotations

import asyncio
import json
import sys

from ocp_users_photo import UsersPhotoError, UsersSetPhoto
from tests.conftest import CANARY_TOKEN


async def main(base_url: str, history: str, actions: list[str]) -> list[str]:
    outcomes: list[str] = []
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=base_url,
        environ={},
        photo_history=history,
        keep_previous=True,
    ) as tool:
        for action in actions:
            try:
                if action == "undo":
                    await tool.undo()
                else:
                    await tool.call({"image": action})
            except UsersPhotoError as error:
                outcomes.append(type(error).__name__)
            else:
                outcomes.append("ok")
    return outcomes


if __name__ == "__main__":
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("expected 'go' on stdin")
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))))
