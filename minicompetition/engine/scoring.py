"""Pure scoring rules of a mini-competition: admissibility, criterion scores, ranks and the integer re-check.

Rounding (see docs/decisions/0004-lp-formulation.md): a score unit is 0.0001 point. Each criterion score
on 0–100 is rounded half up to a whole unit; the total is Σ weight_bp × criterion units / 10 000, rounded
half up to a whole unit. Everything here is integer arithmetic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace

from minicompetition.engine.types import (
    BP_WHOLE,
    MAX_SCORE_UNITS,
    SCORE_UNITS_PER_POINT,
    AllocationRules,
    BidLine,
    ConstraintViolationError,
    EngineError,
    EngineInputError,
    EngineResult,
    LineResult,
    Lot,
    LotResult,
    Objective,
    Problem,
    ReasonCode,
    Status,
    SupplierCapacity,
    Weights,
)

__all__ = [
    "BP_WHOLE",
    "MAX_SCORE_UNITS",
    "SCORE_UNITS_PER_POINT",
    "AllocationRules",
    "BidLine",
    "ConstraintViolationError",
    "EngineError",
    "EngineInputError",
    "EngineResult",
    "LineResult",
    "Lot",
    "LotResult",
    "Objective",
    "Problem",
    "ReasonCode",
    "ScoredLine",
    "Status",
    "SupplierCapacity",
    "Weights",
    "break_even_price",
    "check_allocation",
    "format_cents",
    "format_score",
    "infeasibilities",
    "lot_totals_at",
    "round_half_up",
    "score_lines",
    "share_cap",
]

Key = tuple[str, str]  # (lot id, bid id)


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves up (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def share_cap(*, demand: int, max_share_bp: int) -> int:
    """Most participants one supplier may get in a lot: floor(max share × demand)."""
    return demand * max_share_bp // BP_WHOLE


def format_cents(cents: int) -> str:
    """Euros with two decimals, e.g. 123456 -> '1234.56 €'."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d} €"


def format_score(units: int) -> str:
    """Score units as points with four decimals, e.g. 875432 -> '87.5432'."""
    return f"{units // SCORE_UNITS_PER_POINT}.{units % SCORE_UNITS_PER_POINT:04d}"


def _format_bp(bp: int) -> str:
    return f"{bp // 100}.{bp % 100:02d} %"


@dataclass(frozen=True, slots=True)
class ScoredLine:
    """A line with its admissibility, scores, rank and the engine's per-line constants."""

    line: BidLine
    reason_code: ReasonCode | None  # set only when inadmissible
    reason: str | None
    price_score: int | None
    quality_score: int | None
    outcome_score: int | None
    total_score: int | None
    rank: int | None
    lot_size: int  # admissible lines in the lot, for "rank r of n"
    upper: int  # most participants the line can take on its own
    # > 0 only when another admissible line has the same total score; the earlier receipt is higher.
    tie_weight: int

    @property
    def admissible(self) -> bool:
        """True when the line may receive an allocation."""
        return self.reason_code is None

    @property
    def key(self) -> Key:
        """The line's identity: (lot id, bid id)."""
        return self.line.key


def _inadmissible(line: BidLine, lot: Lot) -> tuple[ReasonCode, str] | None:
    # Order: the supplier first, then the bid's content, its price against the lot, and last the evaluators'
    # quality score (a line over the maximum price needs none: the service never asks for it).
    if not line.eligible:
        detail = f" ({line.ineligibility_reason})" if line.ineligibility_reason else ""
        return ReasonCode.SUPPLIER_INELIGIBLE, f"supplier ineligible{detail}"
    missing = [
        name
        for name, value in (
            ("unit price", line.unit_price_cents),
            ("capacity", line.capacity),
            ("flow-through rate", line.flow_through_bp),
        )
        if value is None
    ]
    price = line.unit_price_cents
    if (
        not missing
        and lot.max_unit_price_cents is not None
        and price is not None
        and price > lot.max_unit_price_cents
    ):
        return ReasonCode.OVER_MAX_PRICE, (
            f"over the lot's maximum unit price: {format_cents(price)} exceeds the maximum "
            f"{format_cents(lot.max_unit_price_cents)} of lot {lot.lot_id}"
        )
    if line.quality is None:
        missing.append("quality score")
    if missing:
        return ReasonCode.INCOMPLETE, f"incomplete: missing {', '.join(missing)}"
    return None


def score_lines(problem: Problem) -> tuple[ScoredLine, ...]:
    """Admissibility, criterion and total scores, ranks and engine constants, sorted by (lot id, bid id)."""
    lots = {lot.lot_id: lot for lot in problem.lots}
    caps = {c.supplier_id: c.capacity for c in problem.supplier_capacities}
    verdicts = {ln.key: _inadmissible(ln, lots[ln.lot_id]) for ln in problem.lines}
    admissible = [ln for ln in problem.lines if verdicts[ln.key] is None]
    by_lot: dict[str, list[BidLine]] = defaultdict(list)
    for ln in admissible:
        by_lot[ln.lot_id].append(ln)

    totals: dict[Key, tuple[int, int, int, int]] = {}
    ranks: dict[Key, int] = {}
    for lines in by_lot.values():
        lowest_price = min(_req(ln.unit_price_cents) for ln in lines)
        highest_rate = max(_req(ln.flow_through_bp) for ln in lines)
        for ln in lines:
            totals[ln.key] = _scores(ln, problem.weights, lowest_price, highest_rate)
        # Higher total first, then earlier receipt, then bid id: the announced tie-break.
        ordered = sorted(lines, key=lambda ln: (-totals[ln.key][3], ln.received_at, ln.bid_id))
        for i, ln in enumerate(ordered, start=1):
            ranks[ln.key] = i

    # Tie-break weights for lines that share a total score with another line, in any lot: earliest
    # receipt, then bid id, then lot id gets the highest weight.
    seen: dict[int, int] = defaultdict(int)
    for ln in admissible:
        seen[totals[ln.key][3]] += 1
    tied = sorted(
        (ln for ln in admissible if seen[totals[ln.key][3]] > 1),
        key=lambda ln: (ln.received_at, ln.bid_id, ln.lot_id),
    )
    tie = {ln.key: len(tied) - i for i, ln in enumerate(tied)}

    out = []
    for ln in sorted(problem.lines, key=lambda ln: ln.key):
        verdict = verdicts[ln.key]
        lot = lots[ln.lot_id]
        if verdict is not None:
            out.append(_unscored(ln, *verdict))
            continue
        upper = min(
            _req(ln.capacity),
            lot.demand,
            share_cap(demand=lot.demand, max_share_bp=problem.rules.max_share_bp),
            caps.get(ln.supplier_id, lot.demand),
        )
        price, quality, outcome, total = totals[ln.key]
        out.append(
            ScoredLine(
                line=ln,
                reason_code=None,
                reason=None,
                price_score=price,
                quality_score=quality,
                outcome_score=outcome,
                total_score=total,
                rank=ranks[ln.key],
                lot_size=len(by_lot[ln.lot_id]),
                upper=upper,
                tie_weight=tie.get(ln.key, 0),
            )
        )
    return tuple(out)


def _unscored(line: BidLine, code: ReasonCode, reason: str) -> ScoredLine:
    return ScoredLine(
        line=line,
        reason_code=code,
        reason=reason,
        price_score=None,
        quality_score=None,
        outcome_score=None,
        total_score=None,
        rank=None,
        lot_size=0,
        upper=0,
        tie_weight=0,
    )


def _req(value: int | None) -> int:
    if value is None:  # only admissible (complete) lines reach here
        raise EngineError("internal: incomplete line scored")
    return value


def _scores(
    line: BidLine, weights: Weights, lowest_price: int, highest_rate: int
) -> tuple[int, int, int, int]:
    hundred = 100 * SCORE_UNITS_PER_POINT
    price = round_half_up(hundred * lowest_price, _req(line.unit_price_cents))
    quality = _req(line.quality) * SCORE_UNITS_PER_POINT
    # A lot where every admissible line commits to 0 flow-through scores 0 on outcome.
    outcome = round_half_up(hundred * _req(line.flow_through_bp), highest_rate) if highest_rate else 0
    weighted = weights.price_bp * price + weights.quality_bp * quality + weights.outcome_bp * outcome
    return price, quality, outcome, round_half_up(weighted, BP_WHOLE)


def lot_totals_at(problem: Problem, *, key: Key, price: int) -> dict[Key, int]:
    """Total scores of the admissible lines in the key's lot when that line's unit price is `price`.

    A lower price of an admissible line keeps it admissible; it changes its own price score and, once it is
    the lot's lowest, every other line's price score in the lot (100 × lowest / p). Nothing outside the lot.
    """
    lot = next(x for x in problem.lots if x.lot_id == key[0])
    lines = [
        replace(ln, unit_price_cents=price) if ln.key == key else ln
        for ln in problem.lines
        if ln.lot_id == key[0]
    ]
    admissible = [ln for ln in lines if _inadmissible(ln, lot) is None]
    lowest = min(_req(ln.unit_price_cents) for ln in admissible)
    highest = max(_req(ln.flow_through_bp) for ln in admissible)
    return {ln.key: _scores(ln, problem.weights, lowest, highest)[3] for ln in admissible}


def infeasibilities(problem: Problem) -> tuple[str, ...]:
    """Allocation rules that no allocation can meet, each naming the constraint and the lot."""
    rules = problem.rules
    found = []
    for lot in sorted(problem.lots, key=lambda lot: lot.lot_id):
        cap = share_cap(demand=lot.demand, max_share_bp=rules.max_share_bp)
        if rules.min_allocation > lot.demand:
            found.append(
                f"minimum allocation {rules.min_allocation} exceeds the lot's demand {lot.demand} "
                f"in lot {lot.lot_id}"
            )
        elif rules.min_allocation > cap:
            found.append(
                f"minimum allocation {rules.min_allocation} exceeds the maximum share "
                f"{_format_bp(rules.max_share_bp)} of the lot's demand {lot.demand} ({cap} participants) "
                f"in lot {lot.lot_id}"
            )
    return tuple(found)


def check_allocation(problem: Problem, allocation: Mapping[Key, int]) -> None:
    """Re-check every constraint in integers; raise ConstraintViolationError naming the first broken one."""
    rules = problem.rules
    lots = {lot.lot_id: lot for lot in problem.lots}
    lines = {ln.key: ln for ln in problem.lines}
    caps = {c.supplier_id: c.capacity for c in problem.supplier_capacities}
    verdicts = {key: _inadmissible(ln, lots[ln.lot_id]) for key, ln in lines.items()}
    per_lot: dict[str, int] = defaultdict(int)
    chosen: dict[str, int] = defaultdict(int)
    per_supplier: dict[str, int] = defaultdict(int)
    spent = 0
    for key, x in sorted(allocation.items()):
        if type(x) is not int or x < 0:
            raise ConstraintViolationError(f"allocation {x!r} to {key} is not a non-negative integer")
        if x == 0:
            continue
        ln = lines.get(key)
        if ln is None or verdicts[key] is not None:
            raise ConstraintViolationError(f"allocation to {key}, which is not an admissible line")
        lot = lots[ln.lot_id]
        where = f"bid {ln.bid_id} in lot {ln.lot_id}"
        if x > _req(ln.capacity):
            raise ConstraintViolationError(f"{where} gets {x}, over its capacity {ln.capacity}")
        if x > share_cap(demand=lot.demand, max_share_bp=rules.max_share_bp):
            raise ConstraintViolationError(f"{where} gets {x}, over the lot's maximum share")
        if x < rules.min_allocation:
            raise ConstraintViolationError(
                f"{where} gets {x}, under the minimum allocation {rules.min_allocation}"
            )
        per_lot[ln.lot_id] += x
        chosen[ln.lot_id] += 1
        per_supplier[ln.supplier_id] += x
        spent += _req(ln.unit_price_cents) * x
    for lot_id, total in per_lot.items():
        if total > lots[lot_id].demand:
            raise ConstraintViolationError(
                f"lot {lot_id} gets {total}, over its demand {lots[lot_id].demand}"
            )
        if chosen[lot_id] > rules.max_suppliers_per_lot:
            raise ConstraintViolationError(
                f"lot {lot_id} has {chosen[lot_id]} suppliers, over the limit {rules.max_suppliers_per_lot}"
            )
    for supplier_id, total in per_supplier.items():
        if supplier_id in caps and total > caps[supplier_id]:
            raise ConstraintViolationError(
                f"supplier {supplier_id} gets {total}, over its supplier-wide capacity {caps[supplier_id]}"
            )
    if spent > problem.budget_cents:
        raise ConstraintViolationError(
            f"allocation costs {format_cents(spent)}, over the budget {format_cents(problem.budget_cents)}"
        )


def break_even_price(problem: Problem, *, key: Key, allocation: Mapping[Key, int]) -> int | None:
    """A first guess at price to win: where the line's total score reaches its lot's weakest winner.

    Only a starting point for the search (budget, capacities and ties also decide); None when price alone
    cannot be the reason, e.g. the price weight is 0 or no line in the lot won anything.
    """
    scored = {s.key: s for s in score_lines(problem)}
    me = scored[key]
    weights = problem.weights
    winners = [s for k, s in scored.items() if k[0] == key[0] and k != key and allocation.get(k, 0) > 0]
    if not winners or weights.price_bp == 0 or not me.admissible:
        return None
    target = min(_req(s.total_score) for s in winners)
    rest = weights.quality_bp * _req(me.quality_score) + weights.outcome_bp * _req(me.outcome_score)
    # round_half_up((price_bp × P + rest) / 10 000) ≥ target  ⇔  price_bp × P ≥ 10 000 × target − 5 000 − rest
    needed = -(-(BP_WHOLE * target - BP_WHOLE // 2 - rest) // weights.price_bp)
    if needed <= 0:
        return None
    if needed > MAX_SCORE_UNITS:
        return 1
    others = [
        _req(s.line.unit_price_cents)
        for k, s in scored.items()
        if k[0] == key[0] and k != key and s.admissible
    ]
    lowest = min(others)
    # Price score 100 × lowest / p in units: p = lowest × 1 000 000 / needed.
    return max(1, MAX_SCORE_UNITS * lowest // needed)
