"""The officer's queue of outcome events: claims to decide, each flagged when it duplicates another."""

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from outcomes.tracking import access, events
from outcomes.tracking.models import OutcomeEvent, Referral
from outcomes.tracking.rules import OutcomeEventState
from outcomes.tracking.schemas import EventOut
from procurement.core.auth import Caller
from procurement.core.errors import InvalidInput
from procurement.core.paging import FIRST_PAGE, Keyset, Page, PageRequest

# Oldest report first; when an event was recorded and its id never change, so pages are stable.
EVENT_ORDER = Keyset("outcome-events", (col(OutcomeEvent.recorded_at), col(OutcomeEvent.id)))
# The states of `awaiting_payment` (migration 0027).
AWAITING_PAYMENT = (OutcomeEventState.VERIFIED.value, OutcomeEventState.PAYABLE.value)


def list_events(
    session: Session,
    *,
    caller: Caller,
    state: str | None,
    contract_id: uuid.UUID | None = None,
    page: PageRequest = FIRST_PAGE,
) -> Page[EventOut]:
    """A page of the events of the officer's authority's or the supplier's contracts, oldest report first."""
    supplier_id = access.supplier_id_of(session, caller)
    if state is not None and state not in {s.value for s in OutcomeEventState}:
        known = ", ".join(s.value for s in OutcomeEventState)
        raise InvalidInput(f"Unknown event state {state!r}; use {known}.", field="state")
    query = select(OutcomeEvent)
    # The event's own copies of its contract's authority and supplier: its index serves the page.
    if supplier_id is None:
        query = query.where(OutcomeEvent.authority_id == caller.authority_id)
    else:
        query = query.where(OutcomeEvent.supplier_id == supplier_id)
    if state is not None:
        query = query.where(OutcomeEvent.state == state)
    if state in AWAITING_PAYMENT and supplier_id is None:
        # Implied by the state; said so the planner reads the authority's small index of these events.
        query = query.where(OutcomeEvent.__table__.c.awaiting_payment)  # type: ignore[attr-defined]
    if contract_id is not None:
        query = query.join(Referral, col(Referral.id) == OutcomeEvent.referral_id).where(
            Referral.contract_id == contract_id
        )
    rows = EVENT_ORDER.page(session.exec(EVENT_ORDER.apply(query, page)).all(), page, _key)
    return Page(events.events_out(session, rows.items), rows.next)


def _key(event: OutcomeEvent) -> tuple[datetime, uuid.UUID]:
    return event.recorded_at, event.id
