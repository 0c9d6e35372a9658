"""Each person's own user token, from slack_sdk's installation stores (extra ``installations``).

    from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
    from ocp_users_photo import UsersSetPhoto
    from ocp_users_photo.installations import InstallationTokenSource

    store = SQLite3InstallationStore(database="installations.db", client_id=CLIENT_ID)
    source = InstallationTokenSource(store, client_id=CLIENT_ID, client_secret=SECRET)
    async with UsersSetPhoto(source) as tool:
        await tool.acting_as(team_id="T123", user_id="U456").call({"image": "me.png"})

The modules: ``source.py`` (the token source), ``store_access.py`` (the store, off the
event loop), ``refresh_grant.py`` (oauth.v2.access), ``person_locks.py`` (one refresh
per person in a process), ``refresh_locks.py``, ``sqlite_lease.py`` and
``postgres_lock.py`` (one refresh among processes), ``errors.py`` (what went wrong).
"""

from __future__ import annotations

from ocp_users_photo.extras import install_command, require_release

try:
    import slack_sdk.oauth.installation_store  # noqa: F401
    from slack_sdk.version import __version__ as slack_sdk_version

    # An older one (a Bolt app's environment may hold it) is refused: it would answer
    # "not installed" for a person who did install the app, for ever.
    require_release(
        "slack_sdk",
        slack_sdk_version,
        (3, 44),
        "installations",
        "before 3.44 its stores lose installations a person made alone",
    )
except ModuleNotFoundError as missing:  # the extra is not installed
    raise ImportError(
        f"the installations extra is not installed ({missing.name or 'slack_sdk'} is missing): "
        + install_command("installations")
    ) from missing

from ocp_users_photo.installations import errors
from ocp_users_photo.installations.errors import *  # noqa: F403 (its __all__, added below)
from ocp_users_photo.installations.refresh_locks import (
    RefreshLock,
    SingleProcessRefreshLock,
    refresh_lock_for,
)
from ocp_users_photo.installations.source import InstallationTokenSource
from ocp_users_photo.installations.sqlite_lease import SQLiteRefreshLock

__all__ = [
    "InstallationTokenSource",
    "RefreshLock",
    "SQLiteRefreshLock",
    "SingleProcessRefreshLock",
    "refresh_lock_for",
]
__all__ += errors.__all__
