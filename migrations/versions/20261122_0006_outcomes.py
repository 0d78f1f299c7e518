"""outcomes

Revision ID: 0006_outcomes
Revises: 0005_award
Create Date: 2026-11-22 11:45:10.116852
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_outcomes"
down_revision: str | None = "0005_award"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "participant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("home_municipality_code", sa.String(length=3), nullable=False),
        sa.Column("target_groups", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("tier", sa.String(length=2), nullable=False),
        sa.Column("partial_work_ability", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("home_municipality_code ~ '^[0-9]{3}$'", name="participant_municipality_code"),
        sa.CheckConstraint("pseudonym ~ '^[0-9a-f]{64}$'", name="participant_pseudonym_hex"),
        sa.CheckConstraint(
            "target_groups <@ ARRAY['long_term_unemployed', 'youth', 'over_55', 'immigrants', 'partial_work_ability']::varchar[]",
            name="participant_target_groups",
        ),
        sa.CheckConstraint("tier IN ('T1', 'T2', 'T3', 'T4')", name="participant_tier"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pseudonym"),
    )
    op.create_table(
        "participant_registration",
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authority.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.PrimaryKeyConstraint("participant_id", "authority_id"),
    )
    op.create_index(
        op.f("ix_participant_registration_authority_id"),
        "participant_registration",
        ["authority_id"],
        unique=False,
    )
    op.create_table(
        "referral",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("category_code", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("referred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("referred_by", sa.Uuid(), nullable=False),
        sa.Column("home_municipality_code", sa.String(length=3), nullable=False),
        sa.Column("target_groups", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("tier", sa.String(length=2), nullable=False),
        sa.Column("partial_work_ability", sa.Boolean(), nullable=False),
        sa.Column("current_rung", sa.String(length=40), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.Column("neutral_exit_kind", sa.String(length=30), nullable=True),
        sa.CheckConstraint(
            "(end_reason IS NOT DISTINCT FROM 'neutral_exit') = (neutral_exit_kind IS NOT NULL) AND (neutral_exit_kind IS NULL OR neutral_exit_kind IN ('moved_away', 'death', 'pension', 'long_sickness', 'parental_leave', 'conscript_service'))",
            name="referral_neutral_exit",
        ),
        sa.CheckConstraint(
            "(state = 'ended') = (ended_on IS NOT NULL AND end_reason IS NOT NULL)", name="referral_ended"
        ),
        sa.CheckConstraint("(state = 'referred') = (started_on IS NULL)", name="referral_started_on"),
        sa.CheckConstraint(
            "current_rung IS NULL OR current_rung IN ('rehabilitative_work_activity', 'work_trial', 'training', 'pay_subsidised_work', 'open_labour_market')",
            name="referral_rung",
        ),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('completed', 'interrupted', 'neutral_exit')",
            name="referral_end_reason",
        ),
        sa.CheckConstraint("home_municipality_code ~ '^[0-9]{3}$'", name="referral_municipality_code"),
        sa.CheckConstraint("state IN ('referred', 'started', 'ended')", name="referral_state"),
        sa.CheckConstraint("tier IN ('T1', 'T2', 'T3', 'T4')", name="referral_tier"),
        sa.CheckConstraint("started_on >= referred_on AND ended_on >= started_on", name="referral_dates"),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["category.code"],
        ),
        sa.ForeignKeyConstraint(
            ["contract_id", "lot_id"],
            ["contract_lot.contract_id", "contract_lot.lot_id"],
            name="referral_lot",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["referred_by"],
            ["principal.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_referral_participant_id"), "referral", ["participant_id"], unique=False)
    op.create_index("referral_contract_lot", "referral", ["contract_id", "lot_id"], unique=False)
    # One active referral per participant and category; the service pre-checks only for a clearer message.
    op.create_index(
        "referral_one_active_per_category",
        "referral",
        ["participant_id", "category_code"],
        unique=True,
        postgresql_where=sa.text("state IN ('referred', 'started')"),
    )
    op.create_table(
        "outcome_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("rung", sa.String(length=40), nullable=True),
        sa.Column("episode_start", sa.Date(), nullable=False),
        sa.Column("episode_id", sa.String(length=32), nullable=False),
        sa.Column("pre_dates_referral", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("source_register", sa.String(length=40), nullable=True),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(source = 'supplier' AND evidence_sha256 IS NOT NULL) OR (source = 'register' AND source_register IS NOT NULL)",
            name="outcome_event_provenance",
        ),
        sa.CheckConstraint(
            "event_type <> 'next_service_step' OR rung IS NOT NULL", name="outcome_event_step_rung"
        ),
        sa.CheckConstraint(
            "event_type IN ('service_start', 'employment_start', 'self_employment_start', 'employed_3_months', 'employed_6_months', 'studies_started', 'qualification_completed', 'job_or_studies_within_180_days', 'next_service_step', 'step_up_held_30_days', 'second_step_or_category_entry')",
            name="outcome_event_type",
        ),
        sa.CheckConstraint(
            "evidence_sha256 IS NULL OR evidence_sha256 ~ '^[0-9a-f]{64}$'", name="outcome_event_sha256_hex"
        ),
        sa.CheckConstraint(
            "rung IS NULL OR rung IN ('rehabilitative_work_activity', 'work_trial', 'training', 'pay_subsidised_work', 'open_labour_market')",
            name="outcome_event_rung",
        ),
        sa.CheckConstraint("source IN ('supplier', 'register')", name="outcome_event_source"),
        sa.CheckConstraint(
            "state IN ('reported', 'verified', 'payable', 'paid', 'rejected', 'voided', 'awaiting_clawback', 'clawed_back')",
            name="outcome_event_state",
        ),
        sa.CheckConstraint(
            "state NOT IN ('rejected', 'voided', 'awaiting_clawback', 'clawed_back') OR reason IS NOT NULL",
            name="outcome_event_reason",
        ),
        sa.CheckConstraint("end_date IS NULL OR end_date >= event_date", name="outcome_event_end"),
        sa.CheckConstraint("episode_start <= event_date", name="outcome_event_episode_start"),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["principal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["principal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_outcome_event_referral_id"), "outcome_event", ["referral_id"], unique=False)
    # One live event per referral, type and episode: rejected and voided events free the slot.
    op.create_index(
        "outcome_event_once_per_episode",
        "outcome_event",
        ["referral_id", "event_type", "episode_id"],
        unique=True,
        postgresql_where=sa.text("state NOT IN ('rejected', 'voided')"),
    )
    op.create_index(
        "outcome_event_participant_episode",
        "outcome_event",
        ["participant_id", "event_type", "episode_id"],
        unique=False,
    )
    # The one-active-referral index and the ring-wide episode key rely on these copies being true.
    op.execute(
        """
        CREATE FUNCTION referral_copies_match() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM contract WHERE id = NEW.contract_id AND category_code = NEW.category_code) THEN
                RAISE EXCEPTION 'referral category % is not its contract''s category', NEW.category_code;
            END IF;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER referral_category_of_contract BEFORE INSERT OR UPDATE OF contract_id, category_code "
        "ON referral FOR EACH ROW EXECUTE FUNCTION referral_copies_match()"
    )
    op.execute(
        """
        CREATE FUNCTION outcome_event_copies_match() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM referral WHERE id = NEW.referral_id AND participant_id = NEW.participant_id) THEN
                RAISE EXCEPTION 'outcome event participant is not its referral''s participant';
            END IF;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER outcome_event_participant_of_referral BEFORE INSERT OR UPDATE OF referral_id, participant_id "
        "ON outcome_event FOR EACH ROW EXECUTE FUNCTION outcome_event_copies_match()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER outcome_event_participant_of_referral ON outcome_event")
    op.execute("DROP FUNCTION outcome_event_copies_match()")
    op.execute("DROP TRIGGER referral_category_of_contract ON referral")
    op.execute("DROP FUNCTION referral_copies_match()")
    op.drop_index("outcome_event_participant_episode", table_name="outcome_event")
    op.drop_index(
        "outcome_event_once_per_episode",
        table_name="outcome_event",
        postgresql_where=sa.text("state NOT IN ('rejected', 'voided')"),
    )
    op.drop_index(op.f("ix_outcome_event_referral_id"), table_name="outcome_event")
    op.drop_table("outcome_event")
    op.drop_index(
        "referral_one_active_per_category",
        table_name="referral",
        postgresql_where=sa.text("state IN ('referred', 'started')"),
    )
    op.drop_index("referral_contract_lot", table_name="referral")
    op.drop_index(op.f("ix_referral_participant_id"), table_name="referral")
    op.drop_table("referral")
    op.drop_index(op.f("ix_participant_registration_authority_id"), table_name="participant_registration")
    op.drop_table("participant_registration")
    op.drop_table("participant")
