"""A nesting depth Python's own ``json.loads`` cannot follow, on the Python running the tests.

Where it gives up is the interpreter's, and differs by version: about 1,000 levels on 3.11
(the recursion limit), 1,500 on 3.12 and 10,000 on 3.13 (a C recursion bound of their own).
A fixed depth (990, 1,500) is past it on one version and read whole on the next, where a
test of what happens past it fails, or passes without reaching the code it is about.
"""

from __future__ import annotations

import json
from typing import Final

# Far past every bound above: a Python that follows this is one no test here was written for.
_LARGEST_TRIED: Final = 1_000_000


def _depth_json_cannot_follow() -> int:
    """Twice the first depth json.loads refuses here: a thread with a shallower stack, where
    3.11's bound leaves a few more levels, cannot follow it either."""
    depth = 1000
    while depth <= _LARGEST_TRIED:
        try:
            json.loads("[" * depth + "]" * depth)
        except RecursionError:
            return 2 * depth
        depth *= 2
    raise AssertionError(f"json.loads follows {_LARGEST_TRIED:,} levels on this Python")


PAST_JSON_DEPTH: Final = _depth_json_cannot_follow()


def nested_arrays(depth: int = PAST_JSON_DEPTH) -> str:
    """``depth`` empty arrays, one inside the other: valid JSON that json.loads cannot read."""
    return "[" * depth + "]" * depth
