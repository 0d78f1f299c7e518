"""The stored public flow-through tables: each month end's table as it is shown (ADR 0006)."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from procurement.core.columns import moment


class FlowThroughMonth(SQLModel, table=True):
    """A DPS's public table of one grouping at one month end, suppressed as it is shown.

    Derived from the referrals and outcome events: triggers (migration 0023) delete the rows of every
    month end a changed fact counts in, so a stored row always equals what the table computes now. A
    position whose outcome layer is hidden is stored without its counts."""

    __tablename__ = "flow_through_month"
    __table_args__ = (
        CheckConstraint(
            "month_end = (date_trunc('month', month_end) + interval '1 month - 1 day')::date",
            name="flow_through_month_end",
        ),
        CheckConstraint("jsonb_typeof(positions) = 'array'", name="flow_through_month_positions"),
    )

    dps_id: uuid.UUID = Field(foreign_key="dps.id", primary_key=True)
    # The table's dimensions in order, comma-separated ("supplier,category").
    grouping: str = Field(primary_key=True, max_length=60)
    # The FlowThroughConfig it was computed with: another configuration is another table.
    horizon_days: int = Field(primary_key=True)
    persistence_days: int = Field(primary_key=True)
    threshold: int = Field(primary_key=True)
    month_end: date = Field(primary_key=True)
    # [[a, b, outcome_shown, counts_shown, starts, matured, neutral, qualified], …]; counts null when hidden.
    positions: list[Any] = Field(sa_column=Column(JSONB, nullable=False))
    computed_at: datetime = Field(sa_column=moment())
