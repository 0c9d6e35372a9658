"""The blockbuster check in conftest.py is live: package code that blocks the loop fails a test."""

from __future__ import annotations

from pathlib import Path

import pytest
from blockbuster import BlockingError

from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.paths import open_confined
from ocp_users_photo.images.resolvers import IntakeContext, PathResolver, ResolvedImage
from tests.conftest import make_image


async def test_blocking_file_work_on_the_loop_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "me.png"
    path.write_bytes(make_image())
    with pytest.raises(BlockingError):
        open_confined(str(path), None, 1024 * 1024)


async def test_the_path_resolver_does_its_file_work_in_a_thread(tmp_path: Path) -> None:
    path = tmp_path / "me.png"
    path.write_bytes(make_image())
    context = IntakeContext(image_roots=None, limits=ImageLimits())
    resolved, problems = await PathResolver().resolve(str(path), context)
    assert problems == []
    assert isinstance(resolved, ResolvedImage)
    assert resolved.facts.stored_format == "PNG"
    resolved.close()
