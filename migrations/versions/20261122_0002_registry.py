"""ring and registry

Revision ID: 0002_registry
Revises: 0001_foundation
Create Date: 2026-11-22 10:55:35.245359
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_registry"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "category",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_fi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "supplier",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("business_id", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("business_id"),
    )
    op.create_table(
        "ring",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lead_authority_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_authority_id"],
            ["authority.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "dps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ring_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('draft', 'published')", name="dps_state"),
        sa.CheckConstraint("valid_until > valid_from", name="dps_validity"),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["principal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ring_id"],
            ["ring.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_dps_ring_id"), "dps", ["ring_id"], unique=False)
    op.create_table(
        "ring_membership",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ring_id", sa.Uuid(), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="ring_membership_period"),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authority.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ring_id"],
            ["ring.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_ring_membership_authority_id"), "ring_membership", ["authority_id"], unique=False
    )
    op.create_index(op.f("ix_ring_membership_ring_id"), "ring_membership", ["ring_id"], unique=False)
    op.create_table(
        "application",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dps_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extension_reason", sa.String(length=2000), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decision_reason", sa.String(length=4000), nullable=True),
        sa.CheckConstraint(
            "(state = 'extended') <= (extension_reason IS NOT NULL)", name="application_extension"
        ),
        sa.CheckConstraint(
            "state IN ('submitted', 'extended', 'admitted', 'partially_admitted', 'rejected', 'withdrawn')",
            name="application_state",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["principal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["dps_id"],
            ["dps.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "application_pending_due",
        "application",
        ["due_on"],
        unique=False,
        postgresql_where=sa.text("state IN ('submitted', 'extended')"),
    )
    op.create_index(op.f("ix_application_dps_id"), "application", ["dps_id"], unique=False)
    op.create_index(op.f("ix_application_supplier_id"), "application", ["supplier_id"], unique=False)
    op.create_table(
        "dps_category",
        sa.Column("dps_id", sa.Uuid(), nullable=False),
        sa.Column("category_code", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["category.code"],
        ),
        sa.ForeignKeyConstraint(
            ["dps_id"],
            ["dps.id"],
        ),
        sa.PrimaryKeyConstraint("dps_id", "category_code"),
    )
    op.create_table(
        "evidence_type",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dps_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("max_age_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("max_age_days > 0", name="evidence_type_max_age"),
        sa.ForeignKeyConstraint(
            ["dps_id"],
            ["dps.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dps_id", "code", name="evidence_type_code_per_dps"),
    )
    op.create_index(op.f("ix_evidence_type_dps_id"), "evidence_type", ["dps_id"], unique=False)
    op.create_table(
        "admission",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dps_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("category_code", sa.String(length=20), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("suspended_until", sa.Date(), nullable=True),
        sa.Column("suspension_reason", sa.String(length=2000), nullable=True),
        sa.Column("exclusion_reason", sa.String(length=2000), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(state = 'excluded') <= (exclusion_reason IS NOT NULL)", name="admission_exclusion"
        ),
        sa.CheckConstraint(
            "(state = 'suspended') = (suspended_until IS NOT NULL AND suspension_reason IS NOT NULL)",
            name="admission_suspension",
        ),
        sa.CheckConstraint("state IN ('active', 'suspended', 'excluded')", name="admission_state"),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["category.code"],
        ),
        sa.ForeignKeyConstraint(
            ["dps_id"],
            ["dps.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dps_id", "supplier_id", "category_code", name="admission_once_per_category"),
    )
    op.create_index(op.f("ix_admission_dps_id"), "admission", ["dps_id"], unique=False)
    op.create_index(op.f("ix_admission_supplier_id"), "admission", ["supplier_id"], unique=False)
    op.create_table(
        "application_category",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("category_code", sa.String(length=20), nullable=False),
        sa.Column("dps_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.CheckConstraint(
            "decision IN ('pending', 'admitted', 'rejected', 'withdrawn')", name="application_cat_dec"
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["category.code"],
        ),
        sa.ForeignKeyConstraint(
            ["dps_id"],
            ["dps.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("application_id", "category_code"),
    )
    op.create_index(
        "application_category_one_pending",
        "application_category",
        ["dps_id", "supplier_id", "category_code"],
        unique=True,
        postgresql_where=sa.text("decision = 'pending'"),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("dps_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("type_code", sa.String(length=40), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="evidence_sha256_hex"),
        sa.CheckConstraint("valid_until >= issued_on", name="evidence_validity"),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
        ),
        sa.ForeignKeyConstraint(
            ["dps_id"],
            ["dps.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "evidence_current", "evidence", ["supplier_id", "dps_id", "type_code", "issued_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index("evidence_current", table_name="evidence")
    op.drop_table("evidence")
    op.drop_index(
        "application_category_one_pending",
        table_name="application_category",
        postgresql_where=sa.text("decision = 'pending'"),
    )
    op.drop_table("application_category")
    op.drop_index(op.f("ix_admission_supplier_id"), table_name="admission")
    op.drop_index(op.f("ix_admission_dps_id"), table_name="admission")
    op.drop_table("admission")
    op.drop_index(op.f("ix_evidence_type_dps_id"), table_name="evidence_type")
    op.drop_table("evidence_type")
    op.drop_table("dps_category")
    op.drop_index(op.f("ix_application_supplier_id"), table_name="application")
    op.drop_index(op.f("ix_application_dps_id"), table_name="application")
    op.drop_index(
        "application_pending_due",
        table_name="application",
        postgresql_where=sa.text("state IN ('submitted', 'extended')"),
    )
    op.drop_table("application")
    op.drop_index(op.f("ix_ring_membership_ring_id"), table_name="ring_membership")
    op.drop_index(op.f("ix_ring_membership_authority_id"), table_name="ring_membership")
    op.drop_table("ring_membership")
    op.drop_index(op.f("ix_dps_ring_id"), table_name="dps")
    op.drop_table("dps")
    op.drop_table("ring")
    op.drop_table("supplier")
    op.drop_table("category")
