"""The close's worker processes: events travel as MessagePack, and a failing worker fails the close."""

from __future__ import annotations

from datetime import date

import pytest

from outcomes.payments.compute import ComputeError, EventInput, Ledger, Work, rows_in_parallel


def event(n: int, *, terms_key: str) -> EventInput:
    return EventInput(
        event_id=f"00000000-0000-4000-8000-{n:012d}",
        event_type="service_start",
        event_date=date(2026, 10, 1 + n),
        episode_id=f"{n:032x}",
        terms_key=terms_key,
        lot_id="00000000-0000-4000-8000-000000000001",
        pseudonym=f"{n:064x}",
        home_municipality_code="398",
        tier="T2",
        partial_work_ability=n % 2 == 1,
    )


def test_a_worker_that_fails_raises_its_traceback_in_the_parent() -> None:
    # No terms for the events' contract: the rule lookup fails inside the worker process.
    broken = Work(terms={}, contexts={}, events=[event(1, terms_key="missing@1")], ledger=Ledger())
    empty = Work(terms={}, contexts={}, events=[], ledger=Ledger())
    with pytest.raises(ComputeError, match=r"KeyError: 'missing@1'"):
        list(rows_in_parallel([empty, broken]))
