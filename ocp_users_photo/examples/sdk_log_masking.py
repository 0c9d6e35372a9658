"""Keeps people's tokens out of slack_sdk's DEBUG records, for the example Bolt app.

slack_sdk's web client logs each request's form and each reply's body at DEBUG (its
own loggers, at their default level), so the app's OAuth exchange and Bolt's token
rotation would put every installer's user, bot and refresh tokens in a host's logs.
The app knows no token in advance: records of those loggers have anything shaped like
a Slack token masked, and the value of an OAuth ``client_secret`` or ``code`` field.
"""

from __future__ import annotations

import logging
import re
from typing import Final

from ocp_users_photo.safe_text import REDACTED, without_tokens

# The loggers slack_sdk's web clients write through (each client's module logger).
SLACK_SDK_CLIENT_LOGGERS: Final = (
    "slack_sdk.web.async_base_client",
    "slack_sdk.web.base_client",
    "slack_sdk.web.legacy_base_client",
)
# 'client_secret': '...' or "code": "..." as a dict's repr or JSON writes them.
_SECRET_FIELD: Final = re.compile(
    r"""(?P<key>(?P<q>['"])(?:client_secret|code)(?P=q)\s*:\s*)(?P<v>['"])[^'"]*(?P=v)"""
)


class SecretsMasked(logging.Filter):
    """Rewrites a record whose text holds a token's shape or an OAuth secret field."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: leave it be
            return True
        masked = _SECRET_FIELD.sub(rf"\g<key>'{REDACTED}'", without_tokens(message))
        if masked != message:
            record.msg, record.args = masked, ()
        return True


_MASK: Final = SecretsMasked()


def mask_slack_sdk_logs() -> None:
    """Put the mask on slack_sdk's web client loggers (once; it is stateless)."""
    for name in SLACK_SDK_CLIENT_LOGGERS:
        logger = logging.getLogger(name)
        if _MASK not in logger.filters:
            logger.addFilter(_MASK)
