"""Pure payment rules: the payable lines of verified events under a contract's terms (SPEC §4.5)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from outcomes.payments.model import COMPONENT_RULE, ContractTerms, PaymentRuleError
from outcomes.tracking.rules import (
    BenefitDaysTier,
    Category,
    OutcomeEventType,
    PaymentComponent,
    payment_component,
)
from procurement.core.money import (
    BP_SCALE,
    ROUNDING_RULE,
    apply_bp_exact,
    split_largest_remainder,
)


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


@dataclass(frozen=True, kw_only=True)
class Participant:
    """What the rules need of a participant (tier and flag as recorded at referral)."""

    pseudonym: str
    home_municipality_code: str
    tier: BenefitDaysTier
    partial_work_ability: bool = False


@dataclass(frozen=True, kw_only=True)
class VerifiedEvent:
    """A verified outcome event (the start is an event too)."""

    event_id: str
    event_type: OutcomeEventType
    event_date: date
    episode_id: str


@dataclass(frozen=True, kw_only=True)
class OutcomeKey:
    """The ring-wide once-only key: an outcome of one episode is paid to one contract only (not starts)."""

    pseudonym: str
    outcome_type: str  # "<category>:<component>", so a job start and a self-employment start are one
    episode_id: str


@dataclass(frozen=True, kw_only=True)
class PaymentLine:
    """One computed line with the trace that reproduces its amount."""

    line_key: str  # deterministic natural key: "<contract>/<event or cohort>/<kind>[/<reason>]"
    contract_id: str
    kind: LineKind
    status: LineStatus
    component: str  # the payment component, or the settlement line's kind
    amount_cents: int  # paid (PAYABLE) or held (WITHHELD); 0 when NOT_PAYABLE
    unpaid_cents: int  # recorded but not paid: cap excess, duplicate, malus
    committed_delta_cents: int  # change to what the contract (and participant) may still owe
    reason: Reason | None
    pseudonym: str | None
    home_municipality_code: str | None
    event_id: str | None
    event_type: str | None
    event_date: date | None
    episode_id: str | None
    outcome_key: OutcomeKey | None
    unit_price_cents: int
    share_bp: int | None
    multiplier_bp: int | None
    rule: str
    rule_version: str
    trace: Mapping[str, Any]  # JSON-safe: ints, strings, bools, lists and dicts only

    @property
    def trace_id(self) -> str:
        """SHA-256 of the canonical JSON trace, so an export row points at exactly one trace."""
        return trace_digest(self.trace)


def trace_digest(trace: Mapping[str, Any]) -> str:
    """SHA-256 hex of a trace in canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(trace, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class EventLines:
    """The lines of one event and what it adds to the running totals."""

    lines: tuple[PaymentLine, ...]
    committed_cents: int
    paid_key: OutcomeKey | None  # add to the ring's paid keys when not None


def outcome_type(*, category: Category, component: PaymentComponent) -> str:
    """The outcome-type part of the once-only key."""
    return f"{category.value}:{component.value}"


def compute_event_lines(
    *,
    contract: ContractTerms,
    participant: Participant,
    event: VerifiedEvent,
    participant_committed_cents: int,
    contract_committed_cents: int,
    paid_keys: Set[OutcomeKey],
) -> EventLines:
    """Lines for one verified event: the component amount, capped, with ineligible lines for any excess.

    ``participant_committed_cents`` and ``contract_committed_cents`` are the sums of
    ``committed_delta_cents`` over earlier lines of this participant on this contract and of the
    whole contract; ``paid_keys`` are the once-only keys already paid anywhere in the ring.
    """
    model = contract.model
    component = payment_component(category=model.category, event_type=event.event_type)
    share = model.share_bp(component) if component is not None else None
    if component is None or share is None:
        # The event feeds flow-through but earns nothing in this category.
        return EventLines(lines=(), committed_cents=0, paid_key=None)
    multiplier = model.multiplier_bp(
        tier=participant.tier, partial_work_ability=participant.partial_work_ability
    )
    price = contract.unit_price_cents
    gross, raw_text = apply_bp_exact(price, share, multiplier)
    cap, cap_raw_text = apply_bp_exact(price, model.participant_cap_bp, multiplier)
    key = OutcomeKey(
        pseudonym=participant.pseudonym,
        outcome_type=outcome_type(category=model.category, component=component),
        episode_id=event.episode_id,
    )
    participant_room = max(0, cap - participant_committed_cents)
    contract_room = max(0, contract.awarded_value_cents - contract_committed_cents)
    # Once-only is about outcomes: each referral's start fee is its own (one start per referral).
    once_only = component is not PaymentComponent.START
    duplicate = once_only and key in paid_keys
    after_participant = 0 if duplicate else min(gross, participant_room)
    allowed = min(after_participant, contract_room)
    trace: dict[str, Any] = {
        "rule": COMPONENT_RULE,
        "rule_version": model.rule_version,
        "rounding": ROUNDING_RULE,
        "inputs": {
            "contract_id": contract.contract_id,
            "category": model.category.value,
            "unit_price_cents": price,
            "awarded_value_cents": contract.awarded_value_cents,
            "pseudonym": participant.pseudonym,
            "home_municipality_code": participant.home_municipality_code,
            "tier": participant.tier.value,
            "partial_work_ability": participant.partial_work_ability,
            "event_id": event.event_id,
            "event_type": event.event_type.value,
            "event_date": event.event_date.isoformat(),
            "episode_id": event.episode_id,
            "participant_committed_cents": participant_committed_cents,
            "contract_committed_cents": contract_committed_cents,
        },
        "component": component.value,
        "share_bp": share,
        "multiplier": {
            "tier_bp": model.tier_bp(participant.tier),
            "partial_work_ability_bp": model.partial_work_ability_bp
            if participant.partial_work_ability
            else 0,
            "max_bp": model.max_multiplier_bp,
            "applied_bp": multiplier,
        },
        "formula": "unit_price_cents × share_bp/10000 × multiplier_bp/10000",
        "raw_cents": raw_text,
        "rounded_cents": gross,
        "once_only_key": [key.pseudonym, key.outcome_type, key.episode_id] if once_only else None,
        "already_paid": duplicate,
        "participant_cap": {
            "cap_bp": model.participant_cap_bp,
            "raw_cents": cap_raw_text,
            "cap_cents": cap,
            "room_cents": participant_room,
        },
        "contract_ceiling": {"room_cents": contract_room},
        "allowed_cents": allowed,
    }
    common: dict[str, Any] = {
        "contract_id": contract.contract_id,
        "component": component.value,
        "pseudonym": participant.pseudonym,
        "home_municipality_code": participant.home_municipality_code,
        "event_id": event.event_id,
        "event_type": event.event_type.value,
        "event_date": event.event_date,
        "episode_id": event.episode_id,
        "outcome_key": key if once_only else None,
        "unit_price_cents": price,
        "share_bp": share,
        "multiplier_bp": multiplier,
        "rule": COMPONENT_RULE,
        "rule_version": model.rule_version,
    }
    prefix = f"{contract.contract_id}/{event.event_id}"
    lines: list[PaymentLine] = []

    def add(
        kind: LineKind, status: LineStatus, amount: int, unpaid: int, reason: Reason | None, **extra: Any
    ) -> None:
        suffix = f"/{reason.name.lower()}" if reason is not None else ""
        line_trace = {
            **trace,
            **extra,
            "line": {"kind": kind.value, "amount_cents": amount, "unpaid_cents": unpaid},
        }
        if reason is not None:
            line_trace["line"]["reason"] = reason.value
        lines.append(
            PaymentLine(
                line_key=f"{prefix}/{kind}{suffix}",
                kind=kind,
                status=status,
                amount_cents=amount,
                unpaid_cents=unpaid,
                committed_delta_cents=amount,
                reason=reason,
                trace=line_trace,
                **common,
            )
        )

    if allowed > 0 and component is PaymentComponent.START:
        weights = [BP_SCALE - model.withhold_bp, model.withhold_bp]
        paid, withheld = split_largest_remainder(allowed, weights)
        split = {"split": {"total_cents": allowed, "weights_bp": weights, "parts_cents": [paid, withheld]}}
        if paid:
            add(LineKind.START_FEE, LineStatus.PAYABLE, paid, 0, None, **split)
        if withheld:
            add(LineKind.START_FEE_WITHHELD, LineStatus.WITHHELD, withheld, 0, None, **split)
    elif allowed > 0:
        add(LineKind.OUTCOME, LineStatus.PAYABLE, allowed, 0, None)
    if duplicate:
        add(LineKind.INELIGIBLE, LineStatus.NOT_PAYABLE, 0, gross, Reason.ALREADY_PAID)
    elif gross > after_participant:
        add(LineKind.INELIGIBLE, LineStatus.NOT_PAYABLE, 0, gross - after_participant, Reason.PARTICIPANT_CAP)
    if after_participant > allowed:
        add(
            LineKind.INELIGIBLE,
            LineStatus.NOT_PAYABLE,
            0,
            after_participant - allowed,
            Reason.CONTRACT_CEILING,
        )
    return EventLines(
        lines=tuple(lines), committed_cents=allowed, paid_key=key if once_only and allowed > 0 else None
    )


@dataclass(frozen=True, kw_only=True)
class ContractEvent:
    """A verified event of a participant on a contract."""

    contract_id: str
    pseudonym: str
    event: VerifiedEvent


@dataclass(frozen=True, kw_only=True)
class Ledger:
    """Running totals the caps and the once-only rule need; rebuild it from stored lines."""

    paid_keys: frozenset[OutcomeKey] = frozenset()
    # (contract id, pseudonym) -> Σ committed_delta_cents of that participant's lines on the contract
    participant_committed_cents: Mapping[tuple[str, str], int] = field(default_factory=dict)
    contract_committed_cents: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class BatchLines:
    """Lines of a batch of events and the ledger after them."""

    lines: tuple[PaymentLine, ...]
    ledger: Ledger


def compute_lines(
    *,
    contracts: Sequence[ContractTerms],
    participants: Sequence[Participant],
    events: Sequence[ContractEvent],
    ledger: Ledger = Ledger(),
) -> BatchLines:
    """Lines for many events in a fixed order (date, event id, contract id), whatever the input order."""
    by_contract = {c.contract_id: c for c in contracts}
    by_pseudonym = {p.pseudonym: p for p in participants}
    if len(by_contract) != len(contracts) or len(by_pseudonym) != len(participants):
        raise PaymentRuleError("contract ids and pseudonyms must be unique")
    event_ids = [e.event.event_id for e in events]
    if len(set(event_ids)) != len(event_ids):
        raise PaymentRuleError("event ids must be unique")
    paid = set(ledger.paid_keys)
    per_participant = dict(ledger.participant_committed_cents)
    per_contract = dict(ledger.contract_committed_cents)
    lines: list[PaymentLine] = []
    ordered = sorted(events, key=lambda e: (e.event.event_date, e.event.event_id, e.contract_id))
    for item in ordered:
        contract = by_contract[item.contract_id]
        pair = (item.contract_id, item.pseudonym)
        result = compute_event_lines(
            contract=contract,
            participant=by_pseudonym[item.pseudonym],
            event=item.event,
            participant_committed_cents=per_participant.get(pair, 0),
            contract_committed_cents=per_contract.get(item.contract_id, 0),
            paid_keys=paid,
        )
        lines.extend(result.lines)
        if result.committed_cents:
            per_participant[pair] = per_participant.get(pair, 0) + result.committed_cents
            per_contract[item.contract_id] = per_contract.get(item.contract_id, 0) + result.committed_cents
        if result.paid_key is not None:
            paid.add(result.paid_key)
    return BatchLines(
        lines=tuple(lines),
        ledger=Ledger(
            paid_keys=frozenset(paid),
            participant_committed_cents=dict(sorted(per_participant.items())),
            contract_committed_cents=dict(sorted(per_contract.items())),
        ),
    )
