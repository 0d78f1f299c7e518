"""Column helpers so every table spells time, money and JSON the same way."""

from typing import Any

from sqlalchemy import BigInteger, Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB


def moment(*, nullable: bool = False, index: bool = False) -> Any:
    """A timestamptz column (aware UTC in Python)."""
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


def cents(*, nullable: bool = False) -> Any:
    """A BIGINT money column in integer cents."""
    return Column(BigInteger, nullable=nullable)


def document(*, nullable: bool = True) -> Any:
    """A JSONB column for snapshots and traces."""
    return Column(JSONB, nullable=nullable)
