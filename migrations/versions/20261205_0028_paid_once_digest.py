"""paid once by digest: the once-only index keyed by the MD5 of the outcome key, not the key's 130 bytes

The unique index that lets an outcome be paid once across the ring held each outcome line's whole key
(pseudonym, outcome type and episode: ~130 bytes). A close inserts one entry per outcome line, in no order
the index likes: the widest index of payment_line cost a close the most write-ahead log and page splits of
any. Keyed by the key's MD5 as a uuid (16 bytes), each entry is a sixth of the size (a 300 000-event close:
1 561–1 779 → 1 248 bytes of WAL a line). Equal keys have equal digests, so nothing paid twice can pass; two
different keys with one digest (about 10⁻²¹ for a billion keys) would refuse a payment, never allow one.

Revision ID: 0028_paid_once_digest
Revises: 0027_awaiting_payment
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_paid_once_digest"
down_revision: str | None = "0027_awaiting_payment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "payment_line_outcome_paid_once"
WHERE = sa.text("kind = 'outcome'")


def upgrade() -> None:
    op.drop_index(NAME, table_name="payment_line", postgresql_where=WHERE)
    op.create_index(
        NAME,
        "payment_line",
        [sa.text("(md5(outcome_key)::uuid)"), "outcome_claim"],
        unique=True,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index(NAME, table_name="payment_line", postgresql_where=WHERE)
    op.create_index(
        NAME, "payment_line", ["outcome_key", "outcome_claim"], unique=True, postgresql_where=WHERE
    )
