"""Every limit explained: a line allocated less than it offered, and a lot left short, name the constraint."""

from hypothesis import given

from minicompetition.engine.scoring import Lot, Problem, ReasonCode, Status, SupplierCapacity
from minicompetition.engine.solve import solve
from tests.unit.test_engine_golden import make_line, make_problem
from tests.unit.test_engine_properties import FAST, problems


def _row(problem: Problem, bid: str, lot: str = "L1"):  # type: ignore[no-untyped-def]
    return solve(problem).line(lot_id=lot, bid_id=bid)


def test_the_share_cap_holds_a_line_back_and_the_rest_is_demand_met() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=10)],
        lines=[make_line(bid_id="A", price=90_000, capacity=10), make_line(bid_id="B", capacity=10)],
        max_suppliers=2,
        max_share_bp=6_000,
    )
    result = solve(problem)
    a, b = result.line(lot_id="L1", bid_id="A"), result.line(lot_id="L1", bid_id="B")
    assert (a.allocated, a.reason_code, a.limit_code) == (6, None, ReasonCode.SHARE_CAP)
    assert a.limit == (
        "6 of the 10 participants offered: share cap: one supplier gets at most 6 of lot L1's 10 "
        "participants (60.00 %)"
    )
    assert (b.allocated, b.limit_code) == (4, ReasonCode.DEMAND_MET)
    assert b.limit == (
        "4 of the 10 participants offered: lot demand met: all 10 participants of lot L1 are allocated "
        "(rank 2 of 2)"
    )
    assert (result.lots[0].unmet_demand, result.lots[0].unmet_reason_code, result.lots[0].unmet_reason) == (
        0,
        None,
        None,
    )


def test_the_budget_holds_a_line_back_and_leaves_the_lot_short() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=10)],
        lines=[make_line(bid_id="A", price=100_000, capacity=10)],
        budget=750_000,
    )
    result = solve(problem)
    a, lot = result.line(lot_id="L1", bid_id="A"), result.lots[0]
    assert (a.allocated, a.limit_code) == (7, ReasonCode.BUDGET)
    assert a.limit == (
        "7 of the 10 participants offered: budget exhausted: 500.00 € of the budget remains, less than one "
        "more participant at 1000.00 €"
    )
    assert (lot.unmet_demand, lot.unmet_reason_code) == (3, ReasonCode.BUDGET)
    assert (
        lot.unmet_reason == "3 of lot L1's 10 participants are unmet: the budget is exhausted (500.00 € left)"
    )


def test_a_supplier_wide_capacity_holds_its_second_line_back() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=6), Lot(lot_id="L2", demand=6)],
        lines=[
            make_line(bid_id="A", lot_id="L1", capacity=6, supplier_id="S"),
            make_line(bid_id="A", lot_id="L2", capacity=6, supplier_id="S"),
        ],
        caps=(SupplierCapacity(supplier_id="S", capacity=8),),
    )
    result = solve(problem)
    l1, l2 = result.line(lot_id="L1", bid_id="A"), result.line(lot_id="L2", bid_id="A")
    assert (l1.allocated + (l2.allocated or 0), {l1.limit_code, l2.limit_code}) == (
        8,
        {None, ReasonCode.SUPPLIER_CAPACITY},
    )
    short = next(x for x in (l1, l2) if x.limit_code)
    assert short.limit == (
        f"{short.allocated} of the 6 participants offered: supplier-wide capacity: all 8 participants "
        "supplier S offered across lots are allocated in lots L1, L2"
    )
    unmet = next(x for x in result.lots if x.unmet_demand)
    assert (unmet.unmet_demand, unmet.unmet_reason_code) == (4, ReasonCode.SUPPLIER_CAPACITY)
    assert unmet.unmet_reason == (
        f"4 of lot {unmet.lot_id}'s 6 participants are unmet: suppliers' capacity across lots is used up"
    )


def test_an_unmet_lot_names_the_supplier_limit_and_capacity_or_the_missing_bids() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=10), Lot(lot_id="L2", demand=4)],
        lines=[make_line(bid_id="A", capacity=6), make_line(bid_id="B", price=120_000, capacity=6)],
        max_suppliers=1,
    )
    result = solve(problem)
    l1, l2 = result.lots
    assert (l1.unmet_demand, l1.unmet_reason_code) == (4, ReasonCode.SUPPLIER_LIMIT)
    assert l1.unmet_reason == (
        "4 of lot L1's 10 participants are unmet: the lot's limit of 1 supplier is reached; the lines' "
        "capacity is used up"
    )
    assert (l2.unmet_demand, l2.unmet_reason_code, l2.unmet_reason) == (
        4,
        ReasonCode.NO_ADMISSIBLE_LINE,
        "4 of lot L2's 4 participants are unmet: no admissible line was offered",
    )
    assert result.line(lot_id="L1", bid_id="A").limit_code is None  # it got all it offered


@FAST
@given(problems())
def test_every_shortfall_is_explained_by_a_named_constraint(problem: Problem) -> None:
    result = solve(problem)
    if result.status != Status.OPTIMAL:
        return
    capacity = {(x.lot_id, x.bid_id): x.capacity for x in problem.lines}
    for row in result.lines:
        short = bool(row.allocated) and (row.allocated or 0) < (capacity[(row.lot_id, row.bid_id)] or 0)
        assert (row.limit_code is not None) == short
        assert row.limit_code != ReasonCode.NOT_SELECTED
    for lot in result.lots:
        assert (lot.unmet_reason_code is not None) == bool(lot.unmet_demand)
        assert lot.unmet_reason_code != ReasonCode.NOT_SELECTED
