"""The `ocp-users-photo emulator` subcommand: serve the emulator until interrupted.

Once ready it prints the API base URL alone on its first line (scripts read it),
then how to stop it, where the control API is and how to install through OAuth.
docs/emulator.md describes every flag.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import signal
import sys
from typing import Final

from ocp_users_photo.command_runner import signal_handled
from ocp_users_photo.emulator.config import (
    SET_PHOTO_REPLIES,
    TIER_2_CALLS_PER_MINUTE,
    EmulatorConfig,
    TokenGrant,
    UserRecord,
    is_slack_user_id,
    load_tokens_file,
)
from ocp_users_photo.emulator.oauth_apps import OAuthApp
from ocp_users_photo.emulator.server import RunningEmulator, listen_advice, run_emulator
from ocp_users_photo.exit_codes import ExitCode
from ocp_users_photo.output import OutputFailed, answers_to, tell
from ocp_users_photo.safe_text import shown
from ocp_users_photo.slack.deadlines import finite_seconds

# Options that switch one of EmulatorConfig's defaults: (flag, help).
_SWITCHES: Final = (
    (
        "--only-listed-tokens",
        "accept only the tokens from --tokens (not any xoxp-/xoxb- token)",
    ),
    (
        "--no-image-processing",
        "check uploads but neither decode nor render them (for benchmarks)",
    ),
    ("--no-record-bodies", "keep no raw bodies in the request log (for load tests)"),
    (
        "--reveal-secrets-in-control-api",
        "list tokens and secrets unredacted at /_emulator/requests (tests of the emulator)",
    ),
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's options to `parser`."""
    parser.add_argument(
        "--host", type=_host, default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=_port, default=0, help="port to listen on (default: a free one)"
    )
    limit = parser.add_mutually_exclusive_group()
    _count_option(
        limit,
        "--rate-limit",
        TIER_2_CALLS_PER_MINUTE,
        "users.setPhoto/users.deletePhoto calls per minute per app (default 20, Tier 2)",
    )
    limit.add_argument("--no-rate-limit", action="store_true", help="switch the rate limit off")
    _count_option(
        parser,
        "--max-side",
        EmulatorConfig.max_image_side,
        f"largest image side in pixels before too_large (default {EmulatorConfig.max_image_side})",
    )
    _count_option(
        parser,
        "--max-frames",
        EmulatorConfig.max_frames,
        f"most GIF frames before too_many_frames (default {EmulatorConfig.max_frames})",
    )
    parser.add_argument(
        "--set-photo-reply",
        choices=SET_PHOTO_REPLIES,
        default=EmulatorConfig.set_photo_reply,
        help='users.setPhoto\'s success reply: "profile" names the new photo (default), '
        '"bare" is {"ok": true} alone, as Slack\'s examples show',
    )
    parser.add_argument(
        "--tokens",
        metavar="FILE.json",
        help='tokens, users and revocations: {"tokens": [...], "users": [...], "revoked": [...]}',
    )
    for flag, help_text in _SWITCHES:
        parser.add_argument(flag, action="store_true", help=help_text)
    # The defaults are said here: an installed package has no docs/emulator.md.
    oauth = parser.add_argument_group("OAuth (one app)")
    default_app = OAuthApp()
    oauth.add_argument(
        "--oauth-client-id",
        default=default_app.client_id,
        metavar="ID",
        help=f"the app's client id (default {default_app.client_id})",
    )
    oauth.add_argument(
        "--oauth-client-secret",
        default=default_app.client_secret,
        metavar="SECRET",
        help=f"its client secret (default {default_app.client_secret})",
    )
    oauth.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        metavar="URL",
        help="a Redirect URL of the app; repeat for more (default: any loopback http(s) URL)",
    )
    oauth.add_argument(
        "--token-rotation",
        action="store_true",
        help="issue expiring xoxe. tokens with refresh tokens",
    )
    oauth.add_argument(
        "--token-lifetime",
        type=_token_lifetime,
        default=default_app.access_token_seconds,
        metavar="SECONDS",
        help="how long a rotated access token lasts (default 43200, Slack's 12 hours)",
    )
    oauth.add_argument(
        "--oauth-user",
        type=_user_id,
        default=EmulatorConfig.oauth_default_user_id,
        metavar="USER_ID",
        help="who approves an authorize request that names nobody (default U0INSTALLER)",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; print the base URL once ready. Returns the exit status."""
    try:
        config = config_from_args(args)
    except (OSError, ValueError) as error:
        print(f"ocp-users-photo emulator: {error}", file=sys.stderr)
        return 2
    if _unencodable_host(args.host):
        print(
            f"ocp-users-photo emulator: cannot listen on {shown(args.host, 80)}: it is no host "
            "name or address: give --host 127.0.0.1 (the default), or another address of this "
            "machine",
            file=sys.stderr,
        )
        return 2
    try:
        asyncio.run(_serve(config, args.host, args.port))
    except OutputFailed as failed:
        # stdout closed early (| head -1) or full: said as the other commands say it, not
        # as a port it could not listen on (it was listening).
        tell(f"ocp-users-photo emulator: stdout {failed.what_happened}")
        return ExitCode.INTERNAL
    except OSError as error:
        print(
            f"ocp-users-photo emulator: cannot listen on {shown(args.host, 80)}:{args.port}: "
            f"{listen_advice(error, '--port', '--host and --port')}",
            file=sys.stderr,
        )
        return 2
    return 0


def _unencodable_host(host: str) -> bool:
    """Whether no resolver can take ``host`` (asyncio raised a bare TypeError for it)."""
    try:
        host.encode("idna")
    except UnicodeError:
        return True
    return False


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """The EmulatorConfig the parsed options describe."""
    tokens: tuple[TokenGrant, ...] = ()
    users: tuple[UserRecord, ...] = ()
    revoked: frozenset[str] = frozenset()
    if args.tokens:
        tokens, users, revoked = load_tokens_file(args.tokens)
    return EmulatorConfig(
        tokens=tokens,
        users=users,
        revoked_tokens=revoked,
        accept_any_user_token=not args.only_listed_tokens,
        accept_any_bot_token=not args.only_listed_tokens,
        rate_limit_per_minute=None if args.no_rate_limit else args.rate_limit,
        max_image_side=args.max_side,
        max_frames=args.max_frames,
        set_photo_reply=args.set_photo_reply,
        process_images=not args.no_image_processing,
        record_bodies=not args.no_record_bodies,
        reveal_secrets_in_control_api=args.reveal_secrets_in_control_api,
        oauth_apps=(
            OAuthApp(
                client_id=args.oauth_client_id,
                client_secret=args.oauth_client_secret,
                redirect_uris=tuple(args.redirect_uri),
                token_rotation=args.token_rotation,
                access_token_seconds=args.token_lifetime,
            ),
        ),
        oauth_default_user_id=args.oauth_user,
    )


async def _serve(config: EmulatorConfig, host: str, port: int) -> None:
    stop = asyncio.Event()
    # Ctrl-C and SIGTERM end the serve loop; the server then shuts down cleanly.
    with signal_handled(signal.SIGINT, stop.set), signal_handled(signal.SIGTERM, stop.set):
        async with run_emulator(config, host=host, port=port) as emulator:
            print(ready_message(emulator), file=answers_to(sys.stdout), flush=True)
            warning = exposure_warning(host)
            if warning is not None:
                print(f"ocp-users-photo emulator: {warning}", file=sys.stderr, flush=True)
            await stop.wait()


def exposure_warning(host: str) -> str | None:
    """What a person listening beyond loopback must know (None on loopback): the emulator
    takes any token, and its control API lists the requests it recorded and sets state."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = False  # a host name: it may name any interface
    if loopback:
        return None
    return (
        f"listening on {shown(host, 80)}, beyond this machine's loopback: anyone who can reach "
        "it can call it with any token, read the requests it recorded (images included) "
        "and change its state through the control API. Use it on a network you trust, or "
        "leave --host out (127.0.0.1)"
    )


def ready_message(emulator: RunningEmulator) -> str:
    """What the command prints once it serves; the first line is the base URL alone."""
    lines = [
        emulator.base_url,
        f"Slack emulator ready: set SLACK_API_URL={emulator.base_url}. Ctrl-C to stop.",
        f"Control API: {emulator.control_url} (GET it for the list of endpoints)",
    ]
    for app in emulator.config.oauth_apps:
        rotation = "on" if app.token_rotation else "off"
        lines.append(
            f"OAuth: {emulator.authorize_url} approves at once; client_id "
            f"{app.client_id}, token rotation {rotation}"
        )
    return "\n".join(lines)


def _count_option(
    parser: argparse._ActionsContainer,  # a parser or a group of its options
    flag: str,
    default: int,
    help_text: str,
    *,
    metavar: str = "N",
) -> None:
    """An option taking a whole number, 1 or more."""
    parser.add_argument(flag, type=_positive_int, default=default, metavar=metavar, help=help_text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _token_lifetime(text: str) -> int:
    """--token-lifetime's seconds: a whole number, 1 or more, that a float holds (the
    exchange counts in floats); past that it was refused as "OAuthApp.access_token_seconds
    must be a finite number", a name the command line has not, of a number that is finite."""
    written = text.strip().replace("_", "")
    # Its digits as counted, a sign and leading zeros aside: "+" and 5000 digits was told
    # "is not a whole number", and 43200 after 4300 zeros "more seconds than can count".
    digits = written.removeprefix("+").lstrip("0")
    # Past 4300 digits int() refuses a number (Python's limit on converting text), which
    # _positive_int told as "is not a whole number": it is one, past counting as well.
    limit = sys.get_int_max_str_digits()
    readable = written.removeprefix("+")
    if readable.isascii() and readable.isdigit() and 0 < limit < len(readable):
        seconds = None if len(digits) > limit else _positive_int(digits or "0")
    else:
        seconds = _positive_int(text)
    if seconds is None or finite_seconds(seconds) is None:
        raise argparse.ArgumentTypeError(
            f"a number of {len(digits)} digits is more seconds than the emulator "
            "can count: give one such as 43200 (12 hours, the default) or 604800 (a week)"
        )
    return seconds


def _host(text: str) -> str:
    """--host's address; an empty one (``--host "$UNSET"``) is refused: the system takes it
    as every interface, which put the emulator on the network while its banner named
    127.0.0.1 and its warning an address of no letters."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "an empty address: give one such as 127.0.0.1, or leave --host out (127.0.0.1)"
        )
    return text


def _user_id(text: str) -> str:
    """--oauth-user's user id; argparse's usage error naming the flag otherwise (the
    config's own refusal named its field, oauth_default_user_id, no flag of the command)."""
    if not is_slack_user_id(text):
        raise argparse.ArgumentTypeError(
            f"{text[:20]!r} is no Slack user id: give one such as U0INSTALLER (U or W, then "
            "capital letters and digits)"
        )
    return text


def _port(text: str) -> int:
    """A TCP port, 0 (a free one) to 65535; argparse's usage error otherwise."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a port: give 0 to 65535")
    return port
