"""Pure scoring rules: rounding, scores, ranks, admissibility, validation, the integer re-check, storage."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from minicompetition.engine.scoring import (
    AllocationRules,
    BidLine,
    ConstraintViolationError,
    EngineInputError,
    Lot,
    Problem,
    ReasonCode,
    SupplierCapacity,
    Weights,
    break_even_price,
    check_allocation,
    format_cents,
    format_score,
    infeasibilities,
    round_half_up,
    score_lines,
    share_cap,
)

T0 = datetime(2025, 3, 1, 9, tzinfo=UTC)


def make_line(*, bid_id: str, lot_id: str = "L1", **fields: object) -> BidLine:
    """A complete, eligible line unless fields say otherwise."""
    values: dict[str, object] = {
        "supplier_id": f"S-{bid_id}",
        "unit_price_cents": 100_000,
        "capacity": 10,
        "flow_through_bp": 5_000,
        "quality": 50,
        "received_at": T0,
    }
    values.update(fields)
    return BidLine(bid_id=bid_id, lot_id=lot_id, **values)  # type: ignore[arg-type]


def make_problem(*lines: BidLine, weights: Weights | None = None, **rules: int) -> Problem:
    """One lot L1 (demand 10, maximum price 1200 €) and the given lines."""
    return Problem(
        lots=(Lot(lot_id="L1", demand=10, max_unit_price_cents=120_000),),
        lines=lines,
        budget_cents=10**9,
        weights=weights or Weights(price_bp=5_000, quality_bp=3_000, outcome_bp=2_000),
        rules=AllocationRules(
            max_suppliers_per_lot=rules.get("max_suppliers", 2),
            max_share_bp=rules.get("max_share_bp", 10_000),
            min_allocation=rules.get("min_allocation", 1),
        ),
    )


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(1, 2, 1), (3, 2, 2), (5, 10, 1), (4, 10, 0), (15, 10, 2), (14, 10, 1), (0, 7, 0), (2, 3, 1)],
)
def test_round_half_up(numerator: int, denominator: int, expected: int) -> None:
    assert round_half_up(numerator, denominator) == expected


def test_share_cap_rounds_down() -> None:
    assert share_cap(demand=10, max_share_bp=6_000) == 6
    assert share_cap(demand=7, max_share_bp=5_000) == 3
    assert share_cap(demand=5, max_share_bp=1_000) == 0


def test_formats() -> None:
    assert format_cents(123_456) == "1234.56 €"
    assert format_cents(5) == "0.05 €"
    assert format_cents(-150) == "-1.50 €"
    assert format_score(875_432) == "87.5432"
    assert format_score(5) == "0.0005"


def test_criterion_scores_are_exact_units_rounded_half_up() -> None:
    scored = score_lines(
        make_problem(
            make_line(bid_id="A", unit_price_cents=30_000, flow_through_bp=3_000, quality=70),
            make_line(bid_id="B", unit_price_cents=90_000, flow_through_bp=9_000, quality=41),
        )
    )
    a, b = scored
    assert (a.price_score, a.quality_score, a.outcome_score) == (1_000_000, 700_000, 333_333)
    # 100 × 30000 / 90000 = 33.3333…; 100 × 9000 / 9000 = 100.
    assert (b.price_score, b.quality_score, b.outcome_score) == (333_333, 410_000, 1_000_000)
    # A: (5000×1000000 + 3000×700000 + 2000×333333) / 10000 = 776666.6 → 776667
    assert a.total_score == 776_667
    # B: (5000×333333 + 3000×410000 + 2000×1000000) / 10000 = 489666.5 → 489667 (half up)
    assert b.total_score == 489_667


def test_total_score_rounds_a_half_unit_up() -> None:
    problem = Problem(
        lots=(Lot(lot_id="L1", demand=10),),
        lines=(
            make_line(bid_id="A", unit_price_cents=999_999, quality=0),
            make_line(bid_id="B", unit_price_cents=1_000_000, quality=0),
        ),
        budget_cents=0,
        weights=Weights(price_bp=5_000, quality_bp=5_000, outcome_bp=0),
        rules=AllocationRules(max_suppliers_per_lot=1, max_share_bp=10_000, min_allocation=1),
    )
    scored = score_lines(problem)
    # B's price score is 999999 units; half of it is 499999.5 → 500000.
    assert scored[1].price_score == 999_999
    assert scored[1].total_score == 500_000


def test_outcome_score_is_zero_when_every_rate_is_zero() -> None:
    scored = score_lines(
        make_problem(make_line(bid_id="A", flow_through_bp=0), make_line(bid_id="B", flow_through_bp=0))
    )
    assert [s.outcome_score for s in scored] == [0, 0]


def test_ranks_break_ties_by_receipt_then_bid_id() -> None:
    scored = score_lines(
        make_problem(
            make_line(bid_id="D", received_at=T0 + timedelta(minutes=1)),
            make_line(bid_id="C", received_at=T0),
            make_line(bid_id="B", received_at=T0),
            make_line(bid_id="A", unit_price_cents=110_000),
        )
    )
    assert {s.line.bid_id: s.rank for s in scored} == {"B": 1, "C": 2, "D": 3, "A": 4}
    assert {s.line.bid_id: s.lot_size for s in scored} == {"A": 4, "B": 4, "C": 4, "D": 4}
    # The three tied lines get distinct tie-break weights, earliest (then lowest bid id) highest.
    assert {s.line.bid_id: s.tie_weight for s in scored} == {"A": 0, "B": 3, "C": 2, "D": 1}


def test_receive_times_compare_across_time_zones() -> None:
    helsinki = timezone(timedelta(hours=2))
    scored = score_lines(
        make_problem(
            make_line(bid_id="A", received_at=datetime(2025, 3, 1, 11, 30, tzinfo=helsinki)),  # 09:30 UTC
            make_line(bid_id="B", received_at=datetime(2025, 3, 1, 9, 15, tzinfo=UTC)),
        )
    )
    assert [s.rank for s in scored] == [2, 1]


def test_admissibility_order_and_upper_bound() -> None:
    scored = score_lines(
        make_problem(
            make_line(bid_id="A", capacity=50),
            make_line(bid_id="B", unit_price_cents=120_001),
            make_line(bid_id="C", eligible=False, quality=None, ineligibility_reason="excluded"),
            make_line(bid_id="D", unit_price_cents=None, flow_through_bp=None),
            max_share_bp=7_000,
        )
    )
    assert [(s.line.bid_id, s.reason_code) for s in scored] == [
        ("A", None),
        ("B", ReasonCode.OVER_MAX_PRICE),
        ("C", ReasonCode.SUPPLIER_INELIGIBLE),
        ("D", ReasonCode.INCOMPLETE),
    ]
    assert scored[3].reason == "incomplete: missing unit price, flow-through rate"
    # capacity 50, demand 10, 70 % share → 7
    assert scored[0].upper == 7
    assert [s.upper for s in scored[1:]] == [0, 0, 0]


def test_infeasibilities_name_the_constraint_and_lot() -> None:
    problem = make_problem(make_line(bid_id="A"), min_allocation=11)
    assert infeasibilities(problem) == ("minimum allocation 11 exceeds the lot's demand 10 in lot L1",)
    assert infeasibilities(make_problem(make_line(bid_id="A"), min_allocation=10)) == ()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Weights(price_bp=5_000, quality_bp=3_000, outcome_bp=1_000), "weights must sum to 10000"),
        (lambda: Weights(price_bp=True, quality_bp=3_000, outcome_bp=7_000), "must be an integer"),
        (lambda: Lot(lot_id="L1", demand=0), "demand of lot L1 must be at least 1"),
        (lambda: Lot(lot_id="", demand=3), "lot_id must be a non-empty string"),
        (lambda: make_line(bid_id="A", received_at=datetime(2025, 3, 1, 9)), "timezone-aware"),  # noqa: DTZ001
        (lambda: make_line(bid_id="A", quality=101), "quality of bid A in lot L1 must be between 0 and 100"),
        (
            lambda: make_line(bid_id="A", unit_price_cents=0),
            "unit price of bid A in lot L1 must be at least 1",
        ),
        (lambda: make_line(bid_id="A", unit_price_cents=12.5), "must be an integer"),
        (lambda: AllocationRules(max_suppliers_per_lot=0, max_share_bp=1, min_allocation=1), "max suppliers"),
        (lambda: SupplierCapacity(supplier_id="S", capacity=-1), "supplier-wide capacity of S"),
        (
            lambda: make_problem(make_line(bid_id="A"), make_line(bid_id="A")),
            "duplicate line for bid and lot",
        ),
        (
            lambda: make_problem(
                make_line(bid_id="A", supplier_id="S"), make_line(bid_id="B", supplier_id="S")
            ),
            "duplicate line for supplier and lot S in lot L1",
        ),
        (lambda: make_problem(make_line(bid_id="A", lot_id="L9")), "bid A names unknown lot L9"),
    ],
)
def test_invalid_input_raises_a_typed_error_with_a_message(build: object, message: str) -> None:
    with pytest.raises(EngineInputError, match=message):
        build()  # type: ignore[operator]


def test_one_bid_cannot_belong_to_two_suppliers() -> None:
    with pytest.raises(EngineInputError, match="bid A belongs to two suppliers"):
        Problem(
            lots=(Lot(lot_id="L1", demand=5), Lot(lot_id="L2", demand=5)),
            lines=(
                make_line(bid_id="A", supplier_id="S1"),
                make_line(bid_id="A", lot_id="L2", supplier_id="S2"),
            ),
            budget_cents=0,
            weights=Weights(price_bp=10_000, quality_bp=0, outcome_bp=0),
            rules=AllocationRules(max_suppliers_per_lot=1, max_share_bp=10_000, min_allocation=1),
        )


def test_check_allocation_accepts_a_valid_allocation_and_names_the_first_broken_constraint() -> None:
    problem = replace(
        make_problem(
            make_line(bid_id="A", capacity=6, supplier_id="S1"),
            make_line(bid_id="B", capacity=6),
            make_line(bid_id="C", unit_price_cents=200_000),
            max_share_bp=6_000,
            min_allocation=2,
        ),
        budget_cents=1_000_000,
        supplier_capacities=(SupplierCapacity(supplier_id="S1", capacity=5),),
    )
    check_allocation(problem, {("L1", "A"): 5, ("L1", "B"): 5})
    broken = [
        ({("L1", "A"): 7}, "bid A in lot L1 gets 7, over its capacity 6"),
        ({("L1", "B"): 1}, "bid B in lot L1 gets 1, under the minimum allocation 2"),
        ({("L1", "A"): 6}, "supplier S1 gets 6, over its supplier-wide capacity 5"),
        ({("L1", "C"): 2}, "not an admissible line"),
        ({("L1", "B"): 6, ("L1", "A"): 5}, "lot L1 gets 11, over its demand 10"),
        ({("L1", "A"): 2.0}, "is not a non-negative integer"),
    ]
    for allocation, message in broken:
        with pytest.raises(ConstraintViolationError, match=message):
            check_allocation(problem, allocation)  # type: ignore[arg-type]
    tight = replace(problem, budget_cents=999_999)
    with pytest.raises(ConstraintViolationError, match=r"costs 10000\.00 €, over the budget 9999\.99 €"):
        check_allocation(tight, {("L1", "A"): 5, ("L1", "B"): 5})
    few = replace(
        problem, rules=AllocationRules(max_suppliers_per_lot=1, max_share_bp=6_000, min_allocation=2)
    )
    with pytest.raises(ConstraintViolationError, match="lot L1 has 2 suppliers, over the limit 1"):
        check_allocation(few, {("L1", "A"): 5, ("L1", "B"): 5})


def test_problem_round_trips_through_json_in_canonical_order() -> None:
    helsinki = timezone(timedelta(hours=2))
    problem = Problem(
        lots=(Lot(lot_id="L2", demand=4), Lot(lot_id="L1", demand=10, max_unit_price_cents=120_000)),
        lines=(
            make_line(bid_id="B", lot_id="L2", received_at=datetime(2025, 3, 1, 11, tzinfo=helsinki)),
            make_line(
                bid_id="A", quality=None, eligible=False, ineligibility_reason="suspended on 2025-02-20"
            ),
        ),
        budget_cents=1_234_567,
        weights=Weights(price_bp=5_000, quality_bp=3_000, outcome_bp=2_000),
        rules=AllocationRules(max_suppliers_per_lot=2, max_share_bp=6_000, min_allocation=1),
        supplier_capacities=(SupplierCapacity(supplier_id="S-B", capacity=3),),
    )
    data = problem.to_dict()
    text = json.dumps(data)
    assert "." not in json.dumps([data["budget_cents"], [x["unit_price_cents"] for x in data["lines"]]])
    assert [x["lot_id"] for x in data["lots"]] == ["L1", "L2"]
    assert [(x["lot_id"], x["bid_id"]) for x in data["lines"]] == [("L1", "A"), ("L2", "B")]
    assert data["lines"][1]["received_at"] == "2025-03-01T09:00:00+00:00"
    again = Problem.from_dict(json.loads(text))
    assert again.to_dict() == data
    assert again.sha256() == problem.sha256()
    assert len(problem.sha256()) == 64


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("lots"),
        lambda d: d["lines"][0].update(received_at="yesterday"),
        lambda d: d["lines"][0].update(colour="blue"),
        lambda d: d["weights"].update(price_bp="5000"),
    ],
)
def test_from_dict_rejects_malformed_data_with_a_typed_error(mutate: object) -> None:
    data = make_problem(make_line(bid_id="A")).to_dict()
    mutate(data)  # type: ignore[operator]
    with pytest.raises(EngineInputError):
        Problem.from_dict(data)


def test_break_even_price_is_where_the_score_reaches_the_weakest_winner() -> None:
    problem = make_problem(
        make_line(bid_id="B1", unit_price_cents=100_000, flow_through_bp=5_000, quality=80),
        make_line(bid_id="B2", unit_price_cents=90_000, flow_through_bp=6_000, quality=70),
        make_line(bid_id="B3", unit_price_cents=120_000, flow_through_bp=7_000, quality=90),
    )
    won = {("L1", "B2"): 10}
    # B2 scores 88.1429; B1 needs a price score of 99.7143 (rounded up): 100 × 900 € / 99.7143 = 902.57 €.
    assert break_even_price(problem, key=("L1", "B1"), allocation=won) == 90_257
    assert break_even_price(problem, key=("L1", "B1"), allocation={}) is None
    quality_only = replace(problem, weights=Weights(price_bp=0, quality_bp=10_000, outcome_bp=0))
    assert break_even_price(quality_only, key=("L1", "B1"), allocation=won) is None


def test_problem_keeps_tuples_and_rejects_foreign_records() -> None:
    problem = make_problem(make_line(bid_id="A"))
    listed = replace(problem, lines=list(problem.lines))
    assert listed == problem
    assert isinstance(listed.lines, tuple)
    with pytest.raises(EngineInputError, match="lots must hold Lot records"):
        replace(problem, lots=({"lot_id": "L1", "demand": 10},))
    with pytest.raises(EngineInputError, match="weights and rules must be"):
        replace(problem, weights=(5_000, 3_000, 2_000))
