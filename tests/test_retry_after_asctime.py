"""A Retry-After date in HTTP's asctime form, which names no zone, read as GMT."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from unittest import mock

import httpx
import pytest

from ocp_users_photo.slack.retry import retry_after_seconds


@pytest.fixture
def hours_west_of_greenwich(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time five hours behind GMT (a POSIX zone: no tz database)."""
    monkeypatch.setenv("TZ", "EST+5")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("hours_west_of_greenwich")
def test_a_retry_after_in_https_asctime_form_is_read_as_gmt() -> None:
    """HTTP dates are GMT, its asctime form too, which names no zone (RFC 9110, 5.6.7:
    recipients accept all three forms). Read as local time, 10 s became 18,010 s five
    hours west of Greenwich (not tried again, "wait 18,010 s"), or none east of it."""
    soon = time.time() + 10
    for form in ("%a %b %d %H:%M:%S %Y", "%a, %d %b %Y %H:%M:%S GMT"):
        said = time.strftime(form, time.gmtime(soon))
        wait = retry_after_seconds(httpx.Headers({"Retry-After": said}))
        assert wait is not None
        assert 8 <= wait <= 11, (said, wait)


@pytest.mark.parametrize("off_by", [-3600.0, 300.0])
def test_a_retry_after_date_is_counted_from_the_replys_own_date(off_by: float) -> None:
    """A Retry-After date is the server's clock, as its Date is. Counted from this
    machine's clock instead, one an hour slow made "in 2 minutes" 3,720 s (not tried
    again, "wait an hour"), and one five minutes fast made it 0 (sent again at once)."""
    server_now = 1_800_000_000.0
    headers = httpx.Headers(
        {
            "Date": email.utils.formatdate(server_now, usegmt=True),
            "Retry-After": email.utils.formatdate(server_now + 120, usegmt=True),
        }
    )
    with mock.patch("time.time", return_value=server_now + off_by):
        assert retry_after_seconds(headers) == 120.0
