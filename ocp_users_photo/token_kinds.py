"""What kind of Slack token a string is, from its prefix alone: user, bot, app, refresh or other.

Slack tells token types apart by prefix; token rotation puts ``xoxe.`` in front of an
expiring access token and gives refresh tokens the bare ``xoxe-`` prefix. No imports
beyond typing, so that every module (the package's credentials, the emulator) may call
it on every request.
"""

from __future__ import annotations

from typing import Final, Literal

TokenKind = Literal["user", "bot", "app", "refresh", "other"]

# The longest lifetime (expires_in, seconds) taken as a rotating token's: Slack's live 12 h.
# A reply's larger number (JSON allows thousands of digits) is no lifetime a token has.
LONGEST_TOKEN_LIFETIME: Final = 7 * 24 * 3600


def token_kind(value: str) -> TokenKind:
    """xoxp-/xoxe.xoxp- user, xoxb-/xoxe.xoxb- bot, xapp- app, xoxe- (no dot) refresh.

    Anything else, other Slack prefixes (xoxa-, xoxc-) included, is "other".
    """
    # An expiring access token is its plain kind behind "xoxe."; only those two rotate.
    plain = value[5:] if value.startswith("xoxe.") else value
    if plain.startswith("xoxp-"):
        return "user"
    if plain.startswith("xoxb-"):
        return "bot"
    if plain is not value:
        return "other"
    if value.startswith("xapp-"):
        return "app"
    if value.startswith("xoxe-"):
        return "refresh"
    return "other"
