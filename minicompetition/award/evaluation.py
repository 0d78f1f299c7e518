"""Evaluation: evaluators' quality scores of opened lines, and engine runs stored immutably."""

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from minicompetition.award import rules as award_rules
from minicompetition.award.inputs import LineKey, build_problem, refuse_unscored
from minicompetition.award.models import EvaluationRun, QualityScore
from minicompetition.award.opened_bids import OpenedBids, opened_bid_lines
from minicompetition.award.results import objective_out, run_out
from minicompetition.award.runs import award_of, lots_by_code, suppliers_by_id
from minicompetition.award.schemas import (
    EvaluationRunOut,
    EvaluationRunSummary,
    LineQualityOut,
    QualityScoresIn,
    QualityTableOut,
)
from minicompetition.engine.scoring import (
    EngineError,
    EngineInputError,
    EngineResult,
    Problem,
    Status,
)
from minicompetition.engine.solve import solve
from minicompetition.tender import access, rules
from minicompetition.tender.models import Bid, BidLine, Competition, Lot
from minicompetition.tender.schemas import QualityCriterionIn
from minicompetition.tender.unsuccessful import end_unsuccessful
from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import Conflict, IllegalTransition, InvalidInput
from procurement.core.settings import Settings

# A quality sub-criterion with this code is scored from the register's track record, not by evaluators.
TRACK_RECORD = "TRACK_RECORD"
# (session, *, dps_id, category_code, supplier_ids, cutoff) -> {supplier id: 0–100}; outcomes provides it,
# wired in by the app factory, because the evaluation may not import the outcomes domain.
TrackRecordSource = Callable[..., dict[uuid.UUID, int]]
SCORABLE = frozenset({"opened", "evaluated"})


class AllocationInfeasible(Conflict):
    """The competition's allocation rules cannot be met by any allocation; nothing was stored.

    A conflict (409), not invalid input: the request has no body; the stored terms and bids refuse it.
    """

    title = "Allocation rules cannot be met"


def criteria_of(competition: Competition) -> tuple[rules.QualityCriterion, ...]:
    """The announced quality sub-criteria."""
    return tuple(rules.QualityCriterion(**c) for c in competition.quality_criteria)


def _require_scorable(competition: Competition, db_now: datetime) -> None:
    current = rules.effective_state(
        state=competition.state, tender_deadline=competition.tender_deadline, now=db_now
    )
    if current not in SCORABLE:
        raise IllegalTransition(
            thing="competition",
            current=current,
            target="evaluated",
            detail=f"The competition is '{current}'; quality scores are entered only after the bids are "
            "opened and before the award.",
        )


def _opened_lines(session: Session, competition_id: uuid.UUID) -> list[tuple[BidLine, Bid, Lot]]:
    return list(
        session.exec(
            select(BidLine, Bid, Lot)
            .join(Bid, col(Bid.id) == BidLine.bid_id)
            .join(Lot, col(Lot.id) == BidLine.lot_id)
            .where(Bid.competition_id == competition_id, Bid.state == "eligible")
            .order_by(col(Lot.position), col(BidLine.bid_id))
        ).all()
    )


def _scores(session: Session, competition_id: uuid.UUID) -> dict[LineKey, dict[str, int]]:
    rows = session.exec(
        select(QualityScore)
        .join(Lot, col(Lot.id) == QualityScore.lot_id)
        .where(Lot.competition_id == competition_id)
    )
    out: dict[LineKey, dict[str, int]] = defaultdict(dict)
    for row in rows:
        out[(row.bid_id, row.lot_id)][row.criterion] = row.score
    return out


def enter_scores(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, data: QualityScoresIn, now: datetime
) -> QualityTableOut:
    """Officers of the buying authority enter or replace quality scores of opened lines."""
    # A share lock lets evaluators score side by side but never past an evaluation or award in progress.
    competition, db_now = access.load(session, competition_id, lock="share")
    access.require_buying_officer(caller, competition)
    _require_scorable(competition, db_now)
    codes = {c.code for c in criteria_of(competition)}
    lines = {(line.bid_id, line.lot_id) for line, _, _ in _opened_lines(session, competition.id)}
    before = _scores(session, competition.id)
    seen: set[tuple[uuid.UUID, uuid.UUID, str]] = set()
    for i, item in enumerate(data.scores):
        if item.criterion not in codes:
            raise InvalidInput(
                f"No quality sub-criterion '{item.criterion}' is announced; score "
                f"{', '.join(sorted(codes)) or 'none (quality has no weight)'}.",
                field=f"scores[{i}].criterion",
            )
        if (item.bid_id, item.lot_id) not in lines:
            raise InvalidInput(
                f"Bid {item.bid_id} has no opened, eligible line in lot {item.lot_id}.", field=f"scores[{i}]"
            )
        if (item.bid_id, item.lot_id, item.criterion) in seen:
            raise InvalidInput("The same line and sub-criterion is scored twice.", field=f"scores[{i}]")
        seen.add((item.bid_id, item.lot_id, item.criterion))
    changes = []
    # Rows are written in key order, so two evaluators saving overlapping scores cannot deadlock.
    for item in sorted(data.scores, key=lambda x: (str(x.bid_id), str(x.lot_id), x.criterion)):
        changes.append(
            {
                "bid": item.bid_id,
                "lot": item.lot_id,
                "criterion": item.criterion,
                "score": item.score,
                "previous": before.get((item.bid_id, item.lot_id), {}).get(item.criterion),
            }
        )
        statement = insert(QualityScore).values(
            bid_id=item.bid_id,
            lot_id=item.lot_id,
            criterion=item.criterion,
            score=item.score,
            entered_by=caller.id,
            entered_at=now,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["bid_id", "lot_id", "criterion"],
                set_={"score": item.score, "entered_by": caller.id, "entered_at": now},
            )
        )
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="quality.scored",
        at=now,
        after={"scores": changes},
    )
    return _quality_table(session, competition)


def quality_table(session: Session, *, caller: Caller, competition_id: uuid.UUID) -> QualityTableOut:
    """Every opened line with its scores and quality, for the buying authority's officers."""
    competition, db_now = access.load(session, competition_id)
    access.require_buying_officer(caller, competition)
    if competition.opened_at is None:
        _require_scorable(competition, db_now)
    return _quality_table(session, competition)


def _quality_table(session: Session, competition: Competition) -> QualityTableOut:
    session.flush()
    criteria = criteria_of(competition)
    scores = _scores(session, competition.id)
    rows = _opened_lines(session, competition.id)
    suppliers = suppliers_by_id(session, {bid.supplier_id for _, bid, _ in rows})
    lines = []
    for line, bid, lot in rows:
        mine = scores.get((line.bid_id, line.lot_id), {})
        lines.append(
            LineQualityOut(
                bid_id=bid.id,
                supplier_id=bid.supplier_id,
                supplier_name=suppliers[str(bid.supplier_id)].name,
                lot_id=lot.id,
                lot=lot.code,
                scores=dict(sorted(mine.items())),
                missing=award_rules.missing_criteria(mine, criteria),
                quality=award_rules.line_quality(mine, criteria),
            )
        )
    return QualityTableOut(
        competition_id=competition.id,
        criteria=[QualityCriterionIn(code=c.code, name=c.name, weight_bp=c.weight_bp) for c in criteria],
        lines=lines,
    )


def _with_track_record(
    session: Session,
    competition: Competition,
    opened: OpenedBids,
    scores: dict[LineKey, dict[str, int]],
    track_record: TrackRecordSource,
    now: datetime,
) -> dict[LineKey, dict[str, int]]:
    """Fill the track-record sub-criterion of every line from the supplier's flow-through record."""
    record = track_record(
        session,
        dps_id=competition.dps_id,
        category_code=competition.category_code,
        supplier_ids=sorted({x.supplier_id for x in opened.lines}),
        cutoff=helsinki_today(now),
    )
    merged = {key: dict(values) for key, values in scores.items()}
    for x in opened.lines:
        if x.supplier_id in record:
            merged.setdefault((x.bid_id, x.lot_id), {})[TRACK_RECORD] = record[x.supplier_id]
    return merged


def run_evaluation(
    session: Session,
    *,
    caller: Caller,
    competition_id: uuid.UUID,
    now: datetime,
    settings: Settings,
    track_record: TrackRecordSource | None = None,
) -> EvaluationRunOut:
    """Score and allocate the opened bids with the engine; store the run with its full input."""
    competition, db_now = access.load(session, competition_id, lock="update")
    access.require_buying_officer(caller, competition)
    current = rules.effective_state(
        state=competition.state, tender_deadline=competition.tender_deadline, now=db_now
    )
    rules.COMPETITION_MACHINE.check(current, "evaluated")
    problem, result = _solve(
        session,
        competition,
        actor=caller.label,
        now=now,
        settings=settings,
        track_record=track_record,
        current=current,
    )
    run = _stored_run(session, competition.id, problem=problem, result=result, by=caller.id, now=now)
    session.add(run)
    competition.state, competition.updated_at = "evaluated", now
    session.add(competition)
    session.flush()
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="competition.evaluated",
        at=now,
        before={"state": current},
        after={
            "state": "evaluated",
            "run": run.id,
            "seq": run.seq,
            "status": run.status,
            "solver": f"{run.solver_name} {run.solver_version}",
            "input_sha256": result.input_sha256,
            "objective": run.objective,
        },
    )
    why = award_rules.no_winner_reason(result)
    if why is not None:
        end_unsuccessful(session, competition, current="evaluated", reason=why, actor=caller.label, now=now)
    return run_out(session, run, competition, officer=True)


def _solve(
    session: Session,
    competition: Competition,
    *,
    actor: str,
    now: datetime,
    settings: Settings,
    track_record: TrackRecordSource | None,
    current: str,
) -> tuple[Problem, EngineResult]:
    """The engine's input from the opened bids and the scores, and its optimal result."""
    opened = opened_bid_lines(session, competition_id=competition.id, actor=actor, now=now)
    criteria = criteria_of(competition)
    scores = _scores(session, competition.id)
    if track_record is not None and any(c.code == TRACK_RECORD for c in criteria):
        scores = _with_track_record(session, competition, opened, scores, track_record, now)
    qualities = {
        (x.bid_id, x.lot_id): award_rules.line_quality(scores.get((x.bid_id, x.lot_id), {}), criteria)
        for x in opened.lines
    }
    lots = lots_by_code(session, competition.id)
    refuse_unscored(session, opened, qualities, scores, criteria, lots)
    try:
        problem = build_problem(
            opened, qualities=qualities, lot_codes={lot.id: code for code, lot in lots.items()}
        )
        result = solve(problem, solver=settings.solver, time_limit_s=settings.solver_time_limit_s)
    except EngineInputError as exc:
        raise Conflict(f"The evaluation input cannot be solved: {exc}. Nothing was stored.") from exc
    except EngineError as exc:
        raise Conflict(f"The solver failed: {exc}. Nothing was stored; run the evaluation again.") from exc
    if result.status == Status.INFEASIBLE:
        raise AllocationInfeasible(
            f"No allocation can meet the competition's allocation rules: {result.message}. Nothing was "
            f"stored; the competition stays '{current}'.",
            constraint=result.message,
        )
    return problem, result


def _stored_run(
    session: Session,
    competition_id: uuid.UUID,
    *,
    problem: Problem,
    result: EngineResult,
    by: uuid.UUID,
    now: datetime,
) -> EvaluationRun:
    """The run as stored: immutable, with its full input, solver, status and result."""
    seq = session.exec(
        select(func.coalesce(func.max(EvaluationRun.seq), 0)).where(
            EvaluationRun.competition_id == competition_id
        )
    ).one()
    objective = result.objective
    run = EvaluationRun(
        competition_id=competition_id,
        seq=int(seq) + 1,
        created_by=by,
        created_at=now,
        solver_name=result.solver,
        solver_version=result.solver_version[:40],
        status=result.status.value,
        objective=None
        if objective is None
        else (
            f"served={objective.participants_served} score={objective.score_total} "
            f"tie={objective.tie_break_total}"
        ),
        input=problem.to_dict(),
        result=result.to_dict(timings=True),
        wall_ms=round(result.wall_time_s * 1000),
    )
    return run


def list_runs(session: Session, *, caller: Caller, competition_id: uuid.UUID) -> list[EvaluationRunSummary]:
    """The competition's stored runs, oldest first, for the buying authority's officers."""
    competition, _ = access.load(session, competition_id)
    access.require_buying_officer(caller, competition)
    award = award_of(session, competition.id)
    rows = session.exec(
        select(EvaluationRun)
        .where(EvaluationRun.competition_id == competition.id)
        .order_by(col(EvaluationRun.seq))
    )
    return [
        EvaluationRunSummary(
            id=r.id,
            seq=r.seq,
            created_at=r.created_at,
            status=r.status,
            message=str(r.result.get("message", "")),
            solver=r.solver_name,
            solver_version=r.solver_version,
            input_sha256=str(r.result.get("input_sha256", "")),
            wall_ms=r.wall_ms,
            objective=objective_out(r.result),
            awarded=award is not None and award.evaluation_run_id == r.id,
        )
        for r in rows
    ]
