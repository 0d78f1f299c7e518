"""payment engine: recomputable lines, reclaims after a clawback, settled starts by referral

Revision ID: 0012_payment_engine
Revises: 0017_admission_history_data
Create Date: 2026-12-04 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_payment_engine"
down_revision: str | None = "0017_admission_history_data"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECOMPUTABLE = (
    "rate_den > 0 AND amount_cents + unpaid_cents"
    " = round(base_cents::numeric * rate_num / rate_den) - deducted_cents"
)


def upgrade() -> None:
    # Schema: what a finance clerk needs to recompute a line on its own, and the claim number of a paid key.
    for name in ("base_cents", "rate_num", "rate_den", "deducted_cents"):
        op.add_column("payment_line", sa.Column(name, sa.BigInteger(), nullable=True))
    op.add_column(
        "payment_line", sa.Column("outcome_claim", sa.SmallInteger(), nullable=False, server_default="0")
    )
    op.alter_column("payment_line", "outcome_claim", server_default=None)
    op.add_column("payment_settled_start", sa.Column("referral_id", sa.Uuid(), nullable=True))
    op.add_column("payment_settled_start", sa.Column("bonus_rate", sa.String(length=60), nullable=True))

    # Data: lines of closed periods are guarded against updates; the guard steps aside for this one
    # backfill. A line written before this revision states its value as its own base (rate 1/1).
    op.execute("ALTER TABLE payment_line DISABLE TRIGGER payment_line_update_open")
    op.execute(
        "UPDATE payment_line SET base_cents = amount_cents + unpaid_cents, rate_num = 1, rate_den = 1,"
        " deducted_cents = 0"
    )
    op.execute("ALTER TABLE payment_line ENABLE TRIGGER payment_line_update_open")
    op.execute("ALTER TABLE payment_settled_start DISABLE TRIGGER payment_settled_start_update_open")
    op.execute(
        "UPDATE payment_settled_start s SET referral_id = e.referral_id FROM outcome_event e WHERE e.id = s.event_id"
    )
    op.execute("ALTER TABLE payment_settled_start ENABLE TRIGGER payment_settled_start_update_open")

    # Constraints.
    for name in ("base_cents", "rate_num", "rate_den", "deducted_cents"):
        op.alter_column("payment_line", name, nullable=False)
    op.create_check_constraint("payment_line_recomputable", "payment_line", RECOMPUTABLE)
    # Settlement lines written before this revision were per municipality and name no event; every new
    # line names one (NOT VALID: the constraint holds for new rows and leaves those old ones be).
    op.drop_constraint("payment_line_event", "payment_line", type_="check")
    op.execute(
        "ALTER TABLE payment_line ADD CONSTRAINT payment_line_event CHECK (event_id IS NOT NULL) NOT VALID"
    )
    op.drop_index(
        "payment_line_outcome_paid_once",
        table_name="payment_line",
        postgresql_where=sa.text("kind = 'outcome'"),
    )
    op.create_index(
        "payment_line_outcome_paid_once",
        "payment_line",
        ["outcome_key", "outcome_claim"],
        unique=True,
        postgresql_where=sa.text("kind = 'outcome'"),
    )
    op.create_foreign_key(
        "payment_settled_start_referral_id_fkey", "payment_settled_start", "referral", ["referral_id"], ["id"]
    )
    op.create_unique_constraint(
        "payment_settled_start_referral_id_key", "payment_settled_start", ["referral_id"]
    )


def downgrade() -> None:
    op.drop_constraint("payment_settled_start_referral_id_key", "payment_settled_start", type_="unique")
    op.drop_constraint("payment_settled_start_referral_id_fkey", "payment_settled_start", type_="foreignkey")
    op.drop_index(
        "payment_line_outcome_paid_once",
        table_name="payment_line",
        postgresql_where=sa.text("kind = 'outcome'"),
    )
    op.create_index(
        "payment_line_outcome_paid_once",
        "payment_line",
        ["outcome_key"],
        unique=True,
        postgresql_where=sa.text("kind = 'outcome'"),
    )
    op.drop_constraint("payment_line_event", "payment_line", type_="check")
    op.execute(
        "ALTER TABLE payment_line ADD CONSTRAINT payment_line_event"
        " CHECK ((event_id IS NULL) = (rule = 'flow_through_settlement')) NOT VALID"
    )
    op.drop_constraint("payment_line_recomputable", "payment_line", type_="check")
    op.drop_column("payment_settled_start", "bonus_rate")
    op.drop_column("payment_settled_start", "referral_id")
    for name in ("outcome_claim", "deducted_cents", "rate_den", "rate_num", "base_cents"):
        op.drop_column("payment_line", name)
