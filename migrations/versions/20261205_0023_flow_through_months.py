"""flow-through months: each month end's public table stored as shown, forgotten when a fact it counts changes

Also an index of each start's next steps (it names no column the month close changes).

A public flow-through table at a month end depends on the table of every earlier month end (ADR 0006),
so it is stored once computed. Triggers on referral and outcome_event delete a DPS's stored months from
the first month end the changed row counts in: its start for the start's own facts (start, contract, lot,
municipality, target groups), its maturity (start + the stored row's horizon) for the facts judged only
at maturity (its next steps, neutral exit, rung, referral date). Outcome events other than next steps do
not count in flow-through and forget nothing. The writer holds a shared advisory lock on the DPS until it
commits; whoever stores a month takes it exclusively, so a month computed before a change never outlives it.

Revision ID: 0023_flow_through_months
Revises: 0020_award_remedies
Create Date: 2026-12-05 00:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023_flow_through_months"
down_revision: str | None = "0020_award_remedies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The lock space 18004 is outcomes.flowthrough.stored.LOCK_SPACE; the event types are the next steps of
# outcomes.tracking.rules.NEXT_STEP_TYPES, the states flow-through's COUNTED_STATES
# (tests/integration/test_flowthrough_stored.py holds them equal).

FORGET = """
CREATE FUNCTION flow_through_forget(p_contract uuid, p_started date, p_at_maturity boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_dps uuid;
BEGIN
    IF p_started IS NULL THEN
        RETURN;  -- a referral not started counts in no table
    END IF;
    SELECT dps_id INTO v_dps FROM contract WHERE id = p_contract;
    IF v_dps IS NULL THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(18004, hashtext(v_dps::text));
    DELETE FROM flow_through_month f
    WHERE f.dps_id = v_dps
      AND f.month_end >= p_started + CASE WHEN p_at_maturity THEN f.horizon_days ELSE 0 END;
END $$;
"""

REFERRAL = """
CREATE FUNCTION flow_through_forget_referral() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_own boolean;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        v_own := (OLD.started_on, OLD.contract_id, OLD.lot_id, OLD.home_municipality_code, OLD.target_groups)
                 IS DISTINCT FROM
                 (NEW.started_on, NEW.contract_id, NEW.lot_id, NEW.home_municipality_code, NEW.target_groups);
        IF NOT v_own AND (OLD.referred_on, OLD.current_rung, OLD.ended_on, OLD.end_reason,
                          OLD.neutral_exit_kind, OLD.neutral_exit_state)
                         IS NOT DISTINCT FROM
                         (NEW.referred_on, NEW.current_rung, NEW.ended_on, NEW.end_reason,
                          NEW.neutral_exit_kind, NEW.neutral_exit_state) THEN
            RETURN NULL;  -- nothing flow-through reads has changed
        END IF;
        PERFORM flow_through_forget(OLD.contract_id, OLD.started_on, NOT v_own);
        PERFORM flow_through_forget(NEW.contract_id, NEW.started_on, NOT v_own);
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM flow_through_forget(NEW.contract_id, NEW.started_on, false);
    ELSE
        PERFORM flow_through_forget(OLD.contract_id, OLD.started_on, false);
    END IF;
    RETURN NULL;
END $$;
"""

EVENT = """
CREATE FUNCTION flow_through_forget_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    -- Flow-through reads whether a state counts, not which counted state it is: the close (verified to
    -- payable) and the payment (to paid) forget nothing.
    IF TG_OP = 'UPDATE' AND (OLD.referral_id, OLD.state IN ('verified', 'payable', 'paid'), OLD.event_type,
                             OLD.pre_dates_referral, OLD.event_date, OLD.end_date, OLD.rung)
                            IS NOT DISTINCT FROM
                            (NEW.referral_id, NEW.state IN ('verified', 'payable', 'paid'), NEW.event_type,
                             NEW.pre_dates_referral, NEW.event_date, NEW.end_date, NEW.rung) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.event_type IN ('employment_start', 'next_service_step', 'self_employment_start', 'studies_started') THEN
        SELECT contract_id, started_on INTO r FROM referral WHERE id = OLD.referral_id;
        PERFORM flow_through_forget(r.contract_id, r.started_on, true);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.event_type IN ('employment_start', 'next_service_step', 'self_employment_start', 'studies_started') THEN
        SELECT contract_id, started_on INTO r FROM referral WHERE id = NEW.referral_id;
        PERFORM flow_through_forget(r.contract_id, r.started_on, true);
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "flow_through_month",
        sa.Column("dps_id", sa.Uuid(), nullable=False),
        sa.Column("grouping", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("persistence_days", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("month_end", sa.Date(), nullable=False),
        sa.Column("positions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "month_end = (date_trunc('month', month_end) + interval '1 month - 1 day')::date",
            name="flow_through_month_end",
        ),
        sa.CheckConstraint("jsonb_typeof(positions) = 'array'", name="flow_through_month_positions"),
        sa.ForeignKeyConstraint(["dps_id"], ["dps.id"]),
        sa.PrimaryKeyConstraint(
            "dps_id", "grouping", "horizon_days", "persistence_days", "threshold", "month_end"
        ),
    )
    # The next steps of a start, without the other events; no column the close changes (HOT stays).
    op.create_index(
        "outcome_event_next_step",
        "outcome_event",
        ["referral_id"],
        postgresql_where=sa.text(
            "event_type IN ('employment_start', 'next_service_step', 'self_employment_start',"
            " 'studies_started')"
        ),
    )
    op.execute(FORGET)
    op.execute(REFERRAL)
    op.execute(EVENT)
    op.execute(
        "CREATE TRIGGER referral_flow_through_forget AFTER INSERT OR UPDATE OR DELETE ON referral"
        " FOR EACH ROW EXECUTE FUNCTION flow_through_forget_referral()"
    )
    op.execute(
        "CREATE TRIGGER outcome_event_flow_through_forget AFTER INSERT OR UPDATE OR DELETE ON outcome_event"
        " FOR EACH ROW EXECUTE FUNCTION flow_through_forget_event()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER outcome_event_flow_through_forget ON outcome_event")
    op.execute("DROP TRIGGER referral_flow_through_forget ON referral")
    op.execute("DROP FUNCTION flow_through_forget_event()")
    op.execute("DROP FUNCTION flow_through_forget_referral()")
    op.execute("DROP FUNCTION flow_through_forget(uuid, date, boolean)")
    op.drop_index("outcome_event_next_step", table_name="outcome_event")
    op.drop_table("flow_through_month")
