"""economic model: the ring's liability configuration with effective dates and the competitions' forecasts

Revision ID: 0021_economic_model
Revises: 0022_list_indexes
Create Date: 2026-12-04 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021_economic_model"
down_revision: str | None = "0022_list_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "liability_rate",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ring_id", sa.Uuid(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("share_t1_bp", sa.Integer(), nullable=False),
        sa.Column("share_t2_bp", sa.Integer(), nullable=False),
        sa.Column("share_t3_bp", sa.Integer(), nullable=False),
        sa.Column("share_t4_bp", sa.Integer(), nullable=False),
        sa.Column("daily_benefit_cents", sa.BigInteger(), nullable=False),
        sa.Column("benefit_days_per_month_centi", sa.Integer(), nullable=False),
        sa.Column("basis", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "share_t1_bp BETWEEN 0 AND 10000 AND share_t2_bp BETWEEN 0 AND 10000 "
            "AND share_t3_bp BETWEEN 0 AND 10000 AND share_t4_bp BETWEEN 0 AND 10000",
            name="liability_rate_shares",
        ),
        sa.CheckConstraint(
            "daily_benefit_cents > 0 AND benefit_days_per_month_centi BETWEEN 1 AND 3100",
            name="liability_rate_benefit",
        ),
        sa.ForeignKeyConstraint(["created_by"], ["principal.id"]),
        sa.ForeignKeyConstraint(["ring_id"], ["ring.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_liability_rate_ring_id"), "liability_rate", ["ring_id"], unique=False)
    op.create_index(
        "liability_rate_one_per_date",
        "liability_rate",
        ["ring_id", "effective_from"],
        unique=True,
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.create_table(
        "competition_forecast",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("assumptions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("forecast", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("liability_rate_id", sa.Uuid(), nullable=True),
        sa.Column("liability_example", sa.Boolean(), nullable=False),
        sa.Column("low_cost_cents", sa.BigInteger(), nullable=False),
        sa.Column("expected_cost_cents", sa.BigInteger(), nullable=False),
        sa.Column("high_cost_cents", sa.BigInteger(), nullable=False),
        sa.Column("avoided_liability_cents", sa.BigInteger(), nullable=False),
        sa.Column("net_effect_cents", sa.BigInteger(), nullable=False),
        sa.Column("break_even_ft_bp", sa.Integer(), nullable=True),
        sa.Column("horizon_months", sa.Integer(), nullable=False),
        sa.Column("rule_version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("computed_by", sa.Uuid(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('draft', 'published')", name="competition_forecast_kind"),
        sa.CheckConstraint(
            "0 <= low_cost_cents AND low_cost_cents <= expected_cost_cents "
            "AND expected_cost_cents <= high_cost_cents",
            name="competition_forecast_range",
        ),
        sa.CheckConstraint(
            "break_even_ft_bp IS NULL OR break_even_ft_bp BETWEEN 0 AND 10000",
            name="competition_forecast_break_even",
        ),
        sa.ForeignKeyConstraint(["competition_id"], ["competition.id"]),
        sa.ForeignKeyConstraint(["computed_by"], ["principal.id"]),
        sa.ForeignKeyConstraint(["liability_rate_id"], ["liability_rate.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("competition_id", "kind", name="competition_forecast_one_per_kind"),
    )
    op.create_index(
        op.f("ix_competition_forecast_competition_id"),
        "competition_forecast",
        ["competition_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_competition_forecast_competition_id"), table_name="competition_forecast")
    op.drop_table("competition_forecast")
    op.drop_index("liability_rate_one_per_date", table_name="liability_rate")
    op.drop_index(op.f("ix_liability_rate_ring_id"), table_name="liability_rate")
    op.drop_table("liability_rate")
