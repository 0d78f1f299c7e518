"""A competition that ends with no admissible bid, or no winner, ends as unsuccessful: never as awarded."""

import uuid
from datetime import datetime

from sqlmodel import Session

from minicompetition.tender import access, rules
from minicompetition.tender.models import Competition
from minicompetition.tender.schemas import CompetitionOut
from minicompetition.tender.terms import competition_out
from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.errors import IllegalTransition


def end_unsuccessful(
    session: Session, competition: Competition, *, current: str, reason: str, actor: str, now: datetime
) -> None:
    """Move an opened or evaluated competition to 'unsuccessful' with its reason (published with it)."""
    rules.COMPETITION_MACHINE.check(current, "unsuccessful")
    competition.state, competition.unsuccessful_reason = "unsuccessful", reason
    competition.unsuccessful_at, competition.updated_at = now, now
    session.add(competition)
    session.flush()
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=actor,
        action="competition.unsuccessful",
        at=now,
        before={"state": current},
        after={"state": "unsuccessful", "reason": reason},
    )
    # Published (OCDS tender status 'unsuccessful', the reason as an evaluation report) and told to invitees.
    outbox.emit(
        session,
        "competition.unsuccessful",
        subject=("competition", competition.id),
        at=now,
        data={"reason": reason},
    )


def declare(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, reason: str, now: datetime
) -> CompetitionOut:
    """The buying officer ends an evaluated competition without a winner (every winner overridden away)."""
    competition, db_now = access.load(session, competition_id, lock="update")
    access.require_buying_officer(caller, competition)
    current = rules.effective_state(
        state=competition.state, tender_deadline=competition.tender_deadline, now=db_now
    )
    if current != "evaluated":
        raise IllegalTransition(
            thing="competition",
            current=current,
            target="unsuccessful",
            detail=f"The competition is '{current}'; only an evaluated one is declared without a winner.",
        )
    end_unsuccessful(
        session, competition, current=current, reason=f"no winner: {reason}", actor=caller.label, now=now
    )
    return competition_out(session, competition, now=now)
