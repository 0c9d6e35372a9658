"""Builder try: an image outside the image folders, as each door is told it.

A host's upload folder outside the working directory was refused with "copy the file into
one of them", advice a model cannot follow; the host's own mend, naming the folder with
``image_roots=``, went unsaid. Every door is told both (a model relays the second).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from tests.conftest import CANARY_TOKEN, make_image


async def test_an_image_outside_the_roots_names_how_to_add_its_folder_at_every_door(
    tmp_path: Path,
) -> None:
    roots, uploads = tmp_path / "work", tmp_path / "uploads"
    roots.mkdir()
    uploads.mkdir()
    (uploads / "me.png").write_bytes(make_image((600, 600)))
    arguments = {"image": str(uploads / "me.png")}
    async with UsersSetPhoto(CANARY_TOKEN, image_roots=[roots], environ={}) as tool:
        with pytest.raises(InvalidArguments, match="outside the folders") as refused:
            await tool.call(arguments)
        told = await tool.run(arguments)
    assert "image_roots=" in str(refused.value)
    assert "--image-root" in str(refused.value)
    assert told["ok"] is False
    assert told["error"] == "invalid_arguments"
    [problem] = told["problems"]
    assert "outside the folders images may be read from" in problem["message"]
    assert "have whoever runs this tool add its folder (image_roots=" in problem["message"]
