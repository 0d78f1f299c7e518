"""The tie-break is a strict priority: among equal scores the earlier receipt is served first, in any order.

SPEC 4.3: among lines of equal score, the earlier receipt (then the lower bid id) is served first as far as
the constraints allow. A weighted sum of ranks cannot promise that: it trades an earlier line's participants
for more of a later one's.
"""

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minicompetition.engine.scoring import (
    AllocationRules,
    BidLine,
    ConstraintViolationError,
    Lot,
    Problem,
    Status,
    SupplierCapacity,
    Weights,
    check_allocation,
    score_lines,
)
from minicompetition.engine.solve import solve

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _line(bid: str, *, price: int, capacity: int, minute: int, lot: str = "L") -> BidLine:
    return BidLine(
        bid_id=bid,
        supplier_id=f"S{bid}",
        lot_id=lot,
        unit_price_cents=price,
        capacity=capacity,
        flow_through_bp=5_000,
        quality=80,
        received_at=T0 + timedelta(minutes=minute),
    )


def abc_problem() -> Problem:
    """Three equal scores (price weighs nothing), A received first, then B, then C.

    Six participants need two suppliers (at most 2 per lot, minimum 2 each): A+B 3+3 costs 5 100 € > 5 000 €,
    so the feasible ways to serve all six are A 3 + C 3, A 2 + B 4, B 4 + C 2, B 3 + C 3. A strict
    priority gives A its most (3), then B its most given that (0), then C: A 3, B 0, C 3. A rank-weighted sum
    (3·A + 2·B + 1·C) prefers A 2, B 4, C 0 (14 > 12), which serves the earliest bid less.
    """
    return Problem(
        lots=(Lot("L", 6),),
        lines=(
            _line("A", price=100_000, capacity=3, minute=0),
            _line("B", price=70_000, capacity=4, minute=1),
            _line("C", price=50_000, capacity=3, minute=2),
        ),
        budget_cents=500_000,
        weights=Weights(price_bp=0, quality_bp=5_000, outcome_bp=5_000),
        rules=AllocationRules(max_suppliers_per_lot=2, max_share_bp=10_000, min_allocation=2),
    )


@pytest.mark.parametrize("solver", ["HiGHS", "CBC"])
def test_the_earliest_receipt_gets_its_most_before_a_later_one_gets_anything(solver: str) -> None:
    result = solve(abc_problem(), solver=solver)
    assert result.status == Status.OPTIMAL
    assert {x.bid_id: x.allocated for x in result.lines} == {"A": 3, "B": 0, "C": 3}
    assert result.objective is not None
    assert (result.objective.participants_served, result.budget_used_cents) == (6, 450_000)


@st.composite
def tied_problems(draw: st.DrawFn) -> Problem:
    """Small competitions where most lines tie: price weighs nothing and quality and rate take two values."""
    lots = [Lot(lot_id=f"L{j}", demand=draw(st.integers(4, 10))) for j in range(draw(st.integers(1, 2)))]
    lines, caps = [], []
    for i in range(draw(st.integers(2, 6))):
        received = T0 + timedelta(minutes=draw(st.integers(0, 3)))
        for lot in draw(st.lists(st.sampled_from(lots), min_size=1, max_size=len(lots), unique=True)):
            lines.append(
                BidLine(
                    bid_id=f"B{i}",
                    supplier_id=f"S{i}",
                    lot_id=lot.lot_id,
                    unit_price_cents=draw(st.integers(2, 9)) * 1_000,
                    capacity=draw(st.integers(1, 8)),
                    flow_through_bp=draw(st.sampled_from([5_000, 5_000, 8_000])),
                    quality=draw(st.sampled_from([70, 70, 90])),
                    received_at=received,
                )
            )
        if draw(st.integers(0, 3)) == 0:
            caps.append(SupplierCapacity(supplier_id=f"S{i}", capacity=draw(st.integers(1, 10))))
    return Problem(
        lots=tuple(lots),
        lines=tuple(lines),
        budget_cents=draw(st.integers(5, 60)) * 1_000,
        weights=Weights(price_bp=0, quality_bp=5_000, outcome_bp=5_000),
        rules=AllocationRules(
            max_suppliers_per_lot=draw(st.integers(1, 3)),
            max_share_bp=draw(st.sampled_from([5_000, 10_000])),
            min_allocation=draw(st.sampled_from([1, 2])),
        ),
        supplier_capacities=tuple(caps),
    )


@FAST
@given(tied_problems())
def test_no_participant_of_a_later_tied_line_could_have_gone_to_an_earlier_one(problem: Problem) -> None:
    result = solve(problem)
    assert result.status == Status.OPTIMAL
    allocation = {key: x for key, x in result.allocation().items() if x}
    scored = [s for s in score_lines(problem) if s.admissible]
    priority = sorted(scored, key=lambda s: (s.line.received_at, s.line.bid_id, s.line.lot_id))
    for i, earlier in enumerate(priority):
        for later in priority[i + 1 :]:
            if later.total_score != earlier.total_score or not allocation.get(later.key):
                continue
            for moved in range(1, allocation[later.key] + 1):
                candidate = dict(allocation)
                candidate[later.key] -= moved
                candidate[earlier.key] = candidate.get(earlier.key, 0) + moved
                # Equal scores: the move keeps participants served and the total score. It must break a rule.
                with pytest.raises(ConstraintViolationError):
                    check_allocation(problem, candidate)


@FAST
@given(tied_problems(), st.randoms(use_true_random=False))
def test_permuting_tied_input_never_changes_the_result(problem: Problem, rnd: random.Random) -> None:
    shuffled = replace(
        problem,
        lots=tuple(rnd.sample(problem.lots, len(problem.lots))),
        lines=tuple(rnd.sample(problem.lines, len(problem.lines))),
        supplier_capacities=tuple(rnd.sample(problem.supplier_capacities, len(problem.supplier_capacities))),
    )
    assert solve(shuffled).to_dict(timings=False) == solve(problem).to_dict(timings=False)
