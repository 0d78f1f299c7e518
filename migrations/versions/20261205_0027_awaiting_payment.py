"""awaiting payment: an authority's verified and payable events, read from a small index

An officer lists the authority's verified events (`GET /outcome-events?state=verified`): the handful that
wait for the next close among years of paid ones. The authority's index in recorded order walked every
event of the authority and read each row to test its state (74 ms for 2 400 of 119 000 at national
scale). An index that names `state` would make the close's verified → payable move of every paid event a
non-HOT update (an entry in every index of the table per row). So, as `live` in migration 0009, the
database computes `awaiting_payment` (verified or payable), which that move leaves unchanged: the update
stays HOT, and the partial index over it holds only the events between verification and payment. The
payment's payable → paid and a void change the column, and leave the index then.

Adding a stored generated column rewrites the table (about a minute for five million events; the table is
locked meanwhile: run it in a maintenance window).

Revision ID: 0027_awaiting_payment
Revises: 0026_event_forget_when
Create Date: 2026-12-05 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_awaiting_payment"
down_revision: str | None = "0026_event_forget_when"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AWAITING = "state IN ('verified', 'payable')"


def upgrade() -> None:
    op.add_column(
        "outcome_event",
        sa.Column("awaiting_payment", sa.Boolean(), sa.Computed(AWAITING, persisted=True), nullable=False),
    )
    op.create_index(
        "outcome_event_awaiting_payment",
        "outcome_event",
        ["authority_id", "recorded_at", "id"],
        postgresql_where=sa.text("awaiting_payment"),
    )


def downgrade() -> None:
    op.drop_index("outcome_event_awaiting_payment", table_name="outcome_event")
    op.drop_column("outcome_event", "awaiting_payment")
