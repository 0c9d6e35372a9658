"""A long path with no extension is shaped like base64 (letters, digits, "/", "-", "_"), and
is taken as base64 when no file by that name is found. Mistyped or missing, it was told
only that its "base64" was malformed or no image, which a model that meant a path cannot
act on: the refusal now also says what it means for a path (found by the review of
2026-12-06). Text that begins as an image's base64 does is told nothing of paths."""

from __future__ import annotations

import base64
from pathlib import Path

from ocp_users_photo.images.input_kinds import kind_of
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.resolvers import ImageIntake, IntakeContext
from tests.conftest import make_image

_FOR_A_PATH = "if it is meant as a file's path"


async def _refusal(text: str, roots: tuple[Path, ...] | None) -> str:
    resolved, problems = await ImageIntake().resolve(text, IntakeContext(roots, ImageLimits()))
    assert resolved is None
    assert len(problems) == 1
    return problems[0].message


async def test_a_missing_long_path_inside_the_roots_says_no_such_file_there(
    tmp_path: Path,
) -> None:
    text = str(tmp_path / "Pictures" / "profile_photo_for_the_slack_workspace_final_version")
    # Of a length base64 decodes (one past a multiple of 4 is malformed base64, said so):
    # the test's folder's name varies in length from run to run.
    text += "s" * ((-len(text)) % 4)
    assert kind_of(text)[0] == "base64"
    said = await _refusal(text, (tmp_path,))
    assert said.startswith("the image cannot be read")
    assert f"{_FOR_A_PATH}, no file by that name is in the folders images may be read" in said


async def test_a_malformed_one_says_it_too_and_names_no_root(tmp_path: Path) -> None:
    text = "Pictures/profile-photo-for-the-slack-workspace-final-version-of-20245"
    assert kind_of(text)[0] == "base64"
    said = await _refusal(text, (tmp_path,))
    assert "malformed" in said
    assert _FOR_A_PATH in said
    assert str(tmp_path) not in said


async def test_without_roots_it_says_no_file_is_there(tmp_path: Path) -> None:
    text = str(tmp_path / ("photo" * 13))
    said = await _refusal(text, None)
    assert f"{_FOR_A_PATH}, no file is there: check the path" in said


async def test_an_images_broken_base64_is_told_nothing_of_paths(tmp_path: Path) -> None:
    whole = base64.b64encode(make_image((600, 600))).decode("ascii")
    broken = whole[:100] + "*" + whole[100:200]  # a PNG's base64, a character mistyped
    said = await _refusal(broken, (tmp_path,))
    assert "malformed" in said
    assert _FOR_A_PATH not in said


async def test_an_existing_base64_shaped_path_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / ("photo" * 13)
    path.write_bytes(make_image((600, 600)))
    resolved, problems = await ImageIntake().resolve(
        str(path), IntakeContext((tmp_path,), ImageLimits())
    )
    assert problems == []
    assert resolved is not None
    resolved.close()
