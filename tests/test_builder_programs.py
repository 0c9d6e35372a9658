"""A demanding user's programs under ``mypy --strict``: whether a failed call may have set the
photo, asked of any error alike, and ``OCPAgent.call_tool``'s usersSetPhoto reply typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import (
    InvalidArguments,
    Problem,
    ReplySchemaError,
    SlackApiError,
    TransportError,
    UsersPhotoError,
)
from ocp_users_photo.errors import may_have_taken_effect
from ocp_users_photo.undo import NothingToUndo
from tests.programs import mypy_strict_on


@pytest.mark.parametrize(
    ("error", "changed"),
    [
        # HTTP 200 with JSON that is no object: an answer came, unusable; reached is None,
        # falsy, yet the message says to check whether the call took effect.
        (TransportError("unusable answer", status_code=200, reached=None), True),
        (TransportError("answered 502", status_code=502, reached=True), True),
        (TransportError("no connection", reached=False), False),
        (TransportError("auth.test failed", reached=True, method="auth.test"), False),
        (ReplySchemaError([Problem("$.ok", "odd")], {}), True),
        (SlackApiError("internal_error", hint="try later", reply={}), True),
        (SlackApiError("missing_scope", hint="add it", reply={}), False),
        (InvalidArguments([Problem("$.image", "missing")]), False),
        (NothingToUndo("nothing kept"), False),
    ],
)
def test_every_error_says_whether_the_photo_may_have_changed(
    error: UsersPhotoError, changed: bool
) -> None:
    # A host catching UsersPhotoError asks the error itself, as a SlackApiError could already:
    # `if error.reached:` reads an unusable answer (reached=None) as "nothing changed".
    assert error.may_have_taken_effect is changed
    assert may_have_taken_effect(error) is changed


@pytest.mark.runs_long
def test_mypy_strict_reads_the_agents_photo_reply_as_a_dict(
    tmp_path: Path, ocp_agent_library: Any
) -> None:
    # The README's OCPAgent program in a typed function: call_tool returned Coroutine[..., Any],
    # so returning its reply was "Returning Any from function declared to return dict".
    done = mypy_strict_on(
        tmp_path,
        "from typing import Any\n"
        "from ocp_users_photo import OCPAgent\n"
        "async def set_photo(agent: OCPAgent) -> dict[str, Any]:\n"
        "    return await agent.call_tool('usersSetPhoto', {'image': 'me.png'})\n"
        # Another tool's reply stays what ocp-agent returns (Any): taken as an int here,
        # it would be an error were the general overload typed as the photo's dict.
        "async def other(agent: OCPAgent) -> None:\n"
        "    reply: int = await agent.call_tool('chatPostMessage', {}, 'slack')\n",
    )
    assert done.returncode == 0, done.stdout
