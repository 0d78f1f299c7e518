"""payment speed: outcome events move state by HOT updates

Revision ID: 0009_payment_speed
Revises: 0008_payments
Create Date: 2026-11-22 14:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_payment_speed"
down_revision: str | None = "0008_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "state NOT IN ('rejected', 'voided')"


def upgrade() -> None:
    # An event changes state several times (reported → verified → payable → paid); half-empty pages let
    # each change be a HOT update (no index entries), set before the column below rewrites the table.
    op.execute("ALTER TABLE outcome_event SET (fillfactor = 50)")
    op.add_column(
        "outcome_event",
        sa.Column("live", sa.Boolean(), sa.Computed(LIVE, persisted=True), nullable=False),
    )
    # The once-per-episode predicate reads `live`, not `state`: a state change that keeps an event live
    # (such as a close's verified → payable) then touches no indexed column and stays a HOT update.
    op.drop_index(
        "outcome_event_once_per_episode", table_name="outcome_event", postgresql_where=sa.text(LIVE)
    )
    op.create_index(
        "outcome_event_once_per_episode",
        "outcome_event",
        ["referral_id", "event_type", "episode_id"],
        unique=True,
        postgresql_where=sa.text("live"),
    )


def downgrade() -> None:
    op.drop_index(
        "outcome_event_once_per_episode", table_name="outcome_event", postgresql_where=sa.text("live")
    )
    op.create_index(
        "outcome_event_once_per_episode",
        "outcome_event",
        ["referral_id", "event_type", "episode_id"],
        unique=True,
        postgresql_where=sa.text(LIVE),
    )
    op.drop_column("outcome_event", "live")
    op.execute("ALTER TABLE outcome_event RESET (fillfactor)")
