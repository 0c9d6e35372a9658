"""ocp-users-photo: Slack's users.setPhoto as a checked, asynchronous agent tool.

>>> tool = UsersSetPhoto()                       # token from SLACK_USER_TOKEN
>>> reply = await tool.call({"image": "me.png"})  # checked reply, or a UsersPhotoError
"""

from ocp_users_photo._version import __version__
from ocp_users_photo.agents import register
from ocp_users_photo.errors import (
    InvalidArguments,
    Problem,
    RateLimited,
    ReplySchemaError,
    SlackApiError,
    TransportError,
    UsersPhotoError,
)
from ocp_users_photo.image import ImageLimits
from ocp_users_photo.tool import PreparedUpload, UsersSetPhoto

__all__ = [
    "ImageLimits",
    "InvalidArguments",
    "PreparedUpload",
    "Problem",
    "RateLimited",
    "ReplySchemaError",
    "SlackApiError",
    "TransportError",
    "UsersPhotoError",
    "UsersSetPhoto",
    "__version__",
    "register",
]
