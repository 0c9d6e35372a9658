"""Tests that kill the mutants a mutation round of undo/ and web_image/ let live.

Each test names the rule it holds, with a one-line docstring.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import ipaddress
import json
import os
import sqlite3
import ssl
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from PIL import Image

from ocp_users_photo.crop import CropBox
from ocp_users_photo.emulator import RunningEmulator, user_id_for_token
from ocp_users_photo.errors import SlackApiError, TokenNotUsable
from ocp_users_photo.slack.session import SlackSession
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.undo import PhotoHistory
from ocp_users_photo.undo import store as store_module
from ocp_users_photo.undo.entries import (
    EntryStatus,
    HistoryOwner,
    KeptPhoto,
    ShownPhoto,
)
from ocp_users_photo.undo.errors import HistoryUnavailable, KeepingImpossible
from ocp_users_photo.undo.owner import history_owner
from ocp_users_photo.undo.restore import (
    Listing,
    _listing,
    _shown_avatar_hash,
    _shown_avatar_read,
    kept_photos_for_undo,
    restore_kept,
)
from ocp_users_photo.undo.restore_tool import MAX_LISTED
from ocp_users_photo.undo.shown_whole import shown_whole
from ocp_users_photo.undo.turns import _declared_length, lease_holder
from ocp_users_photo.web_image import (
    BadImageUrl,
    ConnectionFailed,
    HttpStatusRefused,
    UrlPolicy,
    check_image_url,
    fetch_image,
)
from ocp_users_photo.web_image.addresses import address_refusal, parse_address
from ocp_users_photo.web_image.hosts import InvalidHost, canonical_host, host_rule
from ocp_users_photo.web_image.policy import check_verifying
from ocp_users_photo.web_image.sniff import sniff_image_type
from ocp_users_photo.web_image.urls import MAX_URL_CHARS, parse_image_url
from ocp_users_photo.whoami import READ_SCOPE, WRITE_SCOPE, TokenIdentity
from tests.conftest import CANARY_TOKEN, make_image, shown_avatar_hash
from tests.loopback import LoopbackServer, reply
from tests.test_deadlines_in_tasks import _Pairs
from tests.test_undo_crashes_and_locks import red_green_then_a_killed_set
from tests.test_undo_hostile_history import tamper
from tests.undo_fixtures import GREEN, RED, history_tool, picture


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "2002:7f00:1::"])
def test_the_test_option_opens_no_loopback_address_inside_an_ipv6_tunnel(address: str) -> None:
    """allow_loopback opens loopback itself, never one a NAT64 gateway or 6to4 relay reaches."""
    assert address_refusal(ipaddress.ip_address(address), allow_loopback=True) is not None


class _Session:
    """A session whose auth.test answer is ``identity``; ``remembered``: an older answer
    and its age, given before anything is asked."""

    def __init__(
        self, identity: TokenIdentity, remembered: tuple[TokenIdentity, float] | None = None
    ) -> None:
        self.identity = identity
        self.remembered = remembered
        self.fresh_asks = 0

    def remembered_identity(self) -> tuple[TokenIdentity, float] | None:
        return self.remembered

    async def whoami(self, *, fresh: bool = False) -> TokenIdentity:
        self.fresh_asks += fresh
        return self.identity


def _identity(
    enterprise_id: str | None, scopes: tuple[str, ...] | None, user_id: str = "UGRID00001"
) -> TokenIdentity:
    return TokenIdentity(
        user_id=user_id,
        user="grid",
        team_id="TGRID00001",
        team="Grid team",
        url="https://grid.slack.com/",
        kind="user",
        scopes=scopes,
        enterprise_id=enterprise_id,
    )


async def test_an_organization_persons_history_is_filed_under_the_organization() -> None:
    """acting_as with an enterprise id files the history by it, as auth.test's answer does."""
    identity = _identity("EGRID00001", (READ_SCOPE, WRITE_SCOPE))
    person = ActingPerson("TGRID00001", "UGRID00001", enterprise_id="EGRID00001")
    session = cast(SlackSession, _Session(identity))
    bound = await history_owner(person, session)
    alone = await history_owner(None, session)
    assert bound == alone == HistoryOwner("EGRID00001", "UGRID00001")


async def test_a_token_whose_scopes_auth_test_did_not_list_is_not_refused() -> None:
    """No scopes header: nothing is known missing, so the owner is told, not refused."""
    session = cast(SlackSession, _Session(_identity(None, None)))
    assert await history_owner(None, session) == HistoryOwner("TGRID00001", "UGRID00001")


async def test_an_auth_test_answer_naming_no_user_gives_no_history_owner() -> None:
    """A reply without a user id is refused, never filed as a history of user ""."""
    session = cast(SlackSession, _Session(_identity(None, (READ_SCOPE, WRITE_SCOPE), user_id="")))
    with pytest.raises(KeepingImpossible, match="named no user"):
        await history_owner(None, session)


async def test_a_read_scope_missing_from_an_answer_as_old_as_the_recheck_is_asked_again() -> None:
    """read_scope_recheck=0: a remembered answer of age 0 lacking the read scope is re-asked."""
    scoped = _identity(None, (READ_SCOPE, WRITE_SCOPE))
    unscoped = _identity(None, (WRITE_SCOPE,))
    fake = _Session(scoped, remembered=(unscoped, 0.0))
    owner = await history_owner(None, cast(SlackSession, fake), read_scope_recheck=0.0)
    assert owner == HistoryOwner("TGRID00001", "UGRID00001")
    assert fake.fresh_asks == 1


# --- the kept entries: statuses, the default avatar, eviction --------------------------------

_OWNER = HistoryOwner("TKEEP00001", "UKEEP00001")


def _kept_photo(status: EntryStatus, avatar_hash: str = "a1b2c3") -> KeptPhoto:
    return KeptPhoto(
        entry=7,
        kept_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        kind="custom",
        avatar_hash=avatar_hash,
        status=status,
        sha256="0" * 64,
        byte_count=10,
        content_type="image/png",
    )


@pytest.mark.parametrize("status", ["pending", "unknown"])
def test_an_entry_in_doubt_is_tagged_so_in_its_line(status: EntryStatus) -> None:
    """describe(): an entry not "changed" says its change may not have happened."""
    assert f"[{status}: the change may not have happened]" in _kept_photo(status).describe()
    assert "may not have happened" not in _kept_photo("changed").describe()


def _photo(avatar_hash: str, fill: int) -> ShownPhoto:
    return ShownPhoto("custom", avatar_hash, bytes([fill]) * 100, "image/png")


async def _changes(history: PhotoHistory, count: int) -> None:
    for number in range(count):
        kept = await history.keep(_OWNER, _photo(f"a{number}", number), {"change": "set"})
        assert await history.finish(kept.entry, "changed", f"a{number + 1}")


async def test_a_history_keeps_max_entries_entries_and_evicts_past_them(tmp_path: Path) -> None:
    """max_entries=3: three changes keep three entries; a fourth evicts the oldest but one."""
    async with PhotoHistory(tmp_path / "history.sqlite3", max_entries=3) as history:
        await _changes(history, 3)
        assert [k.avatar_hash for k in await history.entries(_OWNER)] == ["a2", "a1", "a0"]
        kept = await history.keep(_OWNER, _photo("a3", 3), {"change": "set"})
        await history.finish(kept.entry, "changed", "a4")
        listed = await history.entries(_OWNER)
        assert [k.avatar_hash for k in listed] == ["a3", "a2", "a0"]
        assert [k.original for k in listed] == [False, False, True]


async def test_a_history_over_its_byte_cap_evicts_all_but_the_original_and_newest(
    tmp_path: Path,
) -> None:
    """max_bytes: entries past the byte cap are evicted, never the original or the newest."""
    async with PhotoHistory(tmp_path / "history.sqlite3", max_bytes=250) as history:
        await _changes(history, 4)
        assert [k.avatar_hash for k in await history.entries(_OWNER)] == ["a3", "a0"]


async def test_a_history_whose_newest_photo_alone_passes_the_byte_cap_keeps_it(
    tmp_path: Path,
) -> None:
    """max_bytes below the original's and newest's photos: both stay, all else goes."""
    async with PhotoHistory(tmp_path / "history.sqlite3", max_bytes=150) as history:
        await _changes(history, 4)
        assert [k.avatar_hash for k in await history.entries(_OWNER)] == ["a3", "a0"]


async def test_a_history_at_exactly_its_byte_cap_evicts_no_more(tmp_path: Path) -> None:
    """max_bytes: photos of exactly max_bytes together are all kept."""
    async with PhotoHistory(tmp_path / "history.sqlite3", max_bytes=300) as history:
        await _changes(history, 4)
        assert [k.avatar_hash for k in await history.entries(_OWNER)] == ["a3", "a2", "a0"]


async def test_a_photo_two_entries_share_counts_to_the_byte_cap_until_both_go(
    tmp_path: Path,
) -> None:
    """max_bytes: evicting one of two entries keeping the same photo frees no bytes."""
    async with PhotoHistory(tmp_path / "history.sqlite3", max_bytes=250) as history:
        for number, fill in enumerate((0, 1, 1, 2)):
            kept = await history.keep(_OWNER, _photo(f"a{number}", fill), {"change": "set"})
            assert await history.finish(kept.entry, "changed", f"a{number + 1}")
        assert [k.avatar_hash for k in await history.entries(_OWNER)] == ["a3", "a0"]


async def test_an_entry_number_past_sqlites_largest_is_no_entry(tmp_path: Path) -> None:
    """entry(): a number past 2**63 - 1 is None, not SQLite's OverflowError."""
    async with PhotoHistory(tmp_path / "history.sqlite3") as history:
        await _changes(history, 1)
        assert await history.entry(_OWNER, 2**63) is None
        assert await history.entry(_OWNER, 2**63 - 1) is None


@pytest.mark.parametrize(
    ("statement", "value"),
    [
        ("UPDATE entries SET crop_x = 0, crop_y = 0, crop_w = ?", 1_000_001),
        ("UPDATE entries SET crop_x = ?, crop_y = 0, crop_w = 10", -1),
        ("UPDATE photos SET content_type = ?", "text/html"),
    ],
)
async def test_an_entry_with_a_crop_side_or_type_no_change_writes_is_damaged(
    tmp_path: Path, statement: str, value: object
) -> None:
    """_kept: a crop side outside 0 to 1,000,000, or a type no photo is kept as, is damage."""
    path = tmp_path / "history.sqlite3"
    async with PhotoHistory(path) as history:
        await _changes(history, 1)
    tamper(path, statement, value)
    async with PhotoHistory(path) as history:
        with pytest.raises(HistoryUnavailable) as damaged:
            await history.entries(_OWNER)
    assert "is damaged" in damaged.value.message


@pytest.mark.parametrize(("notes", "kept_whole"), [(2000 - 29, True), (2000 - 28, False)])
async def test_a_description_of_exactly_the_cap_is_kept_and_one_more_is_summarised(
    tmp_path: Path, notes: int, kept_whole: bool
) -> None:
    """keep(): a description of 2,000 characters of JSON is kept; 2,001 is a summary."""
    described = {"change": "set", "note": "n" * notes}
    assert len(json.dumps(described, sort_keys=True)) == 2000 + (not kept_whole)
    async with PhotoHistory(tmp_path / "history.sqlite3") as history:
        kept = await history.keep(_OWNER, _photo("a0", 0), described)
        (listed,) = await history.entries(_OWNER)
    for entry in (kept, listed):
        assert ("note" in entry.replaced_by) is kept_whole
        assert ("summary" in entry.replaced_by) is not kept_whole


async def test_a_result_hash_of_no_hashs_shape_is_taken_as_unknown(tmp_path: Path) -> None:
    """newest_result: a result_avatar_hash the file holds out of a hash's shape is None."""
    path = tmp_path / "history.sqlite3"
    async with PhotoHistory(path) as history:
        await _changes(history, 1)
        assert await history.newest_result(_OWNER) == "a1"
    tamper(path, "UPDATE entries SET result_avatar_hash = ?", "\x1b[2J not a hash")
    async with PhotoHistory(path) as history:
        assert await history.newest_result(_OWNER) is None


@pytest.mark.parametrize("side", ["\u00b2", True])
async def test_a_crop_side_of_other_digits_in_the_change_shown_is_damage(
    tmp_path: Path, side: object
) -> None:
    """keep(): a crop side of non-ASCII digits ("\u00b2", int()'s ValueError) or JSON's true,
    in the description of the change that made the photo shown, is a damaged history."""
    crop = {"crop_x": side, "crop_y": "0", "crop_w": "10"}
    async with PhotoHistory(tmp_path / "history.sqlite3") as history:
        made = await history.keep(
            _OWNER, _photo("a0", 0), {"change": "set", "image": {"crop": crop}}
        )
        assert await history.finish(made.entry, "changed", "a1")
        with pytest.raises(HistoryUnavailable):
            await history.keep(_OWNER, _photo("a1", 1), {"change": "set"})


async def test_a_photo_is_not_kept_at_a_time_no_clock_could_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keep(): a clock reading 1970 is refused (the entry would read back as damaged)."""
    monkeypatch.setattr(
        store_module, "time", SimpleNamespace(time=lambda: 0.0, monotonic=time.monotonic)
    )
    async with PhotoHistory(tmp_path / "history.sqlite3") as history:
        with pytest.raises(HistoryUnavailable) as refused:
            await history.keep(_OWNER, _photo("a0", 0), {"change": "set"})
        assert "clock" in refused.value.message
        monkeypatch.undo()
        assert await history.entries(_OWNER) == []


@pytest.mark.parametrize(("max_entries", "max_bytes"), [(2, 1), (1, 1), (2, 0)])
def test_a_history_takes_two_entries_and_one_byte_at_least(
    max_entries: int, max_bytes: int
) -> None:
    """PhotoHistory: max_entries 2 and max_bytes 1 are taken; 1 entry or 0 bytes refused."""
    if (max_entries, max_bytes) == (2, 1):
        assert PhotoHistory(max_entries=2, max_bytes=1, max_original_bytes=1).max_entries == 2
    else:
        with pytest.raises(ValueError, match="at least"):
            PhotoHistory(max_entries=max_entries, max_bytes=max_bytes)


async def test_a_dry_run_refuses_a_history_path_naming_a_named_pipe(tmp_path: Path) -> None:
    """check_existing: a FIFO at the history's path is refused as no file, as a change
    refuses it, not passed as an empty history (its size is 0)."""
    fifo = tmp_path / "history.sqlite3"
    os.mkfifo(fifo)
    history = PhotoHistory(fifo)
    with pytest.raises(HistoryUnavailable, match="not a file"):
        await history.check_existing()
    with pytest.raises(HistoryUnavailable, match="not a file"):
        await history.check_readable()


async def test_a_dry_run_says_a_history_path_naming_a_folder_is_one(tmp_path: Path) -> None:
    """check_existing: a folder at the history's path is told as a folder, with the path of
    a file in it to give instead."""
    with pytest.raises(HistoryUnavailable, match="is a folder, and the history is a file"):
        await PhotoHistory(tmp_path).check_existing()


async def test_a_history_breaking_its_tables_checks_is_damaged_when_opened(
    tmp_path: Path,
) -> None:
    """open_history's quick check: an entry written past the table's CHECK (a default
    avatar naming a kept photo, which _kept itself does not look at) is damage."""
    path = tmp_path / "history.sqlite3"
    async with PhotoHistory(path) as history:
        await _changes(history, 1)
    database = sqlite3.connect(path)
    try:
        database.execute("PRAGMA ignore_check_constraints = ON")
        with database:
            database.execute("UPDATE entries SET kind = 'default', avatar_hash = 'g0'")
    finally:
        database.close()
    async with PhotoHistory(path) as history:
        with pytest.raises(HistoryUnavailable, match="CHECK constraint failed"):
            await history.entries(_OWNER)


async def test_the_first_kept_photo_is_listed_as_the_original_when_kept(tmp_path: Path) -> None:
    """keep(): the person's first entry comes back marked original, a later one not."""
    async with PhotoHistory(tmp_path / "history.sqlite3") as history:
        first = await history.keep(_OWNER, _photo("a0", 0), {"change": "set"})
        second = await history.keep(_OWNER, _photo("a1", 1), {"change": "set"})
        assert first.original
        assert not second.original


async def test_a_custom_photo_kept_with_a_g_hash_is_put_back_as_the_default(
    tmp_path: Path,
) -> None:
    """An entry kept as "custom" with a default avatar's hash is read back as the default."""
    async with PhotoHistory(tmp_path / "history.sqlite3") as history:
        await history.keep(_OWNER, _photo("g0", 0), {"change": "set"})
        assert [k.kind for k in await history.entries(_OWNER)] == ["default"]


async def test_a_description_too_long_to_keep_is_kept_as_a_summary(tmp_path: Path) -> None:
    """replaced_by over the cap is written as {"summary": "too long to keep"}."""
    async with PhotoHistory(tmp_path / "history.sqlite3") as history:
        kept = await history.keep(_OWNER, _photo("a0", 0), {"change": "set", "x": "y" * 3000})
        assert kept.replaced_by == {"summary": "too long to keep"}


async def test_the_crop_kept_is_that_of_the_newest_change_that_made_the_photo(
    tmp_path: Path,
) -> None:
    """Two changes made photo "bb": the one kept next carries the newer change's crop box."""
    async with PhotoHistory(tmp_path / "history.sqlite3") as history:
        for x in (1, 2):
            crop = {"crop_x": str(x), "crop_y": "0", "crop_w": "100"}
            kept = await history.keep(_OWNER, _photo(f"a{x}", x), {"image": {"crop": crop}})
            await history.finish(kept.entry, "changed", "bb")
        kept = await history.keep(_OWNER, _photo("bb", 9), {"change": "set"})
        assert kept.crop_box == CropBox(2, 0, 100)


# --- web images: addresses, hosts, URLs, the policy, signatures -----------------------------


def test_a_resolvers_ipv6_answer_with_a_zone_is_read_without_it() -> None:
    """parse_address: "fe80::1%eth0" is fe80::1 (then refused as link-local), not unreadable."""
    assert parse_address("fe80::1%eth0") == ipaddress.IPv6Address("fe80::1")


def test_a_host_over_255_characters_is_refused_for_its_length() -> None:
    """canonical_host: the length is told before the name is read."""
    with pytest.raises(InvalidHost, match="longer than 253"):
        canonical_host(("a" * 60 + ".") * 4 + "abcdefghijkl")  # 256 characters


def test_an_allowed_host_with_a_user_name_is_refused_as_no_host_name() -> None:
    """host_rule: "user@example.com" is no host name, said with the way to write one."""
    with pytest.raises(InvalidHost, match="is not a host name: give a host name"):
        host_rule("user@example.com")


def test_an_image_url_with_a_delete_character_is_refused() -> None:
    """parse_image_url: DEL (0x7F) is refused like the control characters below 0x20."""
    with pytest.raises(BadImageUrl, match="space or control character"):
        parse_image_url("https://example.com/a\x7fb.png")


@pytest.mark.parametrize("port", ["0", "65536", "000443", "9" * 5000])
def test_an_image_url_port_outside_1_to_65535_in_5_digits_is_refused(port: str) -> None:
    """parse_image_url: port 0, 65536, six digits and 5000 digits are refused alike."""
    with pytest.raises(BadImageUrl, match="port is not a number from 1 to 65535"):
        parse_image_url(f"https://example.com:{port}/a.png")


def test_the_ports_at_the_ends_of_the_range_are_taken() -> None:
    """parse_image_url: ports 1 and 65535 are ports."""
    assert parse_image_url("https://example.com:1/a.png").port == 1
    assert parse_image_url("https://example.com:65535/a.png").port == 65535


def test_a_file_name_holding_a_slack_token_is_never_shown() -> None:
    """redacted: a last segment with "xox" in it is left out, as a token may be."""
    url = parse_image_url("https://example.com/img/xoxp-1234-abcd.png")
    assert url.redacted == "https://example.com/"
    assert parse_image_url("https://example.com/img/photo.png").redacted == (
        "https://example.com/.../photo.png"
    )


def test_an_image_url_without_its_two_slashes_is_said_to_have_no_host() -> None:
    """parse_image_url: "https:example.com/a.png" is told how to write the host."""
    with pytest.raises(BadImageUrl, match="has no host: write it as https://host/path"):
        parse_image_url("https:example.com/a.png")


def test_an_image_url_one_character_over_the_cap_is_refused() -> None:
    """parse_image_url: MAX_URL_CHARS characters pass, one more is refused."""
    head = "https://example.com/"
    assert parse_image_url(head + "a" * (MAX_URL_CHARS - len(head)))
    with pytest.raises(BadImageUrl, match="longer than"):
        parse_image_url(head + "a" * (MAX_URL_CHARS - len(head) + 1))


def test_the_emulators_http_origin_is_its_port_too() -> None:
    """is_loopback_origin: another port of the emulator's loopback host is not its origin."""
    policy = UrlPolicy(loopback_http_origin="http://127.0.0.1:8080")
    assert policy.is_loopback_origin(parse_image_url("http://127.0.0.1:8080/a.png"))
    assert not policy.is_loopback_origin(parse_image_url("http://127.0.0.1:8081/a.png"))


def test_a_slack_reply_naming_an_internal_address_gives_a_policy_allowing_nothing() -> None:
    """for_slack_image: an internal address is left off the list, not an error of the list."""
    policy = UrlPolicy.for_slack_image(
        "https://10.0.0.1/photo.png", slack_base_url="https://slack.com/api/"
    )
    assert policy.allowed_hosts == ()
    assert not policy.fetches_anything


def test_only_a_plain_http_slack_address_on_loopback_opens_its_origin() -> None:
    """for_slack_image: an https Slack address on loopback opens no http origin."""
    policy = UrlPolicy.for_slack_image(
        "https://files.example.com/photo.png", slack_base_url="https://127.0.0.1:8443/api/"
    )
    assert policy.http_origin is None
    emulator = UrlPolicy.for_slack_image(
        "http://127.0.0.1:8443/photo.png", slack_base_url="http://127.0.0.1:8443/api/"
    )
    assert emulator.http_origin == ("http", "127.0.0.1", 8443)


def test_a_tls_context_that_checks_no_host_name_is_refused() -> None:
    """check_verifying: CERT_REQUIRED without check_hostname is refused."""
    context = ssl.create_default_context()
    check_verifying(context)
    context.check_hostname = False
    with pytest.raises(ValueError, match="verify certificates and host names"):
        check_verifying(context)


def test_the_loopback_origin_must_be_plain_http() -> None:
    """UrlPolicy: an https loopback_http_origin is refused."""
    with pytest.raises(ValueError, match="must be a plain http origin on loopback"):
        UrlPolicy(loopback_http_origin="https://127.0.0.1:8443")


def test_a_name_under_localhost_cannot_be_allowed() -> None:
    """UrlPolicy: "images.localhost" is loopback (RFC 6761), so no allow-list entry."""
    with pytest.raises(ValueError, match="loopback address"):
        UrlPolicy(allowed_hosts=["images.localhost"])


def test_a_loopback_shorthand_with_a_trailing_dot_is_told_never_fetched() -> None:
    """check_image_url: "127.1." is read as the resolver reads it, a loopback address."""
    with pytest.raises(BadImageUrl, match="never fetches from"):
        check_image_url("https://127.1./a.png", UrlPolicy(allowed_hosts=["example.com"]))


def test_a_riff_file_other_than_webp_is_no_image() -> None:
    """sniff_image_type: RIFF alone (a WAVE file) is not taken for WEBP."""
    assert sniff_image_type(b"RIFF\x24\x00\x00\x00WAVEfmt ") is None
    assert sniff_image_type(b"RIFF\x24\x00\x00\x00WEBPVP8 ") == "image/webp"


def test_a_bmp_head_is_sniffed_as_bmp() -> None:
    """sniff_image_type: "BM" starts a BMP."""
    assert sniff_image_type(b"BM" + bytes(14)) == "image/bmp"


async def test_a_token_listed_without_the_write_scope_is_refused_before_a_change() -> None:
    """for_change: auth.test listing no users.profile:write refuses the token, nothing sent."""
    fake = _Session(_identity(None, (READ_SCOPE,)), remembered=(_identity(None, (READ_SCOPE,)), 0))
    with pytest.raises(TokenNotUsable, match=r"users\.profile:write"):
        await history_owner(None, cast(SlackSession, fake))
    assert fake.fresh_asks == 1, "a remembered answer lacking the scope is asked again first"
    listing = await history_owner(None, cast(SlackSession, fake), for_change=False)
    assert listing == HistoryOwner("TGRID00001", "UGRID00001")


class _Resolver:
    """Answers every name with ``answers``."""

    def __init__(self, answers: Sequence[str]) -> None:
        self.answers = answers

    async def __call__(self, name: str, port: int) -> Sequence[str]:
        return self.answers


def _test_policy() -> UrlPolicy:
    return UrlPolicy(allowed_hosts=["images.test"], allow_loopback_for_tests=True)


async def test_a_fetch_tries_at_most_four_of_a_names_addresses(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    """Four addresses that refuse the connection end the fetch; a fifth is never tried."""
    host.on("/photo.png", reply(200, make_image((600, 600), "PNG"), []))
    url = host.url("/photo.png", host="images.test")
    refusing = [f"127.0.0.{last}" for last in range(2, 6)]
    resolver = _Resolver([*refusing, "127.0.0.1"])
    with pytest.raises(ConnectionFailed):
        await fetch_image(url, _test_policy(), resolver=resolver, ssl_context=client_tls)
    assert host.requests == []
    fetched = await fetch_image(
        url,
        _test_policy(),
        resolver=_Resolver([*refusing[1:], "127.0.0.1"]),
        ssl_context=client_tls,
    )
    assert fetched.host == "images.test"


async def test_an_image_served_with_a_status_other_than_200_is_refused(
    host: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    """HTTP 203 (a proxy's altered copy) with a PNG body is no image: only 200 is."""
    png = make_image((600, 600), "PNG")
    host.on("/altered.png", reply(203, png, [("Content-Type", "image/png")]))
    host.on("/photo.png", reply(200, png, [("Content-Type", "image/png")]))
    resolver = _Resolver(["127.0.0.1"])
    with pytest.raises(HttpStatusRefused, match="answered HTTP 203"):
        await fetch_image(
            host.url("/altered.png", host="images.test"),
            _test_policy(),
            resolver=resolver,
            ssl_context=client_tls,
        )
    fetched = await fetch_image(
        host.url("/photo.png", host="images.test"),
        _test_policy(),
        resolver=resolver,
        ssl_context=client_tls,
    )
    assert fetched.data == png


def test_a_listing_whose_newest_change_was_made_puts_it_back_with_nothing_unkept() -> None:
    """_listing: a "changed" newest entry is the undo's, and no photo is told kept nowhere."""
    entries = [_kept_photo("changed", avatar_hash="a1b2c3")]
    listing = _listing(entries, "d4e5f6")
    assert listing == Listing(entries, 7, False)


class _ProfileSession:
    """A session whose users.profile.get shows ``avatar_hash``; auth.test remembered nothing."""

    def __init__(self, avatar_hash: object) -> None:
        self.avatar_hash = avatar_hash

    def remembered_identity(self) -> None:
        return None

    async def call(self, method: str) -> SimpleNamespace:
        assert method == "users.profile.get"
        return SimpleNamespace(body={"ok": True, "profile": {"avatar_hash": self.avatar_hash}})


@pytest.mark.parametrize("avatar_hash", ["a" * 65, "ab/cd", "", "ab cd"])
async def test_a_shown_avatar_hash_of_no_hashs_shape_is_taken_as_unread(avatar_hash: str) -> None:
    """_shown_avatar_hash: Slack's hash is compared only when of a hash's shape; else None."""
    session = cast(SlackSession, _ProfileSession(avatar_hash))
    assert await _shown_avatar_hash(session) is None
    assert await _shown_avatar_hash(cast(SlackSession, _ProfileSession("a1b2c3"))) == "a1b2c3"


class _RefusingProfileSession:
    """A session whose users.profile.get Slack refuses with ``error``."""

    def __init__(self, error: str) -> None:
        self.error = error

    def remembered_identity(self) -> None:
        return None

    async def call(self, method: str) -> SimpleNamespace:
        assert method == "users.profile.get"
        raise SlackApiError(
            self.error, hint="", reply={"ok": False, "error": self.error}, method=method
        )


@pytest.mark.parametrize(
    ("error", "scope_missing"), [("missing_scope", True), ("ratelimited", False)]
)
async def test_only_slacks_missing_scope_on_the_profile_read_is_told_as_no_read_scope(
    error: str, scope_missing: bool
) -> None:
    """_shown_avatar_read: a refusal other than missing_scope leaves the photo merely unread."""
    session = cast(SlackSession, _RefusingProfileSession(error))
    assert await _shown_avatar_read(session) == (None, scope_missing)


async def test_an_undo_without_a_keeper_passes_over_a_stale_pending_newest_entry(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """_newest_change: a set killed after keeping (its photo still shown) is not put back."""
    history, red = await red_green_then_a_killed_set(emulator, tmp_path)
    async with history_tool(emulator, history, keep_previous=False) as tool:
        assert (await tool.history())[0].status == "pending"
        restored = await restore_kept(tool, None)
    assert restored.restored.entry == 2, restored.restored.describe()
    assert shown_avatar_hash(emulator) == red


async def test_observers_are_told_the_default_avatar_goes_back_through_users_delete_photo(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """_call_info: an undo to Slack's default avatar is told with users.deletePhoto's
    endpoint, the one it calls; a kept photo of the person's own, users.setPhoto's."""
    pairs = _Pairs()
    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history, keep_previous=True, observers=[pairs]) as tool:
        await tool.call({"image": RED})  # #1 keeps the default avatar
        await tool.undo()  # to the default; #2 keeps RED
        await tool.undo()  # RED again
    endpoints = [call.endpoint for call in pairs.started]
    assert endpoints[1].endswith("/users.deletePhoto"), endpoints
    assert endpoints[2].endswith("/users.setPhoto"), endpoints
    assert emulator.requests.for_path("/api/users.deletePhoto")


async def test_a_default_avatar_put_back_and_still_shown_is_no_photo_unkept(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """kept_photos_for_undo: after an undo to Slack's default avatar, still shown, the
    listing says no photo was set since (shown_unkept False), as after any change."""
    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.undo()  # to the default; #2 keeps RED
        listing = await kept_photos_for_undo(tool)
    assert listing.entries[0].replaced_by.get("default_avatar") is True
    assert (listing.undo_entry, listing.shown_unkept) == (2, False)


class _ScopedProfileSession(_ProfileSession):
    """A _ProfileSession whose auth.test answer, remembered, listed ``scopes``."""

    def __init__(self, avatar_hash: str, scopes: tuple[str, ...]) -> None:
        super().__init__(avatar_hash)
        self.scopes = scopes

    def remembered_identity(self) -> tuple[TokenIdentity, float]:  # type: ignore[override]
        return _identity(None, self.scopes), 0.0


async def test_a_token_listed_with_the_read_scope_has_the_photo_shown_read() -> None:
    """_read_scope_missing: scopes listed with users.profile:read read the photo shown;
    listed without it, Slack is not asked and the photo is unread for want of the scope."""
    listed = cast(SlackSession, _ScopedProfileSession("a1b2c3", (READ_SCOPE, WRITE_SCOPE)))
    assert await _shown_avatar_read(listed) == ("a1b2c3", False)
    without = cast(SlackSession, _ScopedProfileSession("a1b2c3", (WRITE_SCOPE,)))
    assert await _shown_avatar_read(without) == (None, True)


@pytest.mark.parametrize(("apart", "alike"), [(9, True), (10, False)])
def test_pictures_a_mean_of_10_apart_are_not_one_picture(apart: int, alike: bool) -> None:
    """shown_whole: a mean difference under 10 (of 255) is the same picture; 10 is not."""
    pictures = []
    for grey in (100, 100 + apart):
        buffer = io.BytesIO()
        Image.new("L", (64, 64), grey).save(buffer, "PNG")
        pictures.append(buffer.getvalue())
    assert shown_whole(*pictures) is alike


class _KeptMeanwhile(PhotoHistory):
    """A history in which a change of the person's keeps its entry (the photo shown) just
    as the listing asks for the newest entry: a set under way in another process."""

    shown: ShownPhoto | None = None

    async def newest_entry(self, owner: HistoryOwner) -> int:
        if self.shown is not None:
            await self.keep(owner, self.shown, {"change": "set"})
            self.shown = None
        return await super().newest_entry(owner)


async def test_a_listing_meeting_a_change_kept_meanwhile_lists_it(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """kept_photos_for_undo: a photo set with keeping off, then an entry kept by a change
    under way as the listing reads: the listing is read again in the person's turn (the new
    entry listed), not told from the entries read before it."""
    history = _KeptMeanwhile(tmp_path / "history.sqlite3")
    blue = picture((30, 60, 200))
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN})  # #2 keeps RED
    async with history_tool(emulator, tmp_path / "other.sqlite3", keep_previous=False) as other:
        await other.call({"image": blue})  # kept nowhere
    shown = shown_avatar_hash(emulator)
    history.shown = ShownPhoto("custom", shown, blue, "image/png")
    async with history_tool(emulator, history) as tool:
        listing = await kept_photos_for_undo(tool)
    assert [kept.entry for kept in listing.entries] == [3, 2, 1]
    assert listing.undo_entry == 2


async def test_a_square_photo_of_exactly_slacks_least_side_set_elsewhere_is_kept_as_it_came(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """shown_photo: a 512 px square set by another client, shown uncut, is not too small:
    its own bytes are kept, not the square Slack shows of it."""
    square = picture((200, 120, 30), size=512)
    async with history_tool(emulator, tmp_path / "other.sqlite3", keep_previous=False) as other:
        await other.call({"image": square})
    async with history_tool(emulator, tmp_path / "history.sqlite3", keep_previous=True) as tool:
        await tool.call({"image": RED})
        (kept,) = await tool.history()
    assert kept.sha256 == hashlib.sha256(square).hexdigest()


@pytest.mark.parametrize(("seconds", "declared"), [(10.0, 10.0), (0.0, None), (86_400.0, None)])
def test_a_lease_declaring_no_time_or_a_day_is_taken_at_its_word(
    seconds: float, declared: float | None
) -> None:
    """_declared_length: a lease's length counts between 0 and a day, both ends out."""
    assert _declared_length(lease_holder(seconds)) == declared


@pytest.mark.parametrize(("count", "cut"), [(MAX_LISTED, False), (MAX_LISTED + 1, True)])
async def test_a_listing_says_it_is_cut_from_one_entry_past_max_listed(
    emulator: RunningEmulator, tmp_path: Path, count: int, cut: bool
) -> None:
    """usersRestorePhoto's listing: MAX_LISTED entries are all listed without a word; one
    more, and the message says only the newest are listed."""
    owner = HistoryOwner("T0EMULATOR", user_id_for_token(CANARY_TOKEN))
    async with PhotoHistory(tmp_path / "history.sqlite3", max_entries=100) as history:
        for number in range(count):
            await history.keep(owner, _photo(f"b{number}", number), {"change": "set"})
        async with history_tool(emulator, history) as tool:
            listing = await tool.restore_tool().run({})
    assert len(listing["entries"]) == MAX_LISTED
    assert (f"Only the newest {MAX_LISTED} are listed." in listing["message"]) is cut
