"""Configuration in one value, read from the environment in one place.

``Settings.from_environment(environ)`` reads what the environment says (the token
variables, ``SLACK_API_URL``, proxy variables, ``OCP_USERS_PHOTO_HTTP_STACK``); every
front end (the Python API, the model doors, the command line) starts from it and
overrides fields, and the defaults that differ by door (the product's policy for every door) are
decided here:

    setting            Python call/prepare        model doors                CLI set
    image paths        anywhere, unless roots     inside roots; default the  anywhere, unless
                       are given                  working directory, except  --image-root
                                                  /, home or a folder holding it
    token              call's token=, then the    the host's configuration   --token-env NAME,
                       tool's token or source,    only (no call argument)    else the variables
                       then SLACK_USER_TOKEN,
                       then SLACK_TOKEN
    keep the replaced  off unless keep_previous   on; refused when it        on when the token has
    photo (undo)       =True                      cannot be kept, unless     users.profile:read,
                                                  keep_previous=False        else set and warn
    no token: the fix  token= or the variable     the host's environment     the variables,
                                                  (MCP: its env block)       --token-env
    image URLs         refused unless url_hosts   the host's url_hosts       --allow-url-host
    proxies            https only, a tunnel; never for plain http; image fetches: never
    redirects          never followed for Slack calls; image fetches: at most 3, rechecked

The photo history's file: ``photo_history=``, else ``$OCP_USERS_PHOTO_HISTORY``, else
the user's data folder (``undo/database.py``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, TypeVar
from urllib.parse import urlsplit

import httpx

from ocp_users_photo.environment import Environment, Variables
from ocp_users_photo.home_paths import home_expanded
from ocp_users_photo.safe_text import (
    percent_decoded,
    quoted,
    shown,
    shown_path,
    without_tokens,
    wrapping_advice,
)
from ocp_users_photo.slack.proxies import proxy_for
from ocp_users_photo.slack.stacks import HTTP_STACK_VARIABLE, StackName, check_stack_name
from ocp_users_photo.tokens import (
    TOKEN_VARIABLES,
    StaticToken,
    TokenSource,
    environment_token_source,
    token_from_environment,
)
from ocp_users_photo.trusted_roots import TrustedRoots

T = TypeVar("T")

__all__ = [
    "BASE_URL_VARIABLE",
    "DEFAULT_BASE_URL",
    "HISTORY_VARIABLE",
    "HTTP_STACK_VARIABLE",
    "TOKEN_VARIABLES",
    "Door",
    "ImageRoots",
    "Settings",
    "base_url_from",
    "check_base_url",
    "door_image_roots",
    "door_token_source",
    "is_loopback",
    "missing_token_advice",
    "refuse_relative_roots_opening_everything",
    "resolve_roots",
    "token_from_environment",
]

BASE_URL_VARIABLE: Final = "SLACK_API_URL"
# HTTP_STACK_VARIABLE (slack/stacks.py): which HTTP stack the tool's own client uses: auto
# (aiohttp when the [fast] extra is installed, else httpx), aiohttp or httpx.
HISTORY_VARIABLE: Final = "OCP_USERS_PHOTO_HISTORY"
DEFAULT_BASE_URL: Final = "https://slack.com/api"

Door = Literal["python", "model", "cli"]

# What to do without a token, said in the terms of the door the message reaches: a
# Python caller can pass token=; the person at a terminal sets a variable; a model can
# do neither, so its message names the host's configuration.
# Said to the person at a terminal; the cli door adds that whoami checks it, and whoami,
# given this as its advice=, does not point at itself.
CLI_MISSING_CREDENTIAL: Final = (
    "no Slack token: set SLACK_USER_TOKEN (or SLACK_TOKEN, or name your own variable "
    "with --token-env NAME) to a user token (xoxp-...) with scope users.profile:write"
)
_MISSING_TOKEN_ADVICE: Final[dict[Door, str]] = {
    "python": (
        "no Slack token: set SLACK_USER_TOKEN to a user token (xoxp-...) with scope "
        "users.profile:write, or give token= to UsersSetPhoto"
    ),
    "cli": CLI_MISSING_CREDENTIAL + "; 'ocp-users-photo whoami' checks it",
    "model": (
        "no Slack token is configured, and a model cannot give one: whoever runs this tool "
        "must set SLACK_USER_TOKEN to a user token (xoxp-...) with scopes users.profile:write "
        "and users.profile:read (to keep the photo a change replaces, for undo) in its "
        "environment (for an MCP server, the env block of the host's configuration, "
        "then restart the host: it passes that block on only when it starts the server)"
    ),
}
MISSING_CREDENTIAL_ADVICE: Final = _MISSING_TOKEN_ADVICE["python"]


def missing_token_advice(door: Door) -> str:
    """What to do when no token is configured, for the person or model at ``door``."""
    return _MISSING_TOKEN_ADVICE[door]


def door_token_source(
    door: Door,
    environ: Mapping[str, str] | Environment | None = None,
    *,
    variable: str | None = None,
    advice: str | None = None,
) -> TokenSource:
    """The token from the environment, as ``door`` reads it; its refusal speaks to ``door``
    (or says ``advice``).

    ``variable`` names the one environment variable to read (the CLI's ``--token-env``);
    ValueError when it is not set. Otherwise SLACK_USER_TOKEN, else SLACK_TOKEN.
    """
    environment = Environment.of(environ)
    del environ  # a mapping in a raising frame's locals is sent whole (environment.py)
    if variable is not None:
        value = environment.get(variable)
        if not value:
            raise ValueError(
                f"--token-env {variable}: that environment variable is not set (or empty): "
                f"put the user token (xoxp-...) in it first, as with 'read -rs {variable} && "
                f"export {variable}', or leave --token-env out to read SLACK_USER_TOKEN"
            )
        return StaticToken(value, origin=variable, description=f"from ${variable}")
    if advice is not None:
        return environment_token_source(environment, hint=advice)
    # A Python caller's tool may be handed to a model (register, run, an MCP server): its
    # refusal carries the model's advice too, which those doors say instead.
    model_hint = missing_token_advice("model") if door == "python" else None
    return environment_token_source(
        environment, hint=missing_token_advice(door), model_hint=model_hint
    )


ImageRoots = Sequence[str | os.PathLike[str]] | str | os.PathLike[str] | None


@dataclass(frozen=True)
class Settings:
    """What the environment configures; front ends override fields with ``dataclasses.replace``."""

    base_url: str = DEFAULT_BASE_URL
    # The https proxy for Slack API calls, from the environment (never for plain http).
    proxy: str | None = field(default=None, repr=False)
    http_stack: StackName = "auto"
    token_source: TokenSource = field(
        default_factory=lambda: door_token_source("python", {}),
        repr=False,
    )
    # The photo history's file, from $OCP_USERS_PHOTO_HISTORY (None: the default place).
    history_path: str | None = None
    # The operator's CA certificates, from SSL_CERT_FILE / SSL_CERT_DIR (trusted_roots.py).
    trusted_roots: TrustedRoots | None = None

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] | Environment | None = None,
        *,
        base_url: str | None = None,
    ) -> Settings:
        """The settings ``environ`` (default: ``os.environ``) gives; ``base_url`` wins if given."""
        environment = Environment.of(environ)
        del environ  # a mapping in a raising frame's locals is sent whole (environment.py)
        checked_url = base_url_from(base_url, environment)
        return cls(
            base_url=checked_url,
            proxy=proxy_for(checked_url, environment),
            http_stack=check_stack_name(
                environment.get(HTTP_STACK_VARIABLE) or "auto", origin=HTTP_STACK_VARIABLE
            ),
            token_source=door_token_source("python", environment),
            history_path=full_history_path(environment.get(HISTORY_VARIABLE)),
            trusted_roots=TrustedRoots.from_environment(environment),
        )


# A shell's or Windows' variable at the start, left as typed ("$HOME/...", "${XDG_...}",
# "%APPDATA%\\..."): a host's env block (as MCP hosts read their configuration) expands
# none. Only at the start: a folder may really be named "a$b".
_UNEXPANDED: Final = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%[A-Za-z_][A-Za-z0-9_]*%")


def unexpanded_variable(value: str) -> str | None:
    """The variable ``value`` starts with, left as written (``$HOME``, ``${HOME}``,
    ``%APPDATA%``): an MCP host passes its env block and its args so, expanding none."""
    left = _UNEXPANDED.match(value)
    return None if left is None else left.group(0)


def full_history_path(value: str | None) -> str | None:
    """$OCP_USERS_PHOTO_HISTORY made a full path as the settings are read (a relative one
    taken from the working folder now: an undo run from another folder finds the same file;
    an absolute one as it is, with no call to the disk); one starting with a variable left
    unexpanded is kept as it is, for ``history_path_from`` to refuse where it is used."""
    if not value:
        return None
    if _UNEXPANDED.match(value) or not value.strip():
        return value  # blank: refused where it is used, as one holding a variable
    if value.startswith("~"):
        try:
            value = str(home_expanded(value))
        except ValueError:
            return value  # ~name of no user here: history_path_from refuses it, as above
    return value if os.path.isabs(value) else os.path.abspath(value)


def history_path_from(value: str | None) -> str | None:
    """The history file the settings name, where it is first used; HistoryUnavailable for
    one starting with a variable nothing expanded ("$HOME/h.sqlite3" made a folder named
    "$HOME"), which a model door returns as its result, as it does any unusable history.
    A command or caller that names its own history, or keeps none, never meets it. No call
    to the disk: it runs on the event loop."""
    if not value:
        return None
    if not value.strip():
        # A script's or an env file's "OCP_USERS_PHOTO_HISTORY= ": taken as a path, it kept
        # the photos in a file named " " in the working folder, which messages named as the
        # folder itself ("/home/me/ "), and an undo from elsewhere found nothing.
        from ocp_users_photo.undo.errors import HistoryUnavailable

        blank = HistoryUnavailable(
            f"{HISTORY_VARIABLE} is blank (white space only), so the photo history cannot be "
            "used and nothing was changed in Slack: give the history's full path, or unset "
            "it for the default one"
        )
        blank.model_message = (
            "the setting that names this tool's photo history is blank, so nothing was "
            "changed in Slack; calling again will not help: tell the person that whoever runs "
            "this tool must give its photo history as a full path, or leave it unset"
        )
        raise blank
    left = unexpanded_variable(value)
    if left is not None:
        from ocp_users_photo.undo.errors import HistoryUnavailable

        refused = HistoryUnavailable(
            f"{HISTORY_VARIABLE} holds {quoted(left, 40)}, a variable nothing "
            "expanded (an MCP host's env block expands none), so the photo history cannot "
            "be used and nothing was changed in Slack: give the full path"
        )
        refused.model_message = (
            "the setting that names this tool's photo history holds a variable nothing "
            "expanded, so nothing was changed in Slack; calling again will not help: tell the "
            "person that whoever runs this tool must give its photo history as a full path"
        )
        raise refused
    if value.startswith("~"):  # left by full_history_path: no such user's home folder
        from ocp_users_photo.undo.errors import HistoryUnavailable

        try:
            home_expanded(value)
        except ValueError as unknown:
            refused = HistoryUnavailable(
                f"{HISTORY_VARIABLE}: {unknown}; the photo history cannot be used and nothing "
                "was changed in Slack"
            )
            refused.model_message = (
                "the setting that names this tool's photo history names a home folder of no "
                "user of this machine, so nothing was changed in Slack; calling again will not "
                "help: tell the person that whoever runs this tool must give its photo history "
                "as a full path"
            )
            raise refused from None
    return value


def base_url_from(explicit: str | None, environ: Variables) -> str:
    """The API base URL: explicit, else SLACK_API_URL, else Slack's; checked and normalised.

    The token travels to this URL, so plain http is allowed only to a loopback host
    (a local emulator), never across a network.
    """
    if explicit is not None:
        return check_base_url(explicit, origin="base_url")
    # Read where it is checked, never kept in a local here: a refusal's traceback would
    # carry the variable's query or password to an error reporter (Sentry's locals).
    if environ.get(BASE_URL_VARIABLE):
        return check_base_url(environ.get(BASE_URL_VARIABLE) or "", origin=BASE_URL_VARIABLE)
    return check_base_url(DEFAULT_BASE_URL, origin="the default")


# The Slack methods this package calls: a base URL ending with one is a method's URL.
_METHODS_CALLED: Final = frozenset(
    {"users.setPhoto", "users.profile.get", "users.deletePhoto", "auth.test", "oauth.v2.access"}
)


# Where a URL's query or fragment begins: what follows is never quoted back.
_QUERY_OR_FRAGMENT: Final = re.compile(r"[?#]")


def check_base_url(raw: str, *, origin: str) -> str:
    """The base URL without a trailing slash, or ValueError saying how to fix it, raised
    once no local of this frame holds the URL (as ``check_proxy_url``'s): its query or
    user information may hold a secret, and an error reporter sends a frame's locals."""
    if not isinstance(raw, str):
        # bytes, a Path: the type is what is wrong, not the address it may hold.
        raise TypeError(
            f"{origin} must be text (str), not {type(raw).__name__}: give an http(s) URL "
            "such as https://slack.com/api"
        )
    try:
        return _checked_base_url(raw, origin)
    except ValueError as refused:
        refusal = str(refused)
    del raw
    raise ValueError(refusal)


def _checked_base_url(raw: str, origin: str) -> str:
    """``check_base_url``'s checks of a text."""
    if not raw.strip():
        raise ValueError(f"{origin} must be an http(s) URL such as https://slack.com/api")
    text = raw.strip()
    if not text.isascii() or not text.isprintable() or any(ch.isspace() for ch in text):
        raise ValueError(
            f"{origin} holds spaces, control or non-ASCII characters: give a plain URL such "
            "as https://slack.com/api (internationalised names in their xn-- form)"
        )
    parts = _parsed(urlsplit, text, origin)
    # Refused before any message quotes the URL: its password is never repeated. An "@"
    # anywhere: a password holding "/", "?" or "#" ends the parsed host early ("me:pa"),
    # and the port's refusal quoted it; no API's base URL holds one.
    if parts.username is not None or parts.password is not None or "@" in text:
        raise ValueError(f"{origin} must not carry a user name or password; remove them")
    # Quoted without its query and fragment: they may hold a secret no mask knows (the
    # token's part after its prefix, a client secret), which would go to the host's log.
    typed = quoted(_QUERY_OR_FRAGMENT.split(text, maxsplit=1)[0])
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{origin} must be an http(s) URL such as https://slack.com/api, got {typed}"
        )
    try:
        port = parts.port  # ValueError when out of range or not a number
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError(f"{origin} names no usable port (1-65535), got {typed}")
    # Empty ones too: a bare "?" or "#" would swallow the method name of every call.
    if "?" in text or "#" in text:
        raise ValueError(
            f"{origin} must not have a query or fragment (a token never goes in the URL): "
            f"give it as {typed}"
        )
    method = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if method in _METHODS_CALLED:
        # Copied from a method's documentation page: every call would go to .../method/method.
        raise ValueError(
            f"{origin} ends with the method {method}: give the API's base URL, such as "
            "https://slack.com/api (each call adds its method)"
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(
            f"{origin} uses plain http to {shown(parts.hostname, 120)}, which would send the token "
            "unencrypted: use https, or a loopback address (127.0.0.1) for a local emulator"
        )
    if without_tokens(percent_decoded(text)) != percent_decoded(text):
        # A token in the host or the path went out in every request line, and into every
        # message naming the address: the tool's repr, a TransportError, the DEBUG log.
        raise ValueError(
            f"{origin} holds what looks like a Slack token: a token never goes in the URL "
            "(the token is given on its own, sent in the Authorization header); give the "
            "API's base URL, such as https://slack.com/api"
        )
    _parsed(httpx.URL, text, origin)  # what will send it must read it too
    return text.rstrip("/")


def _parsed(parse: Callable[[str], T], text: str, origin: str) -> T:
    """``parse(text)``; its refusal (ValueError, httpx.InvalidURL) said as an invalid URL."""
    try:
        return parse(text)
    except (httpx.InvalidURL, ValueError) as error:
        raise ValueError(f"{origin} is not a valid URL ({shown(str(error), 80)})") from None


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_roots(roots: ImageRoots) -> tuple[Path, ...] | None:
    """Image roots as resolved folders; ValueError naming one that is not an existing folder."""
    if roots is None:
        return None
    listed = [roots] if isinstance(roots, (str, os.PathLike)) else list(roots)
    resolved: list[Path] = []
    for root in listed:
        if not os.fspath(root).strip():
            # A script's --image-root "$PHOTOS" with the variable unset: taken as a path, ""
            # is the working directory, which confined nothing when that was "/".
            raise ValueError(
                "an image root is empty (or white space only): give the full path of the "
                "folder your images are in (an empty one names no folder, not the working "
                "directory)"
            )
        path = home_expanded(root)
        try:
            is_folder = path.is_dir()
            what = "" if is_folder else "is a file" if path.exists() else "does not exist"
        except OSError as error:  # a name too long for the system: its text quotes it whole
            is_folder = False
            what = f"cannot be looked at: {os.strerror(error.errno or 0)}"
        left = None if is_folder else unexpanded_variable(os.fspath(root))
        if left is not None:
            # "$HOME/Pictures" from an MCP host's args: no folder by that name in the folder
            # the server started in, and the variable, not the path's being relative, is why.
            raise ValueError(
                f"image root {quoted(os.fspath(root))} starts with {quoted(left, 40)}, a "
                "variable nothing expanded (an MCP host passes its args as written, and a "
                "shell leaves one in single quotes as it is): give the folder's full path"
            )
        if not is_folder:
            alike = _look_alike_folder(path)
            # A folder reading the same is there: "create it" made a second one, which reads
            # as the first, and the images stayed in the one not named.
            advice = (
                "give the existing folder's name as it is on disk (the characters written "
                "here as escapes), or rename that folder"
                if alike
                else "create it, or give the folder your images are in"
            )
            raise ValueError(
                f"image root {quoted(str(path))} is not an existing folder (it {what}"
                f"{_taken_from_working_directory(path)}{alike}): "
                f"{wrapping_advice(str(root))}{advice}"
            )
        real = path.resolve()
        resolved.append(real)
        # Given through a link (macOS's /tmp and /var are links into /private, a mapped
        # drive): paths written through it are inside too. The opened file's real path
        # is what confines it, and that is inside the resolved root.
        given = Path(os.path.abspath(path))
        # Not with "..": abspath drops it before the link is followed (link/.. is the
        # folder holding the link as written, the target's parent as resolved).
        if given != real and ".." not in path.parts:
            resolved.append(given)
    return tuple(dict.fromkeys(resolved))


def _look_alike_folder(path: Path) -> str:
    """For a root that is not there, "; " and the folder in its place whose name reads the
    same (synced from macOS, decomposed: NFD, where the root was typed composed), else "":
    "does not exist" alone told a person who sees that folder nothing."""
    # Here, not at the top: the images package imports this module (arguments.py).
    from ocp_users_photo.images.look_alike_names import (
        first_missing,
        folder_named_alike,
        look_alikes_in,
    )

    try:
        folder, name = first_missing(os.fspath(path))
        alike = look_alikes_in(folder or os.curdir, name, folders=True) if name else None
    except (OSError, ValueError):
        return ""
    clause = folder_named_alike(name, alike) if alike is not None else ""
    return f"; {clause}" if clause else ""


def _taken_from_working_directory(path: Path) -> str:
    """For a relative path: where it was looked for, as a clause; empty for an absolute one.

    A host starts a server in a folder of its own choosing (often ``/``), not where the
    person wrote its configuration, so a relative path there is seldom the folder meant.
    """
    if path.is_absolute():
        return ""
    try:
        looked = Path.cwd() / path
    except OSError:  # the working directory was removed under the process
        return "; a relative path is taken from the working directory: give the full path"
    # Bounded as a path is (300 characters), not as a word (120): the working directory
    # a host chose, often deep, with the folder's own name at its end.
    return (
        f"; looked for {shown_path(looked)!r}: a relative path is taken from the working "
        "directory (an MCP host starts its server in a folder of its own choosing), so give "
        "the full path"
    )


def door_image_roots(door: Door, explicit: ImageRoots) -> tuple[Path, ...] | None:
    """The folders image paths may be read from at ``door``; None means anywhere.

    Given roots hold at every door. Without them, the Python API and the command line
    read anywhere (the caller is the user); a model door reads the working directory,
    except when that is ``/``, the home folder itself (``$HOME``'s or the account's), or a
    folder holding it (``/home``, ``/Users``: a host started there would open every file of
    the user's home to the model): then no folder at all (an empty tuple), and path images
    are refused with how to give a root; so too when the working directory was removed
    under the process.
    """
    if explicit is not None:
        return resolve_roots(explicit)
    if door != "model":
        return None
    try:
        working = Path.cwd().resolve()
    except OSError:  # removed under the process (a deploy, a cleaned temporary folder)
        return ()
    return () if opens_everything(working) else (working,)


def opens_everything(folder: Path) -> bool:
    """``/`` (a drive's root), the home folder, or a folder holding it (``/home``)."""
    if folder == Path(folder.anchor):
        return True
    return any(home == folder or folder in home.parents for home in _home_folders())


def refuse_relative_roots_opening_everything(
    explicit: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
) -> None:
    """ValueError for a relative root that the working directory makes ``/``, the home
    folder or a folder holding it: for the MCP server, whose working directory its host
    chooses.

    ``--image-root .`` (or ``Pictures/..``) in a host's configuration is meant as a folder
    near it; a host starting the server in ``/`` made it the whole disk, which the default
    refuses for the same reason. A root written in full stays the person's choice.
    """
    listed = [explicit] if isinstance(explicit, (str, os.PathLike)) else list(explicit)
    for root in listed:
        if not os.fspath(root).strip():
            continue  # names no folder, not the working directory: resolve_roots says so
        path = home_expanded(root)
        if path.is_absolute():
            continue
        try:
            real = path.resolve()
        except OSError:  # the working directory was removed: resolve_roots says so
            continue
        if opens_everything(real):
            raise ValueError(
                f"image root {quoted(str(root))} is relative, so it is taken from the working "
                f"directory, which the host chose: here it is {quoted(str(real))}, which would "
                "let a model read images anywhere in it. Give the full path of the folder "
                "your images are in"
            )


def _home_folders() -> list[Path]:
    """The home folder ``$HOME`` names and the account's own from the password database:
    they differ under ``sudo`` keeping the caller's ``HOME``, or a host setting its own.
    None found (no HOME and no passwd entry, a container's arbitrary user): the working
    directory is judged alone."""
    found: list[Path] = []
    with contextlib.suppress(RuntimeError, KeyError, OSError):
        found.append(Path.home().resolve())
    with contextlib.suppress(ImportError, KeyError, OSError, AttributeError):
        import pwd

        found.append(Path(pwd.getpwuid(os.getuid()).pw_dir).resolve())
    return found
