"""Tables of publication: each OCDS release, stored once and never changed."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Identity, Index, String
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from procurement.core.columns import moment


class OcdsRelease(SQLModel, table=True):
    """One OCDS release, built from one public outbox event; releases are immutable (OCDS 1.1)."""

    __tablename__ = "ocds_release"
    __table_args__ = (
        # Packages list releases in the outbox's commit order.
        Index("ocds_release_order", "txid", "event", unique=True),
        Index("ocds_release_ocid", "ocid", "txid", "event"),
        Index("ocds_release_month", "month", "txid", "event"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    release_id: str = Field(max_length=200, unique=True)
    ocid: str = Field(max_length=200)
    event_id: uuid.UUID = Field(unique=True)
    kind: str = Field(max_length=60)
    txid: int = Field(sa_column=Column(BigInteger, nullable=False))
    event: int = Field(sa_column=Column(BigInteger, nullable=False))
    date: datetime = Field(sa_column=moment())
    tags: list[str] = Field(sa_column=Column(ARRAY(String(40)), nullable=False))
    # The Helsinki calendar month of the release's date: its monthly bulk package.
    month: str = Field(max_length=7)
    published_at: datetime = Field(sa_column=moment())
    body: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
