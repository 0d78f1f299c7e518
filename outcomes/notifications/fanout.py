"""The fan-out: each outbox event, in commit order, becomes one delivery per subscribed endpoint and one
e-mail per recipient, in one transaction with the moved position (so a restart repeats nothing)."""

import uuid
from datetime import datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from outcomes.notifications import payloads
from outcomes.notifications.audience import recipients
from outcomes.notifications.models import EmailMessage
from procurement.core import outbox
from procurement.core.clock import HELSINKI, to_helsinki
from procurement.core.settings import Settings

CONSUMER = "notifications"

_DELIVERIES = text(
    "INSERT INTO webhook_delivery (endpoint_id, event_id, kind, state, attempts, created_at, next_attempt_at)"
    " SELECT w.id, :event, CAST(:kind AS varchar), 'pending', 0, :now, :now FROM webhook_endpoint w"
    # An endpoint hears of events from its registration on, however late the fan-out runs.
    " WHERE w.supplier_id = ANY(:suppliers) AND w.deleted_at IS NULL AND w.created_at <= :at"
    " AND (CASE WHEN CAST(:only AS uuid) IS NULL THEN CAST(:kind AS varchar) = ANY(w.event_types)"
    " ELSE w.id = CAST(:only AS uuid) END)"
    " ON CONFLICT (endpoint_id, event_id) DO NOTHING"
)

_MAILBOXES = text(
    "SELECT s.id, s.name, s.contact_email, coalesce(n.email, 'immediate') FROM supplier s"
    " LEFT JOIN notification_setting n ON n.supplier_id = s.id WHERE s.id = ANY(:suppliers) ORDER BY s.id"
)


def next_digest(now: datetime, *, hour: int) -> datetime:
    """The next daily digest moment (the configured Helsinki hour) after now."""
    local = to_helsinki(now)
    at = datetime.combine(local.date(), time(hour), tzinfo=HELSINKI)
    return (
        at if at > local else datetime.combine(local.date() + timedelta(days=1), time(hour), tzinfo=HELSINKI)
    )


def fan_out(session: Session, *, now: datetime, settings: Settings, limit: int = 200) -> int:
    """Create the deliveries and e-mails of the next events; returns how many events were handled."""
    after = outbox.position(session, CONSUMER, lock=True)  # one fan-out at a time
    events = outbox.read_after(session, after, limit=limit)
    for event in events:
        suppliers = recipients(session, event)
        if not suppliers:
            continue
        test = event.kind == "webhook.test"  # a test goes to the one endpoint it names, never by e-mail
        session.execute(
            _DELIVERIES,
            {
                "event": event.event_id,
                "kind": event.kind,
                "now": now,
                "at": event.at,
                "suppliers": suppliers,
                "only": uuid.UUID(event.subject_id) if test else None,
            },
        )
        if not test:
            _emails(session, event, suppliers, now=now, settings=settings)
    if events:
        outbox.advance(session, CONSUMER, events[-1].cursor)
    return len(events)


def _emails(
    session: Session, event: outbox.Event, suppliers: list[uuid.UUID], *, now: datetime, settings: Settings
) -> None:
    rows = []
    for supplier_id, name, address, mode in session.execute(_MAILBOXES, {"suppliers": suppliers}).all():
        if mode == "off":
            continue
        subject, body = payloads.email_text(event, base_url=settings.public_base_url, supplier_name=name)
        daily = mode == "daily"
        rows.append(
            {
                "supplier_id": supplier_id,
                "event_id": event.event_id,
                "kind": event.kind,
                "to_address": address,
                "subject": subject,
                "body": body,
                "digest": daily,
                "state": "pending",
                "attempts": 0,
                "created_at": now,
                "send_after": next_digest(now, hour=settings.digest_hour) if daily else now,
            }
        )
    if rows:
        session.execute(insert(EmailMessage).values(rows).on_conflict_do_nothing())
