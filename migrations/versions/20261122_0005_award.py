"""award

Revision ID: 0005_award
Revises: 0004_minicompetition
Create Date: 2026-11-22 11:38:17.652811
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_award"
down_revision: str | None = "0004_minicompetition"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("solver_name", sa.String(length=40), nullable=False),
        sa.Column("solver_version", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("objective", sa.String(length=80), nullable=True),
        sa.Column("input", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("wall_ms", sa.Integer(), nullable=False),
        sa.Column("price_to_win", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("status IN ('optimal', 'infeasible', 'not_solved')", name="evaluation_run_status"),
        sa.ForeignKeyConstraint(
            ["competition_id"],
            ["competition.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["principal.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("competition_id", "seq", name="evaluation_run_seq_per_competition"),
    )
    op.create_index(
        op.f("ix_evaluation_run_competition_id"), "evaluation_run", ["competition_id"], unique=False
    )
    op.create_table(
        "award_decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("evaluation_run_id", sa.Uuid(), nullable=False),
        sa.Column("issued_by", sa.Uuid(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("standstill_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("appeal_instructions", sa.String(length=8000), nullable=False),
        sa.Column("allocation", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("overrides", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("standstill_ends_at >= issued_at", name="award_decision_standstill"),
        sa.ForeignKeyConstraint(
            ["competition_id"],
            ["competition.id"],
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_run_id"],
            ["evaluation_run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"],
            ["principal.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("competition_id", name="award_decision_once"),
    )
    op.create_table(
        "quality_score",
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("criterion", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("entered_by", sa.Uuid(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name="quality_score_range"),
        sa.ForeignKeyConstraint(
            ["bid_id"],
            ["bid.id"],
        ),
        sa.ForeignKeyConstraint(
            ["entered_by"],
            ["principal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lot.id"],
        ),
        sa.PrimaryKeyConstraint("bid_id", "lot_id", "criterion"),
    )
    op.create_table(
        "contract",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("dps_id", sa.Uuid(), nullable=False),
        sa.Column("category_code", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("value_ceiling_cents", sa.BigInteger(), nullable=False),
        sa.Column("payment_model", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("concluded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("termination_reason", sa.String(length=2000), nullable=True),
        sa.CheckConstraint(
            "(state = 'terminated') = (termination_reason IS NOT NULL)", name="contract_termination"
        ),
        sa.CheckConstraint("state IN ('active', 'completed', 'terminated')", name="contract_state"),
        sa.CheckConstraint("value_ceiling_cents > 0", name="contract_ceiling_positive"),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authority.id"],
        ),
        sa.ForeignKeyConstraint(
            ["award_id"],
            ["award_decision.id"],
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["category.code"],
        ),
        sa.ForeignKeyConstraint(
            ["competition_id"],
            ["competition.id"],
        ),
        sa.ForeignKeyConstraint(
            ["dps_id"],
            ["dps.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("award_id", "supplier_id", name="contract_one_per_winner"),
    )
    op.create_index("contract_supplier_state", "contract", ["supplier_id", "state"], unique=False)
    op.create_index(op.f("ix_contract_authority_id"), "contract", ["authority_id"], unique=False)
    op.create_index(op.f("ix_contract_competition_id"), "contract", ["competition_id"], unique=False)
    op.create_table(
        "contract_lot",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("lot_code", sa.String(length=20), nullable=False),
        sa.Column("municipality_codes", postgresql.ARRAY(sa.String(length=3)), nullable=False),
        sa.Column("target_group", sa.String(length=40), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("unit_price_cents > 0", name="contract_lot_price"),
        sa.CheckConstraint("volume >= 1", name="contract_lot_volume"),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lot.id"],
        ),
        sa.PrimaryKeyConstraint("contract_id", "lot_id"),
    )


def downgrade() -> None:
    op.drop_table("contract_lot")
    op.drop_index(op.f("ix_contract_competition_id"), table_name="contract")
    op.drop_index(op.f("ix_contract_authority_id"), table_name="contract")
    op.drop_index("contract_supplier_state", table_name="contract")
    op.drop_table("contract")
    op.drop_table("quality_score")
    op.drop_table("award_decision")
    op.drop_index(op.f("ix_evaluation_run_competition_id"), table_name="evaluation_run")
    op.drop_table("evaluation_run")
