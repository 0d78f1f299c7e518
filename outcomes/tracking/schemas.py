"""API shapes of participants, referrals and outcome events."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

MunicipalityCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3}$", description="Statistics Finland code")]
Reason = Annotated[str, msgspec.Meta(min_length=3, max_length=2000)]
Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$", description="lower-case hex SHA-256")]
TargetGroup = Literal["long_term_unemployed", "youth", "over_55", "immigrants", "partial_work_ability"]
Tier = Literal["T1", "T2", "T3", "T4"]
Rung = Literal[
    "rehabilitative_work_activity", "work_trial", "training", "pay_subsidised_work", "open_labour_market"
]
NeutralKind = Literal[
    "moved_away", "death", "pension", "long_sickness", "parental_leave", "conscript_service"
]
Register = Literal["tulorekisteri", "koski", "kela", "ytj", "client_system"]


class ParticipantIn(msgspec.Struct, forbid_unknown_fields=True):
    """A participant by hetu (used once for the pseudonym, then discarded) and attributes."""

    hetu: Annotated[str, msgspec.Meta(min_length=1, max_length=20, description="henkilötunnus; never stored")]
    home_municipality_code: MunicipalityCode
    target_groups: Annotated[list[TargetGroup], msgspec.Meta(max_length=5)] = []
    benefit_days: Annotated[int, msgspec.Meta(ge=0, le=5000)] | None = None
    tier: Tier | None = None
    partial_work_ability: bool = False


class ParticipantOut(msgspec.Struct):
    """A participant as officers and the supplier of its referrals see it (no hetu, no pseudonym)."""

    id: uuid.UUID
    home_municipality_code: str
    target_groups: list[str]
    tier: str
    partial_work_ability: bool


class ReferralIn(msgspec.Struct, forbid_unknown_fields=True):
    """Refer a participant to a lot of a contract."""

    participant_id: uuid.UUID
    contract_id: uuid.UUID
    lot_id: uuid.UUID
    current_rung: Rung | None = None


class StartIn(msgspec.Struct, forbid_unknown_fields=True):
    """The service started on a day; the evidence is e.g. the first meeting's signed plan."""

    started_on: date
    evidence_sha256: Sha256


class EndIn(msgspec.Struct, forbid_unknown_fields=True):
    """The service ended: completed, interrupted, or a neutral exit of a kind with its evidence."""

    ended_on: date
    reason: Literal["completed", "interrupted", "neutral_exit"]
    neutral_exit_kind: NeutralKind | None = None
    # A neutral exit stands on evidence (e.g. the population register's move), verified by an officer.
    evidence_sha256: Sha256 | None = None


class EventIn(msgspec.Struct, forbid_unknown_fields=True):
    """An outcome: a supplier sends evidence; an officer names the register it was verified from."""

    event_type: Annotated[str, msgspec.Meta(max_length=40)]
    event_date: date
    end_date: date | None = None
    rung: Rung | None = None
    pre_dates_referral: bool = False
    evidence_sha256: Sha256 | None = None
    source_register: Register | None = None


class VerifyIn(msgspec.Struct, forbid_unknown_fields=True):
    """Verification, optionally noting that the register shows the job already existed."""

    pre_dates_referral: bool = False


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why an event is rejected or voided."""

    reason: Reason


class StepEndIn(msgspec.Struct, forbid_unknown_fields=True):
    """The day a job, studies or service step ended (for the 30-day persistence)."""

    end_date: date


class EventOut(msgspec.Struct):
    """An outcome event."""

    id: uuid.UUID
    referral_id: uuid.UUID
    event_type: str
    event_date: date
    end_date: date | None
    rung: str | None
    episode_id: str
    episode_start: date
    pre_dates_referral: bool
    state: str
    source: str
    source_register: str | None
    evidence_sha256: str | None
    reason: str | None
    recorded_at: datetime
    decided_at: datetime | None
    # Another claim of the same outcome (participant, outcome type, episode) verified before this one,
    # anywhere in the ring: that claim is paid and this one will not be.
    duplicate_of: uuid.UUID | None = None


class ReferralOut(msgspec.Struct):
    """A referral with the participant's attributes as they were at referral, and its events."""

    id: uuid.UUID
    participant_id: uuid.UUID
    contract_id: uuid.UUID
    lot_id: uuid.UUID
    supplier_id: uuid.UUID
    authority_id: uuid.UUID
    category: str
    state: str
    referred_on: date
    home_municipality_code: str
    target_groups: list[str]
    tier: str
    partial_work_ability: bool
    current_rung: str | None
    started_on: date | None
    ended_on: date | None
    end_reason: str | None
    neutral_exit_kind: str | None
    neutral_exit_state: str | None  # reported · verified · rejected; only a verified exit counts
    events: list[EventOut] | None = None  # None in lists: fetch the referral for its events
