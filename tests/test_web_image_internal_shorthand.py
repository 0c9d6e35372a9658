"""Review angle: an internal address written in shorthand, where some hosts are allowed.

With no host allowed, ``https://127.1/`` was already told it is never fetched (the review
of 2026-12-06). With hosts allowed, the URL check refused it as a number in another form
and told the model to "write the address as a.b.c.d": the model's next try,
``https://127.0.0.1/``, was then refused as a loopback address, whatever it wrote.
"""

from __future__ import annotations

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.web_image import BadImageUrl, UrlPolicy, check_image_url

ALLOWED = UrlPolicy(allowed_hosts=["images.example.com"])


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://127.1/me.png", "a loopback address"),
        ("https://2130706433/me.png", "a loopback address"),
        ("https://0x7f.1/me.png", "a loopback address"),
        ("https://0177.0.0.1/me.png", "a loopback address"),
        ("https://10.1/me.png", "a private address"),
        ("https://0xa9.254.169.254/latest/meta-data", "a link-local address"),
    ],
)
def test_an_internal_host_in_shorthand_is_not_told_to_be_written_out(url: str, kind: str) -> None:
    with pytest.raises(BadImageUrl) as refused:
        check_image_url(url, ALLOWED)
    said = refused.value.message
    assert f", {kind}, which this tool never fetches from" in said, said
    assert "a.b.c.d" not in said, said


def test_a_public_address_in_shorthand_is_still_told_how_to_write_it() -> None:
    with pytest.raises(BadImageUrl, match=r"write the address as a\.b\.c\.d"):
        check_image_url("https://1.1/me.png", ALLOWED)


def test_the_test_policy_still_says_how_to_write_a_loopback_shorthand() -> None:
    policy = UrlPolicy(allowed_hosts=["127.0.0.1"], allow_loopback_for_tests=True)
    with pytest.raises(BadImageUrl, match=r"write the address as a\.b\.c\.d"):
        check_image_url("https://127.1/me.png", policy)


async def test_a_model_is_not_told_to_write_the_loopback_address_out() -> None:
    tool = UsersSetPhoto("xoxp-1-2-3", url_hosts=["images.example.com"], environ={})
    result = await tool.run({"image": "https://2130706433/me.png"})
    text = str(result)
    assert "a loopback address, which this tool never fetches from" in text, text
    assert "a.b.c.d" not in text, text
