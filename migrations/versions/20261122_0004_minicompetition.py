"""minicompetition: competitions, lots, invitations, questions, amendments, sealed bids

Revision ID: 0004_minicompetition
Revises: 0003_seed_categories
Create Date: 2026-11-22 11:15:37.905271
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_minicompetition"
down_revision: str | None = "0003_seed_categories"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "competition",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("dps_id", sa.Uuid(), nullable=False),
        sa.Column("category_code", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("budget_cents", sa.BigInteger(), nullable=False),
        sa.Column("price_weight_bp", sa.Integer(), nullable=False),
        sa.Column("quality_weight_bp", sa.Integer(), nullable=False),
        sa.Column("outcome_weight_bp", sa.Integer(), nullable=False),
        sa.Column("quality_criteria", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("max_suppliers_per_lot", sa.Integer(), nullable=False),
        sa.Column("max_share_bp", sa.Integer(), nullable=False),
        sa.Column("min_allocation", sa.Integer(), nullable=False),
        sa.Column("payment_model", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("scope_intended_effect", sa.String(length=4000), nullable=False),
        sa.Column("scope_expected_participants", sa.Integer(), nullable=False),
        sa.Column("scope_expected_cost_cents", sa.BigInteger(), nullable=False),
        sa.Column("scope_expected_outcomes", sa.Integer(), nullable=False),
        sa.Column("qa_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tender_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terms_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=2000), nullable=True),
        sa.CheckConstraint(
            "(state = 'cancelled') = (cancel_reason IS NOT NULL)", name="competition_cancel_reason"
        ),
        sa.CheckConstraint(
            "opened_at IS NOT NULL OR state NOT IN ('opened', 'evaluated', 'awarded', 'concluded')",
            name="competition_opened_at",
        ),
        sa.CheckConstraint(
            "published_at IS NOT NULL OR state IN ('draft', 'cancelled')", name="competition_published_at"
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'published', 'closed', 'opened', 'evaluated', 'awarded', 'concluded', 'cancelled')",
            name="competition_state",
        ),
        sa.CheckConstraint(
            "budget_cents >= 0 AND scope_expected_cost_cents >= 0", name="competition_money_not_negative"
        ),
        sa.CheckConstraint(
            "max_suppliers_per_lot >= 1 AND max_share_bp BETWEEN 1 AND 10000 AND min_allocation >= 1",
            name="competition_allocation_rules",
        ),
        sa.CheckConstraint(
            "price_weight_bp BETWEEN 0 AND 10000 AND quality_weight_bp BETWEEN 0 AND 10000 AND outcome_weight_bp BETWEEN 0 AND 10000 AND price_weight_bp + quality_weight_bp + outcome_weight_bp = 10000",
            name="competition_weights_sum",
        ),
        sa.CheckConstraint("qa_deadline <= tender_deadline", name="competition_qa_before_tender"),
        sa.CheckConstraint(
            "scope_expected_outcomes BETWEEN 0 AND scope_expected_participants",
            name="competition_scope_outcomes",
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authority.id"],
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["category.code"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["principal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["dps_id"],
            ["dps.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("competition_state_deadline", "competition", ["state", "tender_deadline"], unique=False)
    op.create_index(op.f("ix_competition_authority_id"), "competition", ["authority_id"], unique=False)
    op.create_index(op.f("ix_competition_dps_id"), "competition", ["dps_id"], unique=False)
    op.create_table(
        "amendment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by"],
            ["principal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["competition_id"],
            ["competition.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("competition_id", "seq", name="amendment_seq_per_competition"),
    )
    op.create_index(op.f("ix_amendment_competition_id"), "amendment", ["competition_id"], unique=False)
    op.create_table(
        "bid",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("needs_confirmation", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ineligibility_reason", sa.String(length=2000), nullable=True),
        sa.CheckConstraint(
            "(state = 'ineligible') = (ineligibility_reason IS NOT NULL)", name="bid_ineligibility_reason"
        ),
        sa.CheckConstraint("state IN ('submitted', 'withdrawn', 'eligible', 'ineligible')", name="bid_state"),
        sa.CheckConstraint("current_version >= 0", name="bid_current_version"),
        sa.ForeignKeyConstraint(
            ["competition_id"],
            ["competition.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("competition_id", "supplier_id", name="bid_one_per_supplier"),
    )
    op.create_index(op.f("ix_bid_competition_id"), "bid", ["competition_id"], unique=False)
    op.create_index(op.f("ix_bid_supplier_id"), "bid", ["supplier_id"], unique=False)
    op.create_table(
        "competition_key",
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("scheme", sa.String(length=60), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("wrapped_private_key", sa.LargeBinary(), nullable=True),
        sa.Column("wrap_nonce", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(wrapped_private_key IS NULL) = (destroyed_at IS NOT NULL)", name="competition_key_destroyed"
        ),
        sa.ForeignKeyConstraint(
            ["competition_id"],
            ["competition.id"],
        ),
        sa.PrimaryKeyConstraint("competition_id"),
    )
    op.create_table(
        "invitation",
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("business_id", sa.String(length=9), nullable=False),
        sa.Column("supplier_name", sa.String(length=200), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["competition_id"],
            ["competition.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("competition_id", "supplier_id"),
    )
    op.create_index(op.f("ix_invitation_supplier_id"), "invitation", ["supplier_id"], unique=False)
    op.create_table(
        "lot",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("municipality_codes", postgresql.ARRAY(sa.String(length=3)), nullable=False),
        sa.Column("target_group", sa.String(length=40), nullable=False),
        sa.Column("demand", sa.Integer(), nullable=False),
        sa.Column("max_unit_price_cents", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("cardinality(municipality_codes) >= 1", name="lot_has_municipalities"),
        sa.CheckConstraint("demand > 0", name="lot_demand_positive"),
        sa.CheckConstraint(
            "max_unit_price_cents IS NULL OR max_unit_price_cents > 0", name="lot_max_price_positive"
        ),
        sa.ForeignKeyConstraint(
            ["competition_id"],
            ["competition.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("competition_id", "code", name="lot_code_per_competition"),
    )
    op.create_index(op.f("ix_lot_competition_id"), "lot", ["competition_id"], unique=False)
    op.create_table(
        "question",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("question", sa.String(length=4000), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=8000), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="question_answered_at"),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["principal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["competition_id"],
            ["competition.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_question_competition_id"), "question", ["competition_id"], unique=False)
    op.create_table(
        "bid_line",
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("committed_flow_through_bp", sa.Integer(), nullable=False),
        sa.Column("quality_answers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("capacity >= 1", name="bid_line_capacity_positive"),
        sa.CheckConstraint("committed_flow_through_bp BETWEEN 0 AND 10000", name="bid_line_flow_through_bp"),
        sa.CheckConstraint("unit_price_cents > 0", name="bid_line_price_positive"),
        sa.ForeignKeyConstraint(
            ["bid_id"],
            ["bid.id"],
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lot.id"],
        ),
        sa.PrimaryKeyConstraint("bid_id", "lot_id"),
    )
    op.create_index(op.f("ix_bid_line_lot_id"), "bid_line", ["lot_id"], unique=False)
    op.create_table(
        "bid_version",
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("terms_version", sa.Integer(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ephemeral_public_key", sa.LargeBinary(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="bid_version_sha256_hex"),
        sa.CheckConstraint(
            "octet_length(nonce) = 12 AND octet_length(ephemeral_public_key) = 32", name="bid_version_sealing"
        ),
        sa.CheckConstraint("version >= 1", name="bid_version_positive"),
        sa.ForeignKeyConstraint(
            ["bid_id"],
            ["bid.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["supplier.id"],
        ),
        sa.PrimaryKeyConstraint("bid_id", "version"),
        sa.UniqueConstraint("supplier_id", "idempotency_key", name="bid_version_idempotency_key"),
    )

    # Bid versions are receipts with their sealed content: the database refuses to change or remove one.
    op.execute(
        """
        CREATE FUNCTION bid_version_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'bid_version is append-only: % refused', TG_OP;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER bid_version_no_update_delete BEFORE UPDATE OR DELETE ON bid_version "
        "FOR EACH ROW EXECUTE FUNCTION bid_version_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER bid_version_no_update_delete ON bid_version")
    op.execute("DROP FUNCTION bid_version_append_only()")
    op.drop_table("bid_version")
    op.drop_index(op.f("ix_bid_line_lot_id"), table_name="bid_line")
    op.drop_table("bid_line")
    op.drop_index(op.f("ix_question_competition_id"), table_name="question")
    op.drop_table("question")
    op.drop_index(op.f("ix_lot_competition_id"), table_name="lot")
    op.drop_table("lot")
    op.drop_index(op.f("ix_invitation_supplier_id"), table_name="invitation")
    op.drop_table("invitation")
    op.drop_table("competition_key")
    op.drop_index(op.f("ix_bid_supplier_id"), table_name="bid")
    op.drop_index(op.f("ix_bid_competition_id"), table_name="bid")
    op.drop_table("bid")
    op.drop_index(op.f("ix_amendment_competition_id"), table_name="amendment")
    op.drop_table("amendment")
    op.drop_index(op.f("ix_competition_dps_id"), table_name="competition")
    op.drop_index(op.f("ix_competition_authority_id"), table_name="competition")
    op.drop_index("competition_state_deadline", table_name="competition")
    op.drop_table("competition")
