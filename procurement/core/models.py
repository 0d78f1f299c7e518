"""Tables of the shared kernel: principals, their tokens, and the audit chains."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, Identity, Index, UniqueConstraint
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
    """A bearer token, stored only as its SHA-256."""

    __tablename__ = "api_token"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    principal_id: uuid.UUID = Field(foreign_key="principal.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_column=moment())
    revoked_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))


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
