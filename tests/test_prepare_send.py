"""prepare and send, the two-step call: a prepared upload closes itself, send returns the reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo import PreparedUpload, UsersSetPhoto, prepared
from ocp_users_photo import tool as tool_module
from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator, run_emulator
from ocp_users_photo.images.paths import READ_WHOLE_BYTES
from tests.conftest import make_image, photo_requests, shown_avatar_hash
from tests.test_tool import expected_fingerprint, padded_png


async def test_async_with_prepare_gives_the_upload_and_closes_its_file(
    tool: UsersSetPhoto, emulator: RunningEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "me.png"
    path.write_bytes(padded_png(READ_WHOLE_BYTES + 1))  # larger files stay open, streamed
    async with tool.prepare({"image": str(path)}) as upload:
        assert isinstance(upload, PreparedUpload)
        assert upload.summary() == {
            "format": "PNG",
            "width": 600,
            "height": 600,
            "bytes": path.stat().st_size,
        }
        opened = upload.image.source.file
        assert opened is not None
        assert not opened.closed
        assert photo_requests(emulator) == [], "prepare sends nothing"
    assert opened.closed, "leaving the block closed the file"
    assert photo_requests(emulator) == []


async def test_send_returns_slacks_reply_and_the_upload_says_what_was_sent(
    tool: UsersSetPhoto, emulator: RunningEmulator
) -> None:
    data = make_image((700, 700), "JPEG")
    async with tool.prepare({"image": data, "crop_x": 0, "crop_y": 0, "crop_w": 512}) as upload:
        reply = await tool.send(upload, digest=True)
    assert reply["ok"] is True
    assert reply["profile"]["avatar_hash"] == shown_avatar_hash(emulator)
    assert upload.summary() == {
        "format": "JPEG",
        "width": 700,
        "height": 700,
        "bytes": len(data),
        "crop": {"crop_x": "0", "crop_y": "0", "crop_w": "512"},
        "fingerprint": expected_fingerprint(data),
    }
    assert len(photo_requests(emulator)) == 1


async def test_an_awaited_prepare_is_the_callers_to_close(
    tool: UsersSetPhoto, tmp_path: Path
) -> None:
    path = tmp_path / "me.png"
    path.write_bytes(padded_png(READ_WHOLE_BYTES + 1))
    upload = await tool.prepare({"image": str(path)})
    opened = upload.image.source.file
    assert opened is not None
    with upload:
        assert not opened.closed
    assert opened.closed


async def test_a_refused_prepare_raises_on_entering_the_block(tool: UsersSetPhoto) -> None:
    from ocp_users_photo import InvalidArguments

    with pytest.raises(InvalidArguments, match=r"\$\.crop_y"):
        async with tool.prepare({"image": make_image(), "crop_x": 1}):
            raise AssertionError("the block does not run for a refused call")


async def test_one_prepare_block_is_entered_once(tool: UsersSetPhoto) -> None:
    preparing = tool.prepare({"image": make_image()})
    async with preparing:
        pass
    with pytest.raises(RuntimeError, match="call prepare\\(\\) again"):
        async with preparing:
            pass


def test_a_plain_with_block_says_prepare_is_asynchronous(tool: UsersSetPhoto) -> None:
    refusal = pytest.raises(TypeError, match=r"async with tool\.prepare")
    with refusal as refused, tool.prepare({"image": make_image()}):  # the mistake shown
        raise AssertionError("the block does not run")
    assert "call_sync" in str(refused.value)


async def test_call_with_summary_gives_the_reply_and_what_was_sent(
    tool: UsersSetPhoto, emulator: RunningEmulator
) -> None:
    data = make_image((600, 600))
    reply, summary = await tool.call_with_summary({"image": data}, digest=True)
    assert reply["profile"]["avatar_hash"] == shown_avatar_hash(emulator)
    assert summary["fingerprint"] == expected_fingerprint(data)


async def test_a_person_bound_tool_prepares_and_sends_the_same_way(
    emulator: RunningEmulator,
) -> None:
    from ocp_users_photo.credentials import SlackToken
    from ocp_users_photo.tokens import ActingPerson

    class OnePersonsToken:
        description = "test"

        async def token_for(self, person: ActingPerson | None) -> SlackToken:
            assert person is not None
            assert person.user_id == "U0456"
            return SlackToken("xoxp-1-2-u0456")

        async def renew(self, person: ActingPerson | None, expired: object) -> None:
            return None

    async with UsersSetPhoto(OnePersonsToken(), base_url=emulator.base_url, environ={}) as shared:
        photo = shared.acting_as(team_id="T0123", user_id="U0456")
        async with photo.prepare({"image": make_image()}) as upload:
            reply = await photo.send(upload)
    assert reply["ok"] is True
    (request,) = photo_requests(emulator)
    assert request.header("authorization") == "Bearer xoxp-1-2-u0456"


async def test_an_uploads_repr_names_the_image_without_its_bytes(tool: UsersSetPhoto) -> None:
    data = make_image((600, 600))
    async with tool.prepare({"image": data}) as upload:
        shown = repr(upload)
    assert "byte_count=" in shown
    assert "PNG" in shown
    assert repr(data[16:48])[2:-1] not in shown
    assert len(shown) < 1000


@pytest.mark.parametrize(
    "name",
    ["PreparedUpload", "Preparing", "PrepareOptions", "SummaryOptions", "TokenOverride", "Renew"],
)
def test_prepares_values_are_still_importable_from_the_tool_module(name: str) -> None:
    # They live in prepared.py; callers that import them from tool.py get the same objects.
    assert getattr(tool_module, name) is getattr(prepared, name)


async def test_an_upload_is_sent_only_by_the_tool_that_prepared_it(
    tool: UsersSetPhoto, emulator: RunningEmulator
) -> None:
    """An upload carries the token of the tool that prepared it. Sent through another tool
    it went to that tool's Slack with the first tool's token (a GovSlack tool and a
    slack.com tool in one process: the token went to a host it was never set for) and
    changed the first token's owner's photo (a review of 2026-12-05)."""
    other_slack_token = "xoxp-2222-3333-4444-othertooltokenabcdef"
    async with (
        run_emulator(EmulatorConfig(rate_limit_per_minute=None)) as elsewhere,
        UsersSetPhoto(other_slack_token, base_url=elsewhere.base_url, environ={}) as other,
    ):
        async with tool.prepare({"image": make_image()}) as upload:
            with pytest.raises(ValueError, match="prepared by another UsersSetPhoto") as refused:
                await other.send(upload)
            assert not upload.closed, "refused before anything: the caller may still send it"
            reply = await tool.send(upload)  # with the tool that prepared it
        assert elsewhere.requests.all() == [], "nothing reached the other tool's Slack"
    assert reply["ok"] is True
    assert len(photo_requests(emulator)) == 1
    assert "xoxp" not in str(refused.value)
