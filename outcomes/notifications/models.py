"""Tables of notifications: each webhook delivery with its attempts, and each e-mail."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Identity, Index, Text, text
from sqlmodel import Field, SQLModel

from procurement.core.columns import moment

ACTIVE = "state IN ('pending', 'delivering')"


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: created once by the fan-out, retried with backoff until done."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        CheckConstraint(
            "state IN ('pending', 'delivering', 'delivered', 'failed')", name="webhook_delivery_state"
        ),
        # Delivered and failed are final and carry when they became so.
        CheckConstraint("(state = 'delivered') = (delivered_at IS NOT NULL)", name="webhook_delivery_done"),
        # One delivery per endpoint and event: the fan-out can run twice and still create one.
        Index("webhook_delivery_once", "endpoint_id", "event_id", unique=True),
        Index("webhook_delivery_due", "next_attempt_at", postgresql_where=text(ACTIVE)),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoint.id")
    event_id: uuid.UUID = Field(foreign_key="outbox_event.event_id")
    kind: str = Field(max_length=60)
    state: str = Field(default="pending", max_length=12)
    attempts: int = 0
    created_at: datetime = Field(sa_column=moment())
    next_attempt_at: datetime = Field(sa_column=moment())
    lease_until: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    delivered_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    failed_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=500)


class WebhookAttempt(SQLModel, table=True):
    """One try of a delivery: when, the receiver's status (or the error) and how long it took."""

    __tablename__ = "webhook_attempt"

    delivery_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("webhook_delivery.id"), primary_key=True, nullable=False)
    )
    attempt: int = Field(primary_key=True)
    at: datetime = Field(sa_column=moment())
    status: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int


class EmailMessage(SQLModel, table=True):
    """One event for one supplier's contact address; digest messages wait for the day's digest."""

    __tablename__ = "email_message"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'sent', 'failed')", name="email_message_state"),
        CheckConstraint("(state = 'sent') = (sent_at IS NOT NULL)", name="email_message_sent"),
        Index("email_message_once", "supplier_id", "event_id", unique=True),
        Index("email_message_due", "send_after", postgresql_where=text("state = 'pending'")),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id")
    event_id: uuid.UUID = Field(foreign_key="outbox_event.event_id")
    kind: str = Field(max_length=60)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    digest: bool = False
    state: str = Field(default="pending", max_length=12)
    attempts: int = 0
    created_at: datetime = Field(sa_column=moment())
    send_after: datetime = Field(sa_column=moment())
    sent_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    last_error: str | None = Field(default=None, max_length=500)
