"""Why an installation gives no token for the acting person, each with what to do.

    TokenUnavailable (../errors.py)    the token source has no usable token; nothing was sent
     ├── NoActingPerson                the host bound nobody around the call
     ├── NotInstalled                  this person has not installed the app (install_url)
     ├── UserTokenMissing              no usable user token in it (a bot-only install, or damaged)
     ├── ForeignInstallation           the store answered with another person's installation
     ├── RefreshImpossible             the token expired and there is no refresh token
     ├── TokenRefreshFailed            Slack refused the refresh, or answered it unusably
     ├── RefreshBusy                   another process held the refresh lock too long
     └── InstallationStoreFailed       the installation store (or its lock) raised

No message holds a token, a refresh token, a client secret or the text of a store's
exception (a database error can quote the row it was writing, tokens and all).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Final, Literal

from ocp_users_photo.errors import TokenUnavailable
from ocp_users_photo.installations.sqlite_file import StoreNotAFile
from ocp_users_photo.safe_text import shown_path
from ocp_users_photo.sqlite_busy import is_busy
from ocp_users_photo.tokens import ActingPerson

__all__ = [
    "APPS_OWN_REFRESH_ERRORS",
    "ForeignInstallation",
    "InstallationStoreFailed",
    "NoActingPerson",
    "NotInstalled",
    "RefreshBusy",
    "RefreshImpossible",
    "TokenRefreshFailed",
    "UserTokenMissing",
]


class NoActingPerson(TokenUnavailable):
    """The source serves many people, and the host said nobody is acting in this call."""

    code = "no_acting_person"

    def __init__(self) -> None:
        super().__init__(
            "no person is bound to this call, and the token source holds one token per "
            "person: the host must call the tool through tool.acting_as(team_id=..., "
            "user_id=...) or inside ocp_users_photo.tokens.acting_as(ActingPerson(...))"
        )


class NotInstalled(TokenUnavailable):
    """No installation of the app for this person: they must install it (with user scopes)."""

    code = "not_installed"

    def __init__(
        self,
        person: ActingPerson,
        *,
        install_url: str | None = None,
        filed_under: Literal["workspace", "organization"] | None = None,
    ) -> None:
        self.person = person
        where = f" at {install_url}" if install_url else ""
        if filed_under is not None:
            # Installed, but bound otherwise than filed: installing again would not help.
            if filed_under == "workspace":
                binding = (
                    "their installation is filed under their workspace alone, with no "
                    "enterprise id (the workspace is in no Enterprise Grid org, or the app was "
                    "installed before it joined one): the host binds them with "
                    "enterprise_id=None"
                )
            else:
                binding = (
                    "the app was installed for their whole organization, and slack_sdk's "
                    "stores file that under the organization alone: the host binds them with "
                    "team_id=None and their enterprise_id, as Bolt's "
                    "context.is_enterprise_install says"
                )
            super().__init__(
                f"{person} is not found as the host bound them, so there is no token to set "
                f"their photo with: {binding}; nothing was sent",
                install_url=install_url,
            )
            return
        # Bound without an enterprise id, a person of an Enterprise Grid org is not found:
        # slack_sdk's stores file an org's installations under it.
        if person.enterprise_id is None:
            grid = (
                " (if the workspace is in an Enterprise Grid org, the host must bind the person "
                "with their enterprise_id too, as Slack's request gives it: without it their "
                "installation is not found)"
            )
        elif person.team_id is not None:
            # Slack's request names the workspace even for an org-wide installation, which
            # slack_sdk's stores file under the organization alone: installing again would
            # not help.
            grid = (
                " (if the app was installed for their whole organization, as Bolt's "
                "context.is_enterprise_install says, the host must bind the person with "
                "team_id=None and their enterprise_id: an org-wide installation is filed "
                "under the organization alone)"
            )
        else:
            # Bound as an org-wide installation: one made in a workspace of the org is filed
            # under that workspace too, and is not found so (installing again would not help).
            grid = (
                " (if the app was installed in their workspace rather than for their whole "
                "organization, as Bolt's context.is_enterprise_install=False says, the host "
                "must bind the person with their team_id too: such an installation is filed "
                "under the workspace)"
            )
        super().__init__(
            f"{person} has not installed the app, so there is no token to set their photo "
            f"with: ask them to install it{where} (it asks for the user scopes "
            f"users.profile:write and users.profile:read), then try again{grid}",
            install_url=install_url,
        )


class UserTokenMissing(TokenUnavailable):
    """The installation has no usable user token: a bot-only install (reinstall with user
    scopes), or ``damaged``, one no HTTP header can carry (reinstall)."""

    code = "user_token_missing"

    def __init__(
        self, person: ActingPerson, *, install_url: str | None = None, damaged: bool = False
    ) -> None:
        self.person = person
        where = f" at {install_url}" if install_url else ""
        if damaged:
            message = (
                f"the app's installation for {person} holds a user token no request can use "
                "(spaces, control or non-ASCII characters, quote marks, a placeholder, or a "
                "bot, app or refresh token in its place: a store or a server damaged it); "
                "nothing was sent: have them "
                f"install the app again{where}"
            )
        else:
            message = (
                f"the app's installation for {person} holds a bot token only, and only the "
                "person's own user token can set their photo: add the user scopes "
                "users.profile:write and users.profile:read to the app's install link "
                f"(user_scope) and have them install it again{where}"
            )
        super().__init__(message, install_url=install_url)


class ForeignInstallation(TokenUnavailable):
    """The store answered a lookup for one person with an installation that would act as
    someone else, or in another workspace or organization."""

    code = "foreign_installation"

    def __init__(self, person: ActingPerson) -> None:
        self.person = person
        super().__init__(
            f"the installation store answered the lookup for {person} with an installation "
            "of another person, workspace or organization; nothing was sent, so no one "
            "else's photo changes: check the store's find_installation filters by user_id, "
            "team_id and enterprise_id (for an org-wide installation, name the person by "
            "their enterprise_id)"
        )


class RefreshImpossible(TokenUnavailable):
    """The user token expired and the installation has no refresh token to renew it."""

    code = "token_expired_no_refresh"

    def __init__(self, person: ActingPerson, *, install_url: str | None = None) -> None:
        self.person = person
        where = f" at {install_url}" if install_url else ""
        super().__init__(
            f"the user token of {person} expired and their installation has no refresh token "
            "to renew it (installed before token rotation was turned on, or saved without "
            f"its refresh token): have them install the app again{where}",
            install_url=install_url,
        )


# What each oauth.v2.access refusal means for the host, and what to do about it.
_REFRESH_ADVICE = {
    "invalid_refresh_token": "the refresh token is spent, revoked or another app's (the app "
    "was uninstalled, or another host refreshed it and did not save the new one): have the "
    "person install the app again",
    "invalid_client_id": "the client_id is not this app's: give the token source the "
    "client_id of the app that issued the installation (Basic Information page)",
    "bad_client_secret": "the client_secret is wrong: copy it again from the app's Basic "
    "Information page",
    "token_revoked": "the app's tokens for this person were revoked: have them install the "
    "app again",
    "app_uninstalled": "the app was uninstalled from the workspace: install it again",
    "invalid_grant_type": "Slack does not take the refresh_token grant for this app: turn "
    "token rotation on in the app's settings (OAuth & Permissions)",
}


_INSTALL_AGAIN: Final = re.compile(r"\binstall\b")


# What a refresh that got no answer did not do (its TransportError said "may have taken
# effect", which a model and a host read as the photo's change).
_NOTHING_SENT: Final = "nothing was sent to users.setPhoto, so the photo did not change"


# Refusals of a refresh that say the app's own settings are wrong (its client_id, its
# client_secret, token rotation off): its operator's to mend, for every person at once.
APPS_OWN_REFRESH_ERRORS: Final = frozenset(
    {"invalid_client_id", "bad_client_secret", "invalid_grant_type"}
)

# Slack failing at the refresh, not refusing it (its own fault, an outage): the refresh
# token is still good, so trying again in a while may well work, and installing again is
# no remedy.
SLACKS_OWN_REFRESH_FAILURES: Final = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class TokenRefreshFailed(TokenUnavailable):
    """oauth.v2.access refused the refresh (``slack_error``), answered it unusably, or gave
    no usable answer at all (``no_answer``: no connection, a 5xx, a page that is no reply;
    set too beside ``slack_error`` when Slack failed at the refresh rather than refusing
    it, ``SLACKS_OWN_REFRESH_FAILURES``: the refresh token is still good)."""

    code = "refresh_failed"

    @property
    def on_apps_side(self) -> bool:
        """Whether the app's own settings are wrong (``APPS_OWN_REFRESH_ERRORS``): no
        person can mend it, and installing again does not help."""
        return self.slack_error in APPS_OWN_REFRESH_ERRORS

    def __init__(
        self,
        person: ActingPerson,
        *,
        slack_error: str | None,
        detail: str = "",
        install_url: str | None = None,
        unanswered: str | None = None,
        to_check: str | None = None,
        unconfirmed: str | None = None,
    ) -> None:
        """``unanswered``: what the refresh's request met instead of an answer (a
        ``TransportError``'s text): the refresh failed, and the photo's call was never sent.
        ``to_check``: that request's ``TransportError.to_check`` when it is at fault for
        certain (``setting_at_fault``: a proxy's password, the CA certificates), which the
        photo's call would meet too; not for a failure that may pass (a proxy's 503).
        ``unconfirmed``: why auth.test did not say whose the refreshed token is (saved
        due at once, and refreshed again at the next call: refresh_grant.Refreshed)."""
        self.person = person
        self.slack_error = slack_error
        # Slack failing (an outage), not refusing: trying again in a while may well work.
        self.no_answer = (
            unanswered is not None
            or unconfirmed is not None
            or slack_error in SLACKS_OWN_REFRESH_FAILURES
        )
        self.to_check = to_check if unanswered is not None else None
        if unconfirmed is not None:
            reason = f"Slack did not confirm whose the refreshed token is ({unconfirmed})"
            advice = (
                f"{_NOTHING_SENT}: try again in a few minutes (the token is kept, unused, "
                "and checked again then); if it persists, have the person install the app again"
            )
            self.model_message = (
                f"could not refresh the user token of {person}: Slack did not confirm whose "
                f"the new token is; {_NOTHING_SENT}: try again in a few minutes"
            )
        elif unanswered is not None and to_check is not None:
            # This host's own setup: trying again meets it again (a 407 sent again with the
            # same password can lock a directory account), so the advice is what to mend.
            reason = f"Slack gave no usable answer to the refresh ({unanswered.rstrip('.')})"
            advice = (
                f"{_NOTHING_SENT}: check {to_check} first; trying again before that is likely "
                "to fail the same way"
            )
            self.model_message = (
                f"could not refresh the user token of {person}: this host's connection to "
                f"Slack failed at a setting of its own; {_NOTHING_SENT}. Trying again is "
                f"likely to fail the same way until the host's operator checks {to_check}"
            )
        elif unanswered is not None:
            reason = f"Slack gave no usable answer to the refresh ({unanswered.rstrip('.')})"
            advice = (
                f"{_NOTHING_SENT}: try again in a few minutes (if Slack then refuses the "
                "refresh with invalid_refresh_token, it took this one and its answer was "
                "lost: have the person install the app again)"
            )
            # A model is not given the request's own advice (the host's Slack address,
            # "whether the call took effect"): the photo's call was never made.
            self.model_message = (
                f"could not refresh the user token of {person}: Slack gave no usable answer "
                f"to the refresh; {_NOTHING_SENT}: try again in a few minutes"
            )
        elif slack_error in SLACKS_OWN_REFRESH_FAILURES:
            reason = f"Slack failed at the refresh with {slack_error}"
            advice = (
                f"{_NOTHING_SENT}: Slack's own failure, not a refusal of the token; try again "
                "in a few minutes"
            )
            self.model_message = (
                f"could not refresh the user token of {person}: Slack failed at the refresh "
                f"({slack_error}); {_NOTHING_SENT}: try again in a few minutes"
            )
        elif slack_error is None:
            reason = f"Slack's answer to the refresh was unusable ({detail})"
            advice = "try again later; if it persists, have the person install the app again"
        else:
            reason = f"Slack refused the refresh with {slack_error}"
            advice = _REFRESH_ADVICE.get(
                slack_error,
                "see https://api.slack.com/methods/oauth.v2.access; if nothing there helps, "
                "have the person install the app again",
            )
            if slack_error in APPS_OWN_REFRESH_ERRORS:
                # The app's operator mends it, for every person at once: a model is told so,
                # not to call again nor to send the person to the install page.
                self.model_message = (
                    f"could not refresh the user token of {person}: Slack refused the refresh "
                    f"with {slack_error}, a fault of the app's own settings; {_NOTHING_SENT}. "
                    "Calling again will not help, nor will installing the app again: tell the "
                    "person that whoever runs this app must fix its settings"
                )
        # The install page beside advice to install again ("installation" is no such advice).
        asks_to_install = _INSTALL_AGAIN.search(advice) is not None
        where = f" ({install_url})" if install_url and asks_to_install else ""
        super().__init__(
            f"could not refresh the user token of {person}: {reason}; {advice}{where}",
            install_url=install_url,
        )


class InstallationStoreFailed(TokenUnavailable):
    """The installation store raised while finding or saving an installation."""

    code = "installation_store_error"

    def __init__(self, action: str, error: BaseException) -> None:
        # The exception's text is left out on purpose: database errors quote parameters.
        self.error_type = type(error).__name__
        super().__init__(
            f"the installation store failed while {action} ({self.error_type}); nothing was "
            f"sent: {_store_advice(error)}"
        )
        if isinstance(error, StoreNotAFile):
            # A model is told what it means, not the host's database path, which it cannot
            # mend (nor should see: a path names the host's folders and users).
            self.model_message = (
                f"the installation store failed while {action}: its database path is "
                f"{error.kind}, not a file; nothing was sent. Calling again will not help: "
                "tell the person that whoever runs this app must fix the store's settings"
            )


def _store_advice(error: BaseException) -> str:
    """What to do about a store's error: the faults it can be told apart by (a path that
    is no file, a lock held by another program), else where to look."""
    if isinstance(error, StoreNotAFile):
        return (
            f"its database path {shown_path(error.database)} is {error.kind}, not a file: "
            "give the store the path of an SQLite database file (one that exists, or where "
            "one can be made), then try again"
        )
    if _locked(error):
        return (
            "its database is locked by another program (one writing to it, a backup or a "
            "migration holding it): try again in a moment"
        )
    return "check the store's database is reachable and its tables exist, then try again"


def _locked(error: BaseException) -> bool:
    """SQLite's busy or locked refusal, raised as it is or wrapped by SQLAlchemy (``orig``)."""
    cause = getattr(error, "orig", error)
    return isinstance(cause, sqlite3.OperationalError) and is_busy(cause)


class RefreshBusy(TokenUnavailable):
    """Another process held the person's refresh lock longer than the source waits."""

    code = "refresh_busy"

    def __init__(self, person: ActingPerson, waited_seconds: float) -> None:
        self.person = person
        super().__init__(
            f"another process has been refreshing the user token of {person} for over "
            f"{waited_seconds:g} s; nothing was sent: try again in a minute (a process that "
            "died holding the lock loses it when its lease ends)"
        )
