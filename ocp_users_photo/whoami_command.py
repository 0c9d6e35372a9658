"""``ocp-users-photo whoami``: whose token is configured, and can it set a photo.

Calls auth.test through the tool's own Slack client with the token ``set`` would use,
and prints the person, the workspace, the token's scopes and what to do if it cannot
set a photo. Never prints the token. Exits 0 when the token can set a photo, 2 when it
cannot (a bot token, a missing scope) or none is configured, and otherwise like ``set``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Final, TextIO

from ocp_users_photo.cli_options import add_slack_options, slack_keywords
from ocp_users_photo.command_runner import run_command
from ocp_users_photo.errors import InvalidArguments
from ocp_users_photo.exit_codes import ExitCode
from ocp_users_photo.output import answers_to
from ocp_users_photo.settings import CLI_MISSING_CREDENTIAL, door_token_source
from ocp_users_photo.tool import UsersSetPhoto
from ocp_users_photo.whoami import READ_SCOPE, WRITE_SCOPE, TokenIdentity

EXIT_CAN_SET: Final = ExitCode.OK
# A token that cannot set photos is a configuration problem, as for every command.
EXIT_CANNOT_SET: Final = ExitCode.INVALID


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    add_slack_options(parser)


def run(args: argparse.Namespace) -> int:
    return run_command(_whoami(args, answers_to(sys.stdout)))


async def _whoami(args: argparse.Namespace, out: TextIO) -> int:
    # Not the advice to run whoami: this is whoami.
    token_source = door_token_source("cli", variable=args.token_env, advice=CLI_MISSING_CREDENTIAL)
    try:
        async with UsersSetPhoto(
            token_source,
            **slack_keywords(args),
        ) as tool:
            identity = await tool.whoami()
    except InvalidArguments as refused:
        # The problems are about the configured token: the header "auth.test was not called"
        # says nothing to the person who ran whoami.
        raise ValueError("; ".join(problem.message for problem in refused.problems)) from None
    if args.json:
        print(json.dumps(identity.as_dict()), file=out)
    else:
        print(describe(identity), file=out)
    return EXIT_CAN_SET if identity.can_set_photo else EXIT_CANNOT_SET


def describe(identity: TokenIdentity) -> str:
    """The answer as a person reads it: who, where, which scopes, what it can do."""
    kind = {"user": "a user token", "bot": "a bot token"}.get(identity.kind, "not a user token")
    lines = [
        f"Token of {identity.user or '?'} ({identity.user_id or '?'}) in "
        f"{identity.team or '?'} ({identity.team_id or '?'}): {kind}",
        f"Workspace URL: {identity.url or '?'}",
    ]
    if identity.enterprise_id:
        lines.append(f"Enterprise: {identity.enterprise_id}")
    if identity.scopes is None:
        lines.append("Scopes: not listed by Slack")
    else:
        more = identity.scopes_left_out
        others = f" (and {more} more that are not scope names, or past the first ones)"
        lines.append(f"Scopes: {', '.join(identity.scopes) or '(none)'}{others if more else ''}")
    if identity.expires_in is not None:
        hours, seconds = divmod(identity.expires_in, 3600)
        lines.append(f"Expires in: {hours} h {seconds // 60} min (token rotation is on)")
    # A user token whose scopes Slack did not list may have both: "no", "is missing" under
    # "Scopes: not listed by Slack" said what no one knows.
    unlisted = identity.kind == "user" and identity.scopes is None
    if identity.can_set_photo:
        lines.append(f"Can set a photo: yes ({WRITE_SCOPE})")
    else:
        lines.append(f"Can set a photo: {'not known' if unlisted else 'no'}")
    if identity.can_keep_previous:
        lines.append(f"Keeps the replaced photo: yes ({READ_SCOPE})")
    elif unlisted:
        lines.append("Keeps the replaced photo: not known")
    elif identity.kind == "user":
        lines.append(f"Keeps the replaced photo: no ({READ_SCOPE} is missing)")
    lines.extend(f"To do: {advice}" for advice in identity.advice())
    return "\n".join(lines)
