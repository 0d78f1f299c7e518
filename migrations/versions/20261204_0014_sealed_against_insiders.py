"""sealed against insiders: holder keys on tokens, officers' opening shares, server-side browser sessions

Revision ID: 0014_sealed_against_insiders
Revises: 0019_outbox_notifications
Create Date: 2026-12-04 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_sealed_against_insiders"
down_revision: str | None = "0019_outbox_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A bid version stays a receipt that never changes, but its supplier copy may be erased (cancellation):
# an UPDATE that sets only supplier_copy to NULL passes, everything else is refused as before.
APPEND_ONLY_BUT_ERASE_COPY = """
CREATE OR REPLACE FUNCTION bid_version_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.supplier_copy IS NULL
       AND (to_jsonb(NEW) - 'supplier_copy') = (to_jsonb(OLD) - 'supplier_copy') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'bid_version is append-only: % refused', TG_OP;
END $$
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION bid_version_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'bid_version is append-only: % refused', TG_OP;
END $$
"""


def upgrade() -> None:
    op.add_column("api_token", sa.Column("revoked_by", sa.String(length=200), nullable=True))
    op.add_column("api_token", sa.Column("holder_key_wrap", sa.LargeBinary(), nullable=True))
    op.add_column("api_token", sa.Column("holder_public_key", sa.LargeBinary(), nullable=True))
    # Tokens revoked before now name no revoker; the record in the audit trail (if any) does.
    op.execute("UPDATE api_token SET revoked_by = 'before 0014' WHERE revoked_at IS NOT NULL")
    op.create_check_constraint(
        "api_token_holder_key",
        "api_token",
        "(holder_key_wrap IS NULL OR octet_length(holder_key_wrap) = 60)"
        " AND (holder_public_key IS NULL OR octet_length(holder_public_key) = 32)",
    )
    op.create_check_constraint(
        "api_token_revoked_wrap", "api_token", "revoked_at IS NULL OR holder_key_wrap IS NULL"
    )
    op.create_check_constraint(
        "api_token_revoked_by", "api_token", "(revoked_at IS NULL) = (revoked_by IS NULL)"
    )

    op.create_table(
        "web_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("token_id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("holder_key_wrap", sa.LargeBinary(), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.CheckConstraint("expires_at > created_at", name="web_session_expiry"),
        sa.CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="web_session_end_reason"),
        sa.CheckConstraint("ended_at IS NULL OR holder_key_wrap IS NULL", name="web_session_ended_wrap"),
        sa.ForeignKeyConstraint(["principal_id"], ["principal.id"]),
        sa.ForeignKeyConstraint(["token_id"], ["api_token.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_web_session_principal_id"), "web_session", ["principal_id"], unique=False)
    op.create_index(op.f("ix_web_session_token_id"), "web_session", ["token_id"], unique=False)

    op.create_table(
        "competition_key_share",
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("holder_public_key", sa.LargeBinary(), nullable=False),
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("sealed_share", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "octet_length(holder_public_key) = 32 AND octet_length(sealed_share) = 92",
            name="competition_key_share_sizes",
        ),
        sa.ForeignKeyConstraint(["competition_id"], ["competition_key.competition_id"]),
        sa.ForeignKeyConstraint(["principal_id"], ["principal.id"]),
        sa.PrimaryKeyConstraint("competition_id", "holder_public_key"),
    )
    op.create_index(
        op.f("ix_competition_key_share_principal_id"), "competition_key_share", ["principal_id"], unique=False
    )
    op.execute(APPEND_ONLY_BUT_ERASE_COPY)


def downgrade() -> None:
    op.execute(APPEND_ONLY)
    op.drop_index(op.f("ix_competition_key_share_principal_id"), table_name="competition_key_share")
    op.drop_table("competition_key_share")
    op.drop_index(op.f("ix_web_session_token_id"), table_name="web_session")
    op.drop_index(op.f("ix_web_session_principal_id"), table_name="web_session")
    op.drop_table("web_session")
    op.drop_constraint("api_token_revoked_by", "api_token", type_="check")
    op.drop_constraint("api_token_revoked_wrap", "api_token", type_="check")
    op.drop_constraint("api_token_holder_key", "api_token", type_="check")
    op.drop_column("api_token", "holder_public_key")
    op.drop_column("api_token", "holder_key_wrap")
    op.drop_column("api_token", "revoked_by")
