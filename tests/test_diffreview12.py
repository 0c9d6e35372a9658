"""Review of session 12's change as a whole (git diff 07d1ccc..HEAD).

Each test was seen failing before its fix.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.images import byte_budget
from ocp_users_photo.images.byte_budget import ByteBudget
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.paths import READ_WHOLE_BYTES
from ocp_users_photo.images.resolvers import open_image_source
from tests.test_tool import padded_png

# A path's file read whole is held in memory: it counts in the process's byte budget -------


def test_a_file_read_whole_takes_its_size_from_the_budget_and_gives_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Since READ_WHOLE_BYTES went to 1.25 MiB, every call or prepared upload from a path
    of up to 1.25 MiB held the file's bytes for its whole life (200 prepared 1.2 MB uploads:
    241 MB, against 2.5 MB when they streamed), outside the budget that bounds what the
    process's images hold. A file read whole now takes its size from the budget, and gives
    it back when closed."""
    budget = ByteBudget(64 * 1024 * 1024)
    monkeypatch.setattr(byte_budget, "image_bytes", budget)
    path = tmp_path / "me.png"
    data = padded_png(1_200_000)
    assert len(data) <= READ_WHOLE_BYTES
    path.write_bytes(data)
    source, _ = open_image_source(path, image_roots=None, limits=ImageLimits())
    assert source is not None
    try:
        assert source.data == data
        assert budget.held == len(data)
    finally:
        source.close()
    assert budget.held == 0


async def test_paths_stream_rather_than_read_whole_past_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paths never wait on the budget: once it is taken, a file that would be read whole
    stays open and streams (an open file holds no bytes), and it still goes."""
    budget = ByteBudget(3 * 1_200_000)
    monkeypatch.setattr(byte_budget, "image_bytes", budget)
    path = tmp_path / "me.png"
    path.write_bytes(padded_png(1_200_000))
    async with (
        UsersSetPhoto(
            "xoxp-1-review", base_url="http://127.0.0.1:9/api", image_roots=[tmp_path], environ={}
        ) as tool,
        contextlib.AsyncExitStack() as stack,
    ):
        uploads = [
            await stack.enter_async_context(tool.prepare({"image": str(path)})) for _ in range(8)
        ]
        read_whole = [upload.image.source.data is not None for upload in uploads]
        assert budget.held <= budget.capacity
    assert read_whole == [True, True, True, False, False, False, False, False]
    assert budget.held == 0
