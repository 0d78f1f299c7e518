"""foundation: principals, tokens, audit chains, authority

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-22 10:49:24.265545
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_foundation"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("aggregate_type", sa.String(length=40), nullable=False),
        sa.Column("aggregate_id", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("aggregate_type", "aggregate_id"),
    )
    op.create_table(
        "audit_record",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("aggregate_type", sa.String(length=40), nullable=False),
        sa.Column("aggregate_id", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("aggregate_type", "aggregate_id", "seq", name="audit_record_chain_seq"),
    )
    op.create_index("audit_record_at", "audit_record", ["at"], unique=False)
    op.create_table(
        "authority",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("business_id", sa.String(length=9), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("municipality_codes", postgresql.ARRAY(sa.String(length=3)), nullable=False),
        sa.Column("lead_municipality", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('municipality', 'employment_area')", name="authority_kind"),
        sa.CheckConstraint("lead_municipality ~ '^[0-9]{3}$'", name="authority_lead_municipality_code"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("business_id"),
    )
    op.create_table(
        "principal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=True),
        sa.Column("business_id", sa.String(length=9), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(role = 'supplier') = (business_id IS NOT NULL)", name="principal_supplier_scope"
        ),
        sa.CheckConstraint(
            "(role IN ('officer', 'finance')) = (authority_id IS NOT NULL)", name="principal_authority_scope"
        ),
        sa.CheckConstraint("role IN ('admin', 'officer', 'finance', 'supplier')", name="principal_role"),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authority.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_principal_authority_id"), "principal", ["authority_id"], unique=False)
    op.create_index(op.f("ix_principal_business_id"), "principal", ["business_id"], unique=False)
    op.create_table(
        "api_token",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["principal.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_api_token_principal_id"), "api_token", ["principal_id"], unique=False)
    # The audit trail is append-only: the database itself refuses to change or remove a record.
    op.execute(
        """
        CREATE FUNCTION audit_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_record is append-only: % refused', TG_OP;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_record_no_update_delete BEFORE UPDATE OR DELETE ON audit_record "
        "FOR EACH ROW EXECUTE FUNCTION audit_record_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_record "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_record_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_record_no_truncate ON audit_record")
    op.execute("DROP TRIGGER audit_record_no_update_delete ON audit_record")
    op.execute("DROP FUNCTION audit_record_append_only()")
    op.drop_index(op.f("ix_api_token_principal_id"), table_name="api_token")
    op.drop_table("api_token")
    op.drop_index(op.f("ix_principal_business_id"), table_name="principal")
    op.drop_index(op.f("ix_principal_authority_id"), table_name="principal")
    op.drop_table("principal")
    op.drop_table("authority")
    op.drop_index("audit_record_at", table_name="audit_record")
    op.drop_table("audit_record")
    op.drop_table("audit_head")
