"""The payment rules' vocabulary: an event as the rules see it, a computed line, its kinds and reasons."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction
from typing import Any, NamedTuple

import msgspec

from outcomes.tracking.rules import BenefitDaysTier, Category, OutcomeEventType, PaymentComponent

COMPONENT_RULE = "component_amount"
BONUS_RULE = "flow_through_bonus"
SETTLEMENT_RULE = "flow_through_settlement"


class LineKind(StrEnum):
    """What a payment line pays or records."""

    START_FEE = "start_fee"  # the part of the start fee paid now
    START_FEE_WITHHELD = "start_fee_withheld"  # the part held for the flow-through settlement
    OUTCOME = "outcome"
    INELIGIBLE = "ineligible"
    WITHHOLD_RELEASE = "withhold_release"
    MALUS = "malus"
    BONUS = "bonus"


class LineStatus(StrEnum):
    """Whether a line's amount goes into a payment basis."""

    PAYABLE = "payable"  # into the open period's payment basis
    WITHHELD = "withheld"  # owed only as far as the cohort's settlement releases it
    NOT_PAYABLE = "not_payable"  # kept for the record: cap excess, duplicate, malus


class Reason(StrEnum):
    """Why an amount is not paid."""

    ALREADY_PAID = "already paid"
    PARTICIPANT_CAP = "participant cap"
    CONTRACT_CEILING = "contract value ceiling"
    FLOW_THROUGH_BELOW_TARGET = "flow-through below target"


class PaymentEvent(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A verified event with what its referral fixed: the input of the payment rules.

    A msgspec Struct, not a dataclass: a close decodes a million of them from its workers' MessagePack,
    several times faster, and (holding no containers) they stay out of the cyclic garbage collector.
    """

    event_id: str
    event_type: OutcomeEventType
    event_date: date
    episode_id: str
    verified_at: datetime  # the rules take events in the order they were verified: first verified, first paid
    contract_id: str
    lot_id: str | None
    unit_price_cents: int  # the price of the referral's lot
    pseudonym: str
    home_municipality_code: str
    tier: BenefitDaysTier  # as recorded at referral
    partial_work_ability: bool
    # The bonus rate fixed when the cohort of the event's start settled ("n/d"), or None while unsettled.
    bonus_rate: str | None = None
    bonus_cohort: str | None = None  # that cohort's settlement key


def order_key(event: PaymentEvent) -> tuple[datetime, date, str, str]:
    """The rules' order: verification moment, then event date, event id and contract."""
    return (event.verified_at, event.event_date, event.event_id, event.contract_id)


class OutcomeKey(NamedTuple):
    """The ring-wide once-only key: an outcome of one episode is paid to one contract only (not starts).

    A NamedTuple: a close looks each key up several times per event, and a tuple hashes in C.
    """

    pseudonym: str
    outcome_type: str  # "<category>:<component>", so a job start and a self-employment start are one
    episode_id: str

    @property
    def text(self) -> str:
        """The key as stored: pseudonym, outcome type and episode joined by '|'."""
        return f"{self.pseudonym}|{self.outcome_type}|{self.episode_id}"

    @classmethod
    def parse(cls, text: str) -> OutcomeKey:
        """The key back from its stored text."""
        pseudonym, outcome_type, episode = text.split("|")
        return cls(pseudonym=pseudonym, outcome_type=outcome_type, episode_id=episode)


def outcome_type(*, category: Category, component: PaymentComponent) -> str:
    """The outcome-type part of the once-only key."""
    # StrEnum members format as their values, without the enum's (slow) value property.
    return f"{category}:{component}"


class PaymentLine(msgspec.Struct, frozen=True, kw_only=True):
    """One computed line with the trace that reproduces its amount.

    Every line can be recomputed on its own: its value (``amount_cents``, or ``unpaid_cents`` for a
    line not paid) is ``round_half_up(base_cents × rate_num / rate_den) − deducted_cents``. A frozen
    Struct rather than a frozen dataclass: built once per line of a million-event close, it is built in C.
    """

    line_key: str  # deterministic natural key: "<contract>/<event>/<kind>[/<reason>]"
    contract_id: str
    kind: LineKind
    status: LineStatus
    component: str  # the payment component, or the settlement line's kind
    amount_cents: int  # paid (PAYABLE) or held (WITHHELD); 0 when NOT_PAYABLE
    unpaid_cents: int  # recorded but not paid: cap excess, duplicate, malus
    committed_delta_cents: int  # change to what the contract (and participant) may still owe
    reason: Reason | None
    pseudonym: str
    home_municipality_code: str
    event_id: str
    event_type: str
    event_date: date
    episode_id: str
    outcome_key: OutcomeKey | None
    outcome_claim: int  # 0 for the first paid claim of an outcome key, n after n reversed ones
    unit_price_cents: int
    share_bp: int | None
    multiplier_bp: int | None
    base_cents: int
    rate_num: int
    rate_den: int
    deducted_cents: int
    rule: str
    rule_version: str
    trace: Mapping[str, Any]  # JSON-safe: ints, strings, bools, lists and dicts only

    @property
    def trace_id(self) -> str:
        """SHA-256 of the canonical JSON trace, so an export row points at exactly one trace."""
        return trace_digest(self.trace)

    @property
    def rate(self) -> Fraction:
        """The line's rate as an exact fraction."""
        return Fraction(self.rate_num, self.rate_den)


def trace_digest(trace: Mapping[str, Any]) -> str:
    """SHA-256 hex of a trace in canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(trace, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_fraction(text: str) -> Fraction:
    """An exact "n/d" value back from a trace or a stored ratio."""
    numerator, denominator = text.split("/")
    return Fraction(int(numerator), int(denominator))
