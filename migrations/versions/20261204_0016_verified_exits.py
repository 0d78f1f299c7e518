"""verified exits: neutral exits verified by an officer; clawed-back outcomes free their episode

Revision ID: 0016_verified_exits
Revises: 0012_payment_engine
Create Date: 2026-12-04 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016_verified_exits"
down_revision: str | None = "0012_payment_engine"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "state NOT IN ('rejected', 'voided', 'awaiting_clawback', 'clawed_back')"
OLD_LIVE = "state NOT IN ('rejected', 'voided')"
EXIT_STATES = "('reported', 'verified', 'rejected')"


def _live(expression: str) -> None:
    # PostgreSQL 16 cannot change a generated column's expression: drop it (and the index reading it) and
    # add it again, which rewrites the table once.
    op.drop_index(
        "outcome_event_once_per_episode", table_name="outcome_event", postgresql_where=sa.text("live")
    )
    op.drop_column("outcome_event", "live")
    op.add_column(
        "outcome_event",
        sa.Column("live", sa.Boolean(), sa.Computed(expression, persisted=True), nullable=False),
    )
    op.create_index(
        "outcome_event_once_per_episode",
        "outcome_event",
        ["referral_id", "event_type", "episode_id"],
        unique=True,
        postgresql_where=sa.text("live"),
    )


def upgrade() -> None:
    # A paid outcome voided and clawed back no longer stands: a correct claim of it may be made again.
    _live(LIVE)
    op.add_column("referral", sa.Column("neutral_exit_state", sa.String(length=10), nullable=True))
    op.add_column("referral", sa.Column("neutral_exit_evidence_sha256", sa.String(length=64), nullable=True))
    op.add_column("referral", sa.Column("neutral_exit_reported_at", postgresql.TIMESTAMP(timezone=True)))
    op.add_column("referral", sa.Column("neutral_exit_decided_by", sa.Uuid(), nullable=True))
    op.add_column("referral", sa.Column("neutral_exit_decided_at", postgresql.TIMESTAMP(timezone=True)))
    op.add_column("referral", sa.Column("neutral_exit_rejection", sa.String(length=2000), nullable=True))
    op.create_foreign_key(
        "referral_neutral_exit_decided_by_fkey", "referral", "principal", ["neutral_exit_decided_by"], ["id"]
    )
    # Data: exits recorded before this revision were never verified; they wait for an officer like new ones.
    op.execute("UPDATE referral SET neutral_exit_state = 'reported' WHERE end_reason = 'neutral_exit'")
    op.create_check_constraint(
        "referral_neutral_exit_state",
        "referral",
        f"(end_reason IS NOT DISTINCT FROM 'neutral_exit') = (neutral_exit_state IS NOT NULL)"
        f" AND (neutral_exit_state IS NULL OR neutral_exit_state IN {EXIT_STATES})",
    )
    op.create_check_constraint(
        "referral_neutral_exit_decided",
        "referral",
        "(neutral_exit_state IN ('verified', 'rejected'))"
        " = (neutral_exit_decided_at IS NOT NULL AND neutral_exit_decided_by IS NOT NULL)"
        " AND (neutral_exit_state = 'rejected') = (neutral_exit_rejection IS NOT NULL)",
    )
    op.create_check_constraint(
        "referral_neutral_exit_evidence",
        "referral",
        "neutral_exit_evidence_sha256 IS NULL OR neutral_exit_evidence_sha256 ~ '^[0-9a-f]{64}$'",
    )


def downgrade() -> None:
    for name in (
        "referral_neutral_exit_evidence",
        "referral_neutral_exit_decided",
        "referral_neutral_exit_state",
    ):
        op.drop_constraint(name, "referral", type_="check")
    op.drop_constraint("referral_neutral_exit_decided_by_fkey", "referral", type_="foreignkey")
    for name in (
        "neutral_exit_rejection",
        "neutral_exit_decided_at",
        "neutral_exit_decided_by",
        "neutral_exit_reported_at",
        "neutral_exit_evidence_sha256",
        "neutral_exit_state",
    ):
        op.drop_column("referral", name)
    _live(OLD_LIVE)
