"""SlackClient's client_auth: an app authenticated by HTTP Basic (oauth.v2.access), its
credentials, and the refresh token it sends, never in what comes back."""

from __future__ import annotations

import base64
import pickle

import httpx
import pytest

from ocp_users_photo.credentials import ClientCredentials, SlackToken
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import SlackApiError, TransportError
from ocp_users_photo.slack.client import SlackClient
from ocp_users_photo.slack.replies import HttpReply
from ocp_users_photo.slack.retry import RetryPolicy
from tests.conftest import inject

SECRET = "s3cret-client-value-0123456789"
REFRESH = "xoxe-1-refreshcanary0123456789abcdef"
CREDENTIALS = ClientCredentials("1111.2222", SECRET)
OAUTH = "oauth.v2.access"
BASIC = base64.b64encode(f"1111.2222:{SECRET}".encode()).decode()


def client(emulator: RunningEmulator) -> SlackClient:
    return SlackClient(
        base_url=emulator.base_url, user_agent="test", retry=RetryPolicy(max_retries=0)
    )


async def test_client_auth_is_sent_as_http_basic_and_no_bearer(emulator: RunningEmulator) -> None:
    inject(emulator, Fault.json({"ok": True, "access_token": "xoxe.xoxp-1-new"}), method=OAUTH)
    reply = await client(emulator).call(
        "oauth.v2.access",
        token=None,
        fields={"grant_type": "refresh_token", "refresh_token": REFRESH},
        client_auth=CREDENTIALS,
    )
    assert reply.body["access_token"] == "xoxe.xoxp-1-new"
    assert "xoxe.xoxp-1-new" not in repr(reply), "a reply's repr never shows the tokens it holds"
    [request] = emulator.requests.all()
    assert request.path == f"/api/{OAUTH}"
    assert request.header("authorization") == f"Basic {BASIC}"
    assert dict(request.form) == {"grant_type": "refresh_token", "refresh_token": REFRESH}


async def test_a_token_and_client_auth_together_are_refused(emulator: RunningEmulator) -> None:
    with pytest.raises(ValueError, match="not both"):
        await client(emulator).call(
            "auth.test", token=SlackToken("xoxp-1-2-3"), client_auth=CREDENTIALS
        )
    assert emulator.requests.all() == []


@pytest.mark.parametrize(
    "echo", [SECRET, BASIC, REFRESH, f"Basic {BASIC}"], ids=["secret", "basic", "refresh", "header"]
)
async def test_echoed_credentials_are_redacted_from_errors(
    emulator: RunningEmulator, echo: str
) -> None:
    inject(
        emulator,
        Fault.json({"ok": False, "error": "invalid_refresh_token", "echo": echo}),
        Fault.status(200, body=f"<html>{echo}</html>".encode()),
        # Echoed in a header only: an error that names the Content-Type must not show it.
        Fault.status(200, body=b"<html>", headers={"content-type": f"text/html; {echo}"}),
        method=OAUTH,
    )
    fields = {"grant_type": "refresh_token", "refresh_token": REFRESH}
    with pytest.raises(SlackApiError) as refused:
        await client(emulator).call(
            "oauth.v2.access", token=None, fields=fields, client_auth=CREDENTIALS
        )
    with pytest.raises(TransportError) as unusable:
        await client(emulator).call(
            "oauth.v2.access", token=None, fields=fields, client_auth=CREDENTIALS
        )
    with pytest.raises(TransportError) as named:
        await client(emulator).call(
            "oauth.v2.access", token=None, fields=fields, client_auth=CREDENTIALS
        )
    assert "[redacted]" in str(named.value)
    texts = (repr(refused.value.reply), str(refused.value), str(unusable.value), str(named.value))
    for text in texts:
        for secret in (SECRET, BASIC, REFRESH):
            assert secret not in text


def test_client_credentials_hide_the_secret_and_refuse_bad_text() -> None:
    assert SECRET not in repr(CREDENTIALS)
    assert SECRET not in str(CREDENTIALS)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(CREDENTIALS)
    for client_id, secret in (("", "x"), ("1:2", "x"), ("1.2", "a b"), ("1.2", "\n")):
        with pytest.raises(ValueError, match=r"client_id|client_secret"):
            ClientCredentials(client_id, secret)


async def test_credentials_echoed_with_escaped_slashes_are_redacted(
    emulator: RunningEmulator,
) -> None:
    # Slack's JSON writes "/" as "\/": a secret holding one, or a Basic pair whose base64
    # does, arrives escaped, not as the text that was sent.
    secret = "s3cret/client/value?0123456789"
    credentials = ClientCredentials("1111.2222", secret)
    basic = base64.b64encode(f"1111.2222:{secret}".encode()).decode()
    assert "/" in basic

    def escaped(text: str) -> str:
        return text.replace("/", "\\/")

    body = f'{{"ok": false, "error": "invalid_client", "s": "{escaped(secret)}", '
    body += f'"b": "{escaped(basic)}"}}'
    inject(emulator, Fault.status(200, body=body.encode()), method=OAUTH)
    with pytest.raises(SlackApiError) as refused:
        await client(emulator).call(
            OAUTH, token=None, fields={"code": "1.2.3"}, client_auth=credentials
        )
    assert refused.value.reply["s"] == "[redacted]"
    assert refused.value.reply["b"] == "[redacted]"
    for text in (repr(refused.value.reply), str(refused.value)):
        assert secret not in text
        assert basic not in text


def test_the_raw_answers_repr_shows_no_token_it_holds() -> None:
    # The answer as it came, before any redaction: the new tokens of a refresh are there,
    # and a server may echo a token in a header.
    raw = b'{"ok": true, "access_token": "xoxe.xoxp-1-new", "refresh_token": "xoxe-1-next"}'
    echoed = httpx.Headers({"x-echo": "xoxe.xoxp-1-new"})
    answer = HttpReply(status_code=200, headers=echoed, body=raw, attempts=1)
    assert "xoxe" not in repr(answer)
    assert "status_code=200" in repr(answer)
