"""seed the three outcome categories of the plans (data step)

Revision ID: 0003_seed_categories
Revises: 0002_registry
Create Date: 2026-11-22 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_seed_categories"
down_revision: str | None = "0002_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = [
    ("EMPLOYMENT", "Suora työllistyminen", "Direct employment", 1),
    ("COMPETENCE", "Osaamisen, tiedon ja taidon kasvaminen", "Growth of competence, knowledge and skills", 2),
    (
        "INCLUSION",
        "Osallisuuden kasvu ja sosiaalisten riskien minimointi",
        "Growth of inclusion and minimising social risks",
        3,
    ),
]


def upgrade() -> None:
    table = sa.table(
        "category",
        sa.column("code", sa.String),
        sa.column("name_fi", sa.String),
        sa.column("name_en", sa.String),
        sa.column("position", sa.Integer),
    )
    op.bulk_insert(
        table, [{"code": c, "name_fi": fi, "name_en": en, "position": p} for c, fi, en, p in CATEGORIES]
    )


def downgrade() -> None:
    op.execute("DELETE FROM category WHERE code IN ('EMPLOYMENT', 'COMPETENCE', 'INCLUSION')")
