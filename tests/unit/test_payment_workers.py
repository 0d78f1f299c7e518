"""The close's worker processes: events travel as MessagePack, and a failing worker fails the close."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from outcomes.payments.compute import ComputeError, Work, rows_in_parallel
from outcomes.payments.ledger import Ledger
from outcomes.payments.lines import PaymentEvent
from outcomes.tracking.rules import BenefitDaysTier, OutcomeEventType


def event(n: int, *, contract_id: str) -> PaymentEvent:
    return PaymentEvent(
        event_id=f"00000000-0000-4000-8000-{n:012d}",
        event_type=OutcomeEventType.SERVICE_START,
        event_date=date(2026, 10, 1 + n),
        episode_id=f"{n:032x}",
        verified_at=datetime(2026, 10, 1 + n, 12, tzinfo=UTC),
        contract_id=contract_id,
        lot_id="00000000-0000-4000-8000-000000000001",
        unit_price_cents=240_000,
        pseudonym=f"{n:064x}",
        home_municipality_code="398",
        tier=BenefitDaysTier.T2,
        partial_work_ability=n % 2 == 1,
    )


def test_a_worker_that_fails_raises_its_traceback_in_the_parent() -> None:
    # No terms for the events' contract: the rule lookup fails inside the worker process.
    broken = Work(terms={}, contexts={}, events=[event(1, contract_id="missing")], ledger=Ledger())
    empty = Work(terms={}, contexts={}, events=[], ledger=Ledger())
    with pytest.raises(ComputeError, match=r"KeyError: 'missing'"):
        list(rows_in_parallel([empty, broken]))
