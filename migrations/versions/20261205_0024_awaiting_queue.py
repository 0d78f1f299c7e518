"""awaiting queue: an authority's outcome events waiting for verification, read from a small index

The officer's start page lists the authority's reported events, oldest first. The authority's index in
recorded order holds every event of years, and only a handful of them wait: finding them read the whole
range. A partial index over the undecided events (`decided_at IS NULL`) holds just those. It names no
column the month's close changes (`state`), so the close's verified → payable updates stay HOT
(migration 0009); a verification or rejection sets `decided_at` once, and leaves the index then.
The check makes sure no reported event is outside the index.

Revision ID: 0024_awaiting_queue
Revises: 0023_flow_through_months
Create Date: 2026-12-05 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_awaiting_queue"
down_revision: str | None = "0023_flow_through_months"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NOT VALID then VALIDATE: the scan of every event checks the rule without blocking writes meanwhile.
    op.execute(
        "ALTER TABLE outcome_event ADD CONSTRAINT outcome_event_reported_undecided"
        " CHECK (state <> 'reported' OR decided_at IS NULL) NOT VALID"
    )
    op.execute("ALTER TABLE outcome_event VALIDATE CONSTRAINT outcome_event_reported_undecided")
    op.create_index(
        "outcome_event_awaiting",
        "outcome_event",
        ["authority_id", "recorded_at", "id"],
        postgresql_where=sa.text("decided_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("outcome_event_awaiting", table_name="outcome_event")
    op.drop_constraint("outcome_event_reported_undecided", "outcome_event", type_="check")
