"""Tables of outcomes: pseudonymous participants, referrals to contract lots, and outcome events."""

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from minicompetition.tender.rules import TARGET_GROUPS
from outcomes.tracking.rules import (
    SERVICE_LADDER,
    BenefitDaysTier,
    NeutralExitKind,
    OutcomeEventState,
    OutcomeEventType,
    ReferralEndReason,
    ReferralState,
)
from procurement.core.columns import moment

# Participant target groups: the lots' groups without "general", which is a lot for anyone.
PARTICIPANT_TARGET_GROUPS = tuple(g for g in TARGET_GROUPS if g != "general")
TIERS = tuple(BenefitDaysTier)
REFERRAL_STATES = tuple(ReferralState)
END_REASONS = tuple(ReferralEndReason)
NEUTRAL_KINDS = tuple(NeutralExitKind)
EVENT_STATES = tuple(OutcomeEventState)
EVENT_TYPES = tuple(OutcomeEventType)
RUNGS = tuple(SERVICE_LADDER)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def _array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join(repr(str(v)) for v in values) + "]::varchar[]"


class Participant(SQLModel, table=True):
    """A client known only by the HMAC pseudonym of the hetu; the hetu itself is never stored."""

    __tablename__ = "participant"
    __table_args__ = (
        # HMAC-SHA256 hex: anything else would mean a hetu (or part of one) slipped in.
        CheckConstraint("pseudonym ~ '^[0-9a-f]{64}$'", name="participant_pseudonym_hex"),
        CheckConstraint("home_municipality_code ~ '^[0-9]{3}$'", name="participant_municipality_code"),
        CheckConstraint(_in("tier", TIERS), name="participant_tier"),
        CheckConstraint(
            f"target_groups <@ {_array(PARTICIPANT_TARGET_GROUPS)}", name="participant_target_groups"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    pseudonym: str = Field(max_length=64, unique=True)
    home_municipality_code: str = Field(max_length=3)
    target_groups: list[str] = Field(sa_column=Column(ARRAY(String(40)), nullable=False))
    tier: str = Field(max_length=2)
    partial_work_ability: bool
    created_at: datetime = Field(sa_column=moment())
    updated_at: datetime = Field(sa_column=moment())


class ParticipantRegistration(SQLModel, table=True):
    """An authority that registered a participant: its officers may see and refer that participant."""

    __tablename__ = "participant_registration"

    participant_id: uuid.UUID = Field(foreign_key="participant.id", primary_key=True)
    authority_id: uuid.UUID = Field(foreign_key="authority.id", primary_key=True, index=True)
    first_at: datetime = Field(sa_column=moment())
    last_at: datetime = Field(sa_column=moment())


class Referral(SQLModel, table=True):
    """A participant referred to a contract lot, with the participant's attributes as they were then."""

    __tablename__ = "referral"
    __table_args__ = (
        ForeignKeyConstraint(
            ["contract_id", "lot_id"],
            ["contract_lot.contract_id", "contract_lot.lot_id"],
            name="referral_lot",
        ),
        # The contract's authority and supplier, copied so the lists page by them; never different.
        ForeignKeyConstraint(
            ["contract_id", "authority_id", "supplier_id"],
            ["contract.id", "contract.authority_id", "contract.supplier_id"],
            name="referral_scope",
        ),
        UniqueConstraint("id", "authority_id", "supplier_id", name="referral_scope_key"),
        CheckConstraint(_in("state", REFERRAL_STATES), name="referral_state"),
        # A started referral has its start date, and only then; an ended one its end and reason.
        CheckConstraint("(state = 'referred') = (started_on IS NULL)", name="referral_started_on"),
        CheckConstraint(
            "(state = 'ended') = (ended_on IS NOT NULL AND end_reason IS NOT NULL)", name="referral_ended"
        ),
        CheckConstraint(
            f"end_reason IS NULL OR {_in('end_reason', END_REASONS)}", name="referral_end_reason"
        ),
        # A neutral exit always names its kind (it is reported apart), and only a neutral exit has one.
        CheckConstraint(
            "(end_reason IS NOT DISTINCT FROM 'neutral_exit') = (neutral_exit_kind IS NOT NULL)"
            f" AND (neutral_exit_kind IS NULL OR {_in('neutral_exit_kind', NEUTRAL_KINDS)})",
            name="referral_neutral_exit",
        ),
        # A neutral exit is reported by the supplier and counts only once an officer has verified it.
        CheckConstraint(
            "(end_reason IS NOT DISTINCT FROM 'neutral_exit') = (neutral_exit_state IS NOT NULL)"
            " AND (neutral_exit_state IS NULL OR neutral_exit_state IN ('reported', 'verified', 'rejected'))",
            name="referral_neutral_exit_state",
        ),
        # A decision on an exit names who made it and when; a rejection always says why.
        CheckConstraint(
            "(neutral_exit_state IN ('verified', 'rejected'))"
            " = (neutral_exit_decided_at IS NOT NULL AND neutral_exit_decided_by IS NOT NULL)"
            " AND (neutral_exit_state = 'rejected') = (neutral_exit_rejection IS NOT NULL)",
            name="referral_neutral_exit_decided",
        ),
        CheckConstraint(
            "neutral_exit_evidence_sha256 IS NULL OR neutral_exit_evidence_sha256 ~ '^[0-9a-f]{64}$'",
            name="referral_neutral_exit_evidence",
        ),
        CheckConstraint("started_on >= referred_on AND ended_on >= started_on", name="referral_dates"),
        CheckConstraint("home_municipality_code ~ '^[0-9]{3}$'", name="referral_municipality_code"),
        CheckConstraint(_in("tier", TIERS), name="referral_tier"),
        CheckConstraint(f"current_rung IS NULL OR {_in('current_rung', RUNGS)}", name="referral_rung"),
        # One active referral per participant and category; the service checks first for a clear message.
        Index(
            "referral_one_active_per_category",
            "participant_id",
            "category_code",
            unique=True,
            postgresql_where=text("state IN ('referred', 'started')"),
        ),
        Index("referral_contract_lot", "contract_id", "lot_id"),
        # The referral list pages in these orders (keyset; ADR 0019 has the plans): an authority's, a
        # supplier's, and an authority's in one state (most are ended; the open ones are the recent few).
        Index("referral_authority_order", "authority_id", "referred_at", "id"),
        Index("referral_supplier_order", "supplier_id", "referred_at", "id"),
        Index("referral_authority_state_order", "authority_id", "state", "referred_at", "id"),
        # An authority's starts with what flow-through reads of them (migration 0025, ADR 0019): the
        # live report is one index-only range, no read of the table or of the events.
        Index(
            "referral_authority_starts",
            "authority_id",
            "started_on",
            postgresql_include=[
                "supplier_id",
                "first_step_on",
                "ended_on",
                "end_reason",
                "neutral_exit_kind",
                "neutral_exit_state",
            ],
            postgresql_where=text("started_on IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    participant_id: uuid.UUID = Field(foreign_key="participant.id", index=True)
    contract_id: uuid.UUID
    lot_id: uuid.UUID
    authority_id: uuid.UUID  # the contract's (referral_scope)
    supplier_id: uuid.UUID  # the contract's (referral_scope)
    category_code: str = Field(foreign_key="category.code", max_length=20)
    state: str = Field(default="referred", max_length=12)
    referred_on: date
    referred_at: datetime = Field(sa_column=moment())
    referred_by: uuid.UUID = Field(foreign_key="principal.id")
    home_municipality_code: str = Field(max_length=3)
    target_groups: list[str] = Field(sa_column=Column(ARRAY(String(40)), nullable=False))
    tier: str = Field(max_length=2)
    partial_work_ability: bool
    current_rung: str | None = Field(default=None, max_length=40)
    started_on: date | None = None
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=20)
    neutral_exit_kind: str | None = Field(default=None, max_length=30)
    neutral_exit_state: str | None = Field(default=None, max_length=10)
    neutral_exit_evidence_sha256: str | None = Field(default=None, max_length=64)
    neutral_exit_reported_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    neutral_exit_decided_by: uuid.UUID | None = Field(default=None, foreign_key="principal.id")
    neutral_exit_decided_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
    neutral_exit_rejection: str | None = Field(default=None, max_length=2000)
    # The earliest verified next step that can be held for the default persistence, whatever the
    # horizon and cut-off (outcomes.flowthrough.queries). Kept by the database's triggers (migration
    # 0025) in the same transaction as the facts it reads; never written here.
    first_step_on: date | None = None


class OutcomeEvent(SQLModel, table=True):
    """An outcome of a referral: reported by the supplier with evidence, or recorded from a register."""

    __tablename__ = "outcome_event"
    __table_args__ = (
        CheckConstraint(_in("event_type", EVENT_TYPES), name="outcome_event_type"),
        CheckConstraint(_in("state", EVENT_STATES), name="outcome_event_state"),
        CheckConstraint(f"rung IS NULL OR {_in('rung', RUNGS)}", name="outcome_event_rung"),
        # A ladder step is meaningless without the rung it lands on.
        CheckConstraint(
            "event_type <> 'next_service_step' OR rung IS NOT NULL", name="outcome_event_step_rung"
        ),
        CheckConstraint("end_date IS NULL OR end_date >= event_date", name="outcome_event_end"),
        CheckConstraint("episode_start <= event_date", name="outcome_event_episode_start"),
        CheckConstraint("source IN ('supplier', 'register')", name="outcome_event_source"),
        # A supplier's claim stands on its evidence; a register record names its register.
        CheckConstraint(
            "(source = 'supplier' AND evidence_sha256 IS NOT NULL)"
            " OR (source = 'register' AND source_register IS NOT NULL)",
            name="outcome_event_provenance",
        ),
        CheckConstraint(
            "evidence_sha256 IS NULL OR evidence_sha256 ~ '^[0-9a-f]{64}$'", name="outcome_event_sha256_hex"
        ),
        # Rejections and voids always say why.
        CheckConstraint(
            "state NOT IN ('rejected', 'voided', 'awaiting_clawback', 'clawed_back') OR reason IS NOT NULL",
            name="outcome_event_reason",
        ),
        # One live event per referral, type and episode: a second report of the same outcome is a duplicate.
        # The predicate reads `live`, so a state change between live states is a HOT update (migration 0009
        # also leaves half of each page free for those updates).
        Index(
            "outcome_event_once_per_episode",
            "referral_id",
            "event_type",
            "episode_id",
            unique=True,
            postgresql_where=text("live"),
        ),
        # The payment rules look outcomes up ring-wide by participant, type and episode.
        Index("outcome_event_participant_episode", "participant_id", "event_type", "episode_id"),
        # The referral's authority and supplier, copied so the queue pages by them; never different.
        ForeignKeyConstraint(
            ["referral_id", "authority_id", "supplier_id"],
            ["referral.id", "referral.authority_id", "referral.supplier_id"],
            name="outcome_event_scope",
        ),
        # The event lists page in these orders (keyset; ADR 0019 has the plans). No index names `state`:
        # the close's verified → payable updates stay HOT (migration 0009), so ?state= filters the range.
        Index("outcome_event_authority_order", "authority_id", "recorded_at", "id"),
        Index("outcome_event_supplier_order", "supplier_id", "recorded_at", "id"),
        # The verification queue (outcomes.tracking.queues): only the undecided events, a handful an
        # authority. Its predicate reads `decided_at`, set once on verification or rejection, never
        # `state`, so the close's updates stay HOT; the check keeps every reported event in it.
        Index(
            "outcome_event_awaiting",
            "authority_id",
            "recorded_at",
            "id",
            postgresql_where=text("decided_at IS NULL"),
        ),
        CheckConstraint("state <> 'reported' OR decided_at IS NULL", name="outcome_event_reported_undecided"),
        # The events between verification and payment (?state=verified / payable), a few per cent of an
        # authority's. Its predicate reads `awaiting_payment`, which the close's verified → payable leaves
        # unchanged, so those updates stay HOT (migration 0027).
        Index(
            "outcome_event_awaiting_payment",
            "authority_id",
            "recorded_at",
            "id",
            postgresql_where=text("awaiting_payment"),
        ),
        # Flow-through's next steps of a start (outcomes.flowthrough.queries): a quarter of the events.
        # It names no column the close changes (`state`), so the close's updates stay HOT.
        Index(
            "outcome_event_next_step",
            "referral_id",
            postgresql_where=text(
                "event_type IN ('employment_start', 'next_service_step', 'self_employment_start',"
                " 'studies_started')"
            ),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    referral_id: uuid.UUID = Field(foreign_key="referral.id", index=True)
    participant_id: uuid.UUID = Field(foreign_key="participant.id")
    authority_id: uuid.UUID  # the referral's (outcome_event_scope)
    supplier_id: uuid.UUID  # the referral's (outcome_event_scope)
    event_type: str = Field(max_length=40)
    event_date: date
    end_date: date | None = None
    rung: str | None = Field(default=None, max_length=40)
    episode_start: date
    episode_id: str = Field(max_length=32)
    pre_dates_referral: bool = False
    state: str = Field(default="reported", max_length=20)
    # Rejected, voided and clawed-back events free their episode slot; the database computes this.
    live: bool | None = Field(
        default=None,
        sa_column=Column(
            Boolean,
            Computed(
                "state NOT IN ('rejected', 'voided', 'awaiting_clawback', 'clawed_back')", persisted=True
            ),
            nullable=False,
        ),
    )
    # Verified or payable: accepted and not yet paid; the database computes this.
    awaiting_payment: bool | None = Field(
        default=None,
        sa_column=Column(
            Boolean, Computed("state IN ('verified', 'payable')", persisted=True), nullable=False
        ),
    )
    source: str = Field(max_length=10)
    source_register: str | None = Field(default=None, max_length=40)
    evidence_sha256: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)
    recorded_by: uuid.UUID = Field(foreign_key="principal.id")
    recorded_at: datetime = Field(sa_column=moment())
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="principal.id")
    decided_at: datetime | None = Field(default=None, sa_column=moment(nullable=True))
