"""A path a model wrapped in quotes or white space: the refusal says what to leave out, and
a file whose name really has them is still found (nothing is dropped from a name)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from tests.conftest import make_image

SPACES = "white space at its start or end is part of the name: leave it out"
QUOTES = "the quotes around it are part of the name: leave them out"


async def refusal_of(tmp_path: Path, image: str) -> str:
    """The one problem ``prepare`` gives ``image`` where only me.png exists."""
    (tmp_path / "me.png").write_bytes(make_image())
    async with UsersSetPhoto(
        "xoxp-1-2-3-wrapped", base_url="http://127.0.0.1:9/api", image_roots=[tmp_path]
    ) as tool:
        with pytest.raises(InvalidArguments) as refused:
            async with tool.prepare({"image": image}):
                pass
    (message,) = [problem.message for problem in refused.value.problems]
    return message


@pytest.mark.parametrize(
    ("typed", "advice"),
    [
        (" me.png", SPACES),
        ("me.png ", SPACES),
        ("me.png\n", SPACES),
        ('"me.png"', QUOTES),
        ("'me.png'", QUOTES),
        ("`me.png`", QUOTES),
        ("\u201cme.png\u201d", QUOTES),
        ("you.png", None),  # no wrapping: the usual refusal alone
        ('""', None),  # quotes around nothing: no path to give without them
        ('"me.png', None),  # one quote: not a wrapping
    ],
)
async def test_a_wrapped_path_not_found_is_told_what_to_leave_out(
    tmp_path: Path, typed: str, advice: str | None
) -> None:
    message = await refusal_of(tmp_path, typed)
    assert message.startswith("no file at")
    assert message.endswith(
        "give the path of an existing PNG, JPEG or GIF file, a data: URI or base64 text"
    )
    if advice is None:
        assert "part of the name" not in message
    else:
        assert advice in message
    async with UsersSetPhoto(
        "xoxp-1-2-3-wrapped", base_url="http://127.0.0.1:9/api", image_roots=[tmp_path]
    ) as tool:
        result = await tool.run({"image": typed})  # the model's door says the same
    assert result["ok"] is False
    assert (advice or "no file at") in str(result)


async def test_a_file_whose_name_has_them_is_found(tmp_path: Path) -> None:
    for name in (" me.png", '"me.png"'):
        (tmp_path / name).write_bytes(make_image())
    async with UsersSetPhoto(
        "xoxp-1-2-3-wrapped", base_url="http://127.0.0.1:9/api", image_roots=[tmp_path]
    ) as tool:
        for name in (" me.png", '"me.png"'):
            async with tool.prepare({"image": name}) as upload:
                assert upload.summary()["format"] == "PNG"
