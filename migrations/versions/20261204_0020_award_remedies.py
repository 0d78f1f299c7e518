"""award remedies: decision documents, delivery, rectification requests, withdrawal, Market Court appeals

Revision ID: 0020_award_remedies
Revises: 0021_economic_model
Create Date: 2026-12-04 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020_award_remedies"
down_revision: str | None = "0021_economic_model"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NIL = "'00000000-0000-0000-0000-000000000000'::uuid"
MOMENT = postgresql.TIMESTAMP(timezone=True)


def _award_decision() -> None:
    op.add_column("award_decision", sa.Column("seq", sa.Integer(), nullable=False, server_default="1"))
    op.alter_column("award_decision", "seq", server_default=None)
    op.add_column("award_decision", sa.Column("state", sa.String(length=10), nullable=True))
    op.add_column("award_decision", sa.Column("delivered_at", MOMENT, nullable=True))
    op.add_column("award_decision", sa.Column("withdrawn_at", MOMENT, nullable=True))
    op.add_column("award_decision", sa.Column("withdrawn_by", sa.Uuid(), nullable=True))
    op.add_column("award_decision", sa.Column("withdrawal_reason", sa.String(length=4000), nullable=True))
    # Data: decisions issued before this revision were made available to the bidders at issue.
    op.execute("UPDATE award_decision SET state = 'delivered', delivered_at = issued_at")
    op.alter_column("award_decision", "state", nullable=False)
    op.create_foreign_key(
        "award_decision_withdrawn_by_fkey", "award_decision", "principal", ["withdrawn_by"], ["id"]
    )
    op.drop_constraint("award_decision_once", "award_decision", type_="unique")
    op.create_index(
        "award_decision_current",
        "award_decision",
        ["competition_id"],
        unique=True,
        postgresql_where=sa.text("state <> 'withdrawn'"),
    )
    op.create_unique_constraint(
        "award_decision_seq_per_competition", "award_decision", ["competition_id", "seq"]
    )
    op.create_check_constraint(
        "award_decision_state", "award_decision", "state IN ('issued', 'delivered', 'withdrawn')"
    )
    op.create_check_constraint(
        "award_decision_delivered_moment", "award_decision", "state = 'issued' OR delivered_at IS NOT NULL"
    )
    op.create_check_constraint(
        "award_decision_withdrawal",
        "award_decision",
        "(state = 'withdrawn') = (withdrawn_at IS NOT NULL AND withdrawn_by IS NOT NULL"
        " AND withdrawal_reason IS NOT NULL)",
    )


def upgrade() -> None:
    _award_decision()
    op.create_table(
        "rectification_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("filed_by", sa.Uuid(), nullable=False),
        sa.Column("filed_at", MOMENT, nullable=False),
        sa.Column("deadline_at", MOMENT, nullable=False),
        sa.Column("reasons", sa.String(length=8000), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", MOMENT, nullable=True),
        sa.Column("decision_reasons", sa.String(length=8000), nullable=True),
        sa.CheckConstraint("state IN ('filed', 'upheld', 'dismissed')", name="rectification_request_state"),
        sa.CheckConstraint(
            "(state = 'filed') = (decided_at IS NULL AND decided_by IS NULL AND decision_reasons IS NULL)",
            name="rectification_request_decided",
        ),
        sa.CheckConstraint("filed_at <= deadline_at", name="rectification_request_in_time"),
        sa.ForeignKeyConstraint(["award_id"], ["award_decision.id"]),
        sa.ForeignKeyConstraint(["competition_id"], ["competition.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["principal.id"]),
        sa.ForeignKeyConstraint(["filed_by"], ["principal.id"]),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_rectification_request_competition_id"), "rectification_request", ["competition_id"]
    )
    op.create_index("rectification_request_queue", "rectification_request", ["state", "deadline_at"])
    op.create_table(
        "rectification_attachment",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="rectification_attachment_sha256"),
        sa.CheckConstraint("size_bytes = octet_length(content)", name="rectification_attachment_size"),
        sa.ForeignKeyConstraint(["request_id"], ["rectification_request.id"]),
        sa.PrimaryKeyConstraint("request_id", "position"),
    )
    op.create_table(
        "decision_document",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("rectification_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("html_sha256", sa.String(length=64), nullable=False),
        sa.CheckConstraint("kind IN ('award', 'rectification')", name="decision_document_kind"),
        sa.CheckConstraint(
            "(kind = 'rectification') = (rectification_id IS NOT NULL)", name="decision_document_subject"
        ),
        sa.CheckConstraint("lang IN ('fi', 'en')", name="decision_document_lang"),
        sa.CheckConstraint("pdf_sha256 ~ '^[0-9a-f]{64}$'", name="decision_document_pdf_sha256"),
        sa.CheckConstraint("html_sha256 ~ '^[0-9a-f]{64}$'", name="decision_document_html_sha256"),
        sa.CheckConstraint("pages >= 1", name="decision_document_pages"),
        sa.ForeignKeyConstraint(["award_id"], ["award_decision.id"]),
        sa.ForeignKeyConstraint(["competition_id"], ["competition.id"]),
        sa.ForeignKeyConstraint(["rectification_id"], ["rectification_request.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_decision_document_competition_id"), "decision_document", ["competition_id"])
    op.create_index(
        "decision_document_once",
        "decision_document",
        ["award_id", "kind", sa.text(f"coalesce(rectification_id, {NIL})"), "lang"],
        unique=True,
    )
    op.create_table(
        "decision_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("rectification_id", sa.Uuid(), nullable=True),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("made_available_at", MOMENT, nullable=False),
        sa.Column("first_read_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(["award_id"], ["award_decision.id"]),
        sa.ForeignKeyConstraint(["rectification_id"], ["rectification_request.id"]),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_decision_delivery_award_id"), "decision_delivery", ["award_id"])
    op.create_index(op.f("ix_decision_delivery_supplier_id"), "decision_delivery", ["supplier_id"])
    op.create_index(
        "decision_delivery_once",
        "decision_delivery",
        ["award_id", sa.text(f"coalesce(rectification_id, {NIL})"), "supplier_id"],
        unique=True,
    )
    op.create_table(
        "market_court_appeal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("competition_id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("case_number", sa.String(length=40), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", MOMENT, nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", MOMENT, nullable=True),
        sa.Column("resolution", sa.String(length=4000), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'decided', 'lifted')", name="market_court_appeal_state"),
        sa.CheckConstraint(
            "(state = 'pending') = (resolved_at IS NULL AND resolved_by IS NULL AND resolution IS NULL)",
            name="market_court_appeal_resolved",
        ),
        sa.ForeignKeyConstraint(["award_id"], ["award_decision.id"]),
        sa.ForeignKeyConstraint(["competition_id"], ["competition.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["principal.id"]),
        sa.ForeignKeyConstraint(["resolved_by"], ["principal.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_market_court_appeal_competition_id"), "market_court_appeal", ["competition_id"])
    # A stored decision document is the act itself: never changed or removed (its hash is in the audit trail).
    for event in ("UPDATE OR DELETE", "TRUNCATE"):
        name = "decision_document_append_only" if event != "TRUNCATE" else "decision_document_no_truncate"
        each = "ROW" if event != "TRUNCATE" else "STATEMENT"
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON decision_document"
            f" FOR EACH {each} EXECUTE FUNCTION dpr_append_only()"
        )


def downgrade() -> None:
    op.execute("DROP TRIGGER decision_document_no_truncate ON decision_document")
    op.execute("DROP TRIGGER decision_document_append_only ON decision_document")
    op.drop_table("market_court_appeal")
    op.drop_table("decision_delivery")
    op.drop_table("decision_document")
    op.drop_table("rectification_attachment")
    op.drop_table("rectification_request")
    op.drop_constraint("award_decision_withdrawal", "award_decision", type_="check")
    op.drop_constraint("award_decision_delivered_moment", "award_decision", type_="check")
    op.drop_constraint("award_decision_state", "award_decision", type_="check")
    op.drop_constraint("award_decision_seq_per_competition", "award_decision", type_="unique")
    op.drop_index("award_decision_current", table_name="award_decision")
    op.create_unique_constraint("award_decision_once", "award_decision", ["competition_id"])
    op.drop_constraint("award_decision_withdrawn_by_fkey", "award_decision", type_="foreignkey")
    for column in ("withdrawal_reason", "withdrawn_by", "withdrawn_at", "delivered_at", "state", "seq"):
        op.drop_column("award_decision", column)
