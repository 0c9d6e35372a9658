"""A record whose arguments do not fit its format, made while a token is in flight: the
handler's error report would print its arguments as they are, token and all."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from ocp_users_photo.slack.log_redaction import RedactingFilter, secret_in_flight
from tests.conftest import CANARY_TOKEN

LOGGER = "httpcore.http11"


def written_by(name: str) -> Iterator[io.StringIO]:
    """What a host's plain stream handler on logger ``name`` writes, at DEBUG."""
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    logger = logging.getLogger(name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield written
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def handled() -> Iterator[io.StringIO]:
    """What a host's plain stream handler on the HTTP stack's logger writes."""
    yield from written_by(LOGGER)


@pytest.mark.parametrize(
    ("message", "arguments"),
    [
        ("echo %s %s", (CANARY_TOKEN,)),  # too few
        ("echo %d", (CANARY_TOKEN,)),  # the wrong kind
        ("echo", (CANARY_TOKEN,)),  # none wanted
    ],
)
def test_a_record_whose_arguments_do_not_fit_shows_no_token(
    message: str,
    arguments: tuple[object, ...],
    handled: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with secret_in_flight(CANARY_TOKEN):
        logging.getLogger(LOGGER).debug(message, *arguments)
    written = handled.getvalue()
    errors = capsys.readouterr().err
    assert CANARY_TOKEN not in written + errors
    assert CANARY_TOKEN.split("-", 1)[1] not in written + errors
    # The record is still shown, its arguments with it, the token masked.
    assert written.startswith("echo")
    assert "[redacted]" in written


def test_a_record_that_cannot_even_be_printed_is_dropped(
    handled: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError(CANARY_TOKEN)

        __str__ = __repr__

    with secret_in_flight(CANARY_TOKEN):
        logging.getLogger(LOGGER).debug("echo %s %s", Hostile())
    assert handled.getvalue() == ""
    assert CANARY_TOKEN not in capsys.readouterr().err


def test_without_a_token_in_flight_a_misfit_record_is_left_as_it_is() -> None:
    """The host's logging reports its own misfit records as it always does."""
    record = logging.LogRecord(LOGGER, logging.DEBUG, __file__, 1, "echo %s %s", ("one",), None)
    assert RedactingFilter().filter(record)
    assert (record.msg, record.args) == ("echo %s %s", ("one",))
