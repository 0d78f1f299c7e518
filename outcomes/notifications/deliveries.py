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
from registry.webhooks import endpoints


def log(session: Session, *, caller: Caller, endpoint_id: uuid.UUID, limit: int) -> list[DeliveryOut]:
    """The endpoint's newest deliveries with every attempt; 404 for another supplier's endpoint."""
    endpoint = endpoints.load(session, caller=caller, endpoint_id=endpoint_id)
    rows = session.exec(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(limit)
    ).all()
    tries: dict[int, list[AttemptOut]] = defaultdict(list)
    if rows:
        for a in session.exec(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_([r.id for r in rows]))
            .order_by(col(WebhookAttempt.delivery_id), col(WebhookAttempt.attempt))
        ):
            tries[a.delivery_id].append(AttemptOut(a.attempt, a.at, a.status, a.error, a.duration_ms))
    return [
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
    ]


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
