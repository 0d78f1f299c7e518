"""The bound behind price to win's pruning (engine.lot_bound) and its first allocation (engine.lot_guess)."""

import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from minicompetition.engine.price_to_win import prices_to_win
from minicompetition.engine.probe import ProbeModel
from minicompetition.engine.scoring import (
    AllocationRules,
    BidLine,
    Lot,
    Problem,
    Status,
    SupplierCapacity,
    lot_totals_at,
    score_lines,
)
from minicompetition.engine.solve import solve
from minicompetition.engine.witness_search import Search
from tests.unit.reference_price_to_win import reference_price_to_win
from tests.unit.test_engine_properties import T0, WEIGHTS
from tests.unit.test_price_to_win import _wins

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from lp_scaling import make_problem

SOME = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def served_in_full(draw: st.DrawFn) -> Problem:
    """Small competitions where every lot can take its whole demand and the budget binds: the bound's case."""
    lots = [Lot(lot_id=f"L{j}", demand=draw(st.integers(3, 10))) for j in range(draw(st.integers(1, 3)))]
    lines, caps = [], []
    for i in range(draw(st.integers(3, 6))):
        for lot in draw(st.lists(st.sampled_from(lots), min_size=1, max_size=len(lots), unique=True)):
            lines.append(
                BidLine(
                    bid_id=f"B{i}",
                    supplier_id=f"S{i}",
                    lot_id=lot.lot_id,
                    unit_price_cents=draw(st.integers(10, 35)) * 100,
                    capacity=draw(st.integers(lot.demand // 2, lot.demand)),
                    flow_through_bp=draw(st.integers(0, 10)) * 1_000,
                    quality=draw(st.integers(0, 10)) * 10,
                    received_at=T0 + timedelta(minutes=draw(st.integers(0, 2))),
                )
            )
        if draw(st.integers(0, 3)) == 0:
            caps.append(SupplierCapacity(supplier_id=f"S{i}", capacity=draw(st.integers(2, 12))))
    full = sum(lot.demand for lot in lots) * 2_500
    return Problem(
        lots=tuple(lots),
        lines=tuple(lines),
        budget_cents=full * draw(st.integers(85, 120)) // 100,
        weights=draw(st.sampled_from(WEIGHTS)),
        rules=AllocationRules(
            max_suppliers_per_lot=draw(st.integers(2, 3)),
            max_share_bp=draw(st.sampled_from([5_000, 10_000])),
            min_allocation=draw(st.sampled_from([1, 2, 3])),
        ),
        supplier_capacities=tuple(caps),
    )


@SOME
@given(served_in_full(), st.data())
def test_no_allocation_reaching_the_mark_holds_a_line_the_bound_rules_out(
    problem: Problem, data: st.DataObject
) -> None:
    model = ProbeModel(problem, score_lines(problem), time_limit_s=10.0)
    assume(model.n > 0 and model.bound.usable)
    line = data.draw(st.integers(0, model.n - 1))
    key, keep = model.live[line].key, data.draw(st.booleans())
    price = data.draw(st.integers(1, int(model.price[line])))
    totals = lot_totals_at(problem, key=key, price=price)
    scores = {model.index[k]: v for k, v in totals.items() if k in model.index}
    served = int(model.demand.sum())
    free = np.full(model.n, -1)  # every column free: the solve without the bound
    best = model.best(line=line, price=price, scores=scores, keep=keep, served=served, fixed=free)
    if best is None:
        return
    ruled_out = model.bound.prune(
        line=line, keep=keep, price=price, scores=scores, served=served, at_least=best.score
    )
    assert ruled_out is not None, "the bound ruled out an allocation that exists"
    assert not np.any(ruled_out & (best.values > 0)), "the bound ruled out a line of the best allocation"
    guess = model.best(
        line=line, price=price, scores=scores, keep=keep, served=served, at_least=0, first=True
    )
    assert guess is not None and guess.score <= best.score
    assert model.feasible(guess.values, line=line, price=price, keep=keep)
    assert int(guess.values.sum()) == served


@SOME
@given(served_in_full())
def test_every_price_to_win_equals_the_one_line_bisection_where_the_bound_prunes(problem: Problem) -> None:
    result = solve(problem)
    assume(result.status == Status.OPTIMAL)
    losing = [(x.lot_id, x.bid_id) for x in result.lines if x.admissible and not x.allocated]
    found = prices_to_win(problem)
    assert sorted(found) == sorted(losing)
    for lot, bid in losing:
        expected = reference_price_to_win(problem, lot_id=lot, bid_id=bid)
        if found[(lot, bid)] != expected:
            _assert_a_win_below_a_loss(problem, (lot, bid), found[(lot, bid)], expected)


def _assert_a_win_below_a_loss(
    problem: Problem, key: tuple[str, str], found: int | None, expected: int | None
) -> None:
    # Where sets of lines tie exactly (ADR 0004), the engine's choice can make a line win at a price and lose
    # below it, even at 1 cent; both methods assume it never does and may then stop at different winning
    # prices (with these coarse values, found: 1 181 cents winning, 1 180 and 1 cent losing, bisection: none).
    # Allowed only so: every answer given wins, and a lower price loses.
    answers = [p for p in (found, expected) if p is not None]
    assert all(_wins(problem, key, p) for p in answers), (key, found, expected)
    high = max(answers)
    between = range(min(answers) + 1, min(high, min(answers) + 200))
    below = sorted({1, *answers, *between, *range(1, high, max(1, high // 20))} - {high})
    assert any(not _wins(problem, key, p) for p in below), (key, found, expected)


def test_on_the_200x30_benchmark_the_bound_leaves_a_quarter_of_the_lines_free() -> None:
    # Every lot there takes its whole demand (1 490 participants) and the budget binds: with the budget priced
    # out, each lot's best vertex gives a bound 14 686 units (of 1.2·10⁹) above the run's own score.
    problem = make_problem(bids=200, lots=30)
    search = Search(problem, solve(problem), solver="HiGHS", time_limit_s=30.0)
    model, v0 = search.model, search.v0
    assert v0[0] == int(model.demand.sum()) == 1_490
    line = next(i for i in range(model.n) if search.base[i] == 0)
    ruled_out = model.bound.prune(
        line=line, keep=False, price=int(model.price[line]), scores={}, served=v0[0], at_least=v0[1]
    )
    assert ruled_out is not None
    assert not np.any(ruled_out & (search.base > 0))  # the run's own allocation reaches its own score
    assert int((~ruled_out).sum()) <= 100 < model.n == 342
    above = model.bound.prune(
        line=line, keep=False, price=int(model.price[line]), scores={}, served=v0[0], at_least=v0[1] + 14_687
    )
    assert above is None  # nothing can score that much: no solve needed
