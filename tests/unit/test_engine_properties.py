"""Properties of the engine on small random competitions: caps hold, order does not matter, prices bite."""

import random
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minicompetition.engine.scoring import (
    AllocationRules,
    BidLine,
    EngineResult,
    Lot,
    Problem,
    ReasonCode,
    Status,
    SupplierCapacity,
    Weights,
)
from minicompetition.engine.solve import solve

T0 = datetime(2025, 3, 1, 9, tzinfo=UTC)
FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WEIGHTS = [
    Weights(price_bp=10_000, quality_bp=0, outcome_bp=0),
    Weights(price_bp=5_000, quality_bp=3_000, outcome_bp=2_000),
    Weights(price_bp=3_333, quality_bp=3_333, outcome_bp=3_334),
    Weights(price_bp=0, quality_bp=10_000, outcome_bp=0),
]


@st.composite
def problems(draw: st.DrawFn, *, single_lot: bool = False, big_budget: bool = False) -> Problem:
    """Small competitions with coarse values, so that ties, binding caps and inadmissible lines are common."""
    n_lots = 1 if single_lot else draw(st.integers(1, 3))
    lots = [
        Lot(
            lot_id=f"L{j}",
            demand=draw(st.integers(2, 12)),
            max_unit_price_cents=draw(st.sampled_from([None, None, 4_000, 5_500])),
        )
        for j in range(n_lots)
    ]
    lines = []
    caps = []
    for i in range(draw(st.integers(1, 5))):
        supplier_id = f"S{i}"
        received = T0 + timedelta(minutes=draw(st.integers(0, 2)))
        eligible = draw(st.integers(0, 9)) > 0
        for lot in draw(st.lists(st.sampled_from(lots), min_size=1, max_size=n_lots, unique=True)):
            lines.append(
                BidLine(
                    bid_id=f"B{i}",
                    supplier_id=supplier_id,
                    lot_id=lot.lot_id,
                    unit_price_cents=draw(st.integers(10, 60)) * 100,
                    capacity=draw(st.integers(0, 12)),
                    flow_through_bp=draw(st.integers(0, 10)) * 1_000,
                    # 11 stands for "not yet evaluated": an incomplete line.
                    quality=draw(st.integers(0, 11).map(lambda q: q * 10 if q <= 10 else None)),
                    received_at=received,
                    eligible=eligible,
                    ineligibility_reason=None if eligible else "suspended",
                )
            )
        if draw(st.booleans()):
            caps.append(SupplierCapacity(supplier_id=supplier_id, capacity=draw(st.integers(0, 15))))
    budget = 10**9 if big_budget else draw(st.integers(0, 40)) * 5_000
    return Problem(
        lots=tuple(lots),
        lines=tuple(lines),
        budget_cents=budget,
        weights=draw(st.sampled_from(WEIGHTS)),
        rules=AllocationRules(
            max_suppliers_per_lot=draw(st.integers(1, 3)),
            max_share_bp=draw(st.sampled_from([5_000, 7_500, 10_000])),
            min_allocation=draw(st.sampled_from([1, 1, 2, 3])),
        ),
        supplier_capacities=tuple(caps),
    )


def assert_feasible(problem: Problem, result: EngineResult) -> None:
    """Every constraint, checked here independently of the engine's own re-check."""
    rules = problem.rules
    lots = {lot.lot_id: lot for lot in problem.lots}
    lines = {(ln.lot_id, ln.bid_id): ln for ln in problem.lines}
    caps = {c.supplier_id: c.capacity for c in problem.supplier_capacities}
    per_lot: dict[str, int] = defaultdict(int)
    winners: dict[str, int] = defaultdict(int)
    per_supplier: dict[str, int] = defaultdict(int)
    spent = 0
    for row in result.lines:
        ln = lines[(row.lot_id, row.bid_id)]
        x = row.allocated
        assert x is not None
        if x == 0:
            continue
        lot = lots[row.lot_id]
        assert row.admissible
        assert ln.eligible
        assert ln.capacity is not None
        assert ln.unit_price_cents is not None
        assert lot.max_unit_price_cents is None or ln.unit_price_cents <= lot.max_unit_price_cents
        assert rules.min_allocation <= x <= ln.capacity
        assert x * 10_000 <= rules.max_share_bp * lot.demand
        per_lot[row.lot_id] += x
        winners[row.lot_id] += 1
        per_supplier[ln.supplier_id] += x
        spent += x * ln.unit_price_cents
    for lot_row in result.lots:
        demand = lots[lot_row.lot_id].demand
        assert per_lot[lot_row.lot_id] <= demand
        assert winners[lot_row.lot_id] <= rules.max_suppliers_per_lot
        assert lot_row.allocated == per_lot[lot_row.lot_id]
        assert lot_row.unmet_demand == demand - per_lot[lot_row.lot_id]
    for supplier_id, total in per_supplier.items():
        assert total <= caps.get(supplier_id, total)
    assert spent <= problem.budget_cents
    assert result.budget_used_cents == spent
    assert result.objective is not None
    assert result.objective.participants_served == sum(per_lot.values())


@FAST
@given(problems())
def test_no_constraint_is_ever_violated_and_every_loser_has_a_reason(problem: Problem) -> None:
    result = solve(problem)
    if result.status == Status.INFEASIBLE:
        assert "minimum allocation" in result.message
        assert {x.allocated for x in result.lines} <= {None}
        return
    assert result.status == Status.OPTIMAL
    assert_feasible(problem, result)
    for row in result.lines:
        if row.allocated:
            assert row.reason_code is None
        else:
            # With a proven optimum some constraint always explains a zero: never the generic fallback.
            assert row.reason_code is not None
            assert row.reason_code != ReasonCode.NOT_SELECTED
            assert row.reason


@FAST
@given(problems(), st.randoms(use_true_random=False))
def test_permuting_the_input_gives_the_same_result(problem: Problem, rnd: random.Random) -> None:
    shuffled = replace(
        problem,
        lots=tuple(rnd.sample(problem.lots, len(problem.lots))),
        lines=tuple(rnd.sample(problem.lines, len(problem.lines))),
        supplier_capacities=tuple(rnd.sample(problem.supplier_capacities, len(problem.supplier_capacities))),
    )
    first = solve(problem).to_dict(timings=False)
    second = solve(shuffled).to_dict(timings=False)
    assert second == first


@FAST
@given(problems(single_lot=True, big_budget=True), st.integers(0, 10), st.integers(1, 2_000))
def test_raising_a_price_never_raises_that_lines_allocation(
    problem: Problem, pick: int, raise_by: int
) -> None:
    line = problem.lines[pick % len(problem.lines)]
    assert line.unit_price_cents is not None
    dearer = replace(line, unit_price_cents=line.unit_price_cents + raise_by)
    changed = replace(problem, lines=tuple(dearer if ln is line else ln for ln in problem.lines))
    before = solve(problem)
    after = solve(changed)
    if before.status == Status.INFEASIBLE:
        assert after.status == Status.INFEASIBLE
        return
    key = (line.lot_id, line.bid_id)
    assert after.allocation()[key] <= before.allocation()[key]


def random_problem(seed: int, *, bids: int, lots: int) -> Problem:
    """A mid-sized competition with varied values (few exact ties), for comparing solvers."""
    rnd = random.Random(seed)
    lot_rows = [Lot(lot_id=f"L{j}", demand=rnd.randint(5, 25)) for j in range(lots)]
    lines = []
    for b in range(bids):
        for lot in rnd.sample(lot_rows, k=rnd.randint(1, min(3, lots))):
            lines.append(
                BidLine(
                    bid_id=f"B{b:02d}",
                    supplier_id=f"S{b:02d}",
                    lot_id=lot.lot_id,
                    unit_price_cents=rnd.randint(60_000, 140_000),
                    capacity=max(1, lot.demand * rnd.randint(20, 70) // 100),
                    flow_through_bp=rnd.randint(3_000, 9_000),
                    quality=rnd.randint(40, 100),
                    received_at=T0 - timedelta(seconds=rnd.randint(0, 86_400)),
                )
            )
    demand = sum(lot.demand for lot in lot_rows)
    return Problem(
        lots=tuple(lot_rows),
        lines=tuple(lines),
        budget_cents=demand * 100_000 * rnd.randint(80, 110) // 100,
        weights=Weights(price_bp=5_000, quality_bp=3_000, outcome_bp=2_000),
        rules=AllocationRules(max_suppliers_per_lot=2, max_share_bp=6_000, min_allocation=2),
        supplier_capacities=(SupplierCapacity(supplier_id="S00", capacity=10),),
    )


def test_highs_and_cbc_allocate_identically() -> None:
    for seed in range(4):
        problem = random_problem(seed, bids=15, lots=4)
        highs = solve(problem, solver="HiGHS")
        cbc = solve(problem, solver="CBC")
        assert (highs.status, cbc.status) == (Status.OPTIMAL, Status.OPTIMAL)
        assert highs.allocation() == cbc.allocation()
        assert highs.objective == cbc.objective
        assert highs.to_dict(timings=False) | {"solver": "", "solver_version": ""} == cbc.to_dict(
            timings=False
        ) | {
            "solver": "",
            "solver_version": "",
        }


def test_a_time_limit_is_reported_as_not_solved_never_as_optimal() -> None:
    problem = random_problem(7, bids=120, lots=12)
    result = solve(problem, time_limit_s=0.005)
    assert result.status == Status.NOT_SOLVED
    assert result.message.startswith("not solved to proven optimality within the time limit of 0.005 s")
    assert result.objective is None
    assert {x.allocated for x in result.lines} == {None}
    assert {x.unmet_demand for x in result.lots} == {None}
