"""list indexes: every list pages by keyset; an index in each list's order serves a page without a sort

Referrals and outcome events get their contract's authority and supplier as columns of their own
(backfilled here, kept right by composite foreign keys), so an authority's or a supplier's page is read
from one index instead of walking every authority's rows through two joins.

Revision ID: 0022_list_indexes
Revises: 0016_verified_exits
Create Date: 2026-12-04 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_list_indexes"
down_revision: str | None = "0016_verified_exits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name, table, columns: each list's keyset order (ADR 0019 shows the plans on the national bench).
INDEXES = (
    ("referral_authority_order", "referral", ["authority_id", "referred_at", "id"]),
    ("referral_supplier_order", "referral", ["supplier_id", "referred_at", "id"]),
    ("referral_authority_state_order", "referral", ["authority_id", "state", "referred_at", "id"]),
    ("outcome_event_authority_order", "outcome_event", ["authority_id", "recorded_at", "id"]),
    ("outcome_event_supplier_order", "outcome_event", ["supplier_id", "recorded_at", "id"]),
    ("payment_line_supplier", "payment_line", ["supplier_id", "id"]),
    ("competition_order", "competition", ["created_at", "id"]),
    ("contract_authority_order", "contract", ["authority_id", "concluded_at", "id"]),
    ("invitation_inbox", "invitation", ["supplier_id", "invited_at", "competition_id"]),
)
SCOPED = ("referral", "outcome_event")


def upgrade() -> None:
    for table in SCOPED:
        op.add_column(table, sa.Column("authority_id", sa.Uuid(), nullable=True))
        op.add_column(table, sa.Column("supplier_id", sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE referral r SET authority_id = c.authority_id, supplier_id = c.supplier_id"
        " FROM contract c WHERE c.id = r.contract_id"
    )
    op.execute(
        "UPDATE outcome_event e SET authority_id = r.authority_id, supplier_id = r.supplier_id"
        " FROM referral r WHERE r.id = e.referral_id"
    )
    for table in SCOPED:
        op.alter_column(table, "authority_id", nullable=False)
        op.alter_column(table, "supplier_id", nullable=False)
    op.create_unique_constraint("contract_scope", "contract", ["id", "authority_id", "supplier_id"])
    op.create_unique_constraint("referral_scope_key", "referral", ["id", "authority_id", "supplier_id"])
    op.create_foreign_key(
        "referral_scope",
        "referral",
        "contract",
        ["contract_id", "authority_id", "supplier_id"],
        ["id", "authority_id", "supplier_id"],
    )
    op.create_foreign_key(
        "outcome_event_scope",
        "outcome_event",
        "referral",
        ["referral_id", "authority_id", "supplier_id"],
        ["id", "authority_id", "supplier_id"],
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_constraint("outcome_event_scope", "outcome_event", type_="foreignkey")
    op.drop_constraint("referral_scope", "referral", type_="foreignkey")
    op.drop_constraint("referral_scope_key", "referral", type_="unique")
    op.drop_constraint("contract_scope", "contract", type_="unique")
    for table in SCOPED:
        op.drop_column(table, "supplier_id")
        op.drop_column(table, "authority_id")
