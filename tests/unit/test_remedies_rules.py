"""The remedies' pure rules: periods counted from delivery, the decision's status, the state machines."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from minicompetition.remedies import rules
from outcomes.notifications.payloads import body
from procurement.core.outbox import Event
from registry.rules import is_working_day


def test_fourteen_days_from_delivery_golden_cases() -> None:
    # Delivered Fri 4.12.2026 at 14.00 Helsinki: the 14th day is Fri 18.12.2026, a working day.
    friday = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert rules.last_day(friday, days=14) == date(2026, 12, 18)
    # The period ends at midnight Helsinki time (22.00 UTC in winter) after the last day.
    assert rules.period_end(friday, days=14) == datetime(2026, 12, 18, 22, 0, tzinfo=UTC)
    # Delivered Thu 10.12.2026: the 14th day is Christmas Eve; 25.12. is Christmas, 26–27.12. a weekend.
    assert rules.last_day(datetime(2026, 12, 10, 9, 0, tzinfo=UTC), days=14) == date(2026, 12, 28)
    # Delivered late on Sat 5.12. UTC but already Sunday 6.12. in Helsinki: the Helsinki day counts.
    assert rules.last_day(datetime(2026, 12, 5, 22, 30, tzinfo=UTC), days=14) == date(2026, 12, 21)


@given(st.integers(min_value=0, max_value=7 * 365 * 24 * 60))
def test_the_last_day_is_a_working_day_at_least_fourteen_days_on(minutes: int) -> None:
    delivered = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    last = rules.last_day(delivered, days=14)
    assert is_working_day(last)
    helsinki_day = (delivered + timedelta(hours=3)).date()  # at most 3 hours ahead of UTC
    assert (last - helsinki_day).days >= 13
    assert rules.period_end(delivered, days=14) > delivered + timedelta(days=13)


def test_decision_status() -> None:
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    later, earlier = now + timedelta(days=1), now - timedelta(days=1)
    status = rules.decision_status
    assert (
        status(state="delivered", now=now, standstill_ends_at=later, concluded=False, blocked=True)
        == "standstill"
    )
    assert (
        status(state="delivered", now=now, standstill_ends_at=earlier, concluded=False, blocked=True)
        == "blocked"
    )
    assert (
        status(state="delivered", now=now, standstill_ends_at=earlier, concluded=False, blocked=False)
        == "final"
    )
    assert (
        status(state="delivered", now=now, standstill_ends_at=earlier, concluded=True, blocked=False)
        == "concluded"
    )
    assert (
        status(state="withdrawn", now=now, standstill_ends_at=later, concluded=False, blocked=False)
        == "withdrawn"
    )


def test_machines() -> None:
    assert rules.AWARD_DECISION_MACHINE.edges == {
        ("issued", "delivered"),
        ("issued", "withdrawn"),
        ("delivered", "withdrawn"),
    }
    assert rules.RECTIFICATION_MACHINE.terminal_states() == {"upheld", "dismissed"}
    assert rules.APPEAL_MACHINE.terminal_states() == {"decided", "lifted"}


def test_a_delivered_decision_names_itself_and_its_hash_in_the_webhook_body() -> None:
    event = Event(
        id=7,
        txid=3,
        event_id=uuid.UUID(int=1),
        kind="competition.award_delivered",
        subject_type="competition",
        subject_id=str(uuid.UUID(int=2)),
        at=datetime(2026, 12, 4, 12, tzinfo=UTC),
        public=True,
        data={"award_id": str(uuid.UUID(int=3)), "pdf_sha256": "a" * 64},
    )
    sent = json.loads(body(event, base_url="https://dpr.example.fi"))
    assert sent["data"] == {
        "competition_id": str(uuid.UUID(int=2)),
        "url": f"https://dpr.example.fi/inbox/{uuid.UUID(int=2)}",
        "award_id": str(uuid.UUID(int=3)),
        "pdf_sha256": "a" * 64,
    }
