"""list indexes: every list pages by keyset; an index in each list's order serves a page without a sort

Revision ID: 0022_list_indexes
Revises: 0016_verified_exits
Create Date: 2026-12-04 22:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_list_indexes"
down_revision: str | None = "0016_verified_exits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name, table, columns: each list's keyset order (ADR 0019 shows the plans on the national bench).
INDEXES = (
    ("referral_order", "referral", ["referred_at", "id"]),
    ("referral_state_order", "referral", ["state", "referred_at", "id"]),
    ("outcome_event_order", "outcome_event", ["recorded_at", "id"]),
    ("outcome_event_state_order", "outcome_event", ["state", "recorded_at", "id"]),
    ("payment_line_supplier", "payment_line", ["supplier_id", "id"]),
    ("competition_order", "competition", ["created_at", "id"]),
    ("contract_authority_order", "contract", ["authority_id", "concluded_at", "id"]),
    ("invitation_inbox", "invitation", ["supplier_id", "invited_at", "competition_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
