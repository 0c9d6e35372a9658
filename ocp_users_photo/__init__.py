"""ocp-users-photo: Slack's users.setPhoto as a checked, asynchronous agent tool."""

from ocp_users_photo._version import __version__

__all__ = ["__version__"]
