"""The `ocp-users-photo emulator` subcommand: serve the emulator until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from ocp_users_photo.emulator.config import (
    TIER_2_CALLS_PER_MINUTE,
    EmulatorConfig,
    TokenGrant,
    UserRecord,
    load_tokens_file,
)
from ocp_users_photo.emulator.server import run_emulator


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's options to `parser`."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: a free one)"
    )
    limit = parser.add_mutually_exclusive_group()
    limit.add_argument(
        "--rate-limit",
        type=_positive_int,
        default=TIER_2_CALLS_PER_MINUTE,
        metavar="N",
        help="users.setPhoto/users.deletePhoto calls per minute per token (default 20, Tier 2)",
    )
    limit.add_argument("--no-rate-limit", action="store_true", help="switch the rate limit off")
    parser.add_argument(
        "--max-side",
        type=_positive_int,
        default=EmulatorConfig.max_image_side,
        metavar="N",
        help="largest image side in pixels before too_large",
    )
    parser.add_argument(
        "--max-frames",
        type=_positive_int,
        default=EmulatorConfig.max_frames,
        metavar="N",
        help="most GIF frames before too_many_frames",
    )
    parser.add_argument(
        "--tokens",
        metavar="FILE.json",
        help='tokens, users and revocations: {"tokens": [...], "users": [...], "revoked": [...]}',
    )
    parser.add_argument(
        "--only-listed-tokens",
        action="store_true",
        help="accept only the tokens from --tokens (not any xoxp-/xoxb- token)",
    )
    parser.add_argument(
        "--no-image-processing",
        action="store_true",
        help="check uploads but neither decode nor render them (for benchmarks)",
    )
    parser.add_argument(
        "--no-record-bodies",
        action="store_true",
        help="keep no raw bodies in the request log (for load tests)",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; print the base URL once ready. Returns the exit status."""
    try:
        config = config_from_args(args)
    except (OSError, ValueError) as error:
        print(f"ocp-users-photo emulator: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(config, args.host, args.port))
    except OSError as error:
        print(
            f"ocp-users-photo emulator: cannot listen on {args.host}:{args.port}: {error}",
            file=sys.stderr,
        )
        return 1
    return 0


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
        process_images=not args.no_image_processing,
        record_bodies=not args.no_record_bodies,
    )


async def _serve(config: EmulatorConfig, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Ctrl-C and SIGTERM end the serve loop; the server then shuts down cleanly.
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    try:
        async with run_emulator(config, host=host, port=port) as emulator:
            print(emulator.base_url, flush=True)
            await stop.wait()
    finally:
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signal_number)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the subcommand on its own (python -m ocp_users_photo.emulator.command)."""
    parser = argparse.ArgumentParser(prog="ocp-users-photo emulator", description=__doc__)
    configure_parser(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
