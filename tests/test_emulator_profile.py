"""users.profile.get and users.deletePhoto on the emulator, plus malformed requests."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator, FormatChecker
from PIL import Image

from ocp_users_photo.emulator import (
    RENDITION_SIZES,
    EmulatorConfig,
    RunningEmulator,
    TokenGrant,
    UserRecord,
    directory,
    run_emulator,
)

OPENAPI = Path(__file__).parent / "data" / "slack-openapi-users-photo.json"
TOKEN = "xoxp-profile-test"


def profile_get_validator() -> Draft7Validator:
    spec = json.loads(OPENAPI.read_text(encoding="utf-8"))
    success = spec["paths"]["/users.profile.get"]["get"]["responses"]["200"]["schema"]
    # The schema's $refs point into the spec's definitions: give it them at its root.
    return Draft7Validator(
        {**success, "definitions": spec["definitions"]}, format_checker=FormatChecker()
    )


def delete_photo_validator() -> Draft7Validator:
    spec = json.loads(OPENAPI.read_text(encoding="utf-8"))
    success = spec["paths"]["/users.deletePhoto"]["post"]["responses"]["200"]["schema"]
    return Draft7Validator({**success, "definitions": spec["definitions"]})


def valid_profile(reply: dict[str, Any]) -> dict[str, Any]:
    errors = [error.message for error in profile_get_validator().iter_errors(reply)]
    assert errors == [], errors
    profile: dict[str, Any] = reply["profile"]
    return profile


def png(color: tuple[int, int, int] = (0, 128, 255)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (512, 512), color).save(buffer, format="PNG")
    return buffer.getvalue()


CONFIG = EmulatorConfig(
    tokens=(TokenGrant("xoxp-zoe", "UZOE0000001"),),
    users=(
        UserRecord(
            "UZOE0000001",
            real_name="Zoë Washburne",
            display_name="zoë",
            title="Pilot",
            email="zoe@serenity.example.com",
        ),
    ),
)


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return CONFIG


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        yield http


async def profile_get(
    client: httpx.AsyncClient, emulator: RunningEmulator, **params: str
) -> dict[str, Any]:
    response = await client.get(emulator.base_url + "/users.profile.get", params=params)
    assert response.status_code == 200
    reply: dict[str, Any] = response.json()
    return reply


async def test_new_user_has_a_default_avatar(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    profile = valid_profile(await profile_get(client, emulator))
    assert profile["avatar_hash"].startswith("g")
    assert profile["is_custom_image"] is False
    assert "image_original" not in profile
    for size in RENDITION_SIZES:
        response = await client.get(profile[f"image_{size}"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(response.content))
        assert image.size == (size, size)
    # A flat colour square with white initials: the corner is not white.
    corner = Image.open(io.BytesIO((await client.get(profile["image_192"])).content))
    assert corner.convert("RGB").getpixel((2, 2)) != (255, 255, 255)


async def as_person(
    client: httpx.AsyncClient, emulator: RunningEmulator, token: str
) -> dict[str, Any]:
    """The profile of the person ``token`` is (every token is someone here)."""
    response = await client.get(
        emulator.base_url + "/users.profile.get", headers={"Authorization": f"Bearer {token}"}
    )
    return valid_profile(response.json())


async def test_default_avatars_kept_are_bounded_and_drawn_again_the_same(
    emulator: RunningEmulator, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every token is someone, and each person's default avatar, once served, was kept for
    # the emulator's life (about 60 KB each): a run over many tokens grew without bound.
    monkeypatch.setattr(directory, "DEFAULT_AVATARS_KEPT", 2)
    served: dict[str, tuple[str, bytes]] = {}  # token: (user id, avatar served)
    for person in ("xoxp-ann", "xoxp-bob", "xoxp-cat"):  # a person per token
        profile = await as_person(client, emulator, person)
        url = profile["image_72"]
        response = await client.get(url)
        assert response.status_code == 200
        user_id = httpx.URL(url).path.split("/")[-3]
        served[person] = user_id, response.content
    kept = emulator.state.directory._default_avatars
    assert list(kept) == [served["xoxp-bob"][0], served["xoxp-cat"][0]]
    profile = await as_person(client, emulator, "xoxp-ann")
    again = await client.get(profile["image_72"])
    assert again.status_code == 200
    assert again.content == served["xoxp-ann"][1]
    assert list(kept) == [served["xoxp-cat"][0], served["xoxp-ann"][0]]


async def test_profile_shows_the_photo_then_the_default_again_after_delete(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    default = valid_profile(await profile_get(client, emulator))
    set_reply = (
        await client.post(
            emulator.base_url + "/users.setPhoto", files={"image": ("p.png", png(), "image/png")}
        )
    ).json()
    after_set = valid_profile(await profile_get(client, emulator))
    assert after_set["is_custom_image"] is True
    for key, value in set_reply["profile"].items():
        assert after_set[key] == value, key

    delete = await client.post(emulator.base_url + "/users.deletePhoto")
    assert delete.status_code == 200
    assert delete.json() == {"ok": True}
    assert delete_photo_validator().is_valid(delete.json())
    after_delete = valid_profile(await profile_get(client, emulator))
    assert after_delete["avatar_hash"] == default["avatar_hash"]
    assert after_delete["image_192"] == default["image_192"]
    assert after_delete["is_custom_image"] is False
    # The deleted photo is no longer served.
    assert (await client.get(set_reply["profile"]["image_192"])).status_code == 404
    # Deleting again is still ok.
    assert (await client.post(emulator.base_url + "/users.deletePhoto")).json() == {"ok": True}


async def test_configured_user_fields_and_normalised_names(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    client.headers["Authorization"] = "Bearer xoxp-zoe"
    profile = valid_profile(await profile_get(client, emulator))
    assert profile["real_name"] == "Zoë Washburne"
    assert profile["real_name_normalized"] == "Zoe Washburne"
    assert profile["display_name_normalized"] == "zoe"
    assert profile["title"] == "Pilot"
    assert profile["email"] == "zoe@serenity.example.com"
    assert profile["team"] == "T0EMULATOR"


async def test_users_added_at_run_time(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    emulator.state.add_token("xoxp-mal", user_id="UMAL0000001")
    emulator.state.add_user(
        UserRecord("UMAL0000001", real_name="Malcolm Reynolds", title="Captain")
    )
    await client.post(
        emulator.base_url + "/users.setPhoto",
        headers={"Authorization": "Bearer xoxp-mal"},
        files={"image": ("p.png", png(), "image/png")},
    )
    person = emulator.state.person_for_token("xoxp-mal")
    assert person.record.real_name == "Malcolm Reynolds"
    assert person.photo is not None
    # Replacing the fields over HTTP keeps the photo.
    response = await client.post(
        emulator.root_url + "/_emulator/users",
        json={"user_id": "UMAL0000001", "real_name": "Mal", "email": "mal@serenity.example.com"},
    )
    assert response.json() == {"ok": True, "user_id": "UMAL0000001"}
    client.headers["Authorization"] = "Bearer xoxp-mal"
    profile = valid_profile(await profile_get(client, emulator))
    assert (profile["real_name"], profile["email"]) == ("Mal", "mal@serenity.example.com")
    assert profile["avatar_hash"] == person.photo.avatar_hash
    bad = await client.post(emulator.root_url + "/_emulator/users", json={"real_name": "x"})
    assert bad.status_code == 400
    with pytest.raises(LookupError):
        emulator.state.person_for_token("not-a-token")


async def test_profile_of_another_user_and_user_not_found(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    other = valid_profile(await profile_get(client, emulator, user="UZOE0000001"))
    assert other["real_name"] == "Zoë Washburne"
    missing = await client.get(
        emulator.base_url + "/users.profile.get", params={"user": "UNOSUCHUSER"}
    )
    assert missing.json() == {"ok": False, "error": "user_not_found"}
    assert missing.headers["x-slack-failure"] == "user_not_found"


async def test_a_person_whose_token_was_given_is_found_before_the_token_is_used(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    # A member whose token works is in the workspace: the answer does not wait for the
    # token's first call (it said user_not_found until then).
    emulator.state.add_token("xoxp-fresh-member", user_id="UFRESH0001")
    profile = valid_profile(await profile_get(client, emulator, user="UFRESH0001"))
    assert "image_original" not in profile, "a new member shows Slack's default avatar"
    assert profile["avatar_hash"].startswith("g")


async def test_delete_photo_auth_errors(
    emulator: RunningEmulator, client: httpx.AsyncClient
) -> None:
    url = emulator.base_url + "/users.deletePhoto"
    no_token = await client.post(url, headers={"Authorization": ""})
    assert no_token.json() == {"ok": False, "error": "not_authed"}
    emulator.state.revoke(TOKEN)
    assert (await client.post(url)).json() == {"ok": False, "error": "token_revoked"}


async def test_unknown_method(emulator: RunningEmulator, client: httpx.AsyncClient) -> None:
    response = await client.post(emulator.base_url + "/users.setAvatar")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error": "unknown_method"}
    assert response.headers["x-slack-failure"] == "unknown_method"


@pytest.mark.parametrize(
    ("content_type", "body", "error"),
    [
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nno headers end here", "invalid_form_data"),
        ("multipart/form-data", b"--xyz--\r\n", "invalid_form_data"),  # no boundary
        ("application/json", b"{not json", "invalid_json"),
        ("application/json", b"[1, 2]", "json_not_object"),
        ("application/xml", b"<xml/>", "invalid_post_type"),
    ],
    ids=["bad_multipart", "no_boundary", "bad_json", "json_array", "xml"],
)
async def test_unreadable_bodies(
    emulator: RunningEmulator,
    client: httpx.AsyncClient,
    content_type: str,
    body: bytes,
    error: str,
) -> None:
    response = await client.post(
        emulator.base_url + "/users.setPhoto",
        content=body,
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 200
    assert response.json() == {"ok": False, "error": error}
    assert response.headers["x-slack-failure"] == error


async def test_body_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    async with run_emulator(EmulatorConfig(max_body_bytes=10_000)) as emulator:
        response = await client.post(
            emulator.base_url + "/users.setPhoto",
            files={"image": ("p.png", b"x" * 20_000, "image/png")},
        )
        assert response.status_code == 413
        assert response.json() == {"ok": False, "error": "request_too_large"}
        assert response.headers["x-slack-failure"] == "request_too_large"
        assert emulator.requests.last().body is None
        assert emulator.requests.last().body_size > 20_000
