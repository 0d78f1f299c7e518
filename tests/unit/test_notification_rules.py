"""Signing as Standard Webhooks does, the backoff schedule, the digest hour, amounts in euros."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from minicompetition.publication.ocds import amount
from outcomes.notifications import signing
from outcomes.notifications.fanout import next_digest
from outcomes.notifications.sender import backoff_s

KEY, OLD = b"k" * 32, b"o" * 32
BODY = b'{"id":"e1","type":"competition.published"}'


def test_signature_is_hmac_sha256_over_id_timestamp_and_body() -> None:
    by_hand = base64.b64encode(hmac.new(KEY, b"msg_1.1700000000." + BODY, hashlib.sha256).digest()).decode()
    assert signing.signature(KEY, msg_id="msg_1", timestamp=1_700_000_000, body=BODY) == f"v1,{by_hand}"


def test_receivers_accept_fresh_matching_signatures_only() -> None:
    headers = signing.headers([KEY, OLD], msg_id="m", timestamp=1_000, body=BODY)
    assert headers["webhook-id"] == "m" and headers["webhook-timestamp"] == "1000"
    assert len(headers["webhook-signature"].split()) == 2  # new and old secret during the overlap
    check = {"msg_id": "m", "timestamp": "1000", "signatures": headers["webhook-signature"], "body": BODY}
    assert signing.verify(KEY, now=1_000 + 300, **check)
    assert signing.verify(OLD, now=1_000, **check)  # a receiver still on the old secret
    assert not signing.verify(KEY, now=1_000 + 301, **check)  # a replay older than 5 minutes
    assert not signing.verify(KEY, now=1_000 - 301, **check)
    assert not signing.verify(b"x" * 32, now=1_000, **check)
    assert not signing.verify(KEY, now=1_000, **(check | {"body": BODY + b" "}))
    assert not signing.verify(KEY, now=1_000, **(check | {"msg_id": "other"}))


@pytest.mark.parametrize(
    ("attempt", "seconds"), [(1, 10), (2, 20), (3, 40), (9, 2560), (10, 3600), (30, 3600)]
)
def test_backoff_doubles_up_to_an_hour(attempt: int, seconds: float) -> None:
    assert backoff_s(attempt, base_s=10) == seconds


def test_a_day_of_retries_is_about_thirty_tries() -> None:
    waited, tries = 0.0, 0
    while waited <= 24 * 3600:
        tries += 1
        waited += backoff_s(tries, base_s=10)
    assert tries == 32


@pytest.mark.parametrize(
    ("now", "digest"),
    [
        (datetime(2026, 12, 4, 4, 59, tzinfo=UTC), datetime(2026, 12, 4, 5, 0, tzinfo=UTC)),  # 06:59 Helsinki
        (datetime(2026, 12, 4, 5, 0, tzinfo=UTC), datetime(2026, 12, 5, 5, 0, tzinfo=UTC)),
        (datetime(2026, 6, 30, 22, 0, tzinfo=UTC), datetime(2026, 7, 1, 4, 0, tzinfo=UTC)),  # summer time
    ],
)
def test_the_digest_goes_at_seven_helsinki_time(now: datetime, digest: datetime) -> None:
    assert next_digest(now, hour=7) == digest


@pytest.mark.parametrize(
    ("cents", "euros"), [(0, 0), (100, 1), (12345, 123.45), (10, 0.1), (99_999_999_99, 99999999.99)]
)
def test_amounts_are_exact_euros_from_cents(cents: int, euros: float) -> None:
    assert amount(cents) == euros
    assert repr(amount(cents)).rstrip("0").rstrip(".") == repr(euros).rstrip("0").rstrip(".")
