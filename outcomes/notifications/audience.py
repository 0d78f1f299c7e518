"""Who hears of an event: the suppliers its audience names, resolved from the event's subject."""

import uuid

from sqlalchemy import text
from sqlmodel import Session

from procurement.core import outbox
from procurement.core.event_kinds import KINDS, Audience

# Each query takes the subject's id as :s and returns supplier ids.
_OF_SUBJECT = {
    "application": "SELECT supplier_id FROM application WHERE id = :s",
    "admission": "SELECT supplier_id FROM admission WHERE id = :s",
    "contract": "SELECT supplier_id FROM contract WHERE id = :s",
    "webhook_endpoint": "SELECT supplier_id FROM webhook_endpoint WHERE id = :s",
    "referral": (
        "SELECT k.supplier_id FROM referral r JOIN contract k ON k.id = r.contract_id WHERE r.id = :s"
    ),
    "outcome_event": (
        "SELECT k.supplier_id FROM outcome_event e JOIN referral r ON r.id = e.referral_id"
        " JOIN contract k ON k.id = r.contract_id WHERE e.id = :s"
    ),
}
_OF_AUDIENCE = {
    Audience.INVITEES: "SELECT supplier_id FROM invitation WHERE competition_id = :s",
    # Bidders whose bids were opened (a withdrawn bid leaves no trace, so its supplier hears nothing).
    Audience.BIDDERS: "SELECT supplier_id FROM bid WHERE competition_id = :s AND opened_at IS NOT NULL"
    " AND state IN ('eligible', 'ineligible')",
    Audience.PERIOD_SUPPLIERS: "SELECT DISTINCT supplier_id FROM payment_line WHERE period_id = :s",
}


def recipients(session: Session, event: outbox.Event) -> list[uuid.UUID]:
    """The suppliers the event concerns, by id (sorted, so fan-out is deterministic)."""
    audience = KINDS[event.kind].audience
    if audience is Audience.NOBODY:
        return []
    sql = _OF_SUBJECT.get(event.subject_type) if audience is Audience.SUPPLIER else _OF_AUDIENCE.get(audience)
    if sql is None:
        return []
    rows = session.execute(text(sql), {"s": uuid.UUID(event.subject_id)}).scalars().all()
    return sorted(set(rows))
