"""slack/form.py: the bodies a Slack call sends, read back by python-multipart (the parser the
emulator's framework uses), for ordinary and hostile names, values and files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_multipart import parse_form

from ocp_users_photo.slack import form as form_module
from ocp_users_photo.slack.form import (
    READ_BLOCK_BYTES,
    READ_TAIL_BYTES,
    WRITE_PIECE_BYTES,
    EncodedForm,
    FilePart,
    encode_form,
)
from ocp_users_photo.worker_threads import in_worker_thread


async def body_of(form: EncodedForm) -> list[bytes]:
    return [piece async for piece in form.content]


def parsed(form: EncodedForm, body: bytes) -> tuple[dict[str, bytes], dict[str, tuple[str, bytes]]]:
    """The fields and files python-multipart reads from ``body``."""
    fields: dict[str, bytes] = {}
    files: dict[str, tuple[str, bytes]] = {}

    def on_field(field: object) -> None:
        fields[field.field_name.decode()] = field.value or b""  # type: ignore[attr-defined]

    def on_file(file: object) -> None:
        handle = file.file_object  # type: ignore[attr-defined]
        handle.seek(0)
        name = file.field_name.decode()  # type: ignore[attr-defined]
        files[name] = (file.file_name.decode(), handle.read())  # type: ignore[attr-defined]

    headers = {"Content-Type": form.headers["Content-Type"].encode()}
    parse_form(headers, io.BytesIO(body), on_field, on_file)
    return fields, files


async def test_fields_and_an_image_as_bytes_read_back_whole() -> None:
    image = bytes(range(256)) * 400
    form = encode_form(
        {"crop_x": "0", "crop_y": "10", "crop_w": "512"},
        {"image": FilePart("me.png", "image/png", image)},
    )
    pieces = await body_of(form)
    body = b"".join(pieces)
    assert int(form.headers["Content-Length"]) == len(body)
    fields, files = parsed(form, body)
    assert fields == {"crop_x": b"0", "crop_y": b"10", "crop_w": b"512"}
    assert files == {"image": ("me.png", image)}
    assert len(pieces) == 1, "a body under WRITE_PIECE_BYTES goes out as one piece"
    assert b"Content-Type: image/png\r\n\r\n" in body


async def test_a_large_image_is_handed_on_as_it_is_not_copied() -> None:
    image = bytes(WRITE_PIECE_BYTES + 1)
    form = encode_form({"crop_w": "1"}, {"image": FilePart("a.png", "image/png", image)})
    pieces = await body_of(form)
    assert any(piece is image for piece in pieces)
    assert parsed(form, b"".join(pieces))[1]["image"][1] == image


async def test_an_open_file_is_read_in_pieces_from_its_start_each_time(tmp_path: Path) -> None:
    data = bytes(range(251)) * (READ_BLOCK_BYTES // 251 * 2 + 7)  # two blocks and a bit
    path = tmp_path / "big.png"
    path.write_bytes(data)
    with path.open("rb") as file:
        file.read(100)  # wherever the file was left, the body starts at its start
        form = encode_form({}, {"image": FilePart("big.png", "image/png", file)})
        first = await body_of(form)
        again = await body_of(form)  # a retried attempt sends it again
    # Read a block per trip to a worker thread, handed on in pieces no larger than a write.
    sizes = [len(piece) for piece in first[1:-1]]
    assert sum(sizes) == len(data)
    assert sizes[:-1] == [WRITE_PIECE_BYTES] * (len(sizes) - 1)
    assert 0 < sizes[-1] <= WRITE_PIECE_BYTES
    assert first == again
    body = b"".join(first)
    assert len(body) == int(form.headers["Content-Length"])
    assert parsed(form, body)[1] == {"image": ("big.png", data)}


@pytest.mark.parametrize(
    ("size", "trips"),
    [
        (READ_BLOCK_BYTES, 1),
        (READ_BLOCK_BYTES + 878, 1),  # the benchmark's "1 MB" PNG: its last bytes ride along
        (READ_BLOCK_BYTES + READ_TAIL_BYTES, 1),
        (READ_BLOCK_BYTES + READ_TAIL_BYTES + 1, 2),
        (5 * READ_BLOCK_BYTES + 878, 5),
    ],
)
async def test_a_short_tail_is_read_in_the_trip_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, trips: int
) -> None:
    taken: list[int] = []
    real = in_worker_thread

    async def counted(function: Any, *args: Any) -> Any:
        pieces = await real(function, *args)
        taken.append(sum(len(piece) for piece in pieces))
        return pieces

    monkeypatch.setattr(form_module, "in_worker_thread", counted)
    data = bytes(range(251)) * (size // 251) + bytes(size % 251)
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    with path.open("rb") as file:
        form = encode_form({}, {"image": FilePart("photo.png", "image/png", file)})
        body = b"".join(await body_of(form))
    assert len(taken) == trips
    assert sum(taken) == size
    assert max(taken) <= READ_BLOCK_BYTES + READ_TAIL_BYTES, "no trip reads more than that"
    assert parsed(form, body)[1] == {"image": ("photo.png", data)}


async def test_fields_alone_are_urlencoded() -> None:
    form = encode_form({"grant_type": "refresh_token", "refresh_token": "xoxe-1 &=+/"}, {})
    body = b"".join(await body_of(form))
    assert form.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert body == b"grant_type=refresh_token&refresh_token=xoxe-1+%26%3D%2B%2F"
    assert int(form.headers["Content-Length"]) == len(body)


async def test_started_says_whether_the_body_began_to_go_out() -> None:
    form = encode_form({"a": "b"}, {"image": FilePart("a.png", "image/png", b"x")})
    assert form.content.started is False
    await body_of(form)
    assert form.content.started is True


@pytest.mark.parametrize(
    "name",
    ['a"; filename="evil.sh', "line\r\nContent-Type: text/html", 'x"\r\n\r\nforged'],
)
async def test_a_hostile_name_cannot_forge_a_part_or_a_header(name: str) -> None:
    form = encode_form({name: "v"}, {"image": FilePart(f"{name}.png", "image/png", b"img")})
    body = b"".join(await body_of(form))
    disposition_lines = [line for line in body.split(b"\r\n") if line.startswith(b"Content-")]
    assert len(disposition_lines) == 3  # two dispositions and the file's type, nothing more
    fields, files = parsed(form, body)
    assert list(fields.values()) == [b"v"]
    assert [data for _, data in files.values()] == [b"img"]


@settings(max_examples=60, deadline=None)
@given(
    values=st.dictionaries(
        st.from_regex(r"[a-z_]{1,12}", fullmatch=True), st.text(max_size=40), max_size=4
    ),
    image=st.binary(max_size=2000),
)
async def test_any_text_values_and_bytes_read_back_exactly(
    values: dict[str, str], image: bytes
) -> None:
    form = encode_form(values, {"image": FilePart("i.png", "image/png", image)})
    body = b"".join(await body_of(form))
    fields, files = parsed(form, body)
    assert fields == {name: value.encode() for name, value in values.items() if name != "image"}
    assert files["image"] == ("i.png", image)


@pytest.mark.parametrize(
    "content_type",
    [
        "image/png\r\nX-Injected: 1",
        "image/png\n",
        "text/html; charset=utf-8",
        "image png",
        "image/",
        "",
        "\x1b[31mimage/png",
    ],
)
def test_a_content_type_that_is_no_bare_media_type_is_refused(content_type: str) -> None:
    with pytest.raises(ValueError, match="must be a bare media type such as image/png") as refused:
        FilePart("a.png", content_type, b"img")
    assert "\r" not in str(refused.value)
    assert "\n" not in str(refused.value)
    assert "\x1b" not in str(refused.value)


@pytest.mark.parametrize("content_type", ["image/png", "image/jpeg", "image/gif", "image/svg+xml"])
async def test_a_media_type_goes_into_the_parts_header_as_it_is(content_type: str) -> None:
    form = encode_form({}, {"image": FilePart("a.png", content_type, b"img")})
    body = b"".join(await body_of(form))
    assert f"\r\nContent-Type: {content_type}\r\n\r\nimg\r\n".encode() in body
