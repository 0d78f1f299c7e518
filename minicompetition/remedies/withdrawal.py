"""Withdrawing an award decision before contracts: the competition returns to evaluation."""

import uuid
from datetime import datetime

from sqlmodel import Session, select

from minicompetition.award.models import AwardDecision, Contract
from minicompetition.award.runs import award_of
from minicompetition.remedies import rules
from minicompetition.remedies.access import load_decision, reader_of
from minicompetition.remedies.reads import decision_out
from minicompetition.remedies.schemas import DecisionOut
from minicompetition.tender import access
from minicompetition.tender import rules as tender_rules
from minicompetition.tender.models import Competition
from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.errors import Conflict, Forbidden


class ContractsConcluded(Conflict):
    """Contracts were concluded on the decision: it can no longer be withdrawn or rectified."""

    title = "Contracts already concluded"


def withdraw_locked(
    session: Session,
    *,
    decision: AwardDecision,
    competition: Competition,
    reason: str,
    by: Caller,
    now: datetime,
) -> None:
    """Withdraw a decision whose competition row the caller holds locked; refused once contracts exist."""
    if session.exec(select(Contract.id).where(Contract.award_id == decision.id)).first() is not None:
        raise ContractsConcluded(
            "Contracts have been concluded on this award decision, so it can no longer be withdrawn "
            "(SPEC 4.3). A contract can be terminated with a reason instead: POST /contracts/{id}/terminate.",
            current_state=competition.state,
        )
    rules.AWARD_DECISION_MACHINE.check(decision.state, "withdrawn")
    tender_rules.COMPETITION_MACHINE.check(competition.state, "evaluated")
    before = decision.state
    decision.state, decision.withdrawn_at, decision.withdrawn_by = "withdrawn", now, by.id
    decision.withdrawal_reason = reason
    competition.state, competition.updated_at = "evaluated", now
    session.add_all([decision, competition])
    session.flush()
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=by.label,
        action="award_decision.withdrawn",
        at=now,
        before={"state": "awarded", "award_state": before},
        after={"state": "evaluated", "award": decision.id, "award_state": "withdrawn", "reason": reason},
    )
    outbox.emit(
        session,
        "competition.award_withdrawn",
        subject=("competition", competition.id),
        at=now,
        data={"award_id": decision.id},
    )


def withdraw(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, reason: str, now: datetime
) -> DecisionOut:
    """The buying officer withdraws the award decision in force, with the reason."""
    decision = award_of(session, competition_id)
    if decision is None:
        competition, _ = access.load(session, competition_id)
        reader_of(session, caller, competition, missing=access.NOT_FOUND)
        if competition.state == "concluded":
            raise ContractsConcluded("Contracts have been concluded; the award can no longer be withdrawn.")
        raise Conflict(
            f"The competition is '{competition.state}'; it has no award decision in force to withdraw.",
            current_state=competition.state,
        )
    decision, competition, reader = load_decision(session, caller, decision.id, lock=True)
    if not reader.officer:
        raise Forbidden("Only officers of the buying authority may withdraw an award decision.")
    withdraw_locked(session, decision=decision, competition=competition, reason=reason, by=caller, now=now)
    return decision_out(session, decision, competition, reader, now=now)
