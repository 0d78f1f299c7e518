"""Tables of the shared kernel: principals, their tokens, the audit chains and the outbox."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Identity,
    Index,
    LargeBinary,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from procurement.core.columns import document, moment

ROLES = ("admin", "officer", "finance", "supplier")


class Principal(SQLModel, table=True):
    """Someone who calls the API: an admin, an authority's officer or finance user, or a supplier."""

    __tablename__ = "principal"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'officer', 'finance', 'supplier')", name="principal_role"),
        # Officers and finance act for exactly one authority; suppliers for one business id.
        CheckConstraint(
            "(role IN ('officer', 'finance')) = (authority_id IS NOT NULL)", name="principal_authority_scope"
        ),
        CheckConstraint("(role = 'supplier') = (business_id IS NOT NULL)", name="principal_supplier_scope"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    role: str = Field(max_length=16)
    name: str = Field(max_length=200)
    authority_id: uuid.UUID | None = Field(default=None, foreign_key="authority.id", index=True)
    business_id: str | None = Field(default=None, max_length=9, index=True)
    created_at: datetime = Field(sa_column=moment())


class ApiToken(SQLModel, table=True):
    """A bearer token, stored only as its SHA-256, with its holder's key wrapped under the token itself."""

    __tablename__ = "api_token"
    __table_args__ = (
        # A holder key is 32 bytes wrapped with a 12-byte nonce and a 16-byte tag; its public key 32 bytes.
        CheckConstraint(
            "(holder_key_wrap IS NULL OR octet_length(holder_key_wrap) = 60)"
            " AND (holder_public_key IS NULL OR octet_length(holder_public_key) = 32)",
            name="api_token_holder_key",
        ),
        # A revoked token's wrap is erased: it can never open its holder's key again, even if found.
        CheckConstraint("revoked_at IS NULL OR holder_key_wrap IS NULL", name="api_token_revoked_wrap"),
        # Who revoked a token is recorded with the moment.
        CheckConstraint("(revoked_at IS NULL) = (revoked_by IS NULL)", name="api_token_revoked_by"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    principal_id: uuid.UUID = Field(foreign_key="principal.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_column=moment())
    revoked_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    revoked_by: str | None = Field(default=None, max_length=200)
    holder_key_wrap: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    holder_public_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class WebSession(SQLModel, table=True):
    """A browser session opened with an API token: ended by sign-out, by revoking the token, or by time."""

    __tablename__ = "web_session"
    __table_args__ = (
        # The absolute lifetime runs from sign-in; activity never extends it.
        CheckConstraint("expires_at > created_at", name="web_session_expiry"),
        # An ended session always says why.
        CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="web_session_end_reason"),
        # The holder key (sealed under the cookie's secret) is erased when the session ends.
        CheckConstraint("ended_at IS NULL OR holder_key_wrap IS NULL", name="web_session_ended_wrap"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    principal_id: uuid.UUID = Field(foreign_key="principal.id", index=True)
    token_id: uuid.UUID = Field(foreign_key="api_token.id", index=True)
    secret_hash: str = Field(max_length=64)
    holder_key_wrap: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    user_agent: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_column=moment())
    last_seen_at: datetime = Field(sa_column=moment())
    expires_at: datetime = Field(sa_column=moment())
    ended_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    end_reason: str | None = Field(default=None, max_length=40)


class AuditRecord(SQLModel, table=True):
    """One append-only, hash-chained record of a state change of one aggregate."""

    __tablename__ = "audit_record"
    __table_args__ = (
        # One chain per aggregate: its records are numbered without gaps or forks.
        UniqueConstraint("aggregate_type", "aggregate_id", "seq", name="audit_record_chain_seq"),
        Index("audit_record_at", "at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    aggregate_type: str = Field(max_length=40)
    aggregate_id: str = Field(max_length=80)
    seq: int
    at: datetime = Field(sa_column=moment())
    actor: str = Field(max_length=200)
    action: str = Field(max_length=80)
    before: dict[str, Any] | None = Field(default=None, sa_column=document())
    after: dict[str, Any] | None = Field(default=None, sa_column=document())
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The newest record of each chain; its row lock orders writers of that aggregate only."""

    __tablename__ = "audit_head"

    aggregate_type: str = Field(max_length=40, primary_key=True)
    aggregate_id: str = Field(max_length=80, primary_key=True)
    seq: int
    hash: str = Field(max_length=64)


class OutboxEvent(SQLModel, table=True):
    """A public or supplier-relevant change, written in the transaction of the change itself."""

    __tablename__ = "outbox_event"
    __table_args__ = (
        # Readers page by (txid, id): the transaction's id orders rows as their commits become visible.
        Index("outbox_event_order", "txid", "id", unique=True),
        Index("outbox_event_subject", "subject_type", "subject_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    txid: int = Field(
        sa_column=Column(
            BigInteger, nullable=False, server_default=text("(pg_current_xact_id()::text)::bigint")
        )
    )
    event_id: uuid.UUID = Field(unique=True)
    kind: str = Field(max_length=60)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=80)
    at: datetime = Field(sa_column=moment())
    public: bool
    # A time-triggered event (a deadline reminder) is written once however often the sweep runs.
    dedup_key: str | None = Field(default=None, max_length=200, unique=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))


class OutboxConsumer(SQLModel, table=True):
    """How far one reader of the outbox (the release projector, the notification fan-out) has come."""

    __tablename__ = "outbox_consumer"

    name: str = Field(primary_key=True, max_length=40)
    txid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    event: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(sa_column=moment())
