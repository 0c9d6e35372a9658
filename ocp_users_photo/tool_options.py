"""The options of a new ``UsersSetPhoto`` as one typed mapping, for the doors that make the
tool for their caller (``register(agent, **options)``, ``OCPAgent(**options)``): typed as
``**options: Unpack[ToolOptions]``, a misspelt option is a type error there too, as it is
for ``UsersSetPhoto(...)`` itself (tests/test_python_api_ergonomics.py keeps the two in step).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    import httpx

    from ocp_users_photo.environment import Environment
    from ocp_users_photo.images.limits import ImageLimits
    from ocp_users_photo.images.policy import Fit
    from ocp_users_photo.images.resolvers import ImageResolver
    from ocp_users_photo.observers import CallObserver
    from ocp_users_photo.photo_reply import ReplyCheck
    from ocp_users_photo.settings import ImageRoots
    from ocp_users_photo.tokens import TokenSource
    from ocp_users_photo.tool import KeepPrevious
    from ocp_users_photo.undo.store import PhotoHistory

__all__ = ["ToolOptions", "held_options"]


class ToolOptions(TypedDict, total=False):
    """``UsersSetPhoto``'s arguments, each optional, with the types it takes."""

    token: str | TokenSource | None
    base_url: str | None
    client: httpx.AsyncClient | None
    timeout: float
    deadline: float
    max_retries: int
    max_retry_wait: float
    reply_check: ReplyCheck
    fit: Fit
    image_roots: ImageRoots
    retry_backoff: float
    limits: ImageLimits
    environ: Mapping[str, str] | Environment | None
    observers: Sequence[CallObserver]
    url_hosts: Sequence[str] | None
    image_resolvers: Mapping[str, ImageResolver] | None
    keep_previous: KeepPrevious
    photo_history: PhotoHistory | str | os.PathLike[str] | None


def held_options(options: ToolOptions) -> ToolOptions:
    """A copy of ``options`` with the token held as a source and the environment as an
    ``Environment``: a door's frame holding them, when the tool refuses an option, shows
    neither to an error reporter, which walks a mapping's values (environment.py)."""
    from ocp_users_photo.environment import Environment
    from ocp_users_photo.tokens import held_token

    held = options.copy()
    if "token" in held:
        held["token"] = held_token(held["token"])
    if "environ" in held:
        held["environ"] = Environment.of(held["environ"])
    return held
