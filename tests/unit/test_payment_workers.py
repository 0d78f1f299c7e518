"""The close's worker processes: parts arrive while events still move, chunks come back in a fixed order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from outcomes.payments import compute
from outcomes.payments.compute import ComputeError, LinePool, Work
from outcomes.payments.ledger import Ledger
from outcomes.payments.lines import PaymentEvent
from outcomes.payments.model import ContractTerms, default_payment_model
from outcomes.payments.rows import LineContext
from outcomes.tracking.rules import BenefitDaysTier, Category, OutcomeEventType

LOT = "00000000-0000-4000-8000-000000000001"
CONTRACTS = ("c-1", "c-2", "c-3", "c-4")
CATEGORY_OF = dict.fromkeys(CONTRACTS, "EMPLOYMENT")


def event(n: int, *, contract_id: str) -> PaymentEvent:
    return PaymentEvent(
        event_id=f"00000000-0000-4000-8000-{n:012d}",
        event_type=OutcomeEventType.SERVICE_START,
        event_date=date(2026, 10, 1 + n % 28),
        episode_id=f"{n:032x}",
        verified_at=datetime(2026, 10, 1 + n % 28, 12, tzinfo=UTC),
        contract_id=contract_id,
        lot_id=LOT,
        unit_price_cents=240_000,
        pseudonym=f"{n:064x}",
        home_municipality_code="398",
        tier=BenefitDaysTier.T2,
        partial_work_ability=n % 2 == 1,
    )


def work(first: int, count: int) -> Work:
    """Events of four contracts of one category (no person in two contracts: four independent groups)."""
    model = default_payment_model(category=Category.EMPLOYMENT)
    return Work(
        terms={c: ContractTerms(contract_id=c, awarded_value_cents=10**9, model=model) for c in CONTRACTS},
        contexts={
            (c, LOT): LineContext(
                period_id="p", contract_id=c, supplier_id=f"s-{c}", lot_id=LOT, vat_code="0", cost_centre="x"
            )
            for c in CONTRACTS
        },
        events=[event(n, contract_id=CONTRACTS[n % 4]) for n in range(first, first + count)],
        ledger=Ledger(),
    )


def run(workers: int) -> list[str]:
    # A second batch arrives after the first went to the workers (fresh each run: a run folds its ledger).
    with LinePool(workers=workers, parallel_min_events=1) as pool:
        for part in (work(0, 3000), work(3000, 500)):
            pool.add(part, category_of=CATEGORY_OF)
        return [bytes(chunk).decode() if isinstance(chunk, memoryview) else chunk for chunk in pool.chunks()]


def test_a_worker_that_fails_raises_its_traceback_in_the_parent() -> None:
    # No booking context for the events' lot: the lookup fails inside the worker process.
    broken = replace(work(0, 8), contexts={})
    with (
        pytest.raises(ComputeError, match=r"KeyError: \('c-\d', '00000000-0000-4000-8000-000000000001'\)"),
        LinePool(workers=2, parallel_min_events=1) as pool,
    ):
        pool.add(broken, category_of=CATEGORY_OF)
        list(pool.chunks())


def test_workers_give_the_lines_of_this_process_in_the_same_order_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serial = run(1)
    rows = sorted("".join(serial).splitlines())
    assert len(rows) == 3500 * 2  # each start fee: its paid and its withheld part
    parallel = run(2)
    assert sorted("".join(parallel).splitlines()) == rows
    # The order depends on the data only: again, and with the workers held back after every chunk.
    assert run(2) == parallel
    monkeypatch.setattr(compute, "BUFFER_BYTES", 1)
    monkeypatch.setattr(compute, "CHUNK_EVENTS", 100)  # the parent's own chunks only; workers keep 4096
    assert run(2) == parallel


def test_small_batches_stay_in_this_process() -> None:
    with LinePool(workers=2, parallel_min_events=1000) as pool:
        pool.add(work(0, 999), category_of=CATEGORY_OF)
        chunks = list(pool.chunks())
        assert pool.streams == []
    assert sum(len(c) for c in chunks) > 0


def test_a_close_that_fails_before_reading_its_lines_ends_its_workers() -> None:
    with (
        pytest.raises(RuntimeError, match="the move failed"),
        LinePool(workers=2, parallel_min_events=1) as pool,
    ):
        pool.add(work(0, 3000), category_of=CATEGORY_OF)
        processes = [stream.process for stream in pool.streams]
        raise RuntimeError("the move failed")
    assert len(processes) == 2
    assert not any(process.is_alive() for process in processes)
    assert pool.streams == []
