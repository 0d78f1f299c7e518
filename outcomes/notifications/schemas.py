"""API shapes of a webhook endpoint's delivery log."""

import uuid
from datetime import datetime

import msgspec


class AttemptOut(msgspec.Struct):
    """One try: when, the receiver's HTTP status or the error, and how long it took."""

    attempt: int
    at: datetime
    status: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(msgspec.Struct):
    """One event for the endpoint: pending (with the next try), delivered or failed, and its tries."""

    id: int
    event_id: uuid.UUID
    type: str
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    last_status: int | None
    last_error: str | None
    log: list[AttemptOut]


class TestQueued(msgspec.Struct):
    """A test event queued for the endpoint; it shows in the delivery log under this id."""

    event_id: uuid.UUID
