"""The award decision: an officer confirms or overrides an optimal run; the public reads it once issued."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from minicompetition.award import rules as award_rules
from minicompetition.award.models import AwardDecision, EvaluationRun
from minicompetition.award.price_to_win import store_all
from minicompetition.award.runs import award_of, line_results_of, lots_by_code, problem_of, suppliers_by_id
from minicompetition.award.schemas import AwardIn, AwardLotOut, AwardOut, WinnerOut
from minicompetition.engine.scoring import Key
from minicompetition.tender import access, rules
from minicompetition.tender.models import Competition, Lot
from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from procurement.core.settings import Settings
from registry import admissions


class AwardBlocked(Conflict):
    """A winner cannot be awarded now (its evidence has expired); nothing was decided."""

    title = "Winner cannot be awarded"


class NoWinner(Conflict):
    """The award would have no winner: a competition without one ends unsuccessful, never awarded."""

    title = "Award without a winner"


def _overrides(data: AwardIn, lots: dict[str, Lot]) -> list[award_rules.LotOverride]:
    by_id = {lot.id: lot for lot in lots.values()}
    out = []
    for i, item in enumerate(data.overrides):
        lot = by_id.get(item.lot_id)
        if lot is None:
            raise InvalidInput(
                f"Lot {item.lot_id} is not a lot of this competition.", field=f"overrides[{i}].lot_id"
            )
        placements = tuple(award_rules.Placement(str(p.bid_id), p.volume) for p in item.allocations)
        out.append(award_rules.LotOverride(lot=lot.code, reason=item.reason, placements=placements))
    return out


def _refuse_blocked(
    session: Session, competition: Competition, supplier_ids: set[str], now: datetime
) -> None:
    """An expired-evidence supplier cannot be awarded (SPEC 4.1): name every such winner."""
    suppliers = suppliers_by_id(session, supplier_ids)
    blocked = []
    for supplier_id in sorted(supplier_ids):
        problems = admissions.award_blockers(
            session, dps_id=competition.dps_id, supplier_id=uuid.UUID(supplier_id), on=helsinki_today(now)
        )
        if problems:
            blocked.append((suppliers[supplier_id], problems))
    if blocked:
        names = "; ".join(f"{s.name} ({s.business_id}): {', '.join(p)}" for s, p in blocked)
        raise AwardBlocked(
            f"The award cannot be issued: a winner's evidence is not in order — {names}. The supplier must "
            "renew its evidence, or override the lot to other suppliers with a reason.",
            suppliers=[
                {"supplier_id": str(s.id), "business_id": s.business_id, "name": s.name, "problems": p}
                for s, p in blocked
            ],
        )


def _allocation_rows(
    allocation: dict[Key, int], *, problem_lines: dict[Key, Any], lots: dict[str, Lot], overridden: set[str]
) -> list[dict[str, Any]]:
    return [
        {
            "lot_id": str(lots[lot].id),
            "lot": lot,
            "bid_id": bid,
            "supplier_id": problem_lines[(lot, bid)].supplier_id,
            "volume": volume,
            "unit_price_cents": problem_lines[(lot, bid)].unit_price_cents,
            "overridden": lot in overridden,
        }
        for (lot, bid), volume in sorted(allocation.items())
    ]


def issue(
    session: Session,
    *,
    caller: Caller,
    competition_id: uuid.UUID,
    data: AwardIn,
    now: datetime,
    settings: Settings,
) -> AwardOut:
    """Issue the award on an optimal run, with any lots overridden; the standstill starts now."""
    # The row lock makes two officers awarding at once take turns: the second sees 'awarded'.
    competition, db_now = access.load(session, competition_id, lock="update")
    access.require_buying_officer(caller, competition)
    current = rules.effective_state(
        state=competition.state, tender_deadline=competition.tender_deadline, now=db_now
    )
    if current in ("awarded", "concluded"):
        raise IllegalTransition(
            thing="competition",
            current=current,
            target="awarded",
            detail=f"The competition is '{current}'; its award decision was already issued.",
        )
    rules.COMPETITION_MACHINE.check(current, "awarded")
    run = _optimal_run(session, competition.id, data.evaluation_run_id)
    decision = _decision(session, competition, run, data=data, by=caller.id, now=now, settings=settings)
    session.add(decision)
    try:
        session.flush()
    except IntegrityError as exc:  # the unique constraint backs the lock: one award per competition
        raise Conflict("Another award decision was issued for this competition at the same moment.") from exc
    competition.state, competition.updated_at = "awarded", now
    session.add(competition)
    session.flush()
    # Every losing line's price to win, computed once now: bidders read it from here on, never recompute it.
    store_all(session, run=run, actor=caller.label, now=now, settings=settings)
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="competition.awarded",
        at=now,
        before={"state": "evaluated"},
        after={
            "state": "awarded",
            "award": decision.id,
            "run": run.id,
            "allocation": decision.allocation,
            "overrides": decision.overrides,
            "standstill_ends_at": decision.standstill_ends_at,
        },
    )
    outbox.emit(session, "competition.awarded", subject=("competition", competition.id), at=now)
    return award_out(session, competition, decision, now=now)


def _optimal_run(session: Session, competition_id: uuid.UUID, run_id: uuid.UUID) -> EvaluationRun:
    """The chosen run of this competition, refused unless solved to proven optimality."""
    run = session.get(EvaluationRun, run_id)
    if run is None or run.competition_id != competition_id:
        raise InvalidInput("No evaluation run of this competition has that id.", field="evaluation_run_id")
    if run.status != "optimal":
        raise Conflict(
            f"Evaluation run #{run.seq} is '{run.status}' ({run.result.get('message', '')}); an award "
            "needs a run solved to proven optimality. Run the evaluation again.",
            current_state=run.status,
        )
    return run


def _decision(
    session: Session,
    competition: Competition,
    run: EvaluationRun,
    *,
    data: AwardIn,
    by: uuid.UUID,
    now: datetime,
    settings: Settings,
) -> AwardDecision:
    """The award decision: the run's allocation with the officer's overrides and their reasons."""
    lots = lots_by_code(session, competition.id)
    problem = problem_of(run)
    lines = line_results_of(run)
    overrides = _overrides(data, lots)
    allocation = award_rules.merged_allocation(problem=problem, lines=lines, overrides=overrides)
    if not any(allocation.values()):
        raise NoWinner(
            "The allocation leaves no winner in any lot, and an award decision always has one (SPEC 4.2). "
            "To end the competition without a winner, declare it unsuccessful with the reason: "
            f"POST /competitions/{competition.id}/unsuccessful. Nothing was decided.",
        )
    problem_lines = {ln.key: ln for ln in problem.lines}
    _refuse_blocked(session, competition, {problem_lines[key].supplier_id for key in allocation}, now)
    engine = {(x.lot_id, x.bid_id): x.allocated for x in lines if x.allocated}
    return AwardDecision(
        competition_id=competition.id,
        evaluation_run_id=run.id,
        issued_by=by,
        issued_at=now,
        standstill_ends_at=award_rules.standstill_end(now, days=settings.standstill_days),
        appeal_instructions=data.appeal_instructions or award_rules.DEFAULT_APPEAL_INSTRUCTIONS,
        allocation=_allocation_rows(
            allocation, problem_lines=problem_lines, lots=lots, overridden={o.lot for o in overrides}
        ),
        overrides=[
            {
                "lot_id": str(lots[o.lot].id),
                "lot": o.lot,
                "reason": o.reason,
                "engine": [{"bid_id": k[1], "volume": v} for k, v in sorted(engine.items()) if k[0] == o.lot],
                "allocation": [{"bid_id": p.bid_id, "volume": p.volume} for p in o.placements],
            }
            for o in overrides
        ],
    )


def award_out(
    session: Session, competition: Competition, decision: AwardDecision, *, now: datetime
) -> AwardOut:
    """The award decision as published."""
    lots = lots_by_code(session, competition.id)
    run = session.get(EvaluationRun, decision.evaluation_run_id)
    assert run is not None  # noqa: S101 (foreign key)
    suppliers = suppliers_by_id(session, {x["supplier_id"] for x in decision.allocation})
    reasons = {x["lot"]: x["reason"] for x in decision.overrides}
    lot_outs = []
    for code, lot in lots.items():
        winners = [
            WinnerOut(
                supplier_id=uuid.UUID(x["supplier_id"]),
                business_id=suppliers[x["supplier_id"]].business_id,
                supplier_name=suppliers[x["supplier_id"]].name,
                bid_id=uuid.UUID(x["bid_id"]),
                volume=x["volume"],
                unit_price_cents=x["unit_price_cents"],
                value_cents=x["volume"] * x["unit_price_cents"],
            )
            for x in decision.allocation
            if x["lot"] == code
        ]
        lot_outs.append(
            AwardLotOut(
                lot_id=lot.id,
                lot=code,
                municipality_codes=list(lot.municipality_codes),
                target_group=lot.target_group,
                demand=lot.demand,
                awarded=sum(w.volume for w in winners),
                overridden=code in reasons,
                override_reason=reasons.get(code),
                winners=winners,
            )
        )
    return AwardOut(
        id=decision.id,
        competition_id=competition.id,
        competition_title=competition.title,
        evaluation_run_id=decision.evaluation_run_id,
        evaluation_run_seq=run.seq,
        issued_at=decision.issued_at,
        standstill_ends_at=decision.standstill_ends_at,
        standstill_ends_local=rules.helsinki_text(decision.standstill_ends_at),
        status=award_rules.award_status(
            now=now, standstill_ends_at=decision.standstill_ends_at, competition_state=competition.state
        ),
        appeal_instructions=decision.appeal_instructions,
        total_value_cents=sum(w.value_cents for x in lot_outs for w in x.winners),
        lots=lot_outs,
    )


def get_award(
    session: Session, *, caller: Caller | None, competition_id: uuid.UUID, now: datetime
) -> AwardOut:
    """The award decision is public once issued; before that there is nothing to show."""
    competition, _ = access.load(session, competition_id)
    access.visible(caller, competition)
    decision = award_of(session, competition.id)
    if decision is None:
        raise NotFound(f"The competition is '{competition.state}'; no award decision has been issued.")
    return award_out(session, competition, decision, now=now)
