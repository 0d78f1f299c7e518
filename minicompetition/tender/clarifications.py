"""Clarifications and the supplier's inbox: invitees ask, officers answer, every invitee reads the answers."""

import uuid
from datetime import datetime

from sqlmodel import Session, col, func, select

from minicompetition.tender import access, rules
from minicompetition.tender.models import Amendment, Bid, Competition, Invitation, Question
from minicompetition.tender.schemas import InboxDetail, InboxItem, MyBidOut, QuestionOut
from minicompetition.tender.terms import competition_out, summary
from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.errors import Conflict, NotFound
from registry.standing import standing


def _question_out(q: Question, *, supplier_id: uuid.UUID | None) -> QuestionOut:
    return QuestionOut(
        id=q.id,
        question=q.question,
        asked_at=q.asked_at,
        answer=q.answer,
        answered_at=q.answered_at,
        mine=supplier_id is not None and q.supplier_id == supplier_id,
    )


def ask(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, question: str, now: datetime
) -> QuestionOut:
    """An invitee asks before the question deadline."""
    supplier = access.supplier_of(session, caller)
    competition, db_now = access.load(session, competition_id, lock="share")
    access.require_invitation(session, competition=competition, supplier_id=supplier.id)
    if competition.state != "published" or db_now >= competition.qa_deadline:
        raise Conflict(
            f"Questions closed at {rules.helsinki_text(competition.qa_deadline)}."
            if competition.state == "published"
            else f"The competition is '{competition.state}'; it takes no questions."
        )
    state, why = standing(
        session,
        dps_id=competition.dps_id,
        supplier_id=supplier.id,
        category_code=competition.category_code,
        at=db_now,
    )
    if state != "active":
        # SPEC 4.2: only an invitee in good standing may ask (a question it asks blocks the opening).
        raise Conflict(f"Only invitees in good standing may ask; your admission is {state}: {why}.")
    row = Question(competition_id=competition.id, supplier_id=supplier.id, question=question, asked_at=now)
    session.add(row)
    session.flush()
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="question.asked",
        at=now,
        after={"question": row.id},
    )
    return _question_out(row, supplier_id=supplier.id)


def answer(
    session: Session,
    *,
    caller: Caller,
    competition_id: uuid.UUID,
    question_id: uuid.UUID,
    text: str,
    now: datetime,
) -> QuestionOut:
    """An officer of the buying authority answers; the answer goes to every invitee without the asker."""
    competition, _ = access.load(session, competition_id, lock="share")
    access.require_buying_officer(caller, competition)
    if competition.state != "published":
        # After the deadline too, until opening: an unanswered question blocks the opening (SPEC 4.2).
        raise Conflict(
            f"The competition is '{competition.state}'; questions are answered until the bids are opened."
        )
    row = session.get(Question, question_id, with_for_update=True)
    if row is None or row.competition_id != competition.id:
        raise NotFound("No question of this competition has that id.")
    if row.answer is not None:
        raise Conflict("The question is already answered; publish any correction as an amendment.")
    row.answer, row.answered_at, row.answered_by = text, now, caller.id
    session.add(row)
    session.flush()
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="question.answered",
        at=now,
        after={"question": row.id},
    )
    outbox.emit(session, "competition.answer_published", subject=("competition", competition.id), at=now)
    return _question_out(row, supplier_id=None)


def questions(session: Session, *, caller: Caller, competition_id: uuid.UUID) -> list[QuestionOut]:
    """Invitees see answered questions and their own; the buying authority's officers see all."""
    competition, _ = access.load(session, competition_id)
    query = select(Question).where(Question.competition_id == competition.id)
    supplier_id = None
    if caller.role == "supplier":
        supplier_id = access.supplier_of(session, caller).id
        access.invitation_of(session, competition=competition, supplier_id=supplier_id)
        query = query.where(col(Question.answer).is_not(None) | (col(Question.supplier_id) == supplier_id))
    elif not access.is_buying_officer(caller, competition):
        access.visible(caller, competition)
        raise NotFound("Questions are shown to invitees and to the buying authority.")
    rows = session.exec(query.order_by(col(Question.asked_at), col(Question.id)))
    return [_question_out(q, supplier_id=supplier_id) for q in rows]


def question(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, question_id: uuid.UUID
) -> QuestionOut:
    """One question, to whoever may read the competition's questions and sees this one."""
    found = next(
        (q for q in questions(session, caller=caller, competition_id=competition_id) if q.id == question_id),
        None,
    )
    if found is None:
        raise NotFound("No question of this competition has that id.")
    return found


def _my_bid(session: Session, *, competition_id: uuid.UUID, supplier_id: uuid.UUID) -> MyBidOut | None:
    bid = session.exec(
        select(Bid).where(Bid.competition_id == competition_id, Bid.supplier_id == supplier_id)
    ).first()
    if bid is None or bid.current_version == 0:
        return None
    return MyBidOut(
        bid_id=bid.id,
        state=bid.state,
        current_version=bid.current_version,
        needs_confirmation=bid.needs_confirmation,
    )


def inbox(session: Session, *, caller: Caller, now: datetime) -> list[InboxItem]:
    """Competitions the calling supplier is invited to, newest deadline first."""
    supplier = access.supplier_of(session, caller)
    rows = session.exec(
        select(Invitation, Competition)
        .join(Competition, col(Competition.id) == Invitation.competition_id)
        .where(Invitation.supplier_id == supplier.id)
        .order_by(col(Competition.tender_deadline).desc())
    ).all()
    counts = dict(
        session.exec(
            select(Amendment.competition_id, func.count())
            .join(Invitation, col(Invitation.competition_id) == Amendment.competition_id)
            .where(Invitation.supplier_id == supplier.id)
            .group_by(col(Amendment.competition_id))
        ).all()
    )
    return [
        InboxItem(
            competition=summary(c, now=now),
            invited_at=i.invited_at,
            amendments=int(counts.get(c.id, 0)),
            my_bid=_my_bid(session, competition_id=c.id, supplier_id=supplier.id),
        )
        for i, c in rows
    ]


def inbox_item(session: Session, *, caller: Caller, competition_id: uuid.UUID, now: datetime) -> InboxDetail:
    """One invitation in full; 404 for suppliers not invited."""
    supplier = access.supplier_of(session, caller)
    competition, _ = access.load(session, competition_id)
    invitation = access.invitation_of(session, competition=competition, supplier_id=supplier.id)
    return InboxDetail(
        competition=competition_out(session, competition, now=now),
        invited_at=invitation.invited_at,
        questions=questions(session, caller=caller, competition_id=competition.id),
        my_bid=_my_bid(session, competition_id=competition.id, supplier_id=supplier.id),
    )
