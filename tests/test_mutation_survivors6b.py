"""Tests that kill the mutants a sixth hand mutation round (6b: text shown to people and
models, URLs, schemas, replies, bodies, the MCP reader's answers, input kinds and the
argument view) let live.

Each test's docstring names the mutation it was written against and the promise that
mutation broke.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import random
from pathlib import Path
from typing import Any

import pytest
import trustme
from jsonschema import Draft202012Validator, FormatChecker

from ocp_users_photo.argument_view import safe_view
from ocp_users_photo.bounded_body import BodyTooLarge, BoundedBody, UnreadableBody
from ocp_users_photo.errors import ReplySchemaError
from ocp_users_photo.images.input_kinds import MAX_PATH_CHARS, kind_of
from ocp_users_photo.mcp_unread import AnsweringReadStream, _id_of, _read_line
from ocp_users_photo.photo_reply import MAX_PROFILE_TEXT_CHARS, ReplyCheck, check_photo_reply
from ocp_users_photo.result_schemas import error_result_schema, run_result_schema
from ocp_users_photo.safe_text import REDACTED, redacted, shown, shown_path
from ocp_users_photo.spec import MAX_WEB_URI_CHARS, freeze, is_web_uri, thaw, tool_spec
from ocp_users_photo.strict_schema import anthropic_strict_input_schema, strict_input_schema
from ocp_users_photo.trusted_roots import TrustedRoots
from ocp_users_photo.web_image.refusals import BadImageUrl, SchemeNotAllowed
from ocp_users_photo.web_image.urls import MAX_URL_CHARS, parse_image_url
from tests.conftest import success_reply
from tests.json_nesting import nested_arrays

# --- safe_text.py -------------------------------------------------------------------


def _request_id(line: str) -> int | str | None:
    """The id ``AnsweringReadStream`` answers a refused line by (None: the line is dropped)."""
    return _id_of(_read_line(line))


def test_shown_cuts_a_text_one_character_over_the_limit() -> None:
    """Mutation: ``len(cleaned) > limit`` made ``> limit + 1`` in ``shown``. Promise: no shown
    text is longer than its limit, and one that fits exactly is kept whole."""
    assert shown("a" * 10, 10) == "a" * 10
    over = shown("a" * 11, 10)
    assert len(over) <= 10
    assert over == "aaaaaaa..."


def test_a_cut_text_with_its_ellipsis_stays_within_the_limit() -> None:
    """Mutation: the cut ``cleaned[: limit - len(_ELLIPSIS)]`` made ``cleaned[:limit]``.
    Promise: the ellipsis counts toward the limit (200 characters, not 203)."""
    text = shown("b" * 5000)
    assert len(text) == 200
    assert text.endswith("...")


def test_a_text_cut_before_it_was_looked_at_says_so() -> None:
    """Mutation: ``or len(text) > len(looked_at)`` removed from ``shown``. Promise: a text
    cut short is marked with an ellipsis even when what was looked at collapses to little
    (a server's long run of whitespace must not hide that more followed)."""
    assert shown("a" + " " * 100 + "hidden tail", 10).endswith("...")


def test_a_path_printed_back_is_bounded() -> None:
    """Mutation: ``shown_path``'s bound of 300 characters raised to 3000. Promise: a path,
    URL or folder a person typed is printed back bounded (300 characters)."""
    printed = shown_path("/tmp/" + "d" * 5000)
    assert len(printed) == 300
    assert printed.endswith("...")


# --- web_image/urls.py --------------------------------------------------------------


def test_an_image_url_of_the_longest_length_is_read_and_one_more_is_refused() -> None:
    """Mutation: ``len(stripped) > MAX_URL_CHARS`` made ``> MAX_URL_CHARS + 1``. Promise: an
    image URL is at most MAX_URL_CHARS (8192) characters."""
    head = "https://allowed.test/"
    longest = head + "a" * (MAX_URL_CHARS - len(head))
    assert parse_image_url(longest).host == "allowed.test"
    with pytest.raises(BadImageUrl, match="longer than 8192"):
        parse_image_url(longest + "a")


def test_a_port_of_more_than_five_digits_is_refused_even_zero_padded() -> None:
    """Mutation: the port's ``len(port_text) > 5`` made ``> 6``. Promise: a port is a number of
    at most five digits ("000443", which parsers read differently, is refused)."""
    with pytest.raises(BadImageUrl, match="port"):
        parse_image_url("https://allowed.test:000443/x.png")


@pytest.mark.parametrize("url", ["https://[::1]x/a.png", "https://[::1]8080/a.png"])
def test_text_after_an_ipv6_host_that_is_no_port_is_refused(url: str) -> None:
    """Mutation: ``or (port_text and not port_text.startswith(":"))`` removed from the IPv6
    split. Promise: after ``]`` comes ``:port`` or nothing; ``[::1]8080`` is not read as port
    80 (its first digit dropped) nor ``[::1]x`` as the default port."""
    with pytest.raises(BadImageUrl, match="IPv6 host is malformed"):
        parse_image_url(url)


def test_a_lone_surrogate_in_an_image_url_is_refused_saying_so() -> None:
    """Mutation: the lone-surrogate check removed from ``parse_image_url``. Promise: a URL that
    cannot be written as UTF-8 (JSON's "\\ud800") is refused as such, with what to give."""
    with pytest.raises(BadImageUrl, match="surrogate"):
        parse_image_url("https://allowed.test/\ud800.png")


def test_another_schemes_default_port_is_kept_in_the_authority() -> None:
    """Mutation: the authority's ``self.port == DEFAULT_PORTS[self.scheme]`` made ``self.port
    in DEFAULT_PORTS.values()``. Promise: the port is left out only when it is the scheme's
    own; https on port 80 is not https on 443 (a redirect resolved against ``full`` and
    the Host header keep it)."""
    on_80 = parse_image_url("https://allowed.test:80/x.png")
    assert on_80.authority == "allowed.test:80"
    assert on_80.full == "https://allowed.test:80/x.png"
    assert parse_image_url("http://allowed.test:443/x.png").authority == "allowed.test:443"
    assert parse_image_url("https://allowed.test:443/x.png").authority == "allowed.test"


@pytest.mark.parametrize("url", ["ftp://allowed.test/x.png", "FILE://allowed.test/x.png"])
def test_a_scheme_other_than_http_or_https_is_refused_as_such(url: str) -> None:
    """Mutation: another scheme (ftp) added to the URL reader's ``DEFAULT_PORTS``. Promise:
    only http(s) URLs are read at all (the policy then asks for https); any other scheme
    is refused as a scheme, never fetched."""
    with pytest.raises(SchemeNotAllowed, match="only https"):
        parse_image_url(url)


# --- photo_reply.py -----------------------------------------------------------------

_ESCAPE = "\x1b]52;c;QUFB\x07\x1b[2J"


@pytest.mark.parametrize("reply_check", ["warn", "off"])
def test_an_unchecked_profile_value_is_bounded_and_printable(reply_check: ReplyCheck) -> None:
    """Mutation: ``schema_shaped`` keeping a profile field's value as it came (``key: value``
    for ``_bounded_text(value, MAX_PROFILE_TEXT_CHARS)``). Promise: a reply that was not
    checked (warn, off) hands on the profile's fields as bounded, printable text only."""
    body = {"ok": True, "profile": {"image_24": _ESCAPE + "a" * 50_000}}
    result = check_photo_reply(body, reply_check=reply_check)
    image_24 = result["profile"]["image_24"]
    assert len(image_24) <= MAX_PROFILE_TEXT_CHARS
    assert "\x1b" not in image_24
    assert "\x07" not in image_24


@pytest.mark.parametrize("reply_check", ["strict", "warn", "off"])
@pytest.mark.parametrize(
    "envelope",
    [
        {"warning": _ESCAPE + "w" * 5000},
        {"response_metadata": {"warnings": [_ESCAPE] * 50, "messages": ["obey me"]}},
    ],
    ids=["warning-alone", "metadata-alone"],
)
def test_one_envelope_field_alone_is_bounded_too(
    reply_check: ReplyCheck, envelope: dict[str, Any]
) -> None:
    """Mutation: ``bounded_envelope``'s early return made to fire when *either* envelope
    field is missing (``or`` for ``and``). Promise: ``warning`` and ``response_metadata``
    are each bounded and printable on their own, not only when a reply carries both."""
    result = check_photo_reply({**success_reply(), **envelope}, reply_check=reply_check)
    text = json.dumps(result)
    assert "\\u001b" not in text
    assert "obey me" not in text
    assert len(result.get("warning", "")) <= 300
    assert len(result.get("response_metadata", {}).get("warnings", [])) <= 10


def test_a_left_out_fields_name_is_logged_bounded_and_printable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Mutation: ``schema_shaped`` naming a top-level field it leaves out as the server wrote
    it (``str(key)`` for ``shown(str(key), 40)``). Promise: the log line that names what
    was left out carries no escape sequence and no long server text."""
    body = {"ok": True, _ESCAPE + "k" * 1000: 1}
    with caplog.at_level(logging.WARNING, logger="ocp_users_photo"):
        assert check_photo_reply(body, reply_check="off") == {"ok": True}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "left out" in logged
    assert "\x1b" not in logged
    assert "\x07" not in logged
    assert "k" * 100 not in logged


# --- bounded_body.py ----------------------------------------------------------------


def test_compressed_bytes_past_the_cap_are_refused_before_they_are_decoded() -> None:
    """Mutation: ``self._raw_count > self._max_bytes`` made ``> self._max_bytes + 1``.
    Promise: not even the bytes read from the connection go past the cap (a gzip body one
    byte longer than the cap is refused, though it decodes to less)."""
    data = random.Random(6).randbytes(4000)
    encoded = gzip.compress(data)
    assert len(encoded) > len(data) + 1
    body = BoundedBody("gzip", max_bytes=len(encoded) - 1)
    with pytest.raises(BodyTooLarge):
        body.feed(encoded)


def test_a_gzip_body_cut_short_is_no_body() -> None:
    """Mutation: ``finish``'s ``if not self._inflater.eof`` check removed. Promise: a gzip
    stream cut short (a connection dropped mid-body) is refused, not taken as the image."""
    encoded = gzip.compress(random.Random(7).randbytes(4000))
    body = BoundedBody("gzip", max_bytes=1_000_000)
    body.feed(encoded[: len(encoded) // 2])
    with pytest.raises(UnreadableBody, match="ends before"):
        body.finish()


def test_bytes_after_the_gzip_stream_make_it_no_body() -> None:
    """Mutation: ``finish``'s ``if self._inflater.unused_data`` check removed. Promise: a gzip
    stream followed by other bytes (a second member, a smuggled tail) is refused."""
    body = BoundedBody("gzip", max_bytes=1_000_000)
    body.feed(gzip.compress(b"first") + b"and more")
    with pytest.raises(UnreadableBody, match="other bytes follow"):
        body.finish()


def test_a_coding_of_no_registered_name_is_not_quoted_back() -> None:
    """Mutation: the registered-name check before quoting the codings removed. Promise: the
    header is the server's text (one echoed the token): a refusal quotes only registered
    coding names."""
    with pytest.raises(UnreadableBody) as refused:
        BoundedBody("br, xoxp-1-2-3-echoedtoken\x1b[2J", max_bytes=1024)
    assert "echoedtoken" not in str(refused.value)
    assert "\x1b" not in str(refused.value)
    assert "no registered name" in str(refused.value)


def test_a_refusal_names_at_most_three_codings() -> None:
    """Mutation: the refusal's ``codings[:3]`` made ``codings``. Promise: a refusal is
    bounded: three coding names, then ``...``, however long the header."""
    with pytest.raises(UnreadableBody) as refused:
        BoundedBody(", ".join(["br"] * 3 + ["zstd"] * 500), max_bytes=1024)
    assert (
        str(refused.value) == "it is compressed with 'br, br, br, ...', which is not decoded here"
    )


@pytest.mark.parametrize("coding", ["identity", " Identity ", "GZip", "gzip, identity"])
def test_identity_and_a_coding_in_any_case_are_read(coding: str) -> None:
    """Mutations: ``coding != "identity"`` dropped from the codings' filter; the codings no
    longer lower-cased. Promise: content codings are names in any case (RFC 9110), and
    ``identity`` is no coding at all: such a body is read, not refused."""
    encoded = gzip.compress(b"photo") if "gzip" in coding.lower() else b"photo"
    body = BoundedBody(coding, max_bytes=1024)
    body.feed(encoded)
    body.finish()
    assert body.decoded == b"photo"


# --- strict_schema.py ---------------------------------------------------------------


def test_additional_properties_given_as_a_schema_is_refused_not_dropped() -> None:
    """Mutation: ``_strict_object``'s ``if extra is not False`` made ``if extra is True``.
    Promise: what strict mode cannot carry is refused with a ValueError naming it, never
    silently replaced (an object schema for extra properties is not ``false``)."""
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": {"type": "string"},
    }
    with pytest.raises(ValueError, match="additionalProperties"):
        strict_input_schema(schema)


def test_an_optional_enum_still_takes_null() -> None:
    """Mutation: ``_branch`` copying ``enum`` onto the ``null`` branch too (``type_name !=
    "null"`` dropped). Promise: an optional property becomes required *and nullable*; null
    (the model's "not given") is a value the strict variant accepts."""
    schema = {
        "type": "object",
        "properties": {"size": {"type": "string", "enum": ["small", "large"]}},
    }
    size = strict_input_schema(schema)["properties"]["size"]
    assert size["anyOf"] == [{"type": "string", "enum": ["small", "large"]}, {"type": "null"}]
    assert Draft202012Validator(strict_input_schema(schema)).is_valid({"size": None})


def test_anthropic_strict_moves_a_min_items_above_one_into_words() -> None:
    """Mutation: ``_move_uncarried``'s ``minItems > 1`` made ``> 2``. Promise: Anthropic's
    strict grammar takes minItems 0 and 1 only; any larger one is said in the description
    (and left to the tool), never handed to it."""
    schema = {
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"type": "string"}, "minItems": 2}},
        "required": ["tags"],
    }
    tags = anthropic_strict_input_schema(schema)["properties"]["tags"]
    assert "minItems" not in tags
    assert tags["description"] == "Limits the tool checks: array: minItems 2."
    kept = anthropic_strict_input_schema(
        {
            **schema,
            "properties": {"tags": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
        }
    )
    assert kept["properties"]["tags"]["minItems"] == 1


# --- images/input_kinds.py ----------------------------------------------------------


@pytest.mark.parametrize("head", ["http://", "https://", "HTTPS://", "  Http://"])
def test_a_url_too_long_for_a_path_is_still_a_url(head: str) -> None:
    """Mutation: the long-text branch's ``start[:7].lower() in ("http://", "https:/")`` made
    ``start[:8] == "https://"``. Promise: a web URL longer than any path (a signed link) is
    classified as a URL in any case and either scheme, never taken as base64 text."""
    text = head + "allowed.test/" + "a" * (MAX_PATH_CHARS + 10)
    assert kind_of(text)[0] == "url"


def test_a_file_colon_name_without_slashes_is_a_path_of_that_name() -> None:
    """Mutation: the ``file:`` URL branch taken without its ``//`` (``stripped[5:7] == "//"``
    dropped). Promise: only ``file://`` is a file URL; ``file:me.png`` is a file of that
    name (a legal name), not read as ``me.png``."""
    assert kind_of("file:me.png") == ("path", "file:me.png", [])


def test_a_data_uri_too_long_for_a_path_is_a_data_uri() -> None:
    """Mutation: the long-text branch returning ``base64`` for a text starting ``data:``.
    Promise: a data: URI of any length (in any case, with spaces around) goes to the data:
    URI reader, stripped, never to the base64 one, which would refuse its header."""
    payload = "data:image/png;base64," + "A" * (MAX_PATH_CHARS + 8)
    assert kind_of("  DATA:" + payload[5:] + "\n") == ("data_uri", "DATA:" + payload[5:], [])


# --- argument_view.py ---------------------------------------------------------------


def test_the_view_keeps_at_most_twenty_arguments() -> None:
    """Mutation: ``safe_view``'s ``list(arguments.items())[:20]`` made unbounded. Promise: a
    model that sends thousands of arguments does not grow every history entry and
    observer event with them: the view names the first 20."""
    view = safe_view({f"extra_{index}": index for index in range(1000)})
    assert len(view) == 20
    assert list(view) == [f"extra_{index}" for index in range(20)]


@pytest.mark.parametrize("name", ["xoxp_1234567890_abcdef", "XAPP1A0B1C2D3"])
def test_an_argument_named_like_a_token_is_a_placeholder(name: str) -> None:
    """Mutation: ``_shown_name``'s ``not name.lower().startswith(("xox", "xapp"))`` removed.
    Promise: a name that starts as a Slack token does (in any case) is never kept in
    history, even in the identifier alphabet; it becomes ``<argument N>``."""
    assert safe_view({"crop_x": 1, name: "v"}) == {"crop_x": 1, "<argument 2>": "<str>"}


def test_an_argument_name_of_more_than_forty_characters_is_a_placeholder() -> None:
    """Mutation: ``_PLAIN_NAME``'s ``{0,39}`` made ``*``. Promise: an argument's name is kept
    only as a short identifier (at most 40 characters); a longer one (a model's words, a
    secret written as an identifier) becomes ``<argument N>``."""
    forty = "a" * 40
    view = safe_view({forty: 1, "b" * 41: 2, "c" * 5000: 3})
    assert view == {forty: "<int>", "<argument 2>": "<int>", "<argument 3>": "<int>"}


def test_a_url_images_view_is_bounded_however_long_its_host() -> None:
    """Mutation: ``_image_kind``'s ``redact_url(stripped[:4096])[:120]`` made
    ``redact_url(stripped)``. Promise: what history keeps of a URL image is short (its
    redacted form cut at 120 characters), even for a host of 200 characters."""
    host = ".".join(["h" * 63] * 3) + ".test"
    view = safe_view({"image": f"https://{host}/photo.png"})
    assert view["image"].startswith("<url https://hhh")
    assert len(view["image"]) <= len("<url >") + 120


def test_a_data_uri_image_is_named_as_one_in_any_case() -> None:
    """Mutation: ``_image_kind``'s ``stripped[:5].lower() == "data:"`` made case-sensitive.
    Promise: the view says what kind of image was given; a data: URI (its scheme in any
    case, as the reader takes it) is named a data: URI with its length."""
    value = "DATA:image/png;base64,AAAA"
    assert safe_view({"image": value})["image"] == f"<data: URI, {len(value)} characters>"


def test_a_path_objects_file_name_is_masked_printable_and_bounded() -> None:
    """Mutation: ``_image_kind`` keeping an ``os.PathLike``'s file name as it is (``shown``
    dropped). Promise: as for a path given as text, a token pasted as the file's name is
    masked, an escape sequence made harmless and the name bounded (60 characters)."""
    view = safe_view({"image": Path("/tmp") / ("xoxp-1-2-3-abcdef\x1b[2J" + "n" * 200 + ".png")})
    assert "\x1b" not in view["image"]
    assert "xoxp-1-2-3" not in view["image"]
    assert len(view["image"]) <= len("<path >") + 60


# --- spec.py ------------------------------------------------------------------------


def test_a_web_uri_of_the_longest_length_passes_and_one_more_does_not() -> None:
    """Mutation: ``is_web_uri``'s ``len(value) > MAX_WEB_URI_CHARS`` made ``> ... + 1``.
    Promise: an image URL or install page handed to a model is at most 2048 characters."""
    head = "https://avatars.slack-edge.test/"
    longest = head + "a" * (MAX_WEB_URI_CHARS - len(head))
    assert is_web_uri(longest)
    assert not is_web_uri(longest + "a")


@pytest.mark.parametrize(
    "uri",
    ["https://avatars.test/xoxp-1-2-3-abcdef.png", "https://avatars.test/a.png?t=XOXB-9-8"],
)
def test_a_web_uri_holding_a_token_shape_is_no_web_uri(uri: str) -> None:
    """Mutation: ``or without_tokens(value) != value`` removed from ``is_web_uri``. Promise: a
    reply whose image URL holds something shaped like a Slack token (a server echoing one,
    in any case) breaks the schema, so it is not handed to a model as a URL."""
    assert not is_web_uri(uri)


@pytest.mark.parametrize(
    "uri",
    ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,%3Cb%3E", "ftp://a.test/x.png"],
)
def test_only_http_and_https_uris_are_web_uris(uri: str) -> None:
    """Mutation: ``if not _WEB_SCHEME.match(value): return False`` removed from
    ``is_web_uri`` (RFC 3986 alone then decides). Promise: an image URL a client may open
    or show is http or https, never ``javascript:``, ``file:`` or ``data:``: a reply
    carrying one is refused in strict mode."""
    assert not is_web_uri(uri)
    body = {**success_reply()}
    body["profile"] = {**body["profile"], "image_24": uri}
    with pytest.raises(ReplySchemaError):
        check_photo_reply(body, reply_check="strict")


@pytest.mark.parametrize(
    "uri",
    ["https://ex ample.test/x.png", "https://a\x1b[2J.test/x.png", "https://a%zz.test/x.png"],
    ids=["space", "escape", "bad-percent"],
)
def test_the_fast_path_takes_no_host_the_full_check_refuses(uri: str) -> None:
    """Mutation: ``_PLAIN_HTTP_URL``'s host ``[A-Za-z0-9.-]+`` widened to ``[^/]+``.
    Promise: the fast path answers exactly as RFC 3986's check; a host with a space, an
    escape sequence or a broken percent-escape is no web URI."""
    assert not is_web_uri(uri)


def test_a_frozen_specs_arrays_cannot_be_changed() -> None:
    """Mutation: ``freeze`` turning arrays into lists (not tuples). Promise: a ToolSpec's JSON
    is read-only all the way down; one caller cannot change the schema (``required``) every
    other caller in the process checks against."""
    frozen = freeze({"required": ["ok"], "nested": [{"enum": ["a"]}]})
    assert frozen["required"] == ("ok",)
    assert frozen["nested"][0]["enum"] == ("a",)
    with pytest.raises(AttributeError):
        tool_spec().response_schema["required"].append("extra")
    assert thaw(frozen) == {"required": ["ok"], "nested": [{"enum": ["a"]}]}


# --- mcp_unread.py ------------------------------------------------------------------


def test_a_boolean_id_is_no_id_to_answer() -> None:
    """Mutation: ``isinstance(request_id, bool) or`` removed from ``_request_id``. Promise: an
    id is a whole number or a string; ``true`` (a bool, which Python counts as an int) is
    no id of any request, so no parse error is sent under it."""
    assert _request_id('{"jsonrpc":"2.0","id":true,"method":"ping","x":"\\ud800"}') is None
    assert _request_id('{"jsonrpc":"2.0","id":1,"method":"ping","x":"\\ud800"}') == 1


def test_a_response_from_the_host_is_not_answered() -> None:
    """Mutation: ``or "method" not in message`` removed from ``_request_id``. Promise: only a
    request is answered; a line with an id but no method (the host's response to one of the
    server's own requests) gets no parse error, which the host would take as its answer."""
    assert _request_id('{"jsonrpc":"2.0","id":5,"result":{"x":"\\ud800"}}') is None
    assert (
        _request_id('{"jsonrpc":"2.0","id":5,"error":{},"x":' + "[" * 300 + "]" * 300 + "}") is None
    )


def test_an_escaped_quote_inside_a_string_does_not_end_it() -> None:
    """Mutation: ``_string_end`` stepping over a backslash alone (``index += 1`` for ``+= 2``),
    so ``\\"`` ends the string. Promise: a line walked by hand (nesting past json's depth)
    is answered under its own top-level id, never under one read from inside a string (a
    model's words holding ``"id": 3``)."""
    deep = nested_arrays()
    words = json.dumps('say ", "id": 3, "x": "')
    line = '{"jsonrpc":"2.0","note":' + words + ',"method":"ping","id":7,"deep":' + deep + "}"
    assert _request_id(line) == 7


class _Refused(Exception):
    """What the SDK's reader hands on for a line it cannot parse (pydantic's shape)."""

    def __init__(self, line: str, message: str) -> None:
        super().__init__(message)
        self._line, self._message = line, message

    def errors(self) -> list[dict[str, Any]]:
        return [{"input": self._line, "msg": self._message}]


class _OneRefusal:
    def __init__(self, refused: Exception) -> None:
        self._items: list[Any] = [refused, "next message"]

    async def receive(self) -> Any:
        return self._items.pop(0)


class _Sent:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def send(self, message: Any) -> None:
        self.messages.append(message)


async def test_an_unreadable_requests_id_and_reason_are_logged_and_answered_safely(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Mutations: ``_answer`` logging the request's id as it came (``shown`` dropped); the
    parser's reason kept as it came (``shown(..., 160)`` dropped). Promise: the id and the
    reason are the host's and the parser's text: what is logged, and what the answer
    says, carries no escape sequence and no unbounded text."""
    import mcp.types

    hostile_id = "\x1b]52;c;QUFB\x07" + "i" * 1000
    line = json.dumps({"jsonrpc": "2.0", "id": hostile_id, "method": "ping"})
    reason = "Invalid JSON: \x1b[2J" + "r" * 5000
    sent = _Sent()
    stream = AnsweringReadStream(_OneRefusal(_Refused(line, reason)), sent, mcp.types)
    with caplog.at_level(logging.WARNING, logger="ocp_users_photo.mcp_server"):
        assert await stream.receive() == "next message"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "could not be read" in logged
    assert "\x1b" not in logged
    assert "\x07" not in logged
    assert "i" * 100 not in logged
    assert "r" * 200 not in logged
    (answer,) = sent.messages
    error = answer.message.root.error if hasattr(answer.message, "root") else answer.message.error
    assert error.code == -32700
    assert "\x1b" not in error.message
    assert "r" * 200 not in error.message


# --- a real defect: a string the walker cannot read ---------------------------------

INVALID_STRING_LINES = {
    "bad escape": '{"jsonrpc":"2.0","id":7,"method":"ping","x":"\\q"}',
    "raw tab": '{"jsonrpc":"2.0","id":7,"method":"ping","x":"a\tb"}',
    "short unicode escape": '{"jsonrpc":"2.0","id":7,"method":"ping","x":"\\u12"}',
}


@pytest.mark.parametrize(
    "line", list(INVALID_STRING_LINES.values()), ids=list(INVALID_STRING_LINES)
)
def test_a_line_with_a_string_json_cannot_read_gives_no_exception(line: str) -> None:
    """Defect (found by mutating ``_string_end``): ``_top_level`` reads each string token
    with ``json.loads``, which raises on an invalid escape or a raw control character; the
    JSONDecodeError leaves ``_request_id`` (it catches only the first ``json.loads``) and
    ``AnsweringReadStream.receive``. Promise (the module's docstring): a line that is no
    JSON is logged, or answered under its id, never an exception out of the reader."""
    assert _request_id(line) in (7, None)


async def test_on_the_wire_a_line_with_a_bad_escape_leaves_the_server_answering(
    tmp_path: Path,
) -> None:
    """The same defect on the MCP server's stdio wire: after a line with ``"\\q"`` in a
    string, the next request is still answered."""
    from tests.test_mcp_wire_requests import wire_server

    async with wire_server(tmp_path) as wire:
        await wire.send_line(INVALID_STRING_LINES["bad escape"])
        await wire.send_line('{"jsonrpc": "2.0", "id": 8, "method": "ping"}')
        assert await wire.answer(8, seconds=20) is not None, "the server stopped answering"


# --- trusted_roots.py ---------------------------------------------------------------


def test_a_ca_file_holding_no_ca_certificate_is_refused(tmp_path: Path) -> None:
    """Mutation: ``_loaded``'s ``not context.get_ca_certs()`` check removed. Promise: a PEM
    file that loads but holds no CA certificate (a server's own certificate) is refused
    naming SSL_CERT_FILE, rather than failing every TLS connection later."""
    leaf = tmp_path / "leaf.pem"
    trustme.CA().issue_cert("example.test").cert_chain_pems[0].write_to_path(str(leaf))
    with pytest.raises(ValueError, match=r"SSL_CERT_FILE names .*holds no CA certificate"):
        TrustedRoots(file=str(leaf)).context()


def test_the_ca_file_wins_over_the_ca_folder() -> None:
    """Mutation: ``from_environment`` taking SSL_CERT_DIR when both are set. Promise (as
    OpenSSL and requests read them): SSL_CERT_FILE wins."""
    both = {"SSL_CERT_FILE": "/corp/ca.pem", "SSL_CERT_DIR": "/corp/certs"}
    assert TrustedRoots.from_environment(both) == TrustedRoots(file="/corp/ca.pem")


@pytest.mark.parametrize("folders", [os.pathsep, os.pathsep * 3, "/no/such/folder"])
def test_a_ca_folder_list_naming_no_folder_is_refused(folders: str) -> None:
    """Mutations: ``or (self.folder is not None and not folders)`` removed; the check for a
    missing folder made to find none. Promise: SSL_CERT_DIR that names no existing folder
    is refused naming the variable, before anything is sent (else nothing would verify)."""
    with pytest.raises(ValueError, match=r"SSL_CERT_DIR names .*which is not a folder"):
        TrustedRoots(folder=folders).context()


# --- result_schemas.py --------------------------------------------------------------

_ERROR = {"ok": False, "error": "invalid_arguments", "message": "m", "problems": []}


@pytest.mark.parametrize(
    "result",
    [
        {"ok": False, "error": "invalid_auth", "message": "m"},
        {**_ERROR, "problems": [{"path": "$.crop_x", "message": "m", "token": "xoxp-1"}]},
        {**_ERROR, "error": "ratelimited", "retry_after": -1},
    ],
    ids=["no-problems", "extra-problem-field", "negative-retry-after"],
)
def test_the_error_result_schema_refuses_what_the_tool_never_returns(
    result: dict[str, Any],
) -> None:
    """Mutations: ``problems`` dropped from the error object's ``required``; a problem's
    ``additionalProperties: false`` removed; ``retry_after``'s ``minimum: 0`` removed.
    Promise: the outputSchema says exactly what ``run`` returns (problems always listed, a
    problem is path and message only, a wait is never negative), so a client validating
    against it catches a result that breaks that."""
    validator = Draft202012Validator(run_result_schema(), format_checker=FormatChecker())
    assert validator.is_valid(_ERROR)
    assert not validator.is_valid(result)


def test_the_error_codes_name_every_code_of_this_package() -> None:
    """Mutation: a code (transport_error) left out of ``_LOCAL_ERROR_CODES``. Promise: the
    error schema's examples name every code this package gives, beside Slack's own."""
    examples = error_result_schema()["properties"]["error"]["examples"]
    for code in ("invalid_arguments", "token_not_usable", "invalid_reply", "transport_error"):
        assert code in examples


@pytest.mark.parametrize("limit", [10, 200])
def test_white_space_that_collapses_within_four_times_the_limit_is_shown_whole(
    limit: int,
) -> None:
    """``shown`` looks at ``limit * 4 + 16`` characters: a text of runs of white space that
    collapse (a server's padded reply, a wrapped message) is shown whole up to there, and
    marked cut one character past it (a test-quality review: only limit 10 was tested,
    which could not tell that window from one half as wide)."""
    window = limit * 4 + 16
    whole = "a" + " " * (window - 2) + "b"
    assert shown(whole, limit) == "a b"
    assert shown(whole + "c", limit).endswith("...")


def test_secrets_that_touch_are_one_redaction() -> None:
    """Two secrets end to end (a token and its refresh token echoed without a space) are
    one stretch: one REDACTED, as overlapping ones are (a test-quality review: ``<=``
    made ``<`` in the merge gave two)."""
    assert redacted("before:AAAABBBB:after", ["AAAA", "BBBB"]) == f"before:{REDACTED}:after"
