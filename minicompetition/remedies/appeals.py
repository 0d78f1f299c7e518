"""Market Court appeals as the authority records them; with rectification requests they gate the contracts."""

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from minicompetition.award import contracts
from minicompetition.award.runs import award_of
from minicompetition.award.schemas import ContractOut
from minicompetition.remedies import rules
from minicompetition.remedies.access import load_decision, reader_of
from minicompetition.remedies.models import MarketCourtAppeal
from minicompetition.remedies.reads import appeal_out, pending
from minicompetition.remedies.schemas import AppealIn, AppealOut, AppealResolutionIn
from minicompetition.tender import access
from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import Conflict, Forbidden, InvalidInput, NotFound

APPEAL_NOT_FOUND = "No Market Court appeal has that id."


class ContractsBlocked(Conflict):
    """A rectification request is undecided or a Market Court appeal is pending: no contract yet."""

    title = "Contracts blocked"


def record(
    session: Session, *, caller: Caller, award_id: uuid.UUID, data: AppealIn, now: datetime
) -> AppealOut:
    """The buying officer records an appeal filed with the Market Court; it blocks the contracts."""
    decision, competition, reader = load_decision(session, caller, award_id, lock=True)
    if not reader.officer:
        raise Forbidden("Only officers of the buying authority record Market Court appeals.")
    if data.filed_on > helsinki_today(now):
        raise InvalidInput("An appeal's filing day cannot be in the future.", field="filed_on")
    appeal = MarketCourtAppeal(
        competition_id=competition.id,
        award_id=decision.id,
        filed_on=data.filed_on,
        case_number=data.case_number,
        recorded_by=caller.id,
        recorded_at=now,
    )
    session.add(appeal)
    session.flush()
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="appeal.recorded",
        at=now,
        after={
            "appeal": appeal.id,
            "award": decision.id,
            "filed_on": data.filed_on,
            "case": data.case_number,
        },
    )
    return appeal_out(appeal)


def resolve(
    session: Session, *, caller: Caller, appeal_id: uuid.UUID, data: AppealResolutionIn, now: datetime
) -> AppealOut:
    """The officer records the court's decision, or its lifting of the ban on contracts."""
    appeal = session.get(MarketCourtAppeal, appeal_id)
    if appeal is None:
        raise NotFound(APPEAL_NOT_FOUND)
    _, competition, reader = load_decision(session, caller, appeal.award_id, lock=True)
    if not reader.officer:
        raise NotFound(APPEAL_NOT_FOUND)
    session.refresh(appeal, with_for_update=True)
    rules.APPEAL_MACHINE.check(appeal.state, data.outcome)
    appeal.state, appeal.resolved_by, appeal.resolved_at = data.outcome, caller.id, now
    appeal.resolution = data.resolution
    session.add(appeal)
    session.flush()
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action=f"appeal.{data.outcome}",
        at=now,
        before={"state": "pending"},
        after={"appeal": appeal.id, "state": data.outcome, "resolution": data.resolution},
    )
    return appeal_out(appeal)


def get_appeal(session: Session, *, caller: Caller, appeal_id: uuid.UUID) -> AppealOut:
    """One recorded appeal, to the buying officers and the bidders (404 otherwise)."""
    appeal = session.get(MarketCourtAppeal, appeal_id)
    if appeal is None:
        raise NotFound(APPEAL_NOT_FOUND)
    competition, _ = access.load(session, appeal.competition_id)
    reader_of(session, caller, competition, missing=APPEAL_NOT_FOUND)
    return appeal_out(appeal)


def list_appeals(session: Session, *, caller: Caller, competition_id: uuid.UUID) -> list[AppealOut]:
    """A competition's recorded appeals, to the buying officers and the bidders."""
    competition, _ = access.load(session, competition_id)
    reader_of(session, caller, competition, missing=access.NOT_FOUND)
    rows = session.exec(
        select(MarketCourtAppeal)
        .where(MarketCourtAppeal.competition_id == competition.id)
        .order_by(col(MarketCourtAppeal.recorded_at), col(MarketCourtAppeal.id))
    ).all()
    return [appeal_out(a) for a in rows]


def conclude(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, now: datetime
) -> list[ContractOut]:
    """Conclude the contracts, refused while a rectification request is undecided or an appeal pending."""
    competition, _ = access.load(session, competition_id, lock="update")
    access.require_buying_officer(caller, competition)
    decision = award_of(session, competition.id)
    if decision is not None and competition.state == "awarded":
        requests, appeals = pending(session, decision.id)
        if requests or appeals:
            what = [f"rectification request {r.id} (filed {r.filed_at.date().isoformat()})" for r in requests]
            what += [f"Market Court appeal {a.case_number} (filed {a.filed_on.isoformat()})" for a in appeals]
            raise ContractsBlocked(
                "Contracts cannot be concluded while " + "; ".join(what) + " is pending. Decide the request, "
                "or record the court's decision or its lifting of the ban, first.",
                rectification_requests=[str(r.id) for r in requests],
                appeals=[str(a.id) for a in appeals],
            )
    return contracts.conclude(session, caller=caller, competition_id=competition_id, now=now)
