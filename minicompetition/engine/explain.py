"""Explanations of an allocation: per line the binding reason and a sentence a supplier can act on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from minicompetition.engine.scoring import Key, ScoredLine, format_cents
from minicompetition.engine.types import (
    EngineError,
    LineResult,
    Lot,
    LotResult,
    Problem,
    ReasonCode,
)


def _req(value: int | None) -> int:
    if value is None:  # explanations only read admissible (complete) lines
        raise EngineError("internal: incomplete line explained")
    return value


def explain_unallocated(
    problem: Problem, scored: tuple[ScoredLine, ...], allocation: Mapping[Key, int]
) -> dict[Key, tuple[ReasonCode, str]]:
    """For every admissible line without participants, the binding reason and a sentence for the supplier."""
    rules = problem.rules
    m = rules.min_allocation
    lots = {lot.lot_id: lot for lot in problem.lots}
    caps = {c.supplier_id: c.capacity for c in problem.supplier_capacities}
    lot_total: dict[str, int] = defaultdict(int)
    selected: dict[str, list[ScoredLine]] = defaultdict(list)
    used: dict[str, int] = defaultdict(int)
    used_in: dict[str, list[str]] = defaultdict(list)
    spent = 0
    for s in scored:
        x = allocation.get(s.key, 0)
        if x > 0:
            lot_total[s.line.lot_id] += x
            selected[s.line.lot_id].append(s)
            used[s.line.supplier_id] += x
            used_in[s.line.supplier_id].append(s.line.lot_id)
            spent += _req(s.line.unit_price_cents) * x

    out: dict[Key, tuple[ReasonCode, str]] = {}
    for s in scored:
        if not s.admissible or allocation.get(s.key, 0) > 0:
            continue
        ln, lot = s.line, lots[s.line.lot_id]
        rank = f"rank {s.rank} of {s.lot_size} in lot {lot.lot_id}"
        capacity, price = _req(ln.capacity), _req(ln.unit_price_cents)
        remaining_demand = lot.demand - lot_total[lot.lot_id]
        outranked = all(_req(o.rank) < _req(s.rank) for o in selected[lot.lot_id])
        limit_reached = len(selected[lot.lot_id]) >= rules.max_suppliers_per_lot
        supplier_left = caps[ln.supplier_id] - used[ln.supplier_id] if ln.supplier_id in caps else None
        limit = _plural(rules.max_suppliers_per_lot, "supplier")
        if capacity < m:
            out[s.key] = (
                ReasonCode.CAPACITY,
                f"capacity: the line's capacity {capacity} is below the minimum allocation {m}",
            )
        elif supplier_left is not None and supplier_left < m:
            cap, taken, who = caps[ln.supplier_id], used[ln.supplier_id], ln.supplier_id
            where = _plural_lots(used_in[who])
            sentence = (
                f"{taken} of supplier {who}'s {cap} participants are allocated in {where}; "
                f"the {supplier_left} left are fewer than the minimum allocation {m}"
                if taken
                else f"supplier {who}'s capacity {cap} is below the minimum allocation {m}"
            )
            out[s.key] = (ReasonCode.SUPPLIER_CAPACITY, f"supplier-wide capacity: {sentence}")
        elif outranked and limit_reached:
            out[s.key] = (ReasonCode.OUTSCORED, f"outscored: {rank}, the lot's limit of {limit} was reached")
        elif outranked and remaining_demand < m:
            out[s.key] = (
                ReasonCode.DEMAND_MET,
                "lot demand already met by higher-ranked lines: " + _left(lot, remaining_demand, m),
            )
        elif problem.budget_cents - spent < price * m:
            left = problem.budget_cents - spent
            out[s.key] = (
                ReasonCode.BUDGET,
                f"budget exhausted: {format_cents(left)} of the budget remains, less than the minimum "
                f"allocation {m} × {format_cents(price)} = {format_cents(price * m)} ({rank})",
            )
        elif limit_reached:
            out[s.key] = (
                ReasonCode.SUPPLIER_LIMIT,
                f"not selected: the lot's limit of {limit} was reached by lines that together serve more "
                f"participants or score higher across the competition ({rank})",
            )
        elif remaining_demand < m:
            out[s.key] = (
                ReasonCode.DEMAND_MET,
                f"lot demand already met by other lines ({rank}): " + _left(lot, remaining_demand, m),
            )
        else:
            # Unreachable for a proven-optimal allocation: this line could take m more participants.
            out[s.key] = (ReasonCode.NOT_SELECTED, f"not selected in the allocation ({rank})")
    return out


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _plural_lots(lot_ids: list[str]) -> str:
    return ("lot " if len(lot_ids) == 1 else "lots ") + ", ".join(lot_ids)


def _left(lot: Lot, remaining: int, m: int) -> str:
    if remaining == 0:
        return f"all {lot.demand} participants of lot {lot.lot_id} are allocated"
    left = f"{remaining} of lot {lot.lot_id}'s {lot.demand} participants remain"
    return f"{left}, below the minimum allocation {m}"


def line_results(
    scored: tuple[ScoredLine, ...],
    allocation: Mapping[Key, int] | None,
    reasons: Mapping[Key, tuple[ReasonCode, str]],
) -> tuple[LineResult, ...]:
    """Result rows per line; `allocation` None means the run produced no allocation."""
    rows = []
    for s in scored:
        code, reason = (s.reason_code, s.reason) if not s.admissible else reasons.get(s.key, (None, None))
        allocated = None if allocation is None else allocation.get(s.key, 0)
        rows.append(
            LineResult(
                bid_id=s.line.bid_id,
                supplier_id=s.line.supplier_id,
                lot_id=s.line.lot_id,
                admissible=s.admissible,
                price_score=s.price_score,
                quality_score=s.quality_score,
                outcome_score=s.outcome_score,
                total_score=s.total_score,
                rank=s.rank,
                allocated=allocated,
                reason_code=code,
                reason=reason,
            )
        )
    return tuple(rows)


def lot_results(
    problem: Problem, scored: tuple[ScoredLine, ...], allocation: Mapping[Key, int] | None
) -> tuple[LotResult, ...]:
    """Per lot: demand, admissible lines, allocated participants and unmet demand."""
    by_lot: dict[str, list[ScoredLine]] = defaultdict(list)
    for s in scored:
        by_lot[s.line.lot_id].append(s)
    rows = []
    for lot in sorted(problem.lots, key=lambda lot: lot.lot_id):
        mine = by_lot[lot.lot_id]
        allocated = None if allocation is None else sum(allocation.get(s.key, 0) for s in mine)
        rows.append(
            LotResult(
                lot_id=lot.lot_id,
                demand=lot.demand,
                admissible_lines=sum(1 for s in mine if s.admissible),
                allocated=allocated,
                unmet_demand=None if allocated is None else lot.demand - allocated,
            )
        )
    return tuple(rows)
