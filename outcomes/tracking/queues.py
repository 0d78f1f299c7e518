"""Work queues of an officer's authority: outcome events waiting for verification, oldest first."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from outcomes.tracking import claims
from outcomes.tracking.models import OutcomeEvent, Referral
from procurement.core.auth import Caller
from registry.models import Supplier


@dataclass(frozen=True)
class AwaitingEvent:
    """A reported outcome event of the authority's contracts, with whom and what it concerns."""

    event_id: uuid.UUID
    referral_id: uuid.UUID
    event_type: str
    event_date: date
    recorded_at: datetime
    supplier_name: str
    category: str
    home_municipality_code: str
    duplicate_of: uuid.UUID | None = None  # the claim of the same outcome verified before this one


def awaiting_verification(session: Session, *, caller: Caller, limit: int = 200) -> list[AwaitingEvent]:
    """Reported events of the officer's authority's contracts, the longest waiting first."""
    caller.require("officer")
    # The event's own authority and the undecided events' partial index (outcome_event_awaiting): the
    # read touches the few waiting events, not the authority's years of decided ones.
    rows = session.exec(
        select(OutcomeEvent, Referral, Supplier.name)
        .join(Referral, col(Referral.id) == OutcomeEvent.referral_id)
        .join(Supplier, col(Supplier.id) == OutcomeEvent.supplier_id)
        .where(
            OutcomeEvent.authority_id == caller.authority_id,
            col(OutcomeEvent.decided_at).is_(None),
            OutcomeEvent.state == "reported",
        )
        .order_by(col(OutcomeEvent.recorded_at), col(OutcomeEvent.id))
        .limit(limit)
    ).all()
    duplicates = claims.duplicates_of(session, [e for e, _, _ in rows])
    return [
        AwaitingEvent(
            event_id=e.id,
            referral_id=r.id,
            event_type=e.event_type,
            event_date=e.event_date,
            recorded_at=e.recorded_at,
            supplier_name=name,
            category=r.category_code,
            home_municipality_code=r.home_municipality_code,
            duplicate_of=duplicates.get(e.id),
        )
        for e, r, name in rows
    ]
