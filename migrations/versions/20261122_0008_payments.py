"""payments

Revision ID: 0008_payments
Revises: 0006_outcomes
Create Date: 2026-11-22 12:09:43.788556
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_payments"
down_revision: str | None = "0006_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_period",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exported_by", sa.String(length=200), nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=True),
        sa.Column("payable_cents", sa.BigInteger(), nullable=True),
        sa.Column("unpaid_cents", sa.BigInteger(), nullable=True),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint(
            "(state = 'exported') = (exported_at IS NOT NULL AND exported_by IS NOT NULL)",
            name="payment_period_exported",
        ),
        sa.CheckConstraint("(state = 'open') = (closed_at IS NULL)", name="payment_period_closed_at"),
        sa.CheckConstraint(
            "(state IN ('approved', 'exported')) = (approved_at IS NOT NULL AND approved_by IS NOT NULL)",
            name="payment_period_approved",
        ),
        sa.CheckConstraint("month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name="payment_period_month"),
        sa.CheckConstraint(
            "state IN ('open', 'closed', 'approved', 'exported')", name="payment_period_state"
        ),
        sa.CheckConstraint(
            "closed_at IS NULL OR (closed_by IS NOT NULL AND line_count IS NOT NULL AND event_count IS NOT NULL AND payable_cents IS NOT NULL AND unpaid_cents IS NOT NULL AND snapshot IS NOT NULL)",
            name="payment_period_closed_figures",
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authority.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("authority_id", "month", name="payment_period_one_per_month"),
    )
    op.create_index(op.f("ix_payment_period_authority_id"), "payment_period", ["authority_id"], unique=False)
    op.create_table(
        "export_batch",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("period_id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.String(length=80), nullable=False),
        sa.Column("format", sa.String(length=12), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("totals_by_supplier", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("totals_by_municipality", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "format IN ('csv-fi', 'csv-rfc4180', 'xlsx', 'parquet')", name="export_batch_format"
        ),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="export_batch_sha256"),
        sa.CheckConstraint("row_count >= 0 AND size_bytes > 0", name="export_batch_counts"),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["payment_period.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period_id", "format", name="export_batch_one_per_format"),
    )
    op.create_table(
        "payment_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("period_id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=True),
        sa.Column("pseudonym", sa.String(length=64), nullable=True),
        sa.Column("home_municipality_code", sa.String(length=3), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("event_type", sa.String(length=40), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("episode_id", sa.String(length=32), nullable=True),
        sa.Column("component", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("share_bp", sa.Integer(), nullable=True),
        sa.Column("multiplier_bp", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("unpaid_cents", sa.BigInteger(), nullable=False),
        sa.Column("committed_delta_cents", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=True),
        sa.Column("vat_code", sa.String(length=8), nullable=False),
        sa.Column("cost_centre", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("rule_version", sa.String(length=40), nullable=False),
        sa.Column("trace", postgresql.JSON(astext_type=sa.Text()), nullable=False),
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.Column("corrects_line_id", sa.BigInteger(), nullable=True),
        sa.Column("outcome_key", sa.String(length=200), nullable=True),
        sa.Column("line_key", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "(corrects_line_id IS NOT NULL) = (kind IN ('clawback', 'correction'))",
            name="payment_line_corrects",
        ),
        sa.CheckConstraint(
            "(event_id IS NULL) = (rule = 'flow_through_settlement')", name="payment_line_event"
        ),
        sa.CheckConstraint("(reason IS NOT NULL) = (status = 'not_payable')", name="payment_line_reason"),
        sa.CheckConstraint(
            "CASE WHEN kind IN ('clawback', 'correction') THEN amount_cents <= 0 ELSE amount_cents >= 0 END",
            name="payment_line_sign",
        ),
        sa.CheckConstraint("home_municipality_code ~ '^[0-9]{3}$'", name="payment_line_municipality"),
        sa.CheckConstraint(
            "kind IN ('start_fee', 'start_fee_withheld', 'outcome', 'ineligible', 'withhold_release', 'malus', 'bonus', 'clawback', 'correction')",
            name="payment_line_kind",
        ),
        sa.CheckConstraint("status IN ('payable', 'withheld', 'not_payable')", name="payment_line_status"),
        sa.CheckConstraint("trace_id ~ '^[0-9a-f]{64}$'", name="payment_line_trace_id"),
        sa.CheckConstraint(
            "unpaid_cents >= 0 AND (status <> 'not_payable' OR amount_cents = 0)", name="payment_line_unpaid"
        ),
        sa.CheckConstraint("quantity >= 1 AND unit_amount_cents >= 0", name="payment_line_quantity"),
        sa.ForeignKeyConstraint(
            ["corrects_line_id"],
            ["payment_line.id"],
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["payment_period.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "payment_line_corrected_once",
        "payment_line",
        ["corrects_line_id"],
        unique=True,
        postgresql_where=sa.text("corrects_line_id IS NOT NULL"),
    )
    op.create_index(
        "payment_line_event",
        "payment_line",
        ["event_id"],
        unique=False,
        postgresql_where=sa.text("event_id IS NOT NULL"),
    )
    op.create_index(
        "payment_line_outcome_paid_once",
        "payment_line",
        ["outcome_key"],
        unique=True,
        postgresql_where=sa.text("kind = 'outcome'"),
    )
    op.create_index("payment_line_period", "payment_line", ["period_id", "id"], unique=False)
    op.create_table(
        "payment_settled_start",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("period_id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("settlement_key", sa.String(length=200), nullable=False),
        sa.Column("release_ratio", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outcome_event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["payment_period.id"],
        ),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(
        op.f("ix_payment_settled_start_period_id"), "payment_settled_start", ["period_id"], unique=False
    )

    # A closed period's figures never change; its state only moves on, one step at a time.
    op.execute(
        """
        CREATE FUNCTION payment_period_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            movable text[] := ARRAY['state'];
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.state <> 'open' THEN
                    RAISE EXCEPTION 'payment period % is %: it cannot be deleted', OLD.id, OLD.state;
                END IF;
                RETURN OLD;
            END IF;
            IF OLD.state <> NEW.state AND (OLD.state, NEW.state) NOT IN
                (('open', 'closed'), ('closed', 'approved'), ('approved', 'exported')) THEN
                RAISE EXCEPTION 'payment period % is %: it cannot become %', OLD.id, OLD.state, NEW.state;
            END IF;
            IF OLD.state = 'closed' THEN
                movable := movable || ARRAY['approved_at', 'approved_by'];
            ELSIF OLD.state = 'approved' THEN
                movable := movable || ARRAY['exported_at', 'exported_by'];
            END IF;
            IF OLD.state <> 'open' AND (to_jsonb(NEW) - movable) IS DISTINCT FROM (to_jsonb(OLD) - movable) THEN
                RAISE EXCEPTION 'payment period % is %: its figures cannot change', OLD.id, OLD.state;
            END IF;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER payment_period_immutable BEFORE UPDATE OR DELETE ON payment_period "
        "FOR EACH ROW EXECUTE FUNCTION payment_period_guard()"
    )
    # Lines and settled starts are written only while their period is open (during its close), then never
    # touched; one check per statement keeps a million-line COPY cheap.
    op.execute(
        """
        CREATE FUNCTION payment_rows_of_open_period() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'DELETE' THEN
                IF EXISTS (SELECT 1 FROM new_rows r JOIN payment_period p ON p.id = r.period_id
                           WHERE p.state <> 'open') THEN
                    RAISE EXCEPTION '% on % refused: the payment period is closed', TG_OP, TG_TABLE_NAME;
                END IF;
            END IF;
            IF TG_OP <> 'INSERT' THEN
                IF EXISTS (SELECT 1 FROM old_rows r JOIN payment_period p ON p.id = r.period_id
                           WHERE p.state <> 'open') THEN
                    RAISE EXCEPTION '% on % refused: the payment period is closed', TG_OP, TG_TABLE_NAME;
                END IF;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION payment_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'TRUNCATE on % refused: payment records are kept', TG_TABLE_NAME;
        END $$
        """
    )
    # A million-line COPY checks its references as three joins over the new rows, not one lookup per row;
    # the joins also check what a foreign key cannot: the supplier is the contract's, the event its own.
    op.execute(
        """
        CREATE FUNCTION payment_line_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM new_rows r LEFT JOIN payment_period p ON p.id = r.period_id
                       WHERE p.state IS DISTINCT FROM 'open') THEN
                RAISE EXCEPTION 'INSERT on payment_line refused: the payment period is closed';
            END IF;
            IF EXISTS (SELECT 1 FROM new_rows r LEFT JOIN contract k ON k.id = r.contract_id
                       WHERE k.supplier_id IS DISTINCT FROM r.supplier_id) THEN
                RAISE EXCEPTION 'INSERT on payment_line refused: a line names no contract, or not its supplier';
            END IF;
            IF EXISTS (SELECT 1 FROM new_rows r LEFT JOIN outcome_event e ON e.id = r.event_id
                       LEFT JOIN referral f ON f.id = e.referral_id
                       WHERE r.event_id IS NOT NULL AND f.contract_id IS DISTINCT FROM r.contract_id) THEN
                RAISE EXCEPTION 'INSERT on payment_line refused: a line names no event of its contract';
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER payment_line_insert_checked AFTER INSERT ON payment_line "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_line_inserted()"
    )
    op.execute(
        "CREATE TRIGGER payment_settled_start_insert_open AFTER INSERT ON payment_settled_start "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_rows_of_open_period()"
    )
    for table in ("payment_line", "payment_settled_start"):
        op.execute(
            f"CREATE TRIGGER {table}_update_open AFTER UPDATE ON {table} "
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
            "FOR EACH STATEMENT EXECUTE FUNCTION payment_rows_of_open_period()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_delete_open AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
            "FOR EACH STATEMENT EXECUTE FUNCTION payment_rows_of_open_period()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION payment_no_truncate()"
        )
    # An export batch records what finance was given: kept as written, and only for an approved period.
    op.execute(
        """
        CREATE FUNCTION export_batch_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                RAISE EXCEPTION 'export_batch is append-only: % refused', TG_OP;
            END IF;
            IF NOT EXISTS (SELECT 1 FROM payment_period p WHERE p.id = NEW.period_id
                           AND p.state IN ('approved', 'exported')) THEN
                RAISE EXCEPTION 'export of payment period % refused: it is not approved', NEW.period_id;
            END IF;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER export_batch_append_only BEFORE INSERT OR UPDATE OR DELETE ON export_batch "
        "FOR EACH ROW EXECUTE FUNCTION export_batch_guard()"
    )
    op.execute(
        "CREATE TRIGGER export_batch_no_truncate BEFORE TRUNCATE ON export_batch "
        "FOR EACH STATEMENT EXECUTE FUNCTION payment_no_truncate()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER export_batch_no_truncate ON export_batch")
    op.execute("DROP TRIGGER export_batch_append_only ON export_batch")
    op.execute("DROP FUNCTION export_batch_guard()")
    op.execute("DROP TRIGGER payment_settled_start_insert_open ON payment_settled_start")
    op.execute("DROP TRIGGER payment_line_insert_checked ON payment_line")
    op.execute("DROP FUNCTION payment_line_inserted()")
    for table in ("payment_line", "payment_settled_start"):
        for suffix in ("update_open", "delete_open", "no_truncate"):
            op.execute(f"DROP TRIGGER {table}_{suffix} ON {table}")
    op.execute("DROP FUNCTION payment_no_truncate()")
    op.execute("DROP FUNCTION payment_rows_of_open_period()")
    op.execute("DROP TRIGGER payment_period_immutable ON payment_period")
    op.execute("DROP FUNCTION payment_period_guard()")
    op.drop_index(op.f("ix_payment_settled_start_period_id"), table_name="payment_settled_start")
    op.drop_table("payment_settled_start")
    op.drop_index("payment_line_period", table_name="payment_line")
    op.drop_index(
        "payment_line_outcome_paid_once",
        table_name="payment_line",
        postgresql_where=sa.text("kind = 'outcome'"),
    )
    op.drop_index(
        "payment_line_event", table_name="payment_line", postgresql_where=sa.text("event_id IS NOT NULL")
    )
    op.drop_index(
        "payment_line_corrected_once",
        table_name="payment_line",
        postgresql_where=sa.text("corrects_line_id IS NOT NULL"),
    )
    op.drop_table("payment_line")
    op.drop_table("export_batch")
    op.drop_index(op.f("ix_payment_period_authority_id"), table_name="payment_period")
    op.drop_table("payment_period")
