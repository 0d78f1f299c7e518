"""Explanations of an allocation: per line the binding reason and a sentence a supplier can act on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from minicompetition.engine.scoring import Key, ScoredLine, format_cents, share_cap
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


@dataclass
class _Usage:
    """What an allocation uses: per lot, per supplier and of the budget."""

    lot_total: dict[str, int]
    selected: dict[str, list[ScoredLine]]
    used: dict[str, int]
    used_in: dict[str, list[str]]
    spent: int


def _usage(scored: tuple[ScoredLine, ...], allocation: Mapping[Key, int]) -> _Usage:
    usage = _Usage(defaultdict(int), defaultdict(list), defaultdict(int), defaultdict(list), 0)
    for s in scored:
        x = allocation.get(s.key, 0)
        if x > 0:
            usage.lot_total[s.line.lot_id] += x
            usage.selected[s.line.lot_id].append(s)
            usage.used[s.line.supplier_id] += x
            usage.used_in[s.line.supplier_id].append(s.line.lot_id)
            usage.spent += _req(s.line.unit_price_cents) * x
    return usage


def explain_unallocated(
    problem: Problem, scored: tuple[ScoredLine, ...], allocation: Mapping[Key, int]
) -> dict[Key, tuple[ReasonCode, str]]:
    """For every admissible line without participants, the binding reason and a sentence for the supplier."""
    usage = _usage(scored, allocation)
    return {
        s.key: _why_not_selected(problem, s, usage)
        for s in scored
        if s.admissible and allocation.get(s.key, 0) == 0
    }


def _why_not_selected(problem: Problem, s: ScoredLine, usage: _Usage) -> tuple[ReasonCode, str]:
    rules = problem.rules
    m = rules.min_allocation
    lot = next(x for x in problem.lots if x.lot_id == s.line.lot_id)
    caps = {c.supplier_id: c.capacity for c in problem.supplier_capacities}
    ln = s.line
    rank = f"rank {s.rank} of {s.lot_size} in lot {lot.lot_id}"
    capacity, price = _req(ln.capacity), _req(ln.unit_price_cents)
    remaining_demand = lot.demand - usage.lot_total[lot.lot_id]
    outranked = all(_req(o.rank) < _req(s.rank) for o in usage.selected[lot.lot_id])
    limit_reached = len(usage.selected[lot.lot_id]) >= rules.max_suppliers_per_lot
    supplier_left = caps[ln.supplier_id] - usage.used[ln.supplier_id] if ln.supplier_id in caps else None
    limit = _plural(rules.max_suppliers_per_lot, "supplier")
    if capacity < m:
        return (
            ReasonCode.CAPACITY,
            f"capacity: the line's capacity {capacity} is below the minimum allocation {m}",
        )
    if supplier_left is not None and supplier_left < m:
        cap, taken, who = caps[ln.supplier_id], usage.used[ln.supplier_id], ln.supplier_id
        where = _plural_lots(usage.used_in[who])
        sentence = (
            f"{taken} of supplier {who}'s {cap} participants are allocated in {where}; "
            f"the {supplier_left} left are fewer than the minimum allocation {m}"
            if taken
            else f"supplier {who}'s capacity {cap} is below the minimum allocation {m}"
        )
        return ReasonCode.SUPPLIER_CAPACITY, f"supplier-wide capacity: {sentence}"
    if outranked and limit_reached:
        return ReasonCode.OUTSCORED, f"outscored: {rank}, the lot's limit of {limit} was reached"
    if outranked and remaining_demand < m:
        return ReasonCode.DEMAND_MET, (
            "lot demand already met by higher-ranked lines: " + _left(lot, remaining_demand, m)
        )
    left = problem.budget_cents - usage.spent
    if left < price * m:
        return ReasonCode.BUDGET, (
            f"budget exhausted: {format_cents(left)} of the budget remains, less than the minimum "
            f"allocation {m} × {format_cents(price)} = {format_cents(price * m)} ({rank})"
        )
    if limit_reached:
        return ReasonCode.SUPPLIER_LIMIT, (
            f"not selected: the lot's limit of {limit} was reached by lines that together serve more "
            f"participants or score higher across the competition ({rank})"
        )
    if remaining_demand < m:
        return ReasonCode.DEMAND_MET, f"lot demand already met by other lines ({rank}): " + _left(
            lot, remaining_demand, m
        )
    # Unreachable for a proven-optimal allocation: this line could take m more participants.
    return ReasonCode.NOT_SELECTED, f"not selected in the allocation ({rank})"


def explain_limits(
    problem: Problem, scored: tuple[ScoredLine, ...], allocation: Mapping[Key, int]
) -> dict[Key, tuple[ReasonCode, str]]:
    """For every line allocated fewer participants than it offered, the constraint that held it back."""
    usage = _usage(scored, allocation)
    out = {}
    for s in scored:
        x = allocation.get(s.key, 0)
        if s.admissible and 0 < x < _req(s.line.capacity):
            code, why = _why_no_more(problem, s, x, usage)
            out[s.key] = (code, f"{x} of the {s.line.capacity} participants offered: {why}")
    return out


def _why_no_more(problem: Problem, s: ScoredLine, x: int, usage: _Usage) -> tuple[ReasonCode, str]:
    """Why an allocated line cannot take one participant more (one of these holds for a proven optimum)."""
    ln = s.line
    lot = next(x for x in problem.lots if x.lot_id == ln.lot_id)
    caps = {c.supplier_id: c.capacity for c in problem.supplier_capacities}
    cap = share_cap(demand=lot.demand, max_share_bp=problem.rules.max_share_bp)
    price = _req(ln.unit_price_cents)
    if x >= cap and cap < lot.demand:
        return ReasonCode.SHARE_CAP, (
            f"share cap: one supplier gets at most {cap} of lot {lot.lot_id}'s {lot.demand} participants "
            f"({_format_bp(problem.rules.max_share_bp)})"
        )
    if x >= lot.demand:
        return (
            ReasonCode.DEMAND_MET,
            f"lot demand: the line takes all {lot.demand} participants of lot {lot.lot_id}",
        )
    if ln.supplier_id in caps and usage.used[ln.supplier_id] >= caps[ln.supplier_id]:
        who = ln.supplier_id
        return ReasonCode.SUPPLIER_CAPACITY, (
            f"supplier-wide capacity: all {caps[who]} participants supplier {who} offered across lots are "
            f"allocated in {_plural_lots(usage.used_in[who])}"
        )
    if usage.lot_total[lot.lot_id] >= lot.demand:
        return ReasonCode.DEMAND_MET, (
            f"lot demand met: all {lot.demand} participants of lot {lot.lot_id} are allocated "
            f"(rank {s.rank} of {s.lot_size})"
        )
    left = problem.budget_cents - usage.spent
    if left < price:
        return ReasonCode.BUDGET, (
            f"budget exhausted: {format_cents(left)} of the budget remains, less than one more participant "
            f"at {format_cents(price)}"
        )
    return ReasonCode.NOT_SELECTED, "held back by the allocation of other lines"


# Which constraint is named first when several leave a lot short.
_UNMET_ORDER = (
    ReasonCode.BUDGET,
    ReasonCode.SUPPLIER_LIMIT,
    ReasonCode.SHARE_CAP,
    ReasonCode.SUPPLIER_CAPACITY,
    ReasonCode.CAPACITY,
    ReasonCode.MIN_ALLOCATION,
    ReasonCode.NOT_SELECTED,
)


def explain_unmet(
    problem: Problem, scored: tuple[ScoredLine, ...], allocation: Mapping[Key, int]
) -> dict[str, tuple[ReasonCode, str]]:
    """For every lot left with unmet demand, the constraints that left it so, the first one as its code."""
    usage = _usage(scored, allocation)
    rules = problem.rules
    out = {}
    for lot in sorted(problem.lots, key=lambda lot: lot.lot_id):
        unmet = lot.demand - usage.lot_total[lot.lot_id]
        if unmet <= 0:
            continue
        head = f"{unmet} of lot {lot.lot_id}'s {lot.demand} participants are unmet: "
        mine = [s for s in scored if s.admissible and s.line.lot_id == lot.lot_id]
        if not mine:
            out[lot.lot_id] = (ReasonCode.NO_ADMISSIBLE_LINE, head + "no admissible line was offered")
            continue
        codes = {_lot_blocker(problem, s, allocation.get(s.key, 0), usage) for s in mine}
        left = problem.budget_cents - usage.spent
        limit = _plural(rules.max_suppliers_per_lot, "supplier")
        words = {
            ReasonCode.BUDGET: f"the budget is exhausted ({format_cents(left)} left)",
            ReasonCode.SUPPLIER_LIMIT: f"the lot's limit of {limit} is reached",
            ReasonCode.SHARE_CAP: f"the share cap of "
            f"{share_cap(demand=lot.demand, max_share_bp=rules.max_share_bp)} participants per supplier",
            ReasonCode.SUPPLIER_CAPACITY: "suppliers' capacity across lots is used up",
            ReasonCode.CAPACITY: "the lines' capacity is used up",
            ReasonCode.MIN_ALLOCATION: f"the {unmet} left are fewer than the minimum allocation "
            f"{rules.min_allocation}",
            ReasonCode.NOT_SELECTED: "the allocation of other lines",
        }
        named = [code for code in _UNMET_ORDER if code in codes]
        out[lot.lot_id] = (named[0], head + "; ".join(words[code] for code in named))
    return out


def _lot_blocker(problem: Problem, s: ScoredLine, x: int, usage: _Usage) -> ReasonCode:
    """Why one line of an unmet lot takes no more: its own bound, or what keeps it out."""
    if x > 0:
        return ReasonCode.CAPACITY if x >= _req(s.line.capacity) else _why_no_more(problem, s, x, usage)[0]
    code, _ = _why_not_selected(problem, s, usage)
    return {
        ReasonCode.OUTSCORED: ReasonCode.SUPPLIER_LIMIT,
        ReasonCode.DEMAND_MET: ReasonCode.MIN_ALLOCATION,
    }.get(code, code)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _plural_lots(lot_ids: list[str]) -> str:
    return ("lot " if len(lot_ids) == 1 else "lots ") + ", ".join(lot_ids)


def _format_bp(bp: int) -> str:
    return f"{bp // 100}.{bp % 100:02d} %"


def _left(lot: Lot, remaining: int, m: int) -> str:
    if remaining == 0:
        return f"all {lot.demand} participants of lot {lot.lot_id} are allocated"
    left = f"{remaining} of lot {lot.lot_id}'s {lot.demand} participants remain"
    return f"{left}, below the minimum allocation {m}"


def line_results(
    scored: tuple[ScoredLine, ...],
    allocation: Mapping[Key, int] | None,
    reasons: Mapping[Key, tuple[ReasonCode, str]],
    limits: Mapping[Key, tuple[ReasonCode, str]] | None = None,
) -> tuple[LineResult, ...]:
    """Result rows per line; `allocation` None means the run produced no allocation."""
    rows = []
    for s in scored:
        code, reason = (s.reason_code, s.reason) if not s.admissible else reasons.get(s.key, (None, None))
        limit_code, limit = (limits or {}).get(s.key, (None, None))
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
                limit_code=limit_code,
                limit=limit,
            )
        )
    return tuple(rows)


def lot_results(
    problem: Problem,
    scored: tuple[ScoredLine, ...],
    allocation: Mapping[Key, int] | None,
    unmet: Mapping[str, tuple[ReasonCode, str]] | None = None,
) -> tuple[LotResult, ...]:
    """Per lot: demand, admissible lines, allocated participants, unmet demand and why it is unmet."""
    by_lot: dict[str, list[ScoredLine]] = defaultdict(list)
    for s in scored:
        by_lot[s.line.lot_id].append(s)
    rows = []
    for lot in sorted(problem.lots, key=lambda lot: lot.lot_id):
        mine = by_lot[lot.lot_id]
        allocated = None if allocation is None else sum(allocation.get(s.key, 0) for s in mine)
        unmet_code, unmet_reason = (unmet or {}).get(lot.lot_id, (None, None))
        rows.append(
            LotResult(
                lot_id=lot.lot_id,
                demand=lot.demand,
                admissible_lines=sum(1 for s in mine if s.admissible),
                allocated=allocated,
                unmet_demand=None if allocated is None else lot.demand - allocated,
                unmet_reason_code=unmet_code,
                unmet_reason=unmet_reason,
            )
        )
    return tuple(rows)
