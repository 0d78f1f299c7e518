"""payment line checks: one set-based check per COPY instead of work per row

Revision ID: 0011_payment_line_checks
Revises: 0010_bid_supplier_copy
Create Date: 2026-11-22 17:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_payment_line_checks"
down_revision: str | None = "0010_bid_supplier_copy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same rule as '^[0-9a-f]{64}$', without the regex engine: that check alone cost ~6 µs of a
# line's ~26 µs in a million-line COPY.
TRACE_ID = "length(trace_id) = 64 AND trace_id !~ '[^0-9a-f]'"

# The insert trigger checks what the two foreign keys checked, over all the new rows at once. A foreign
# key queues a check per row, run one by one when the COPY ends (~2.5 µs per line). Lines are never
# deleted or re-keyed (payment_rows_of_open_period) and a period with lines is never deleted
# (payment_period_guard), so a check on insert is all a foreign key added.
# The event check runs as a hash join for a large insert: over a million new rows a nested loop of key
# lookups (the planner's choice) costs twice as much. It is planned per statement (EXECUTE) so that a
# close's few correction and settlement lines keep their key lookups instead of reading every event.
INSERTED = """
CREATE OR REPLACE FUNCTION payment_line_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    nestloop text := current_setting('enable_nestloop');
    foreign_event boolean;
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows r LEFT JOIN payment_period p ON p.id = r.period_id
               WHERE p.state IS DISTINCT FROM 'open') THEN
        RAISE EXCEPTION 'INSERT on payment_line refused: the payment period is closed or does not exist';
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT contract_id, supplier_id FROM new_rows) r
               LEFT JOIN contract k ON k.id = r.contract_id
               WHERE k.supplier_id IS DISTINCT FROM r.supplier_id) THEN
        RAISE EXCEPTION 'INSERT on payment_line refused: a line names no contract, or not its supplier';
    END IF;
    IF (SELECT count(*) FROM new_rows) > 10000 THEN
        PERFORM set_config('enable_nestloop', 'off', true);
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM new_rows r LEFT JOIN outcome_event e ON e.id = r.event_id
                            LEFT JOIN referral f ON f.id = e.referral_id
                            WHERE r.event_id IS NOT NULL AND f.contract_id IS DISTINCT FROM r.contract_id)'
        INTO foreign_event;
    PERFORM set_config('enable_nestloop', nestloop, true);
    IF foreign_event THEN
        RAISE EXCEPTION 'INSERT on payment_line refused: a line names no event of its contract';
    END IF;
    -- Corrections are few: look each corrected line up by its key, whatever the planner guesses.
    IF (SELECT count(*) FROM new_rows WHERE corrects_line_id IS NOT NULL) <> (
        SELECT count(*) FROM payment_line
        WHERE id = ANY (ARRAY(SELECT corrects_line_id FROM new_rows WHERE corrects_line_id IS NOT NULL))
    ) THEN
        RAISE EXCEPTION 'INSERT on payment_line refused: a correction names no stored line';
    END IF;
    RETURN NULL;
END $$
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION payment_line_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
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


def upgrade() -> None:
    op.drop_constraint("payment_line_trace_id", "payment_line", type_="check")
    op.create_check_constraint("payment_line_trace_id", "payment_line", TRACE_ID)
    op.drop_constraint("payment_line_period_id_fkey", "payment_line", type_="foreignkey")
    op.drop_constraint("payment_line_corrects_line_id_fkey", "payment_line", type_="foreignkey")
    op.execute(INSERTED)


def downgrade() -> None:
    op.execute(PREVIOUS)
    op.create_foreign_key(
        "payment_line_corrects_line_id_fkey", "payment_line", "payment_line", ["corrects_line_id"], ["id"]
    )
    op.create_foreign_key(
        "payment_line_period_id_fkey", "payment_line", "payment_period", ["period_id"], ["id"]
    )
    op.drop_constraint("payment_line_trace_id", "payment_line", type_="check")
    op.create_check_constraint("payment_line_trace_id", "payment_line", "trace_id ~ '^[0-9a-f]{64}$'")
