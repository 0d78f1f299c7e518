"""bid supplier copy: the submitting supplier's own encrypted copy of each bid version

Revision ID: 0010_bid_supplier_copy
Revises: 0009_payment_speed
Create Date: 2026-11-22 14:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_bid_supplier_copy"
down_revision: str | None = "0009_payment_speed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: versions stored before this migration have no supplier copy (their content stays
    # unreadable until opening, as before).
    op.add_column("bid_version", sa.Column("supplier_copy", sa.LargeBinary(), nullable=True))
    op.create_check_constraint(
        "bid_version_supplier_copy",
        "bid_version",
        "supplier_copy IS NULL OR octet_length(supplier_copy) > 28",
    )


def downgrade() -> None:
    op.drop_constraint("bid_version_supplier_copy", "bid_version", type_="check")
    op.drop_column("bid_version", "supplier_copy")
