"""fair award: admission history, re-application after exclusion, unsuccessful competitions, few invitees,
supplier-wide capacity of a bid

Revision ID: 0013_fair_award
Revises: 0018_erase_master_keyed_copies
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_fair_award"
down_revision: str | None = "0018_erase_master_keyed_copies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "'draft', 'published', 'closed', 'opened', 'evaluated', 'awarded', 'concluded', 'unsuccessful', 'cancelled'"
OLD_STATES = "'draft', 'published', 'closed', 'opened', 'evaluated', 'awarded', 'concluded', 'cancelled'"


def upgrade() -> None:
    # Admission history: intervals, never rewritten (SPEC 4.1 "what was this supplier's standing at T").
    op.create_table(
        "admission_status",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("admission_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspended_until", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.CheckConstraint("state IN ('active', 'suspended', 'excluded')", name="admission_status_state"),
        sa.CheckConstraint(
            "(state = 'suspended') = (suspended_until IS NOT NULL)", name="admission_status_until"
        ),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="admission_status_interval"),
        sa.ForeignKeyConstraint(["admission_id"], ["admission.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "admission_status_current",
        "admission_status",
        ["admission_id"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_index("admission_status_from", "admission_status", ["admission_id", "valid_from"], unique=False)

    # An exclusion ends the admission, not the right to apply again: one admission in force per category.
    op.drop_constraint("admission_once_per_category", "admission", type_="unique")
    op.create_index(
        "admission_one_in_force",
        "admission",
        ["dps_id", "supplier_id", "category_code"],
        unique=True,
        postgresql_where=sa.text("state <> 'excluded'"),
    )
    op.add_column("application", sa.Column("self_cleaning", sa.String(length=8000), nullable=True))

    # Competitions that end with no admissible bid or no winner; publishing to few invitees, confirmed.
    op.add_column("competition", sa.Column("unsuccessful_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("competition", sa.Column("unsuccessful_reason", sa.String(length=4000), nullable=True))
    op.add_column(
        "competition", sa.Column("few_invitees_confirmed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("competition", sa.Column("few_invitees_confirmed_by", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "competition_few_invitees_confirmed_by_fkey",
        "competition",
        "principal",
        ["few_invitees_confirmed_by"],
        ["id"],
    )
    op.drop_constraint("competition_state", "competition", type_="check")
    op.create_check_constraint("competition_state", "competition", f"state IN ({STATES})")
    op.drop_constraint("competition_opened_at", "competition", type_="check")
    op.create_check_constraint(
        "competition_opened_at",
        "competition",
        "opened_at IS NOT NULL OR state NOT IN ('opened', 'evaluated', 'awarded', 'concluded', 'unsuccessful')",
    )
    op.create_check_constraint(
        "competition_unsuccessful_reason",
        "competition",
        "(state = 'unsuccessful') = (unsuccessful_reason IS NOT NULL AND unsuccessful_at IS NOT NULL)",
    )
    op.create_check_constraint(
        "competition_few_invitees",
        "competition",
        "few_invitees_confirmed_at IS NULL OR published_at IS NOT NULL",
    )

    # A bid's supplier-wide capacity across its lots, written at opening with its lines.
    op.add_column("bid", sa.Column("supplier_capacity", sa.Integer(), nullable=True))
    op.create_check_constraint(
        "bid_supplier_capacity", "bid", "supplier_capacity IS NULL OR supplier_capacity >= 1"
    )


def downgrade() -> None:
    op.drop_constraint("bid_supplier_capacity", "bid", type_="check")
    op.drop_column("bid", "supplier_capacity")
    op.drop_constraint("competition_few_invitees", "competition", type_="check")
    op.drop_constraint("competition_unsuccessful_reason", "competition", type_="check")
    op.drop_constraint("competition_opened_at", "competition", type_="check")
    op.create_check_constraint(
        "competition_opened_at",
        "competition",
        "opened_at IS NOT NULL OR state NOT IN ('opened', 'evaluated', 'awarded', 'concluded')",
    )
    op.drop_constraint("competition_state", "competition", type_="check")
    op.create_check_constraint("competition_state", "competition", f"state IN ({OLD_STATES})")
    op.drop_constraint("competition_few_invitees_confirmed_by_fkey", "competition", type_="foreignkey")
    op.drop_column("competition", "few_invitees_confirmed_by")
    op.drop_column("competition", "few_invitees_confirmed_at")
    op.drop_column("competition", "unsuccessful_reason")
    op.drop_column("competition", "unsuccessful_at")
    op.drop_column("application", "self_cleaning")
    op.drop_index(
        "admission_one_in_force", table_name="admission", postgresql_where=sa.text("state <> 'excluded'")
    )
    op.create_unique_constraint(
        "admission_once_per_category", "admission", ["dps_id", "supplier_id", "category_code"]
    )
    op.drop_index("admission_status_from", table_name="admission_status")
    op.drop_index(
        "admission_status_current",
        table_name="admission_status",
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.drop_table("admission_status")
