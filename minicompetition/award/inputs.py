"""The engine's input from the opened bids and the evaluators' scores, checked complete before a run."""

import uuid
from collections.abc import Mapping

from sqlmodel import Session

from minicompetition.award import rules as award_rules
from minicompetition.award.opened_bids import OpenedBids
from minicompetition.award.runs import suppliers_by_id
from minicompetition.engine import scoring
from minicompetition.engine.scoring import AllocationRules, Problem, Weights
from minicompetition.tender import rules
from minicompetition.tender.models import Lot
from procurement.core.errors import Conflict

LineKey = tuple[uuid.UUID, uuid.UUID]  # (bid id, lot id)


def build_problem(
    opened: OpenedBids, *, qualities: Mapping[LineKey, int | None], lot_codes: Mapping[uuid.UUID, str]
) -> Problem:
    """The engine's input: lots by code, lines with quality q, and the bids' supplier-wide capacities.

    Eligibility is opening's answer (standing as of the deadline instant): the evaluation never re-decides it.
    """
    lines = [
        scoring.BidLine(
            bid_id=str(x.bid_id),
            supplier_id=str(x.supplier_id),
            lot_id=lot_codes[x.lot_id],
            unit_price_cents=x.unit_price_cents,
            capacity=x.capacity,
            flow_through_bp=x.committed_flow_through_bp,
            quality=qualities.get((x.bid_id, x.lot_id)),
            received_at=x.received_at,
            eligible=x.eligible,
            ineligibility_reason=x.ineligibility_reason,
        )
        for x in opened.lines
    ]
    return Problem(
        lots=tuple(scoring.Lot(x.code, x.demand, x.max_unit_price_cents) for x in opened.lots),
        lines=tuple(lines),
        budget_cents=opened.budget_cents,
        weights=Weights(opened.price_bp, opened.quality_bp, opened.outcome_bp),
        rules=AllocationRules(opened.max_suppliers_per_lot, opened.max_share_bp, opened.min_allocation),
        supplier_capacities=tuple(
            scoring.SupplierCapacity(str(supplier_id), capacity)
            for supplier_id, capacity in opened.supplier_capacities
        ),
    )


class LinesUnscored(Conflict):
    """An admissible line lacks a quality score: the evaluation is not run (SPEC 4.3)."""

    title = "Quality scores missing"


def refuse_unscored(
    session: Session,
    opened: OpenedBids,
    qualities: Mapping[LineKey, int | None],
    scores: Mapping[LineKey, dict[str, int]],
    criteria: tuple[rules.QualityCriterion, ...],
    lots: Mapping[str, Lot],
) -> None:
    """Every admissible line must have its quality score before a run; name each one that lacks it."""
    by_id = {lot.id: lot for lot in lots.values()}
    missing = [
        x
        for x in opened.lines
        if qualities.get((x.bid_id, x.lot_id)) is None
        # A line over its lot's maximum price is inadmissible whatever its quality: it needs no score.
        and not (by_id[x.lot_id].max_unit_price_cents or x.unit_price_cents) < x.unit_price_cents
    ]
    if not missing:
        return
    suppliers = suppliers_by_id(session, {x.supplier_id for x in missing})
    rows = [
        {
            "bid_id": str(x.bid_id),
            "lot_id": str(x.lot_id),
            "lot": by_id[x.lot_id].code,
            "supplier_name": suppliers[str(x.supplier_id)].name,
            "missing": award_rules.missing_criteria(scores.get((x.bid_id, x.lot_id), {}), criteria),
        }
        for x in missing
    ]
    named = "; ".join(f"{r['supplier_name']} in lot {r['lot']}: {', '.join(r['missing'])}" for r in rows)
    lines = f"{len(rows)} admissible lines lack" if len(rows) > 1 else "1 admissible line lacks"
    raise LinesUnscored(
        f"{lines} quality scores — {named}. Enter every score before running the evaluation; nothing was "
        "stored.",
        lines=rows,
    )
