"""admission history data: the intervals existing admissions imply (active since admission, then the current status)

Revision ID: 0017_admission_history_data
Revises: 0013_fair_award
Create Date: 2026-12-04 19:05:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_admission_history_data"
down_revision: str | None = "0013_fair_award"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Before this migration an admission kept only its current status and the moment it last changed. What can be
# told is kept: active from admission until that change, then the current status (a lifted suspension left no
# trace: such an admission reads as active throughout).
BACKFILL = """
INSERT INTO admission_status (id, admission_id, state, valid_from, valid_to, suspended_until, reason)
SELECT gen_random_uuid(), a.id, 'active', a.admitted_at,
       CASE WHEN a.state = 'active' THEN NULL ELSE a.changed_at END, NULL, NULL
FROM admission a
WHERE a.state = 'active' OR a.changed_at > a.admitted_at
UNION ALL
SELECT gen_random_uuid(), a.id, a.state, GREATEST(a.changed_at, a.admitted_at), NULL, a.suspended_until,
       CASE WHEN a.state = 'suspended' THEN a.suspension_reason ELSE a.exclusion_reason END
FROM admission a
WHERE a.state <> 'active'
"""


def upgrade() -> None:
    op.execute(BACKFILL)


def downgrade() -> None:
    op.execute("DELETE FROM admission_status")
