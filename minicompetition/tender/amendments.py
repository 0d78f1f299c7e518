"""Amendments of a published competition: a reason, time left, and every earlier bid to be confirmed again."""

import uuid
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from minicompetition.tender import access, rules
from minicompetition.tender.errors import DeadlinePassed
from minicompetition.tender.models import Amendment, Bid, Competition
from minicompetition.tender.rules import Terms
from minicompetition.tender.schemas import AmendmentIn, CompetitionOut
from minicompetition.tender.terms import (
    allowed_municipalities,
    competition_out,
    lots_of,
    store_terms,
    terms_from_changes,
    terms_of,
)
from procurement.core import audit, outbox
from procurement.core.auth import Caller
from procurement.core.errors import IllegalTransition, InvalidInput
from procurement.core.settings import Settings
from procurement.ring.models import Dps


def amend(
    session: Session,
    *,
    caller: Caller,
    competition_id: uuid.UUID,
    data: AmendmentIn,
    now: datetime,
    settings: Settings,
) -> CompetitionOut:
    """Change a published competition before its deadline; earlier bids then need confirmation."""
    # FOR UPDATE waits for bids in flight (they hold FOR SHARE) and keeps new ones out until we commit.
    competition, db_now = access.load(session, competition_id, lock="update")
    access.require_buying_officer(caller, competition)
    if competition.state != "published":
        raise IllegalTransition(
            thing="competition",
            current=competition.state,
            target="amended",
            detail=f"The competition is '{competition.state}'; only a published competition is amended.",
        )
    if db_now >= competition.tender_deadline:
        raise DeadlinePassed(deadline=competition.tender_deadline, action="amending the competition")
    changes: dict[str, Any] = {k: v for k, v in msgspec.to_builtins(data.changes).items() if v is not None}
    if not changes:
        raise InvalidInput("An amendment changes at least one term.", field="changes")
    assert competition.published_at is not None  # noqa: S101 (published)
    rules.check_amendment_time(
        db_now=db_now,
        current_deadline=competition.tender_deadline,
        new_deadline=data.changes.tender_deadline,
        published_at=competition.published_at,
        min_days_after=settings.min_days_after_amendment,
        min_tender_days=settings.min_tender_days,
    )
    terms = _amended_terms(session, competition, data, now=now)
    if data.changes.qa_deadline is not None or data.changes.tender_deadline is not None:
        try:
            rules.check_qa_deadline(
                qa_deadline=terms.qa_deadline,
                tender_deadline=terms.tender_deadline,
                min_days=settings.min_days_qa_before_deadline,
            )
        except InvalidInput as exc:
            for error in exc.extra.get("errors", []):
                error["field"] = f"changes.{error['field']}"
            raise
    seq = _next_seq(session, competition.id)
    store_terms(session, competition, terms)
    competition.terms_version += 1
    competition.updated_at = now
    session.add(competition)
    session.add(
        Amendment(
            competition_id=competition.id, seq=seq, reason=data.reason, changes=changes, at=now, by=caller.id
        )
    )
    _flag_bids_for_confirmation(session, competition, seq=seq, actor=caller.label, now=now)
    session.flush()
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="competition.amended",
        at=now,
        after={
            "seq": seq,
            "reason": data.reason,
            "changes": changes,
            "terms_version": competition.terms_version,
        },
    )
    out = competition_out(session, competition, now=now)  # the amended terms go into the release
    outbox.emit(session, "competition.amended", subject=("competition", competition.id), at=now, data=out)
    return out


def _amended_terms(session: Session, competition: Competition, data: AmendmentIn, *, now: datetime) -> Terms:
    """The competition's terms with the amendment's changes, validated as at drafting."""
    current = terms_of(competition, lots_of(session, competition))
    terms = terms_from_changes(current, data.changes, category=competition.category_code)
    dps = session.get(Dps, competition.dps_id)
    assert dps is not None  # noqa: S101 (foreign key)
    allowed = allowed_municipalities(
        session, authority_id=competition.authority_id, ring_id=dps.ring_id, now=now
    )
    try:
        rules.validate_terms(terms, category=competition.category_code, allowed_municipalities=allowed)
    except InvalidInput as exc:
        # Name the field as the amendment spells it.
        for error in exc.extra.get("errors", []):
            error["field"] = f"changes.{error['field']}"
        raise
    return terms


def _next_seq(session: Session, competition_id: uuid.UUID) -> int:
    """The next amendment number of a competition."""
    last = session.exec(
        select(func.coalesce(func.max(Amendment.seq), 0)).where(Amendment.competition_id == competition_id)
    ).one()
    return int(last) + 1


def _flag_bids_for_confirmation(
    session: Session, competition: Competition, *, seq: int, actor: str, now: datetime
) -> None:
    """Every bid already submitted needs the supplier's confirmation of the amended terms."""
    flagged = (
        session.execute(
            update(Bid)
            .where(col(Bid.competition_id) == competition.id, col(Bid.state) == "submitted")
            .values(needs_confirmation=True, updated_at=now)
            .returning(col(Bid.id))
        )
        .scalars()
        .all()
    )
    for bid_id in flagged:
        audit.record(
            session,
            aggregate=("bid", bid_id),
            actor=actor,
            action="bid.needs_confirmation",
            at=now,
            after={"amendment": seq, "terms_version": competition.terms_version},
        )
