"""Hand-solved allocation cases: each asserts the exact allocation, scores and reason codes."""

import json
from datetime import UTC, datetime

import pytest

from minicompetition.engine.price_to_win import price_to_win
from minicompetition.engine.scoring import (
    AllocationRules,
    BidLine,
    EngineInputError,
    EngineResult,
    Lot,
    Problem,
    ReasonCode,
    Status,
    SupplierCapacity,
    Weights,
)
from minicompetition.engine.solve import solve

BIG_BUDGET = 10**12
PRICE_ONLY = Weights(price_bp=10_000, quality_bp=0, outcome_bp=0)
QUALITY_ONLY = Weights(price_bp=0, quality_bp=10_000, outcome_bp=0)


def at(hour: int, minute: int = 0) -> datetime:
    """A receive time on the competition's deadline day."""
    return datetime(2025, 3, 1, hour, minute, tzinfo=UTC)


def make_line(
    *,
    bid_id: str,
    lot_id: str = "L1",
    price: int | None = 100_000,
    capacity: int | None = 10,
    rate: int | None = 5_000,
    quality: int | None = 50,
    received: datetime | None = None,
    supplier_id: str | None = None,
    eligible: bool = True,
    reason: str | None = None,
) -> BidLine:
    """A bid line with defaults that do not matter for the case at hand."""
    return BidLine(
        bid_id=bid_id,
        supplier_id=supplier_id or f"S-{bid_id}",
        lot_id=lot_id,
        unit_price_cents=price,
        capacity=capacity,
        flow_through_bp=rate,
        quality=quality,
        received_at=received or at(9),
        eligible=eligible,
        ineligibility_reason=reason,
    )


def make_problem(
    *,
    lots: list[Lot],
    lines: list[BidLine],
    budget: int = BIG_BUDGET,
    weights: Weights = PRICE_ONLY,
    max_suppliers: int = 1,
    max_share_bp: int = 10_000,
    min_allocation: int = 1,
    caps: tuple[SupplierCapacity, ...] = (),
) -> Problem:
    """A problem with one set of allocation rules."""
    return Problem(
        lots=tuple(lots),
        lines=tuple(lines),
        budget_cents=budget,
        weights=weights,
        rules=AllocationRules(
            max_suppliers_per_lot=max_suppliers, max_share_bp=max_share_bp, min_allocation=min_allocation
        ),
        supplier_capacities=caps,
    )


def allocation(result: EngineResult) -> dict[str, int]:
    """Participants per bid id (lines are unique per bid in these cases unless the lot is named)."""
    return {f"{x.lot_id}/{x.bid_id}": x.allocated or 0 for x in result.lines}


def reasons(result: EngineResult) -> dict[str, ReasonCode | None]:
    """Reason code per line."""
    return {f"{x.lot_id}/{x.bid_id}": x.reason_code for x in result.lines}


def test_one_lot_single_winner_with_all_three_criteria() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=10)],
        lines=[
            make_line(bid_id="B1", price=100_000, rate=5_000, quality=80, received=at(9)),
            make_line(bid_id="B2", price=90_000, rate=6_000, quality=70, received=at(10)),
            make_line(bid_id="B3", price=120_000, rate=7_000, quality=90, received=at(11)),
        ],
        weights=Weights(price_bp=5_000, quality_bp=3_000, outcome_bp=2_000),
    )
    result = solve(problem)
    assert result.status == Status.OPTIMAL
    b1, b2, b3 = result.lines
    # price 100×90000/100000 = 90; outcome 100×5000/7000 = 71.428571… → 71.4286; total 83.28572 → 83.2857
    assert (b1.price_score, b1.quality_score, b1.outcome_score, b1.total_score) == (
        900_000,
        800_000,
        714_286,
        832_857,
    )
    # outcome 100×6000/7000 = 85.714285… → 85.7143; total 88.14286 → 88.1429
    assert (b2.price_score, b2.quality_score, b2.outcome_score, b2.total_score) == (
        1_000_000,
        700_000,
        857_143,
        881_429,
    )
    assert (b3.price_score, b3.quality_score, b3.outcome_score, b3.total_score) == (
        750_000,
        900_000,
        1_000_000,
        845_000,
    )
    assert [x.rank for x in result.lines] == [3, 1, 2]
    assert allocation(result) == {"L1/B1": 0, "L1/B2": 10, "L1/B3": 0}
    assert b1.reason_code == ReasonCode.OUTSCORED
    assert b1.reason == "outscored: rank 3 of 3 in lot L1, the lot's limit of 1 supplier was reached"
    assert b3.reason == "outscored: rank 2 of 3 in lot L1, the lot's limit of 1 supplier was reached"
    assert b2.reason_code is None
    assert result.budget_used_cents == 900_000
    assert result.objective is not None
    assert (result.objective.participants_served, result.objective.score_total) == (10, 8_814_290)
    assert result.lots[0].unmet_demand == 0


def test_ties_go_to_the_earlier_receipt_then_the_lower_bid_id() -> None:
    same = {"price": 100_000, "rate": 5_000, "quality": 60}
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=5), Lot(lot_id="L2", demand=5)],
        lines=[
            make_line(bid_id="B1", lot_id="L1", received=at(10), **same),
            make_line(bid_id="B2", lot_id="L1", received=at(9), **same),
            make_line(bid_id="B4", lot_id="L2", received=at(8), **same),
            make_line(bid_id="B3", lot_id="L2", received=at(8), **same),
        ],
        weights=Weights(price_bp=5_000, quality_bp=3_000, outcome_bp=2_000),
    )
    result = solve(problem)
    # 0.5×100 + 0.3×60 + 0.2×100 = 88 points for every line.
    assert {x.total_score for x in result.lines} == {880_000}
    assert allocation(result) == {"L1/B1": 0, "L1/B2": 5, "L2/B3": 5, "L2/B4": 0}
    assert {f"{x.lot_id}/{x.bid_id}": x.rank for x in result.lines} == {
        "L1/B1": 2,
        "L1/B2": 1,
        "L2/B3": 1,
        "L2/B4": 2,
    }
    assert reasons(result)["L1/B1"] == ReasonCode.OUTSCORED
    assert reasons(result)["L2/B4"] == ReasonCode.OUTSCORED


def test_a_tie_across_lots_for_the_last_of_the_budget_goes_to_the_earlier_receipt() -> None:
    same = {"price": 100_000, "capacity": 5, "quality": 70}
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=5), Lot(lot_id="L2", demand=5)],
        lines=[
            make_line(bid_id="X", lot_id="L1", received=at(10), **same),
            make_line(bid_id="Y", lot_id="L2", received=at(9), **same),
        ],
        budget=500_000,
        weights=QUALITY_ONLY,
    )
    result = solve(problem)
    assert allocation(result) == {"L1/X": 0, "L2/Y": 5}
    x = result.line(lot_id="L1", bid_id="X")
    assert x.reason_code == ReasonCode.BUDGET
    assert x.reason == (
        "budget exhausted: 0.00 € of the budget remains, less than the minimum allocation "
        "1 × 1000.00 € = 1000.00 € (rank 1 of 1 in lot L1)"
    )
    assert [lot.unmet_demand for lot in result.lots] == [5, 0]


def test_max_share_splits_a_lot() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=10)],
        lines=[
            make_line(bid_id="A", price=100_000),
            make_line(bid_id="B", price=110_000),
            make_line(bid_id="C", price=125_000),
        ],
        max_suppliers=3,
        max_share_bp=6_000,
    )
    result = solve(problem)
    # 60 % of 10 = 6 per supplier; price scores 100, 90.9091, 80.
    assert [x.total_score for x in result.lines] == [1_000_000, 909_091, 800_000]
    assert allocation(result) == {"L1/A": 6, "L1/B": 4, "L1/C": 0}
    c = result.line(lot_id="L1", bid_id="C")
    assert c.reason_code == ReasonCode.DEMAND_MET
    assert (
        c.reason
        == "lot demand already met by higher-ranked lines: all 10 participants of lot L1 are allocated"
    )


def test_budget_limits_the_participants_served_and_picks_the_cheaper_mix() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=10)],
        lines=[
            make_line(bid_id="A", price=100_000, capacity=10, quality=90),
            make_line(bid_id="B", price=50_000, capacity=4, quality=60),
            make_line(bid_id="C", price=90_000, capacity=10, quality=95),
        ],
        budget=600_000,
        weights=QUALITY_ONLY,
        max_suppliers=2,
    )
    result = solve(problem)
    # Serving 8 is the most the budget allows (B's 4 at 500 € leave room for 4 at 900–1000 €). With two
    # suppliers, B+C beats B+A; 50·b + 90·c ≤ 6000 with b + c = 8 allows c = 5, and 3×60 + 5×95 = 655
    # beats 4×60 + 4×95 = 620.
    assert allocation(result) == {"L1/A": 0, "L1/B": 3, "L1/C": 5}
    assert result.budget_used_cents == 600_000
    assert result.lots[0].unmet_demand == 2
    a = result.line(lot_id="L1", bid_id="A")
    assert a.rank == 2
    assert a.reason_code == ReasonCode.BUDGET
    assert a.reason == (
        "budget exhausted: 0.00 € of the budget remains, less than the minimum allocation "
        "1 × 1000.00 € = 1000.00 € (rank 2 of 3 in lot L1)"
    )


def test_capacity_binds_and_the_supplier_limit_forces_the_larger_line() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=10)],
        lines=[
            make_line(bid_id="A", price=100_000, capacity=3),
            make_line(bid_id="B", price=105_000, capacity=4),
            make_line(bid_id="C", price=120_000, capacity=10),
            make_line(bid_id="D", price=130_000, capacity=2),
        ],
        max_suppliers=2,
        min_allocation=3,
    )
    result = solve(problem)
    assert [x.total_score for x in result.lines] == [1_000_000, 952_381, 833_333, 769_231]
    # All 10 need C; then A+C (3×100 + 7×83.3333) beats B+C (4×95.2381 + 6×83.3333).
    assert allocation(result) == {"L1/A": 3, "L1/B": 0, "L1/C": 7, "L1/D": 0}
    assert reasons(result) == {
        "L1/A": None,
        "L1/B": ReasonCode.SUPPLIER_LIMIT,
        "L1/C": None,
        "L1/D": ReasonCode.CAPACITY,
    }
    assert (
        result.line(lot_id="L1", bid_id="D").reason
        == "capacity: the line's capacity 2 is below the minimum allocation 3"
    )
    assert result.line(lot_id="L1", bid_id="B").reason == (
        "not selected: the lot's limit of 2 suppliers was reached by lines that together serve more "
        "participants or score higher across the competition (rank 2 of 4 in lot L1)"
    )


def test_minimum_allocation_over_demand_or_share_is_infeasible_with_the_constraint_named() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=20), Lot(lot_id="L2", demand=10)],
        lines=[make_line(bid_id="A", lot_id="L1"), make_line(bid_id="B", lot_id="L2")],
        max_share_bp=5_000,
        min_allocation=12,
    )
    result = solve(problem)
    assert result.status == Status.INFEASIBLE
    assert result.message == (
        "minimum allocation 12 exceeds the maximum share 50.00 % of the lot's demand 20 (10 participants) "
        "in lot L1; minimum allocation 12 exceeds the lot's demand 10 in lot L2"
    )
    assert result.objective is None
    assert [x.allocated for x in result.lines] == [None, None]
    assert [x.total_score for x in result.lines] == [1_000_000, 1_000_000]
    assert [x.unmet_demand for x in result.lots] == [None, None]


def test_unmet_demand_when_capacity_runs_out_or_no_line_is_admissible() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=10), Lot(lot_id="L2", demand=5, max_unit_price_cents=50_000)],
        lines=[make_line(bid_id="A", lot_id="L1", capacity=6), make_line(bid_id="B", lot_id="L2")],
    )
    result = solve(problem)
    assert allocation(result) == {"L1/A": 6, "L2/B": 0}
    assert [(x.lot_id, x.allocated, x.unmet_demand, x.admissible_lines) for x in result.lots] == [
        ("L1", 6, 4, 1),
        ("L2", 0, 5, 0),
    ]


def test_inadmissible_lines_get_their_reason_and_no_score() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=10, max_unit_price_cents=100_000)],
        lines=[
            make_line(bid_id="A", price=90_000),
            make_line(bid_id="B", price=100_001),
            make_line(bid_id="C", price=50_000, eligible=False, reason="suspended on 2025-02-20"),
            make_line(bid_id="D", capacity=None, quality=None),
            make_line(bid_id="E", price=None, eligible=False),
        ],
        max_suppliers=5,
    )
    result = solve(problem)
    assert allocation(result) == {"L1/A": 10, "L1/B": 0, "L1/C": 0, "L1/D": 0, "L1/E": 0}
    # The ineligible 500 € line does not set the lowest price: A scores 100.
    a = result.line(lot_id="L1", bid_id="A")
    assert (a.price_score, a.total_score, a.rank) == (1_000_000, 1_000_000, 1)
    assert [(x.bid_id, x.admissible, x.reason_code, x.reason) for x in result.lines[1:]] == [
        (
            "B",
            False,
            ReasonCode.OVER_MAX_PRICE,
            "over the lot's maximum unit price: 1000.01 € exceeds the maximum 1000.00 € of lot L1",
        ),
        ("C", False, ReasonCode.SUPPLIER_INELIGIBLE, "supplier ineligible (suspended on 2025-02-20)"),
        ("D", False, ReasonCode.INCOMPLETE, "incomplete: missing capacity, quality score"),
        ("E", False, ReasonCode.SUPPLIER_INELIGIBLE, "supplier ineligible"),
    ]
    assert {x.total_score for x in result.lines[1:]} == {None}
    assert {x.rank for x in result.lines[1:]} == {None}


def test_supplier_wide_capacity_across_lots() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=5), Lot(lot_id="L2", demand=5)],
        lines=[
            make_line(bid_id="S1", lot_id="L1", price=80_000, capacity=5, supplier_id="S1"),
            make_line(bid_id="S2", lot_id="L1", price=100_000, capacity=5, supplier_id="S2"),
            make_line(bid_id="S1", lot_id="L2", price=90_000, capacity=5, supplier_id="S1"),
            make_line(bid_id="S3", lot_id="L2", price=95_000, capacity=5, supplier_id="S3"),
        ],
        min_allocation=4,
        caps=(SupplierCapacity(supplier_id="S1", capacity=8),),
    )
    result = solve(problem)
    # S1 can serve only one lot in full; it keeps L1, where it leads by more (100 vs 80 against 100 vs 94.74).
    assert allocation(result) == {"L1/S1": 5, "L1/S2": 0, "L2/S1": 0, "L2/S3": 5}
    s1 = result.line(lot_id="L2", bid_id="S1")
    assert s1.rank == 1
    assert s1.reason_code == ReasonCode.SUPPLIER_CAPACITY
    assert s1.reason == (
        "supplier-wide capacity: 5 of supplier S1's 8 participants are allocated in lot L1; "
        "the 3 left are fewer than the minimum allocation 4"
    )
    assert reasons(result)["L1/S2"] == ReasonCode.OUTSCORED


def test_multi_lot_budget_moves_the_cheaper_line_into_one_lot() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=5), Lot(lot_id="L2", demand=5)],
        lines=[
            make_line(bid_id="A", lot_id="L1", price=100_000, capacity=5, quality=90),
            make_line(bid_id="B", lot_id="L1", price=60_000, capacity=5, quality=50),
            make_line(bid_id="C", lot_id="L2", price=100_000, capacity=5, quality=85),
            make_line(bid_id="D", lot_id="L2", price=60_000, capacity=5, quality=40),
        ],
        budget=800_000,
        weights=QUALITY_ONLY,
    )
    result = solve(problem)
    # Serving all 10 within 8000 €: A+D (90+40) or B+C (50+85); B+C scores higher.
    assert allocation(result) == {"L1/A": 0, "L1/B": 5, "L2/C": 5, "L2/D": 0}
    assert result.budget_used_cents == 800_000
    assert reasons(result) == {
        "L1/A": ReasonCode.BUDGET,
        "L1/B": None,
        "L2/C": None,
        "L2/D": ReasonCode.OUTSCORED,
    }
    assert result.objective is not None
    assert result.objective.score_total == 5 * 500_000 + 5 * 850_000


def test_price_to_win_is_the_highest_winning_price_in_cents() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=10)],
        lines=[
            make_line(bid_id="B1", price=100_000, rate=5_000, quality=80, received=at(9)),
            make_line(bid_id="B2", price=90_000, rate=6_000, quality=70, received=at(10)),
            make_line(bid_id="B3", price=120_000, rate=7_000, quality=90, received=at(11)),
        ],
        weights=Weights(price_bp=5_000, quality_bp=3_000, outcome_bp=2_000),
    )
    # At 902.57 € B1's price score is 99.7153 and its total 88.1434 > B2's 88.1429; at 902.58 €, 88.1428.
    assert price_to_win(problem, bid_id="B1", lot_id="L1") == 90_257


def test_price_to_win_is_none_when_even_one_cent_cannot_win() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=5)],
        lines=[make_line(bid_id="A", quality=90), make_line(bid_id="B", quality=10)],
        weights=QUALITY_ONLY,
    )
    assert price_to_win(problem, bid_id="B", lot_id="L1") is None


@pytest.mark.parametrize("solver", ["HiGHS", "CBC"])
def test_both_solvers_agree_on_the_budget_case(solver: str) -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=10)],
        lines=[
            make_line(bid_id="A", price=100_000, capacity=10, quality=90),
            make_line(bid_id="B", price=50_000, capacity=4, quality=60),
            make_line(bid_id="C", price=90_000, capacity=10, quality=95),
        ],
        budget=600_000,
        weights=QUALITY_ONLY,
        max_suppliers=2,
    )
    result = solve(problem, solver=solver)
    assert result.solver == solver
    assert allocation(result) == {"L1/A": 0, "L1/B": 3, "L1/C": 5}


def floats_in(value: object) -> list[float]:
    """Every float anywhere inside a JSON value."""
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in floats_in(v)]
    if isinstance(value, list):
        return [f for v in value for f in floats_in(v)]
    return []


def test_a_stored_run_re_solves_to_the_same_record() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=5), Lot(lot_id="L2", demand=5)],
        lines=[
            make_line(bid_id="A", lot_id="L1", price=100_000, capacity=5, quality=90),
            make_line(bid_id="B", lot_id="L1", price=60_000, capacity=5, quality=50),
            make_line(bid_id="C", lot_id="L2", price=100_000, capacity=5, quality=85),
        ],
        budget=800_000,
        weights=QUALITY_ONLY,
    )
    first = solve(problem)
    stored = json.loads(json.dumps({"input": problem.to_dict(), "result": first.to_dict()}))
    assert floats_in(stored) == []  # amounts, scores and timings are all integers
    again = solve(Problem.from_dict(stored["input"]))
    assert again.to_dict(timings=False) == first.to_dict(timings=False)
    assert stored["result"]["input_sha256"] == problem.sha256()
    # All 10 within 8000 € needs B in L1 (A+C would cost 10 000 €): 5 × 50 + 5 × 85 points.
    assert stored["result"]["objective"] == {
        "participants_served": 10,
        "score_total": 6_750_000,
        "tie_break_total": 0,
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"solver": "Gurobi"}, "unknown solver 'Gurobi'"),
        ({"time_limit_s": 0}, "time limit must be a positive number of seconds"),
        ({"time_limit_s": "30"}, "time limit must be a positive number of seconds"),
        ({"time_limit_s": True}, "time limit must be a positive number of seconds"),
    ],
)
def test_bad_options_raise_a_typed_error(options: dict[str, object], message: str) -> None:
    problem = make_problem(lots=[Lot(lot_id="L1", demand=5)], lines=[make_line(bid_id="A")])
    with pytest.raises(EngineInputError, match=message):
        solve(problem, **options)  # type: ignore[arg-type]


def test_price_to_win_refuses_winning_inadmissible_and_unknown_lines() -> None:
    problem = make_problem(
        lots=[Lot(lot_id="L1", demand=5)],
        lines=[make_line(bid_id="A"), make_line(bid_id="B", eligible=False, reason="excluded")],
    )
    with pytest.raises(EngineInputError, match="bid A in lot L1 already wins 5 participants"):
        price_to_win(problem, bid_id="A", lot_id="L1")
    with pytest.raises(
        EngineInputError, match=r"bid B in lot L1 is inadmissible: supplier ineligible \(excluded\)"
    ):
        price_to_win(problem, bid_id="B", lot_id="L1")
    with pytest.raises(EngineInputError, match="no line for bid Z in lot L1"):
        price_to_win(problem, bid_id="Z", lot_id="L1")


def test_a_stage_started_from_the_previous_allocation_still_finds_the_optimum() -> None:
    # Found by the price-to-win property test. Quality only, 250 € for 4 + 6 participants, supplier S0 takes
    # 4 at most. The most served is 6, e.g. B0 1 + B1 2 in L0 (46 € + 90 €) and B0 3 in L1 (114 €): 250 €,
    # 6 × 10 points. The stage "participants served" ends at B0 1, B1 1, B0 3 and B2 1 (5 × 10 points, B2 at
    # 4 cents scores 0); HiGHS started from it reported that allocation as the best score (500 000 units).
    problem = make_problem(
        lots=[Lot(lot_id="L0", demand=4), Lot(lot_id="L1", demand=6)],
        lines=[
            make_line(bid_id="B0", supplier_id="S0", lot_id="L0", price=4_600, capacity=2, quality=10),
            make_line(bid_id="B1", supplier_id="S1", lot_id="L0", price=4_500, capacity=2, quality=10),
            make_line(bid_id="B0", supplier_id="S0", lot_id="L1", price=3_800, capacity=3, quality=10),
            make_line(bid_id="B2", supplier_id="S2", lot_id="L1", price=4, capacity=1, quality=0),
        ],
        budget=25_000,
        weights=QUALITY_ONLY,
        max_suppliers=2,
        max_share_bp=5_000,
        caps=(SupplierCapacity(supplier_id="S0", capacity=4),),
    )
    for solver in ("HiGHS", "CBC"):
        result = solve(problem, solver=solver)
        assert result.objective is not None
        assert (result.objective.participants_served, result.objective.score_total) == (6, 600_000), solver
        assert {k: x for k, x in result.allocation().items() if x} == {
            ("L0", "B0"): 1,
            ("L0", "B1"): 2,
            ("L1", "B0"): 3,
        }
