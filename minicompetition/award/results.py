"""Reading results: the whole table for the buying officers, each bidder's own lines, never another's."""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from minicompetition.award.models import AwardDecision, EvaluationRun
from minicompetition.award.runs import (
    award_of,
    latest_run,
    load_run,
    lots_by_code,
    own_bid,
    price_key,
    suppliers_by_id,
)
from minicompetition.award.schemas import (
    EvaluationRunOut,
    LineResultOut,
    LotResultOut,
    MyResultOut,
    ObjectiveOut,
    PriceToWinOut,
)
from minicompetition.engine.scoring import format_cents, format_score
from minicompetition.tender import access
from minicompetition.tender.models import Competition, Lot
from procurement.core.auth import Caller
from procurement.core.errors import NotFound

NO_BID = "You have no bid in this competition."


def objective_out(result: Mapping[str, Any]) -> ObjectiveOut | None:
    """The stored objective values of a run, if it has an allocation."""
    objective = result.get("objective")
    return None if objective is None else ObjectiveOut(**objective)


def price_out(run: EvaluationRun, entry: Mapping[str, Any], lot: Lot) -> PriceToWinOut:
    """A stored price-to-win entry, with a sentence the supplier can act on."""
    price, current = entry["price_cents"], entry["unit_price_cents"]
    if price is None:
        explanation = (
            f"This line would not have won participants in lot {lot.code} even at 0.01 € per participant, "
            "everything else unchanged."
        )
    else:
        explanation = (
            f"At {format_cents(price)} per participant or less (the bid was {format_cents(current)}), "
            f"everything else unchanged, this line would have won participants in lot {lot.code}."
        )
    return PriceToWinOut(
        run_id=run.id,
        bid_id=uuid.UUID(entry["bid_id"]),
        lot_id=lot.id,
        lot=lot.code,
        unit_price_cents=current,
        price_to_win_cents=price,
        computed_at=datetime.fromisoformat(entry["computed_at"]),
        explanation=explanation,
    )


def _awarded(
    run: EvaluationRun, award: AwardDecision | None
) -> tuple[dict[tuple[str, str], int], dict[str, str]] | None:
    """Volumes per (lot, bid) and override reasons per lot when the award chose this run, else None."""
    if award is None or award.evaluation_run_id != run.id:
        return None
    volumes = {(x["lot"], x["bid_id"]): int(x["volume"]) for x in award.allocation}
    return volumes, {x["lot"]: x["reason"] for x in award.overrides}


def line_outs(
    session: Session, run: EvaluationRun, competition: Competition, *, supplier_id: uuid.UUID | None
) -> list[LineResultOut]:
    """Result rows of a run: all of them (supplier_id None) or one supplier's only.

    A bidder sees its price to win only once the award decision on this run is issued (SPEC 4.3).
    """
    rows = [
        r for r in run.result.get("lines", []) if supplier_id is None or r["supplier_id"] == str(supplier_id)
    ]
    lots = lots_by_code(session, competition.id)
    inputs = {(x["lot_id"], x["bid_id"]): x for x in run.input.get("lines", [])}
    suppliers = suppliers_by_id(session, {r["supplier_id"] for r in rows})
    decided = _awarded(run, award_of(session, competition.id))
    volumes, reasons = decided or ({}, {})
    prices = run.price_to_win if supplier_id is None or decided is not None else {}
    out = []
    for r in rows:
        key = (r["lot_id"], r["bid_id"])
        given, supplier, lot = inputs[key], suppliers[r["supplier_id"]], lots[r["lot_id"]]
        price = prices.get(price_key(lot=lot.code, bid_id=r["bid_id"]))
        out.append(
            LineResultOut(
                bid_id=uuid.UUID(r["bid_id"]),
                supplier_id=supplier.id,
                supplier_name=supplier.name,
                business_id=supplier.business_id,
                lot_id=lot.id,
                lot=lot.code,
                unit_price_cents=given["unit_price_cents"],
                capacity=given["capacity"],
                committed_flow_through_bp=given["flow_through_bp"],
                quality=given["quality"],
                admissible=r["admissible"],
                price_score=r["price_score"],
                quality_score=r["quality_score"],
                outcome_score=r["outcome_score"],
                total_score=r["total_score"],
                total_points=None if r["total_score"] is None else format_score(r["total_score"]),
                rank=r["rank"],
                allocated=r["allocated"],
                awarded=None if decided is None else volumes.get(key, 0),
                override_reason=reasons.get(lot.code),
                reason_code=r["reason_code"],
                reason=r["reason"],
                price_to_win=None if price is None else price_out(run, price, lot),
                limit_code=r.get("limit_code"),
                limit=r.get("limit"),
            )
        )
    return out


def run_out(
    session: Session,
    run: EvaluationRun,
    competition: Competition,
    *,
    officer: bool,
    supplier_id: uuid.UUID | None = None,
) -> EvaluationRunOut:
    """A run as the caller may see it: officers everything, a supplier its own lines and no totals."""
    lots = lots_by_code(session, competition.id)
    result = run.result
    return EvaluationRunOut(
        id=run.id,
        competition_id=competition.id,
        seq=run.seq,
        created_at=run.created_at,
        status=run.status,
        message=str(result.get("message", "")),
        solver=run.solver_name,
        solver_version=run.solver_version,
        input_sha256=str(result.get("input_sha256", "")),
        wall_ms=run.wall_ms,
        objective=objective_out(result) if officer else None,
        budget_used_cents=result.get("budget_used_cents") if officer else None,
        lots=[
            LotResultOut(
                lot_id=lots[x["lot_id"]].id,
                lot=x["lot_id"],
                demand=x["demand"],
                admissible_lines=x["admissible_lines"],
                allocated=x["allocated"],
                unmet_demand=x["unmet_demand"],
                unmet_reason_code=x.get("unmet_reason_code"),
                unmet_reason=x.get("unmet_reason"),
            )
            for x in result.get("lots", [])
        ]
        if officer
        else [],
        lines=line_outs(session, run, competition, supplier_id=None if officer else supplier_id),
    )


def get_run(session: Session, *, caller: Caller, run_id: uuid.UUID) -> EvaluationRunOut:
    """A stored run: the whole table to the buying officers, a bidder's own lines to it, 404 otherwise."""
    run, competition, viewer = load_run(session, run_id, caller=caller)
    return run_out(session, run, competition, officer=viewer.officer, supplier_id=viewer.supplier_id)


def my_result(session: Session, *, caller: Caller, competition_id: uuid.UUID) -> MyResultOut:
    """The calling supplier's own result in the current run: the awarded run once decided, else the newest."""
    competition, _ = access.load(session, competition_id)
    supplier = access.supplier_of(session, caller)
    bid = own_bid(session, competition_id=competition.id, supplier_id=supplier.id)
    if bid is None or competition.state == "draft":
        raise NotFound(NO_BID)
    award = award_of(session, competition.id)
    run = (
        session.get(EvaluationRun, award.evaluation_run_id) if award else latest_run(session, competition.id)
    )
    if run is None:
        raise NotFound("The competition has not been evaluated yet; results appear after the first run.")
    return MyResultOut(
        competition_id=competition.id,
        run_id=run.id,
        run_seq=run.seq,
        run_status=run.status,
        run_created_at=run.created_at,
        award_issued=award is not None,
        bid_id=bid.id,
        bid_state=bid.state,
        ineligibility_reason=bid.ineligibility_reason,
        lines=line_outs(session, run, competition, supplier_id=supplier.id),
    )
