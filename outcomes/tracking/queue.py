"""The officer's queue of outcome events: claims to decide, each flagged when it duplicates another."""

import uuid

from sqlmodel import Session, col, select

from minicompetition.award.models import Contract
from outcomes.tracking import access, events
from outcomes.tracking.models import OutcomeEvent, Referral
from outcomes.tracking.rules import OutcomeEventState
from outcomes.tracking.schemas import EventOut
from procurement.core.auth import Caller
from procurement.core.errors import InvalidInput

MAX_EVENTS = 1000


def list_events(
    session: Session, *, caller: Caller, state: str | None, contract_id: uuid.UUID | None = None
) -> list[EventOut]:
    """Events of the officer's authority's contracts, or of the calling supplier's, oldest report first."""
    supplier_id = access.supplier_id_of(session, caller)
    if state is not None and state not in {s.value for s in OutcomeEventState}:
        known = ", ".join(s.value for s in OutcomeEventState)
        raise InvalidInput(f"Unknown event state {state!r}; use {known}.", field="state")
    query = (
        select(OutcomeEvent)
        .join(Referral, col(Referral.id) == OutcomeEvent.referral_id)
        .join(Contract, col(Contract.id) == Referral.contract_id)
    )
    if supplier_id is None:
        query = query.where(Contract.authority_id == caller.authority_id)
    else:
        query = query.where(Contract.supplier_id == supplier_id)
    if state is not None:
        query = query.where(OutcomeEvent.state == state)
    if contract_id is not None:
        query = query.where(Referral.contract_id == contract_id)
    rows = session.exec(
        query.order_by(col(OutcomeEvent.recorded_at), col(OutcomeEvent.id)).limit(MAX_EVENTS)
    ).all()
    return events.events_out(session, list(rows))
