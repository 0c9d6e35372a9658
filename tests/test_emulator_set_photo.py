"""users.setPhoto on the emulator over real HTTP: renditions, crop, letterbox, image errors."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json

import httpx
import pytest
from PIL import Image

from ocp_users_photo.emulator import RENDITION_SIZES, EmulatorConfig, RunningEmulator, run_emulator
from ocp_users_photo.spec import response_validator

TOKEN = "xoxp-set-photo-test"
RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)


def encode(image: Image.Image, image_format: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def solid(width: int, height: int, color: tuple[int, ...] = RED, mode: str = "RGB") -> Image.Image:
    return Image.new(mode, (width, height), color)


def quadrants(side: int = 600) -> Image.Image:
    """Red top-left, green top-right, blue bottom-left, yellow bottom-right."""
    image = Image.new("RGB", (side, side))
    half = side // 2
    for (x, y), color in {
        (0, 0): RED,
        (half, 0): GREEN,
        (0, half): BLUE,
        (half, half): YELLOW,
    }.items():
        image.paste(color, (x, y, x + half, y + half))
    return image


def near(actual: object, expected: tuple[int, ...], tolerance: int = 6) -> bool:
    assert isinstance(actual, tuple), actual
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


def alpha(image: Image.Image, point: tuple[int, int]) -> int:
    value = image.getpixel(point)
    assert isinstance(value, tuple)
    return int(value[3])


async def set_photo(
    client: httpx.AsyncClient,
    emulator: RunningEmulator,
    image_bytes: bytes | None,
    *,
    filename: str = "photo.png",
    content_type: str = "image/png",
    token: str = TOKEN,
    **fields: str,
) -> httpx.Response:
    files = {"image": (filename, image_bytes, content_type)} if image_bytes is not None else None
    return await client.post(
        emulator.base_url + "/users.setPhoto",
        headers={"Authorization": f"Bearer {token}"},
        data=fields,
        files=files,
    )


async def fetch_image(client: httpx.AsyncClient, url: str) -> tuple[str, Image.Image]:
    response = await client.get(url)
    assert response.status_code == 200, url
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return response.headers["content-type"], image


def assert_success(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200
    reply = response.json()
    errors = [error.message for error in response_validator().iter_errors(reply)]
    assert errors == [], (reply, errors)
    assert "x-slack-failure" not in response.headers
    profile: dict[str, str] = reply["profile"]
    return profile


def assert_slack_error(response: httpx.Response, code: str) -> None:
    assert response.status_code == 200
    assert response.json() == {"ok": False, "error": code}
    assert response.headers["x-slack-failure"] == code


async def test_png_success_reply_is_schema_valid_and_every_size_is_served(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    upload = encode(solid(600, 600, GREEN))
    profile = assert_success(await set_photo(client, emulator, upload))
    for size in RENDITION_SIZES:
        url = profile[f"image_{size}"]
        assert url.startswith(f"http://127.0.0.1:{emulator.port}/")
        content_type, image = await fetch_image(client, url)
        assert content_type == "image/png"
        assert image.format == "PNG"
        assert image.size == (size, size)
        assert near(image.convert("RGB").getpixel((size // 2, size // 2)), GREEN)
    original = await client.get(profile["image_original"])
    assert original.headers["content-type"] == "image/png"
    assert original.content == upload


async def test_crop_takes_the_right_region(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    upload = encode(quadrants(600))
    profile = assert_success(
        await set_photo(client, emulator, upload, crop_x="300", crop_y="300", crop_w="300")
    )
    _, image = await fetch_image(client, profile["image_192"])
    rgb = image.convert("RGB")
    for point in [(0, 0), (191, 0), (0, 191), (191, 191), (96, 96)]:
        assert rgb.getpixel(point) == YELLOW


async def test_crop_straddling_quadrants_keeps_their_layout(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    upload = encode(quadrants(600))
    profile = assert_success(
        await set_photo(client, emulator, upload, crop_x="150", crop_y="150", crop_w="300")
    )
    _, image = await fetch_image(client, profile["image_512"])
    rgb = image.convert("RGB")
    assert near(rgb.getpixel((20, 20)), RED)
    assert near(rgb.getpixel((490, 20)), GREEN)
    assert near(rgb.getpixel((20, 490)), BLUE)
    assert near(rgb.getpixel((490, 490)), YELLOW)


async def test_non_square_image_is_letterboxed_in_white(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    profile = assert_success(await set_photo(client, emulator, encode(solid(800, 400, RED))))
    _, image = await fetch_image(client, profile["image_192"])
    rgb = image.convert("RGB")
    assert image.size == (192, 192)
    assert near(rgb.getpixel((96, 4)), (255, 255, 255))  # band above
    assert near(rgb.getpixel((96, 187)), (255, 255, 255))  # band below
    assert near(rgb.getpixel((96, 96)), RED)
    assert near(rgb.getpixel((2, 96)), RED)  # the long side touches the edges


async def test_letterbox_colour_is_configurable(client: httpx.AsyncClient) -> None:
    config = EmulatorConfig(letterbox_color=(0, 0, 0))
    async with run_emulator(config) as emulator:
        profile = assert_success(await set_photo(client, emulator, encode(solid(400, 800, RED))))
        _, image = await fetch_image(client, profile["image_72"])
    rgb = image.convert("RGB")
    assert near(rgb.getpixel((2, 36)), (0, 0, 0))
    assert near(rgb.getpixel((36, 36)), RED)


async def test_transparent_png_is_letterboxed_with_transparency(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    upload = encode(solid(800, 400, (255, 0, 0, 255), mode="RGBA"))
    profile = assert_success(await set_photo(client, emulator, upload))
    _, image = await fetch_image(client, profile["image_72"])
    assert image.mode == "RGBA"
    assert alpha(image, (36, 1)) == 0
    assert alpha(image, (36, 36)) == 255


async def test_jpeg_renditions_are_jpeg(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    upload = encode(solid(640, 640, BLUE), "JPEG")
    response = await set_photo(
        client, emulator, upload, filename="p.jpg", content_type="image/jpeg"
    )
    profile = assert_success(response)
    content_type, image = await fetch_image(client, profile["image_48"])
    assert (content_type, image.format, image.size) == ("image/jpeg", "JPEG", (48, 48))
    assert near(image.getpixel((24, 24)), BLUE, tolerance=12)
    assert profile["image_original"].endswith(".jpg")
    original = await client.get(profile["image_original"])
    assert original.headers["content-type"] == "image/jpeg"
    assert original.content == upload


async def test_small_image_is_accepted_and_scaled_up(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    profile = assert_success(await set_photo(client, emulator, encode(solid(100, 100))))
    _, image = await fetch_image(client, profile["image_1024"])
    assert image.size == (1024, 1024)


async def test_large_image_is_scaled_down_and_original_kept(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    upload = encode(solid(2048, 2048, GREEN))
    profile = assert_success(await set_photo(client, emulator, upload))
    _, image = await fetch_image(client, profile["image_1024"])
    assert image.size == (1024, 1024)
    original = await client.get(profile["image_original"])
    assert hashlib.sha256(original.content).digest() == hashlib.sha256(upload).digest()


async def test_animated_gif_renders_its_first_frame_as_png(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    frames = [solid(600, 600, color) for color in (RED, GREEN, BLUE)]
    upload = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    response = await set_photo(client, emulator, upload, filename="a.gif", content_type="image/gif")
    profile = assert_success(response)
    content_type, image = await fetch_image(client, profile["image_72"])
    assert content_type == "image/png"
    assert near(image.convert("RGB").getpixel((36, 36)), RED)
    original = await client.get(profile["image_original"])
    assert original.headers["content-type"] == "image/gif"
    assert getattr(Image.open(io.BytesIO(original.content)), "n_frames", 1) == 3


async def test_too_many_frames(client: httpx.AsyncClient) -> None:
    frames = [solid(600, 600, color) for color in (RED, GREEN, BLUE)]
    upload = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    async with run_emulator(EmulatorConfig(max_frames=2)) as emulator:
        response = await set_photo(client, emulator, upload, content_type="image/gif")
        assert_slack_error(response, "too_many_frames")
        two = encode(frames[0], "GIF", save_all=True, append_images=frames[1:2])
        assert_success(await set_photo(client, emulator, two, content_type="image/gif"))


async def test_too_large(client: httpx.AsyncClient) -> None:
    async with run_emulator(EmulatorConfig(max_image_side=1000)) as emulator:
        assert_slack_error(await set_photo(client, emulator, encode(solid(1001, 600))), "too_large")
        assert_success(await set_photo(client, emulator, encode(solid(1000, 1000))))


@pytest.mark.parametrize(
    "upload",
    [
        b"this is not an image",
        b"",
        encode(solid(600, 600))[:200],  # a PNG cut short: the header reads, the pixels do not
        encode(solid(600, 600), "BMP"),  # readable by Pillow, but not PNG, JPEG or GIF
    ],
    ids=["garbage", "empty", "truncated_png", "bmp"],
)
async def test_bad_image(
    emulator: RunningEmulator, client: httpx.AsyncClient, upload: bytes
) -> None:
    assert_slack_error(await set_photo(client, emulator, upload), "bad_image")


async def test_missing_image_part_is_bad_image(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    assert_slack_error(await set_photo(client, emulator, None), "bad_image")


async def test_image_as_text_field_is_bad_image(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        emulator.base_url + "/users.setPhoto",
        headers={"Authorization": f"Bearer {TOKEN}"},
        data={"image": "aGVsbG8="},
    )
    assert_slack_error(response, "bad_image")


@pytest.mark.parametrize(
    "crop",
    [
        {"crop_x": "0", "crop_y": "0"},
        {"crop_w": "100"},
        {"crop_x": "abc", "crop_y": "0", "crop_w": "100"},
        {"crop_x": "-1", "crop_y": "0", "crop_w": "100"},
        {"crop_x": "1.5", "crop_y": "0", "crop_w": "100"},
        {"crop_x": "0", "crop_y": "0", "crop_w": "0"},
        {"crop_x": "500", "crop_y": "0", "crop_w": "200"},  # partly outside
        {"crop_x": "900", "crop_y": "900", "crop_w": "50"},  # wholly outside
    ],
    ids=["partial", "only_w", "letters", "negative", "fraction", "zero", "partly_out", "out"],
)
async def test_bad_crop_is_bad_image(
    emulator: RunningEmulator, client: httpx.AsyncClient, crop: dict[str, str]
) -> None:
    response = await set_photo(client, emulator, encode(solid(600, 600)), **crop)
    assert_slack_error(response, "bad_image")


async def test_empty_crop_values_count_as_absent(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    upload = encode(solid(600, 600))
    with_empty = assert_success(
        await set_photo(client, emulator, upload, crop_x="", crop_y="", crop_w="")
    )
    without = assert_success(await set_photo(client, emulator, upload))
    assert with_empty["avatar_hash"] == without["avatar_hash"]


async def test_avatar_hash_depends_on_content_and_crop(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    upload = encode(quadrants(600))
    first = assert_success(await set_photo(client, emulator, upload))
    again = assert_success(await set_photo(client, emulator, upload))
    cropped = assert_success(
        await set_photo(client, emulator, upload, crop_x="0", crop_y="0", crop_w="300")
    )
    other = assert_success(await set_photo(client, emulator, encode(solid(600, 600))))
    assert first["avatar_hash"] == again["avatar_hash"]
    assert len({first["avatar_hash"], cropped["avatar_hash"], other["avatar_hash"]}) == 3


async def test_image_urls_answer_404_for_unknown_images(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    old = assert_success(await set_photo(client, emulator, encode(solid(600, 600, RED))))
    new = assert_success(await set_photo(client, emulator, encode(solid(600, 600, BLUE))))
    assert (await client.get(new["image_72"])).status_code == 200
    # A replaced photo's URLs are gone.
    assert (await client.get(old["image_72"])).status_code == 404
    base = new["image_72"].rsplit("/", 1)[0]
    for name in ("100.png", "72.jpg", "72", "original.gif"):
        assert (await client.get(f"{base}/{name}")).status_code == 404, name
    unknown_user = new["image_72"].replace("/avatars/U", "/avatars/UNOBODY")
    assert (await client.get(unknown_user)).status_code == 404


async def test_urls_follow_the_host_the_client_used(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        f"http://localhost:{emulator.port}/api/users.setPhoto",
        headers={"Authorization": f"Bearer {TOKEN}"},
        files={"image": ("p.png", encode(solid(600, 600)), "image/png")},
    )
    profile = assert_success(response)
    assert profile["image_24"].startswith(f"http://localhost:{emulator.port}/avatars/")


async def test_odd_host_header_is_refused_on_loopback(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    # A Host that is not loopback never reaches the methods (DNS rebinding); see
    # test_emulator_host_guard.py for the rule.
    response = await client.post(
        emulator.base_url + "/users.setPhoto",
        headers={"Authorization": f"Bearer {TOKEN}", "Host": "evil host/<x>"},
        files={"image": ("p.png", encode(solid(600, 600)), "image/png")},
    )
    assert response.status_code == 421
    assert emulator.requests.for_path("users.setPhoto") == []


async def test_no_host_header_falls_back_to_the_listening_address(
    emulator: RunningEmulator,
) -> None:
    # HTTP/1.0 needs no Host: image URLs then name the address the server listens on.
    reader, writer = await asyncio.open_connection(emulator.host, emulator.port)
    writer.write(b"GET /api/users.profile.get?token=" + TOKEN.encode() + b" HTTP/1.0\r\n\r\n")
    await writer.drain()
    received = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    profile = json.loads(body)["profile"]
    assert profile["image_24"].startswith(f"http://127.0.0.1:{emulator.port}/avatars/")


async def test_processing_off_skips_decoding_but_answers_a_valid_reply(
    client: httpx.AsyncClient,
) -> None:
    async with run_emulator(EmulatorConfig(process_images=False)) as emulator:
        upload = b"not decoded at all"
        profile = assert_success(await set_photo(client, emulator, upload))
        served = await client.get(profile["image_512"])
        assert served.content == upload
        assert served.headers["content-type"] == "image/png"  # the part's declared type
        # Auth and the form are still checked.
        assert_slack_error(await set_photo(client, emulator, None), "bad_image")
        assert_slack_error(
            await set_photo(client, emulator, upload, token="xoxb-1"), "not_allowed_token_type"
        )


def test_the_schema_check_really_checks_uri_format() -> None:
    # Guards the other tests: with no URI checker, format "uri" would pass anything.
    profile = {"avatar_hash": "0123456789ab"}
    profile.update({f"image_{size}": "http://127.0.0.1:1/a.png" for size in RENDITION_SIZES})
    profile["image_original"] = "no scheme here"
    assert not response_validator().is_valid({"ok": True, "profile": profile})
    profile["image_original"] = "http://127.0.0.1:1/original.png"
    assert response_validator().is_valid({"ok": True, "profile": profile})


async def test_jpeg_renditions_keep_the_photos_colour_profile(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    """A wide-gamut JPEG's renditions carry its profile, as the PNG ones do: without it
    a viewer reads the pixels as sRGB and every saturated colour shifts (they did)."""
    from tests.test_photo_fidelity import display_p3_like_profile

    profile = display_p3_like_profile()
    upload = encode(quadrants(600), "JPEG", quality=95, icc_profile=profile)
    reply = assert_success(await set_photo(client, emulator, upload))
    for size in (192, 512):
        content_type, image = await fetch_image(client, reply[f"image_{size}"])
        assert content_type == "image/jpeg"
        assert image.info.get("icc_profile") == profile, size
