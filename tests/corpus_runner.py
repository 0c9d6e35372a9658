"""Runs the in-process doors (call, run, agent) on one corpus item, in a process of its own.

    python -m tests.corpus_runner ROOT BASE_URL ITEM_NAME

For items that need the file permissions to bind: as root, the test runs this under
``unshare --user``, which drops CAP_DAC_OVERRIDE, so a mode-000 file is really
unreadable rather than mocked. The token comes from SLACK_USER_TOKEN. Prints one
JSON object: each door's Outcome and every log record (DEBUG and above).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.corpus import item_named
from tests.corpus_doors import LogTexts, Outcome, through_python_doors

EXIT_READABLE = 3


def main(argv: Sequence[str]) -> int:
    root_text, base_url, name = argv
    item = item_named(name)
    image = Path(root_text) / str(item.arguments["image"])
    try:
        with image.open("rb"):
            pass
    except PermissionError:
        pass
    else:
        print(f"{image} can be read here: the permission denial would not be real", file=sys.stderr)
        return EXIT_READABLE
    logs = LogTexts()
    root_logger = logging.getLogger()
    root_logger.addHandler(logs)
    root_logger.setLevel(logging.DEBUG)
    environ = {"SLACK_USER_TOKEN": os.environ["SLACK_USER_TOKEN"]}
    outcomes: list[Outcome] = asyncio.run(
        through_python_doors(item.arguments, Path(root_text), base_url, environ)
    )
    print(json.dumps({"outcomes": [o.to_json() for o in outcomes], "log": logs.texts}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
