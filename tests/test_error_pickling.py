"""Every error the package raises survives pickle and deepcopy as it was: a process pool, a
task queue (Celery, RQ) or a framework that copies its state hands the caller the same
type, text and attributes. Most take other arguments than their message, so the default
(calling ``__init__(*args)`` again) raised TypeError or rebuilt another text.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import pickle
import pkgutil
from collections.abc import Iterator

import pytest

import ocp_users_photo
from ocp_users_photo.errors import (
    InvalidArguments,
    Problem,
    RateLimited,
    ReplySchemaError,
    SlackApiError,
    TokenNotUsable,
    TokenUnavailable,
    TransportError,
    UsersPhotoError,
)
from ocp_users_photo.installations.errors import (
    ForeignInstallation,
    InstallationStoreFailed,
    NoActingPerson,
    NotInstalled,
    RefreshBusy,
    RefreshImpossible,
    TokenRefreshFailed,
    UserTokenMissing,
)
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.undo.errors import (
    DamagedEntry,
    EntryRefused,
    HistoryBusy,
    HistoryUnavailable,
    KeepingImpossible,
    KeptPhotoUnusable,
    NothingToUndo,
    StaleUndoEntry,
    UndoOvertaken,
)
from ocp_users_photo.web_image import refusals
from tests.conftest import CANARY_TOKEN

ALICE = ActingPerson("T0ACME", "U0ALICE", enterprise_id="E0ORG")
INSTALL = "https://photos.example.com/slack/install"


def examples() -> list[UsersPhotoError]:
    """One of each error class, with its attributes set as the package sets them."""
    problem = Problem("$.image", "image path 'me.png' is not a regular file")
    made: list[UsersPhotoError] = [
        InvalidArguments([problem, Problem("$.crop_w", "crop_w must be a whole number")]),
        TokenNotUsable([Problem("$.token", "no token")], refused="auth.test was not called"),
        SlackApiError(
            "missing_scope",
            hint="add users.profile:write",
            reply={
                "ok": False,
                "error": "missing_scope",
                "needed": "users.profile:write",
                "response_metadata": {"messages": ["[ERROR] missing scope"]},
            },
            method="users.setPhoto",
        ),
        RateLimited(12.5, hint="wait", reply={"ok": False, "error": "ratelimited"}),
        ReplySchemaError([Problem("$.profile", "not an object")], {"ok": True, "profile": 3}),
        TransportError("no answer", status_code=502, reached=True, method="users.setPhoto"),
        TokenUnavailable("no token for them", install_url=INSTALL),
        NoActingPerson(),
        NotInstalled(ALICE, install_url=INSTALL),
        UserTokenMissing(ALICE, install_url=INSTALL, damaged=True),
        ForeignInstallation(ALICE),
        RefreshImpossible(ALICE, install_url=INSTALL),
        TokenRefreshFailed(ALICE, slack_error="invalid_refresh_token", install_url=INSTALL),
        # The store's own text (which may quote a token) is never kept, pickled or not.
        InstallationStoreFailed("saving", RuntimeError(f"INSERT ... {CANARY_TOKEN}")),
        RefreshBusy(ALICE, 30.0),
        KeepingImpossible("no users.profile:read", fix="add it", needs_read_scope=True),
        HistoryUnavailable("the photo history /tmp/h.sqlite3 is damaged"),
        HistoryBusy("the photo history /tmp/h.sqlite3 is locked"),
        NothingToUndo("nothing kept"),
        UndoOvertaken(3, 4),
        StaleUndoEntry("kept photo #3 records a change that did not happen"),
        EntryRefused("entry 9 is not one of this person's"),
        KeptPhotoUnusable(
            2,
            "its bytes are no image",
            tool_name="usersRestorePhoto",
            refused="nothing was put back",
        ),
        DamagedEntry(2, "its photo's bytes no longer match their SHA-256"),
    ]
    made += [
        kind(f"refused by {kind.__name__}")
        for kind in vars(refusals).values()
        if isinstance(kind, type) and issubclass(kind, refusals.ImageUrlRefused)
    ]
    return made


def every_error_class() -> Iterator[type[UsersPhotoError]]:
    for module in pkgutil.walk_packages(ocp_users_photo.__path__, "ocp_users_photo."):
        if not module.name.startswith(("ocp_users_photo.examples", "ocp_users_photo.frameworks")):
            # A module of an extra that is absent (ocp-agent's) defines no error class.
            with contextlib.suppress(ImportError):
                importlib.import_module(module.name)
    pending = [UsersPhotoError]
    while pending:
        kind = pending.pop()
        yield kind
        pending.extend(kind.__subclasses__())


def test_the_examples_cover_every_error_class() -> None:
    classes = {kind for kind in every_error_class() if kind.__module__.startswith("ocp_users")}
    covered = {type(error) for error in examples()}
    assert classes - {UsersPhotoError} == covered


@pytest.mark.parametrize("error", examples(), ids=lambda error: type(error).__name__)
def test_an_error_comes_back_as_it_was_from_pickle_and_deepcopy(error: UsersPhotoError) -> None:
    pickled = pickle.dumps(error)
    assert CANARY_TOKEN.encode() not in pickled
    for again in (pickle.loads(pickled), copy.deepcopy(error), copy.copy(error)):
        assert type(again) is type(error)
        assert str(again) == str(error)
        assert repr(again) == repr(error)
        assert again.args == error.args
        assert again.code == error.code
        assert vars(again) == vars(error)
        with pytest.raises(type(error)):
            raise again
