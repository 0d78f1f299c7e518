"""Use cases of the delivery log: the supplier reads its endpoint's deliveries and queues a test event."""

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, col, select

from outcomes.notifications.models import WebhookAttempt, WebhookDelivery
from outcomes.notifications.schemas import AttemptOut, DeliveryOut, TestQueued
from procurement.core import outbox
from procurement.core.auth import Caller
from procurement.core.paging import FIRST_PAGE, Keyset, Page, PageRequest
from registry.webhooks import endpoints

# Newest first by delivery number.
DELIVERY_ORDER = Keyset("deliveries", (col(WebhookDelivery.id),), descending=True)


def log(
    session: Session, *, caller: Caller, endpoint_id: uuid.UUID, page: PageRequest = FIRST_PAGE
) -> Page[DeliveryOut]:
    """A page of the endpoint's deliveries, newest first, with every attempt; 404 for another supplier's."""
    endpoint = endpoints.load(session, caller=caller, endpoint_id=endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    found = DELIVERY_ORDER.page(
        session.exec(DELIVERY_ORDER.apply(query, page)).all(), page, lambda d: (d.id,)
    )
    rows = found.items
    tries: dict[int, list[AttemptOut]] = defaultdict(list)
    if rows:
        for a in session.exec(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_([r.id for r in rows]))
            .order_by(col(WebhookAttempt.delivery_id), col(WebhookAttempt.attempt))
        ):
            tries[a.delivery_id].append(AttemptOut(a.attempt, a.at, a.status, a.error, a.duration_ms))
    return Page(
        [
            DeliveryOut(
                id=r.id or 0,
                event_id=r.event_id,
                type=r.kind,
                state=r.state,
                attempts=r.attempts,
                created_at=r.created_at,
                next_attempt_at=r.next_attempt_at if r.state == "pending" else None,
                delivered_at=r.delivered_at,
                failed_at=r.failed_at,
                last_status=r.last_status,
                last_error=r.last_error,
                log=tries[r.id or 0],
            )
            for r in rows
        ],
        found.next,
    )


def test(session: Session, *, caller: Caller, endpoint_id: uuid.UUID, now: datetime) -> TestQueued:
    """Queue a signed test event for one endpoint (the dispatcher sends it like any other)."""
    endpoint = endpoints.load(session, caller=caller, endpoint_id=endpoint_id)
    outbox.emit(session, "webhook.test", subject=("webhook_endpoint", endpoint.id), at=now)
    event_id = session.execute(
        text(
            "SELECT event_id FROM outbox_event WHERE subject_type = 'webhook_endpoint' AND subject_id = :s"
            " ORDER BY txid DESC, id DESC LIMIT 1"
        ),
        {"s": str(endpoint.id)},
    ).scalar_one()
    return TestQueued(event_id=event_id)
