"""Tables of a supplier's notification settings: its webhook endpoints and its e-mail choice."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, LargeBinary, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from procurement.core.columns import moment


class WebhookEndpoint(SQLModel, table=True):
    """A URL of a supplier's system that receives signed events of the kinds it subscribed to."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (
        # An endpoint with no event type would never be called.
        CheckConstraint("cardinality(event_types) >= 1", name="webhook_endpoint_event_types"),
        # The secret before a rotation stays valid for a while, and only then does it exist.
        CheckConstraint(
            "(previous_secret IS NULL) = (previous_valid_until IS NULL)", name="webhook_endpoint_previous"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", index=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    event_types: list[str] = Field(sa_column=Column(ARRAY(String(60)), nullable=False))
    # The signing secret, encrypted with a key derived from the sealing key (nonce and ciphertext).
    secret: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    previous_secret: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    previous_valid_until: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    created_at: datetime = Field(sa_column=moment())
    rotated_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    deleted_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))


class NotificationSetting(SQLModel, table=True):
    """How a supplier wants e-mail: each event at once (the default), a daily digest, or none."""

    __tablename__ = "notification_setting"
    __table_args__ = (
        CheckConstraint("email IN ('immediate', 'daily', 'off')", name="notification_setting_email"),
    )

    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", primary_key=True)
    email: str = Field(default="immediate", max_length=12)
    updated_at: datetime = Field(sa_column=moment())
