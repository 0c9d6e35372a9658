"""Review angle: the operator's CA certificates cannot be read, and the image is a URL.

The roots (SSL_CERT_FILE, SSL_CERT_DIR) are read when the first TLS connection needs
them. For a call whose image was a file or base64, that is Slack's call: a
TransportError naming the variable, nothing sent, which ``run()`` hands a model as
``transport_error``. For an image URL on an allowed host the fetch needed them first,
and their ValueError left ``call()`` untyped and ``run()`` (a model door) raising.
Nothing here connects anywhere: the roots are refused before any lookup.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo import TransportError, UsersSetPhoto

URL = "https://images.example.com/me.png"


def _tool(environ: dict[str, str]) -> UsersSetPhoto:
    return UsersSetPhoto(
        "xoxp-1-2-3", url_hosts=["images.example.com"], keep_previous=False, environ=environ
    )


@pytest.fixture(params=["missing", "no certificate"])
def environ(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "corp-ca.pem"
    if request.param == "no certificate":
        path.write_text("not a certificate\n")
    return {"SSL_CERT_FILE": str(path)}


async def test_a_call_with_an_image_url_is_a_transport_error_naming_the_variable(
    environ: dict[str, str],
) -> None:
    async with _tool(environ) as tool:
        with pytest.raises(TransportError) as caught:
            await tool.call({"image": URL})
    error = caught.value
    assert error.to_check == "SSL_CERT_FILE"
    assert error.setting_at_fault
    assert error.reached is False
    assert "Nothing was sent" in str(error)


async def test_a_model_is_answered_not_raised_at(environ: dict[str, str]) -> None:
    async with _tool(environ) as tool:
        result = await tool.run({"image": URL})
    assert isinstance(result, dict), result
    assert result["ok"] is False
    assert result["error"] == "transport_error"
    assert "SSL_CERT_FILE" in result["message"]
