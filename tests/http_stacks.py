"""The HTTP stacks the tool's own client can use, as a pytest parameter for the suites that
must hold on each (hardening, faults on the wire).

``aiohttp`` is the ``[fast]`` extra, which the test extras install: where it is absent
its cases are skipped with that reason (shown by ``-ra``), unless
``OCP_USERS_PHOTO_REQUIRE_FAST`` is set, which makes its absence a failure.
"""

from __future__ import annotations

import os

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.settings import HTTP_STACK_VARIABLE
from ocp_users_photo.slack.stacks import EXTRA_ADVICE, aiohttp_installed

STACKS = ("httpx", "aiohttp")


def _missing_fast_extra() -> bool:
    if aiohttp_installed():
        return False
    if os.environ.get("OCP_USERS_PHOTO_REQUIRE_FAST"):
        raise RuntimeError(
            f"OCP_USERS_PHOTO_REQUIRE_FAST is set but aiohttp is missing or too old: {EXTRA_ADVICE}"
        )
    return True


def stack_params() -> list[object]:
    """One pytest parameter per stack; aiohttp's skipped, with the reason, when absent."""
    missing = _missing_fast_extra()
    return [
        pytest.param("httpx", id="httpx"),
        pytest.param(
            "aiohttp",
            id="aiohttp",
            marks=pytest.mark.skipif(missing, reason=f"the [fast] extra is absent: {EXTRA_ADVICE}"),
        ),
    ]


def stack_of(tool: UsersSetPhoto) -> str:
    """The stack ``tool``'s calls go through (``client`` for a caller's client)."""
    return tool._slack.http_stack


def stack_environ(stack: str, **variables: str) -> dict[str, str]:
    """An ``environ=`` for a tool whose own client uses ``stack``, with ``variables``."""
    return {HTTP_STACK_VARIABLE: stack, **variables}
