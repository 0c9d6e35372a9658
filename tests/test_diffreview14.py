"""Review of the 14th round's changes: defects found in what it added.

Each test fails on the code as the round left it.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import stat
from pathlib import Path

import trustme
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.resolvers import IntakeContext
from ocp_users_photo.images.url_resolver import UrlResolver
from ocp_users_photo.installations.store_access import StoreAccess
from ocp_users_photo.tokens import ActingPerson
from ocp_users_photo.web_image import UrlPolicy
from tests.loopback import serve


async def test_a_sqlite_store_given_a_path_object_still_reads(tmp_path: Path) -> None:
    """slack_sdk's SQLite store connects with whatever ``database`` it was given, and a
    pathlib.Path works there (sqlite3.connect takes one, as confirm_absent does): the
    owner-only creation before the first read called ``.startswith`` on it, so every read
    of such a store failed as InstallationStoreFailed, where it had found the person
    absent."""
    database = tmp_path / "installations.db"
    store = SQLite3InstallationStore(database=database, client_id="111.222")  # type: ignore[arg-type]
    previous = os.umask(0o022)
    try:
        found = await StoreAccess(store).find(ActingPerson("T0123456789", "UALICE0001"))
    finally:
        os.umask(previous)
    assert found is None
    assert stat.S_IMODE(database.stat().st_mode) & 0o077 == 0, oct(database.stat().st_mode)


async def test_a_host_reached_that_broke_off_its_answer_is_not_blamed_on_the_proxy(
    ca: trustme.CA, client_tls: ssl.SSLContext, tmp_path: Path
) -> None:
    """The proxy note says image URLs are never fetched through a proxy, for a fetch that
    found no address or could not connect. A host that was reached (the connection made,
    TLS and all) and then broke off its answer, or sent nothing in time, is no sign of a
    host that reaches the web only through a proxy: the note there sent the model to
    download the image for a failure of that one host."""
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)

    async def not_http(writer: asyncio.StreamWriter) -> None:
        writer.write(b"this is no HTTP answer\r\n\r\n")
        await writer.drain()

    async with serve(server_tls) as host:
        host.on("/me.png", not_http)
        policy = UrlPolicy(allowed_hosts=["127.0.0.1"], allow_loopback_for_tests=True)
        resolver = UrlResolver(policy, ssl_context=client_tls, proxied=True)
        context = IntakeContext((tmp_path,), ImageLimits())
        resolved, problems = await resolver.resolve(host.url("/me.png"), context)
    assert resolved is None
    (problem,) = problems
    assert "broke off the answer" in problem.message
    assert "proxy" not in problem.message


def test_a_token_written_with_json_escapes_in_a_description_is_masked() -> None:
    """An entry's description is masked for token shapes before it reaches a terminal or a
    model; the mask ran over the file's text, where a JSON escape ("xox\\u0070-...", which
    any writer of the file may use) hides the token it decodes to."""
    from ocp_users_photo.undo.store import _description

    token = "xoxp-1234567890-1234567890-abcdefabcdef"
    escaped = '{"by": "xox\\u0070-1234567890-1234567890-abcdefabcdef", "n": 1.5}'
    described = _description(escaped)
    assert described == {"by": "[redacted]", "n": 1.5}
    assert token not in repr(described)
    assert _description(f'{{"by": "{token}"}}') == {"by": "[redacted]"}
    assert _description('{"n": NaN}') == {}
