"""first step on: each start's earliest next step that can be held, kept on the referral by triggers

The authority's live flow-through report probed outcome_event for every start it counts (38 000 for
the biggest authority: 210 ms p95 at full scale). Each start's verdict at any cut-off and horizon
follows from one date that does not depend on either: `referral.first_step_on`, the earliest event_date
of the referral's verified next steps that pass every rule of SPEC 4.4 but the two bounds (the horizon
and the cut-off), counting only steps whose recorded end (if any) lets them be held for the persistence
days. Then, with p the persistence days, h the horizon and c the cut-off:

    the start has a qualifying step  ⇔  first_step_on <= started_on + h  AND  first_step_on + p - 1 <= c

and days to the step = first_step_on - started_on. Why: a step e qualifies at (c, h) when it passes the
fixed rules, e.event_date <= started_on + h, and min(end_date, c) - e.event_date + 1 >= p (an end after
the cut-off is not yet known: the cut-off stands in). The last splits in two: (end_date IS NULL OR
end_date - e.event_date + 1 >= p) — fixed, in first_step_on — and e.event_date <= c - p + 1. Both
bounds left are upper bounds on e.event_date, so if any step meets them the earliest fixed-rule step
meets them too, and it is the earliest qualifying one: the minimum is the same set's minimum.

The value is written only here: triggers recompute it in the same transaction as every change of what
it reads (a next step's state, type, dates, rung, pre-dating or referral; the referral's start, referral
date and current rung). The close's and the payment's state changes (verified → payable → paid) keep a
counted state counted and cost nothing: the WHEN clause skips them before any function runs. The event
trigger locks the referral row before it reads the events: two transactions changing two events of one
referral then take turns, and the second reads (READ COMMITTED: a new snapshot per statement) what the
first committed. Under REPEATABLE READ it always writes the row, so the second fails to serialize
instead of keeping a value computed without the first's change.

The persistence is the default configuration's (outcomes.flowthrough.steps.DEFAULT_CONFIG, 30 days);
a report with another falls back to reading the events. The event types, states and ladder are those of
outcomes.tracking.rules and outcomes.flowthrough.queries (tests/integration/test_first_step_on.py holds
them equal). The index holds what the report reads, so an authority's report is one index-only range.

Revision ID: 0025_first_step_on
Revises: 0024_awaiting_queue
Create Date: 2026-12-05 03:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_first_step_on"
down_revision: str | None = "0024_awaiting_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERSISTENCE_DAYS = 30
COUNTED = "'paid', 'payable', 'verified'"
NEXT_STEPS = "'employment_start', 'next_service_step', 'self_employment_start', 'studies_started'"
RUNG_REQUIRED = "'next_service_step'"
LADDER = (
    "ARRAY['rehabilitative_work_activity', 'work_trial', 'training', 'pay_subsidised_work',"
    " 'open_labour_market']::text[]"
)

# Every rule of SPEC 4.4 on a next step `e` of the start `r` except the horizon and the cut-off.
STEP_RULES = f"""
    e.state IN ({COUNTED})
    AND e.event_type IN ({NEXT_STEPS})
    AND NOT e.pre_dates_referral
    AND e.event_date >= r.referred_on
    AND e.event_date > r.started_on
    AND CASE WHEN e.rung IS NOT NULL AND r.current_rung IS NOT NULL
             THEN array_position({LADDER}, e.rung::text) > array_position({LADDER}, r.current_rung::text)
             ELSE e.event_type NOT IN ({RUNG_REQUIRED}) END
    AND (e.end_date IS NULL OR e.end_date - e.event_date + 1 >= {PERSISTENCE_DAYS})
"""

COMPUTE = f"""
CREATE FUNCTION referral_first_step_on(p_referral uuid, p_referred date, p_started date, p_rung text)
RETURNS date LANGUAGE sql STABLE AS $$
    SELECT min(e.event_date)
    FROM outcome_event e,
         (SELECT p_referred AS referred_on, p_started AS started_on, p_rung AS current_rung) r
    WHERE e.referral_id = p_referral AND {STEP_RULES}
$$;
"""  # noqa: S608 (our own constants)

REFRESH = """
CREATE FUNCTION referral_first_step_refresh(p_referral uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r record;
    v date;
BEGIN
    -- Lock, then read the events in a statement of its own (a snapshot taken after the lock).
    SELECT referred_on, started_on, current_rung, first_step_on INTO r
    FROM referral WHERE id = p_referral FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN;  -- the referral is being deleted with its events
    END IF;
    SELECT referral_first_step_on(p_referral, r.referred_on, r.started_on, r.current_rung) INTO v;
    IF v IS DISTINCT FROM r.first_step_on
       OR current_setting('transaction_isolation') <> 'read committed' THEN
        UPDATE referral SET first_step_on = v WHERE id = p_referral;
    END IF;
END $$;
"""

EVENT = """
CREATE FUNCTION referral_first_step_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM referral_first_step_refresh(OLD.referral_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.referral_id IS DISTINCT FROM OLD.referral_id) THEN
        PERFORM referral_first_step_refresh(NEW.referral_id);
    END IF;
    RETURN NULL;
END $$;
"""

REFERRAL = """
CREATE FUNCTION referral_first_step_referral() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A BEFORE trigger: the row being written gets the value, no second UPDATE (and no recursion).
    SELECT referral_first_step_on(NEW.id, NEW.referred_on, NEW.started_on, NEW.current_rung)
    INTO NEW.first_step_on;
    RETURN NEW;
END $$;
"""

_EVENT_COUNTS_NEW = f"NEW.state IN ({COUNTED}) AND NEW.event_type IN ({NEXT_STEPS})"
_EVENT_COUNTS_OLD = f"OLD.state IN ({COUNTED}) AND OLD.event_type IN ({NEXT_STEPS})"
_READ = "referral_id, event_type, pre_dates_referral, event_date, end_date, rung"

TRIGGERS = [
    # A report not yet verified, and any event that is not a next step, cannot move the value.
    "CREATE TRIGGER outcome_event_first_step_insert AFTER INSERT ON outcome_event FOR EACH ROW"
    f" WHEN ({_EVENT_COUNTS_NEW}) EXECUTE FUNCTION referral_first_step_event()",
    "CREATE TRIGGER outcome_event_first_step_delete AFTER DELETE ON outcome_event FOR EACH ROW"
    f" WHEN ({_EVENT_COUNTS_OLD}) EXECUTE FUNCTION referral_first_step_event()",
    # Whether the state counts, not which counted state it is: verified → payable → paid skip this.
    f"CREATE TRIGGER outcome_event_first_step_update AFTER UPDATE OF state, {_READ} ON outcome_event"
    f" FOR EACH ROW WHEN (({_EVENT_COUNTS_OLD} OR {_EVENT_COUNTS_NEW})"
    f" AND (OLD.state IN ({COUNTED}), {', '.join('OLD.' + c for c in _READ.split(', '))})"
    f" IS DISTINCT FROM (NEW.state IN ({COUNTED}), {', '.join('NEW.' + c for c in _READ.split(', '))}))"
    " EXECUTE FUNCTION referral_first_step_event()",
    # A new referral has no events yet: only a value written by hand is put right.
    "CREATE TRIGGER referral_first_step_insert BEFORE INSERT ON referral FOR EACH ROW"
    " WHEN (NEW.first_step_on IS NOT NULL) EXECUTE FUNCTION referral_first_step_referral()",
    # The start, the referral date and the rung are read; a value written by anything but the event
    # trigger (depth 0) is put right too. The event trigger's own update (depth 1) names none of these.
    "CREATE TRIGGER referral_first_step_update BEFORE UPDATE OF started_on, referred_on, current_rung,"
    " first_step_on ON referral FOR EACH ROW"
    " WHEN ((OLD.started_on, OLD.referred_on, OLD.current_rung)"
    " IS DISTINCT FROM (NEW.started_on, NEW.referred_on, NEW.current_rung)"
    " OR (OLD.first_step_on IS DISTINCT FROM NEW.first_step_on AND pg_trigger_depth() = 0))"
    " EXECUTE FUNCTION referral_first_step_referral()",
]

BACKFILL = f"""
UPDATE referral r SET first_step_on = f.first_step_on
FROM (SELECT e.referral_id, min(e.event_date) AS first_step_on
      FROM outcome_event e JOIN referral r ON r.id = e.referral_id
      WHERE r.started_on IS NOT NULL AND {STEP_RULES}
      GROUP BY e.referral_id) f
WHERE r.id = f.referral_id
"""  # noqa: S608 (our own constants)


def upgrade() -> None:
    op.add_column("referral", sa.Column("first_step_on", sa.Date(), nullable=True))
    # Before the index: the backfill's updates stay HOT where the page has room. Migration 0023's
    # trigger reads no column the backfill writes: off for it (one call a row; the table is ours alone
    # since ADD COLUMN locked it, and a failure rolls the switch back with the rest).
    op.execute("ALTER TABLE referral DISABLE TRIGGER referral_flow_through_forget")
    op.execute(BACKFILL)
    op.execute("ALTER TABLE referral ENABLE TRIGGER referral_flow_through_forget")
    # An authority's starts in start order with what their verdicts read (the supplier for the
    # officer's page, which groups by supplier): the report never reads the table.
    op.create_index(
        "referral_authority_starts",
        "referral",
        ["authority_id", "started_on"],
        postgresql_include=[
            "supplier_id",
            "first_step_on",
            "ended_on",
            "end_reason",
            "neutral_exit_kind",
            "neutral_exit_state",
        ],
        postgresql_where=sa.text("started_on IS NOT NULL"),
    )
    op.execute(COMPUTE)
    op.execute(REFRESH)
    op.execute(EVENT)
    op.execute(REFERRAL)
    for trigger in TRIGGERS:
        op.execute(trigger)
    # The backfill cleared the visibility of the pages it wrote: an index-only scan would visit them
    # until autovacuum comes. VACUUM runs outside a transaction.
    with op.get_context().autocommit_block():
        op.execute("VACUUM (ANALYZE) referral")


def downgrade() -> None:
    for name, table in (
        ("referral_first_step_update", "referral"),
        ("referral_first_step_insert", "referral"),
        ("outcome_event_first_step_update", "outcome_event"),
        ("outcome_event_first_step_delete", "outcome_event"),
        ("outcome_event_first_step_insert", "outcome_event"),
    ):
        op.execute(f"DROP TRIGGER {name} ON {table}")
    op.execute("DROP FUNCTION referral_first_step_referral()")
    op.execute("DROP FUNCTION referral_first_step_event()")
    op.execute("DROP FUNCTION referral_first_step_refresh(uuid)")
    op.execute("DROP FUNCTION referral_first_step_on(uuid, date, date, text)")
    op.drop_index("referral_authority_starts", table_name="referral")
    op.drop_column("referral", "first_step_on")
