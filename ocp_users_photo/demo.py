"""``ocp-users-photo demo``: the whole story on a local emulator, with no token and no network.

Draws a portrait, shows a call the tool refuses before sending anything, sets
the photo with a crop box, reads it back through users.profile.get, saves the
renditions Slack would serve, and says where to look at them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Final, TextIO

import httpx
from PIL import Image, ImageDraw, ImageFont

from ocp_users_photo.cli_options import one_command_environment
from ocp_users_photo.command_runner import run_command
from ocp_users_photo.emulator import EmulatorConfig, run_emulator, user_id_for_token
from ocp_users_photo.errors import InvalidArguments
from ocp_users_photo.exit_codes import ExitCode
from ocp_users_photo.file_kinds import loops
from ocp_users_photo.output import answers_to, tell
from ocp_users_photo.safe_text import shown_path
from ocp_users_photo.tool import UsersSetPhoto

# Not a secret: the local emulator takes any xoxp- token as a user's.
DEMO_TOKEN = "xoxp-demo-0000000000-local-emulator"  # noqa: S105
PORTRAIT_SIZE = (900, 700)
CROP = {"crop_x": 250, "crop_y": 50, "crop_w": 600}


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=_out_folder,
        metavar="DIR",
        help="where to save the portrait and the renditions (default: a new temporary folder)",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="keep the emulator running afterwards so its image URLs can be opened (Ctrl-C ends)",
    )


def _out_folder(given: str) -> Path:
    """--out's folder; an empty one (``--out "$UNSET"``) is refused, not taken as the
    current folder, which the demo would then fill with its images."""
    if not given.strip():
        raise argparse.ArgumentTypeError(
            "an empty folder name: give a folder, or leave --out out for a new temporary one"
        )
    return Path(given)


def _why_unusable(out_dir: Path, error: OSError | RuntimeError) -> str:
    """Why ``--out`` could not be resolved or made, in words. A link loop: Python before
    3.13 raises RuntimeError as it resolves the path; 3.13 resolves it as it is, and the
    folder's making then fails with "File exists"."""
    if not isinstance(error, OSError) or error.errno == errno.ELOOP or loops(out_dir):
        return "a symbolic link in it leads back to itself"
    if os.path.exists(out_dir):  # never raises (Path.exists may: a name too long)
        return "it or a folder above it is a file"
    return error.strerror or type(error).__name__


def run(args: argparse.Namespace) -> int:
    # Absolute: the folder is the tool's image root, and a path relative to it is taken from it.
    made_here = args.out is None
    out_dir: Path = args.out or Path(tempfile.mkdtemp(prefix="ocp-users-photo-demo-"))
    try:
        out_dir = out_dir.resolve()  # a link loop: RuntimeError before Python 3.13
        out_dir.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError) as error:
        raise ValueError(
            f"--out {out_dir} cannot be used as a folder ({_why_unusable(out_dir, error)}): "
            "give a folder that exists or can be made, or leave --out out for a new temporary one"
        ) from None
    if not made_here:
        _claim_out_folder(out_dir)
    progress = _Progress()
    code: int = ExitCode.INTERNAL
    try:
        # run_command: SIGTERM (timeout, systemd, a closed terminal) ends it as Ctrl-C does.
        code = run_command(
            demo(out_dir, serve=args.serve, out=answers_to(sys.stdout), progress=progress)
        )
    except KeyboardInterrupt:
        if progress.serving:
            return ExitCode.OK  # --serve ends with Ctrl-C once serving: its normal end
        if made_here and progress.named:
            # It stays (a line named the portrait in it), but that line is scrolled away.
            kept = shown_path(out_dir)
            tell(f"ocp-users-photo demo: its files stay in {kept}: remove it when done")
        raise  # before that, interrupted as any command is (exit 130)
    except OutFolderRefused as refused:
        if made_here:  # no --out was given: the folder at fault is the demo's own
            raise refused.in_temporary_folder() from None
        raise
    finally:
        if made_here and code != ExitCode.OK and not progress.named:
            # Unfinished (interrupted, failed, its stdout closed early: | head -1) before
            # a line named it: not left behind. Once named, it stays where it was said.
            shutil.rmtree(out_dir, ignore_errors=True)
    return code


class _Progress:
    """How far the demo went: whether a line named its folder (the portrait's), and whether
    it is serving (--serve's wait began, so Ctrl-C is its end)."""

    named = False
    serving = False


async def demo(
    out_dir: Path, *, serve: bool, out: TextIO, progress: _Progress | None = None
) -> int:
    """Run the demo, writing its account to ``out``; 0 when every step did what it should."""

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    portrait = out_dir / "portrait.png"
    draw_portrait(portrait)
    say("ocp-users-photo demo: setting a Slack profile photo on a local emulator")
    config = EmulatorConfig()
    async with run_emulator(config) as emulator:
        say(f"1. Started the Slack emulator at {emulator.base_url}")
        say(
            f"   The demo's token acts for its test user {user_id_for_token(DEMO_TOKEN)} in "
            f"{config.team_name} ({config.team_id})"
        )
        say(f"   Drew a {PORTRAIT_SIZE[0]}x{PORTRAIT_SIZE[1]} portrait: {shown_path(portrait)}")
        if progress is not None:
            progress.named = True
        async with UsersSetPhoto(
            DEMO_TOKEN,
            base_url=emulator.base_url,
            image_roots=[out_dir],
            environ=one_command_environment({}),
        ) as tool:
            say("2. A call the tool refuses before sending a byte (the crop box leaves the image):")
            try:
                await tool.call({"image": str(portrait), "crop_x": 500, "crop_y": 0, "crop_w": 600})
            except InvalidArguments as refused:
                for problem in refused.problems:
                    say(f"   {problem.path}: {problem.message}")
                if not all(problem.path.startswith("$.crop") for problem in refused.problems):
                    say("   refused for another reason than the crop box")
                    return ExitCode.INTERNAL
            else:
                say("   the tool did not refuse it")
                return ExitCode.INTERNAL
            say(f"   Requests that reached Slack: {len(emulator.requests)}")
            if len(emulator.requests) != 0:
                return ExitCode.INTERNAL

            say(f"3. Setting the photo from {portrait.name} with crop {CROP}:")
            reply = await tool.call({"image": str(portrait), **CROP})
            profile = reply["profile"]
            say(f"   ok: {reply['ok']}, avatar_hash: {profile['avatar_hash']}")

        say("4. Reading it back with users.profile.get:")
        current = await _profile(emulator.base_url)
        if current.get("avatar_hash") != profile["avatar_hash"]:
            say("   the profile does not show the new photo")
            return ExitCode.INTERNAL
        for key in ("image_24", "image_192", "image_512", "image_1024", "image_original"):
            say(f"   {key}: {current[key]}")

        say(f"5. Saved what Slack would show, in {shown_path(out_dir)}:")
        for size in (192, 512):
            saved = await _save(current[f"image_{size}"], out_dir / f"photo_{size}")
            say(f"   {shown_path(saved)}")
        if serve:
            say(f"The emulator keeps serving at {emulator.base_url}: open the URLs above.")
            say(
                "To point 'ocp-users-photo whoami' or 'set' at it, in another shell: export "
                f"SLACK_API_URL={emulator.base_url} SLACK_USER_TOKEN={DEMO_TOKEN}"
            )
            say("Press Ctrl-C to stop it; the URLs stop answering then, the saved files stay.")
            if progress is not None:
                progress.serving = True
            await _wait_forever()
    say("Done: the photo was checked, sent as multipart with the token in the header, and set.")
    say("The emulator stopped with the demo, so the URLs above no longer answer;")
    say(f"the files saved in {shown_path(out_dir)} stay. Next:")
    say("  ocp-users-photo demo --serve   keeps the emulator and its URLs up until Ctrl-C")
    say("  ocp-users-photo emulator       a local Slack to try 'set' and 'whoami' against")
    say('  README.md, "From zero to your photo in Slack": your own token, then your photo')
    return ExitCode.OK


def draw_portrait(path: Path) -> None:
    """A friendly, recognisable picture: a sky gradient, a sun, and initials in a circle."""
    width, height = PORTRAIT_SIZE
    picture = Image.new("RGB", PORTRAIT_SIZE)
    pen = ImageDraw.Draw(picture)
    for row in range(height):
        shade = row / height
        pen.line([(0, row), (width, row)], fill=(int(40 + 60 * shade), int(90 + 80 * shade), 200))
    pen.ellipse((40, 40, 200, 200), fill=(255, 210, 80))
    pen.ellipse((300, 100, 800, 600), fill=(240, 240, 250), outline=(30, 30, 60), width=8)
    font = ImageFont.load_default(size=190)
    pen.text((550, 350), "OC", fill=(30, 60, 140), font=font, anchor="mm")
    encoded = io.BytesIO()
    picture.save(encoded, format="PNG")
    write_in_out_folder(path, encoded.getvalue())


def write_in_out_folder(path: Path, data: bytes) -> None:
    """``data`` as the file ``path`` of the demo's folder, written beside it and moved into
    place: a link left at that name is replaced, never written through (``--out`` may name
    a folder holding one), and the file is whole or absent, with the mode a file made here
    gets (the umask's). OutFolderRefused, saying what to do, when the folder cannot take it."""
    try:
        file = tempfile.NamedTemporaryFile(dir=path.parent, prefix=".demo-", delete=False)  # noqa: SIM115
        try:
            with file:
                file.write(data)
            os.chmod(file.name, 0o666 & ~_UMASK)  # not the temporary's own 0600
            os.replace(file.name, path)
        except BaseException:
            # Not left beside it, whatever failed (a full disk, the write, the move).
            with contextlib.suppress(OSError):
                os.unlink(file.name)
            raise
    except OSError as error:
        raise OutFolderRefused(path, error) from None


# The note the demo leaves in a folder given as --out: what it wrote there may be replaced
# by the next demo, and nothing else of the folder's is.
_DEMOS_NOTE: Final = ".ocp-users-photo-demo"


def _demos_name(name: str) -> bool:
    """Whether the demo writes a file of this name: its portrait, and the renditions it saves
    (photo_192 and photo_512, with the extension Slack's image had)."""
    return name == "portrait.png" or name.split(".", 1)[0] in ("photo_192", "photo_512")


def _claim_out_folder(folder: Path) -> None:
    """--out's folder taken for the demo's files. One holding a portrait.png or a photo_192 or
    photo_512 that no earlier demo wrote there (its note is absent) is refused: the demo
    replaced a person's own files of those names, saying nothing."""
    if not (folder / _DEMOS_NOTE).exists():
        try:
            theirs = sorted(path.name for path in folder.iterdir() if _demos_name(path.name))
        except OSError as error:
            raise OutFolderRefused(folder / _DEMOS_NOTE, error) from None
        if theirs:
            named = ", ".join(shown_path(name) for name in theirs[:5])
            more = f" and {len(theirs) - 5} more" if len(theirs) > 5 else ""
            raise ValueError(
                f"--out {shown_path(folder)} already holds {named}{more}, which the demo would "
                "replace: give an empty or new folder, or leave --out out for a new temporary one"
            )
    write_in_out_folder(
        folder / _DEMOS_NOTE,
        b"This folder holds what 'ocp-users-photo demo' wrote (portrait.png, photo_192, "
        b"photo_512): the demo replaces those files when it runs here again.\n",
    )


class OutFolderRefused(ValueError):
    """The demo's folder could not take one of its files: said for ``--out``, or, by
    ``in_temporary_folder``, for the temporary folder the demo made itself."""

    def __init__(self, path: Path, error: OSError) -> None:
        self.path = path
        self.is_a_folder = isinstance(error, IsADirectoryError)
        self.why = (
            f"{path.name} there is a folder"
            if self.is_a_folder
            else (error.strerror or type(error).__name__)
        )
        fix = (
            f"move {path.name} away, or give another folder"
            if self.is_a_folder
            else "give a folder this user can write, with room"
        )
        super().__init__(
            f"--out {path.parent} cannot take {path.name} ({self.why}): {fix}, or leave --out "
            "out for a new temporary one"
        )

    def in_temporary_folder(self) -> ValueError:
        return ValueError(
            f"the demo's temporary folder {self.path.parent} cannot take {self.path.name} "
            f"({self.why}): free space there, or set TMPDIR to another folder, or give "
            "--out DIR"
        )


def _umask() -> int:
    """The process's umask, read once from /proc (Linux): setting it, the only other way to
    read it, would change it for every thread meanwhile. 022 where /proc does not say."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


_UMASK: Final = _umask()


async def _profile(base_url: str) -> dict[str, Any]:
    # trust_env=False: the emulator is on loopback, over plain http; an environment proxy
    # would read the Authorization header (the defaults by door in settings.py), and cannot
    # reach it anyway.
    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        answer = await client.get(
            f"{base_url}/users.profile.get", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}
        )
    body: dict[str, Any] = answer.json()
    if not body.get("ok"):
        raise RuntimeError(f"users.profile.get failed: {body.get('error')}")
    profile: dict[str, Any] = body["profile"]
    return profile


async def _save(url: str, stem: Path) -> str:
    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        answer = await client.get(url)
    answer.raise_for_status()
    with Image.open(io.BytesIO(answer.content)) as picture:
        extension = (picture.format or "png").lower().replace("jpeg", "jpg")
        size = f"{picture.width}x{picture.height}"
    target = stem.with_suffix(f".{extension}")
    write_in_out_folder(target, answer.content)
    return f"{target} ({size}, {answer.headers.get('content-type')})"


async def _wait_forever() -> None:
    await asyncio.Event().wait()
