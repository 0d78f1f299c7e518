"""Webhook delivery: claim due deliveries, POST each signed, record the attempt, retry with backoff.

Claims take a lease (SKIP LOCKED, so two senders never take the same row); a sender that dies leaves
its leases to expire and the deliveries are tried again: at least once, with a stable event id the
receiver deduplicates on. Each call has its own timeout and thread, so a slow receiver holds only
its own slot.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import text
from sqlmodel import Session

from outcomes.notifications import payloads, signing
from outcomes.notifications.models import WebhookAttempt
from procurement.core import outbox
from procurement.core.settings import Settings
from registry.webhooks import secrets
from registry.webhooks.endpoints import refused_address

MAX_BACKOFF_S = 3600.0

_CLAIM = text(
    """
    UPDATE webhook_delivery d SET state = 'delivering', lease_until = :lease
    WHERE d.id IN (
        SELECT id FROM webhook_delivery
        WHERE (state = 'pending' AND next_attempt_at <= :now) OR (state = 'delivering' AND lease_until < :now)
        ORDER BY next_attempt_at, id LIMIT :n FOR UPDATE SKIP LOCKED
    )
    RETURNING d.id, d.attempts, d.created_at, d.endpoint_id, d.event_id
    """
)

_DETAILS = text(
    "SELECT w.url, w.secret, w.previous_secret, w.previous_valid_until, w.deleted_at,"
    " e.id, e.txid, e.event_id, e.kind, e.subject_type, e.subject_id, e.at, e.public, e.data"
    " FROM webhook_endpoint w, outbox_event e WHERE w.id = :w AND e.event_id = :e"
)


@dataclass(frozen=True)
class Job:
    """A claimed delivery with what it takes to send it."""

    delivery_id: int
    attempt: int
    created_at: datetime
    url: str
    keys: list[bytes]
    gone: bool
    body: bytes
    msg_id: str


@dataclass(frozen=True)
class Result:
    """What one attempt got: the receiver's status, or the error, and how long it took."""

    status: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        """A 2xx answer is a delivery."""
        return self.status is not None and 200 <= self.status < 300


def claim(session: Session, *, now: datetime, limit: int, settings: Settings) -> list[Job]:
    """Take up to `limit` due deliveries under a lease long enough for one call."""
    if limit <= 0:
        return []
    lease = now + timedelta(seconds=settings.webhook_timeout_s + 30)
    rows = session.execute(_CLAIM, {"now": now, "lease": lease, "n": limit}).all()
    jobs = []
    for delivery_id, attempts, created_at, endpoint_id, event_id in rows:
        url, secret, previous, previous_until, deleted_at, *event_row = session.execute(
            _DETAILS, {"w": endpoint_id, "e": event_id}
        ).one()
        keys = [secrets.secret_bytes(secrets.unseal(settings, secret))]
        if previous is not None and previous_until is not None and previous_until > now:
            keys.append(secrets.secret_bytes(secrets.unseal(settings, previous)))
        event = outbox.Event(*event_row)
        jobs.append(
            Job(
                delivery_id=delivery_id,
                attempt=attempts + 1,
                created_at=created_at,
                url=url,
                keys=keys,
                gone=deleted_at is not None,
                body=payloads.body(event, base_url=settings.public_base_url),
                msg_id=str(uuid.UUID(str(event.event_id))),
            )
        )
    return jobs


def send(client: httpx.Client, job: Job, *, settings: Settings) -> Result:
    """POST the signed body once; never raises."""
    started = time.perf_counter()
    if job.gone:
        return Result(None, "the endpoint was deleted", 0)
    host = urlsplit(job.url).hostname or ""
    refused = refused_address(host, allow_private=settings.webhook_allow_private)
    if refused:
        return Result(None, f"refused: {refused}", 0)
    headers = signing.headers(job.keys, msg_id=job.msg_id, timestamp=int(time.time()), body=job.body)
    try:
        response = client.post(job.url, content=job.body, headers=headers)
        status, error = response.status_code, None
    except httpx.HTTPError as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"[:500]
    return Result(status, error, int((time.perf_counter() - started) * 1000))


def backoff_s(attempt: int, *, base_s: float) -> float:
    """Seconds before the next try after `attempt` failures: doubling from the base, at most an hour."""
    return float(min(base_s * 2 ** (attempt - 1), MAX_BACKOFF_S))


def record(session: Session, job: Job, result: Result, *, now: datetime, settings: Settings) -> str:
    """Log the attempt and settle the delivery: delivered, retried later, or failed for good."""
    retry_at = now + timedelta(seconds=backoff_s(job.attempt, base_s=settings.webhook_backoff_s))
    give_up = job.gone or retry_at > job.created_at + timedelta(hours=settings.webhook_retry_hours)
    state = "delivered" if result.ok else "failed" if give_up else "pending"
    moved = session.execute(
        text(
            "UPDATE webhook_delivery SET state = :state, attempts = :attempt, lease_until = NULL,"
            " next_attempt_at = :retry, last_status = :status, last_error = :error,"
            " delivered_at = :delivered_at, failed_at = :failed_at"
            # Only the claim this attempt belongs to settles it (a lease that expired was claimed again).
            " WHERE id = :id AND attempts = :attempt - 1 AND state = 'delivering'"
        ),
        {
            "state": state,
            "attempt": job.attempt,
            "retry": retry_at,
            "status": result.status,
            "error": result.error or (None if result.ok else f"HTTP {result.status}"),
            "delivered_at": now if state == "delivered" else None,
            "failed_at": now if state == "failed" else None,
            "id": job.delivery_id,
        },
    )
    if getattr(moved, "rowcount", 1) == 0:
        return "superseded"
    session.add(
        WebhookAttempt(
            delivery_id=job.delivery_id,
            attempt=job.attempt,
            at=now,
            status=result.status,
            error=result.error,
            duration_ms=result.duration_ms,
        )
    )
    return state
