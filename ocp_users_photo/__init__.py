"""ocp-users-photo: Slack's users.setPhoto as a checked, asynchronous agent tool.

>>> tool = UsersSetPhoto()                       # token from SLACK_USER_TOKEN
>>> reply = await tool.call({"image": "me.png"})  # checked reply, or a UsersPhotoError

The names below are imported on first use (PEP 562), so ``import ocp_users_photo``
costs next to nothing; the tool, the agent integration and the errors load when
a program first touches them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocp_users_photo._version import __version__
from ocp_users_photo.lazy_names import installed, lazy_attributes

if TYPE_CHECKING:
    from ocp_users_photo.acting_tool import ActingTool
    from ocp_users_photo.agents import register
    from ocp_users_photo.agents.agent import OCPAgent
    from ocp_users_photo.credentials import SlackToken
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
    from ocp_users_photo.images.limits import ImageLimits
    from ocp_users_photo.prepared import PreparedUpload
    from ocp_users_photo.tokens import ActingPerson, TokenSource, acting_as
    from ocp_users_photo.tool import UsersSetPhoto
    from ocp_users_photo.whoami import TokenIdentity

__all__ = [
    "ActingPerson",
    "ActingTool",
    "ImageLimits",
    "InvalidArguments",
    "OCPAgent",
    "PreparedUpload",
    "Problem",
    "RateLimited",
    "ReplySchemaError",
    "SlackApiError",
    "SlackToken",
    "TokenIdentity",
    "TokenNotUsable",
    "TokenSource",
    "TokenUnavailable",
    "TransportError",
    "UsersPhotoError",
    "UsersSetPhoto",
    "__version__",
    "acting_as",
    "register",
]

_HOMES = {
    "ActingPerson": "ocp_users_photo.tokens",
    "ActingTool": "ocp_users_photo.acting_tool",
    "ImageLimits": "ocp_users_photo.images.limits",
    "InvalidArguments": "ocp_users_photo.errors",
    "OCPAgent": "ocp_users_photo.agents.agent",
    "PreparedUpload": "ocp_users_photo.prepared",
    "Problem": "ocp_users_photo.errors",
    "RateLimited": "ocp_users_photo.errors",
    "ReplySchemaError": "ocp_users_photo.errors",
    "SlackApiError": "ocp_users_photo.errors",
    "SlackToken": "ocp_users_photo.credentials",
    "TokenIdentity": "ocp_users_photo.whoami",
    "TokenNotUsable": "ocp_users_photo.errors",
    "TokenSource": "ocp_users_photo.tokens",
    "TokenUnavailable": "ocp_users_photo.errors",
    "TransportError": "ocp_users_photo.errors",
    "UsersPhotoError": "ocp_users_photo.errors",
    "UsersSetPhoto": "ocp_users_photo.tool",
    "acting_as": "ocp_users_photo.tokens",
    "register": "ocp_users_photo.agents",
}

# ocp-agent is not on the package index: without it, OCPAgent is still importable by name
# (its ImportError says how to install it) but not listed, so that a star import, pydoc
# and IDEs listing the package do not fail on it.
# (Out of type checkers' sight: to them OCPAgent is always exported.)
if not TYPE_CHECKING and not installed("ocp_agent"):
    __all__.remove("OCPAgent")

__getattr__, __dir__ = lazy_attributes(__name__, _HOMES, __all__)
