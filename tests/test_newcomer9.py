"""A Python developer's first hour with the library: the mistakes a newcomer makes with
the Python door, each answered with what to do and nothing sent."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import CANARY_TOKEN, make_image, photo_requests


@pytest.mark.parametrize(
    "not_an_upload",
    ["unawaited prepare", "arguments"],
)
async def test_send_given_no_prepared_upload_says_to_await_prepare_and_sends_nothing(
    emulator: RunningEmulator, not_an_upload: str
) -> None:
    # README: "upload = await tool.prepare(...)", then "await tool.send(upload)". Forgetting
    # the await (or handing send the arguments) was an AttributeError about 'model_facing'.
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        arguments = {"image": make_image()}
        given: Any = tool.prepare(arguments) if not_an_upload == "unawaited prepare" else arguments
        with pytest.raises(TypeError) as caught:
            await tool.send(given)
        assert "await tool.prepare(" in str(caught.value)
        assert type(given).__name__ in str(caught.value)
        assert CANARY_TOKEN not in str(caught.value)
        assert photo_requests(emulator) == []
        person = tool.acting_as(team_id="T0EMULATOR", user_id="U0123ABCDEF")
        with pytest.raises(TypeError, match=r"await tool\.prepare\("):
            await person.send(given)  # the same door for one person
        assert photo_requests(emulator) == []


async def test_a_pillow_image_given_as_the_image_is_told_what_python_may_give_instead(
    emulator: RunningEmulator,
) -> None:
    # README: "The image may be a path ..., bytes/bytearray/memoryview, a binary file
    # object, a data: URI or plain base64 text". A Pillow image was refused with "a file
    # path, a data: URI or base64 text" alone: neither the bytes nor the file object a
    # Python caller may give, nor how to get them from the image it holds.
    picture = Image.open(io.BytesIO(make_image()))
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(InvalidArguments) as caught:
            await tool.call({"image": picture})
        told = caught.value.problems[0].message
        assert "bytes" in told
        assert "binary file object" in told
        assert "io.BytesIO" in told
        # A model's JSON value is still told only what text may name.
        refused = await tool.run({"image": 5})
        assert refused["problems"][0]["message"].endswith("base64 text, not int")
    assert photo_requests(emulator) == []


async def test_a_buffer_written_and_not_rewound_is_told_to_seek_to_its_start(
    emulator: RunningEmulator,
) -> None:
    # The commonest way to hand over a Pillow image: save it to an io.BytesIO and pass the
    # buffer, forgetting seek(0). The buffer holds a whole photo; it was refused as "the
    # image is empty (0 bytes)", which is not so and does not say what to do.
    buffer = io.BytesIO()
    Image.open(io.BytesIO(make_image())).save(buffer, format="PNG")
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        with pytest.raises(InvalidArguments) as caught:
            await tool.call({"image": buffer})
        told = caught.value.problems[0].message
        assert "seek(0)" in told
        assert f"position {len(buffer.getvalue())}" in told
        assert photo_requests(emulator) == []
        buffer.seek(0)  # as told: the same buffer is then sent
        assert (await tool.call({"image": buffer}))["ok"] is True
        # A buffer that is truly empty is still told so.
        with pytest.raises(InvalidArguments, match=r"empty \(0 bytes\)"):
            await tool.call({"image": io.BytesIO()})
    assert len(photo_requests(emulator)) == 1


@pytest.mark.parametrize(
    ("given", "told"),
    [
        (UsersSetPhoto, r"the class UsersSetPhoto: make one first, such as UsersSetPhoto\(\)"),
        ([UsersSetPhoto(CANARY_TOKEN, environ={})], r"got a list: give them one by one"),
    ],
)
def test_a_framework_adapter_given_the_class_or_a_list_says_what_to_give(
    given: object, told: str
) -> None:
    # README: "Every adapter takes one or several tools". Handed the class (no "()"), every
    # adapter failed with "companion_model_tools() missing 1 required positional argument:
    # 'self'"; handed a list, with a "got list" that did not say to unpack it.
    from ocp_users_photo.frameworks.langchain import langchain_tools

    with pytest.raises(TypeError, match=told):
        langchain_tools(given)  # type: ignore[arg-type]


async def test_a_crop_box_of_numpy_integers_is_taken_like_one_of_ints(
    emulator: RunningEmulator,
) -> None:
    # README: each crop value "a whole number given as an integer (or an integral float)".
    # A box from a face detector holds NumPy integers: np.float64 (a float subclass) was
    # taken, np.int64 refused as "a whole number of pixels ..., not int64".
    box = {"crop_x": np.int64(10), "crop_y": np.int32(0), "crop_w": np.uint16(512)}
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ={}) as tool:
        async with tool.prepare({"image": make_image(), **box}) as upload:
            assert upload.summary()["crop"] == {"crop_x": "10", "crop_y": "0", "crop_w": "512"}
        with pytest.raises(InvalidArguments, match="not a boolean"):
            await tool.prepare({"image": make_image(), **box, "crop_x": True})
        with pytest.raises(InvalidArguments, match=r"from 0 to 65535, got -1"):
            await tool.prepare({"image": make_image(), **box, "crop_x": np.int64(-1)})
    assert photo_requests(emulator) == []
