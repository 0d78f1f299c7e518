"""event forget when: an outcome event's update wakes the flow-through trigger only when flow-through reads it

Migration 0023's row trigger on outcome_event ran its function for every updated row and returned early
when nothing flow-through reads had changed. A month's close moves every paid event from verified to
payable (a million rows in a national month), and each of those updates still queued an after-trigger
event and called the function: about 2 µs a row in the close's one transaction. The same test now sits in
the trigger's WHEN clause, which PostgreSQL evaluates as the row is updated, so such an update queues
nothing. Inserts and deletes keep an unconditional trigger (a WHEN clause cannot name OLD on insert or NEW
on delete); the function is unchanged.

Revision ID: 0026_event_forget_when
Revises: 0025_first_step_on
Create Date: 2026-12-05 03:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026_event_forget_when"
down_revision: str | None = "0025_first_step_on"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The function's own early return of migration 0023: whether a counted state, not which one (the close's
# verified → payable and the payment's → paid change nothing flow-through reads).
CHANGED = """
(OLD.referral_id, OLD.state IN ('verified', 'payable', 'paid'), OLD.event_type, OLD.pre_dates_referral,
 OLD.event_date, OLD.end_date, OLD.rung)
IS DISTINCT FROM
(NEW.referral_id, NEW.state IN ('verified', 'payable', 'paid'), NEW.event_type, NEW.pre_dates_referral,
 NEW.event_date, NEW.end_date, NEW.rung)
"""


def upgrade() -> None:
    op.execute("DROP TRIGGER outcome_event_flow_through_forget ON outcome_event")
    op.execute(
        "CREATE TRIGGER outcome_event_flow_through_forget AFTER INSERT OR DELETE ON outcome_event"
        " FOR EACH ROW EXECUTE FUNCTION flow_through_forget_event()"
    )
    op.execute(
        "CREATE TRIGGER outcome_event_flow_through_forget_update AFTER UPDATE ON outcome_event"
        f" FOR EACH ROW WHEN ({CHANGED}) EXECUTE FUNCTION flow_through_forget_event()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER outcome_event_flow_through_forget_update ON outcome_event")
    op.execute("DROP TRIGGER outcome_event_flow_through_forget ON outcome_event")
    op.execute(
        "CREATE TRIGGER outcome_event_flow_through_forget AFTER INSERT OR UPDATE OR DELETE ON outcome_event"
        " FOR EACH ROW EXECUTE FUNCTION flow_through_forget_event()"
    )
