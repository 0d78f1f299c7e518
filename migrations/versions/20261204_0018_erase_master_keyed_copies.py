"""erase master-keyed supplier copies: a copy the server's master key opens breaks the sealing promise

Revision ID: 0018_erase_master_keyed_copies
Revises: 0014_sealed_against_insiders
Create Date: 2026-12-04 12:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018_erase_master_keyed_copies"
down_revision: str | None = "0014_sealed_against_insiders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Copies made before 0014 were keyed by DPR_SEALING_KEY, so the master key and a dump read them. They
    # are erased (the one change bid_version allows since 0014); receipts and the sealed versions stay,
    # and the suppliers keep their own copies and receipts. Nothing can bring these copies back.
    op.execute("UPDATE bid_version SET supplier_copy = NULL WHERE supplier_copy IS NOT NULL")


def downgrade() -> None:
    pass  # erased copies cannot come back
