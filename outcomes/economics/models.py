"""Tables of the economic model: the ring's liability configuration and the competitions' forecasts."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from procurement.core.columns import cents, moment


class LiabilityRate(SQLModel, table=True):
    """The municipal financing shares and the daily benefit a ring uses from a date on (SPEC 4.8)."""

    __tablename__ = "liability_rate"
    __table_args__ = (
        # Shares are basis points of the benefit; a share above 100 % would be more than the benefit.
        CheckConstraint(
            "share_t1_bp BETWEEN 0 AND 10000 AND share_t2_bp BETWEEN 0 AND 10000 "
            "AND share_t3_bp BETWEEN 0 AND 10000 AND share_t4_bp BETWEEN 0 AND 10000",
            name="liability_rate_shares",
        ),
        # A month has at most 31 days, and a benefit of nothing would avoid nothing.
        CheckConstraint(
            "daily_benefit_cents > 0 AND benefit_days_per_month_centi BETWEEN 1 AND 3100",
            name="liability_rate_benefit",
        ),
        # One version in force per ring and effective date; corrections supersede, never overwrite.
        Index(
            "liability_rate_one_per_date",
            "ring_id",
            "effective_from",
            unique=True,
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    ring_id: uuid.UUID = Field(foreign_key="ring.id", index=True)
    effective_from: date
    share_t1_bp: int
    share_t2_bp: int
    share_t3_bp: int
    share_t4_bp: int
    daily_benefit_cents: int = Field(sa_column=cents())
    benefit_days_per_month_centi: int
    basis: str = Field(max_length=2000)  # the law or decision the administrator checked the values against
    created_by: uuid.UUID = Field(foreign_key="principal.id")
    created_at: datetime = Field(sa_column=moment())
    superseded_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))


FORECAST_KINDS = ("draft", "published")


class CompetitionForecast(SQLModel, table=True):
    """A competition's forecast: the draft's latest, and the one stored when it was published."""

    __tablename__ = "competition_forecast"
    __table_args__ = (
        CheckConstraint("kind IN ('draft', 'published')", name="competition_forecast_kind"),
        # One draft forecast (replaced as the officer recomputes) and one published forecast per competition.
        UniqueConstraint("competition_id", "kind", name="competition_forecast_one_per_kind"),
        # The range is ordered: the low case never costs more than the expected, nor that the high.
        CheckConstraint(
            "0 <= low_cost_cents AND low_cost_cents <= expected_cost_cents "
            "AND expected_cost_cents <= high_cost_cents",
            name="competition_forecast_range",
        ),
        CheckConstraint(
            "break_even_ft_bp IS NULL OR break_even_ft_bp BETWEEN 0 AND 10000",
            name="competition_forecast_break_even",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    competition_id: uuid.UUID = Field(foreign_key="competition.id", index=True)
    kind: str = Field(max_length=10)
    assumptions: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    forecast: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    # The configuration row the forecast used; NULL when it used the shipped, unconfirmed example.
    liability_rate_id: uuid.UUID | None = Field(default=None, foreign_key="liability_rate.id")
    liability_example: bool
    low_cost_cents: int = Field(sa_column=cents())
    expected_cost_cents: int = Field(sa_column=cents())
    high_cost_cents: int = Field(sa_column=cents())
    avoided_liability_cents: int = Field(sa_column=cents())
    net_effect_cents: int = Field(sa_column=cents())
    break_even_ft_bp: int | None = None
    horizon_months: int
    rule_version: str = Field(max_length=40)
    computed_by: uuid.UUID = Field(foreign_key="principal.id")
    computed_at: datetime = Field(sa_column=moment())
