"""Pure payment rules: the lines of one verified event under its contract's terms (SPEC §4.5).

Split along figures (the numbers) → trace (how they came about) → lines; ``outcomes.payments.ledger``
folds ``compute_event_lines`` over a batch, for the close and the tests alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgspec

from outcomes.payments.bonus import FeeLine, bonus_lines
from outcomes.payments.lines import (
    COMPONENT_RULE,
    LineKind,
    LineStatus,
    OutcomeKey,
    PaymentEvent,
    PaymentLine,
    Reason,
    outcome_type,
    parse_fraction,
)
from outcomes.payments.model import ContractTerms
from outcomes.tracking.rules import PaymentComponent, payment_component
from procurement.core.money import (
    BP_SCALE,
    ROUNDING_RULE,
    apply_bp_exact,
    split_largest_remainder,
)

COMPONENT_SCALE = BP_SCALE * BP_SCALE  # share_bp × multiplier_bp over this is the component's share of P
# Enum members and texts the hot path needs, looked up once: on Python 3.11 an enum's class attributes and
# its value property cost a Python-level descriptor call each, several per event in a million-event close.
_START = PaymentComponent.START
_START_FEE, _WITHHELD, _OUTCOME, _INELIGIBLE = (
    LineKind.START_FEE,
    LineKind.START_FEE_WITHHELD,
    LineKind.OUTCOME,
    LineKind.INELIGIBLE,
)
_PAYABLE, _HELD, _REFUSED = LineStatus.PAYABLE, LineStatus.WITHHELD, LineStatus.NOT_PAYABLE
_ALREADY_PAID, _PARTICIPANT_CAP, _CONTRACT_CEILING = (
    Reason.ALREADY_PAID,
    Reason.PARTICIPANT_CAP,
    Reason.CONTRACT_CEILING,
)
_SUFFIX = {reason: f"/{reason.name.lower()}" for reason in Reason}


class EventFigures(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The numbers of one event's component: gross, caps, once-only check and what is allowed."""

    component: PaymentComponent
    share_bp: int
    multiplier_bp: int
    gross: int
    gross_text: str
    cap: int
    cap_text: str
    key: OutcomeKey | None  # the once-only key; None for a start fee (each referral has its own)
    duplicate: bool
    claim: int
    participant_room: int
    contract_room: int
    after_participant: int
    allowed: int


@dataclass(frozen=True, kw_only=True)
class EventLines:
    """The lines of one event and what they add to the running totals."""

    lines: tuple[PaymentLine, ...]
    committed_cents: int
    paid_key: OutcomeKey | None  # add to the ring's held keys when not None


NO_LINES = EventLines(lines=(), committed_cents=0, paid_key=None)


def event_figures(
    *,
    contract: ContractTerms,
    event: PaymentEvent,
    participant_committed_cents: int,
    contract_committed_cents: int,
    paid_keys: Set[OutcomeKey],
    claims: Mapping[OutcomeKey, int],
) -> EventFigures | None:
    """The component amount of an event, capped; None when the event earns nothing in the contract."""
    model = contract.model
    component = payment_component(category=model.category, event_type=event.event_type)
    share = model.share_bp(component) if component is not None else None
    if component is None or share is None:
        # The event feeds flow-through but earns nothing in this category.
        return None
    multiplier = model.multiplier_bp(tier=event.tier, partial_work_ability=event.partial_work_ability)
    price = event.unit_price_cents
    gross, gross_text = apply_bp_exact(price, share, multiplier)
    cap, cap_text = apply_bp_exact(price, model.participant_cap_bp, multiplier)
    key = None
    if component is not _START:
        key = OutcomeKey(
            event.pseudonym, outcome_type(category=model.category, component=component), event.episode_id
        )
    duplicate = key is not None and key in paid_keys
    participant_room = max(0, cap - participant_committed_cents)
    contract_room = max(0, contract.awarded_value_cents - contract_committed_cents)
    after_participant = 0 if duplicate else min(gross, participant_room)
    return EventFigures(
        component=component,
        share_bp=share,
        multiplier_bp=multiplier,
        gross=gross,
        gross_text=gross_text,
        cap=cap,
        cap_text=cap_text,
        key=key,
        duplicate=duplicate,
        claim=claims.get(key, 0) if key is not None and not duplicate else 0,
        participant_room=participant_room,
        contract_room=contract_room,
        after_participant=after_participant,
        allowed=min(after_participant, contract_room),
    )


def event_trace(
    *,
    contract: ContractTerms,
    event: PaymentEvent,
    figures: EventFigures,
    participant_committed_cents: int,
    contract_committed_cents: int,
) -> dict[str, Any]:
    """The component rule's trace: inputs, rule and every intermediate value (stable per rule version)."""
    model = contract.model
    key = figures.key
    return {
        "rule": COMPONENT_RULE,
        "rule_version": model.rule_version,
        "rounding": ROUNDING_RULE,
        "inputs": {
            "contract_id": contract.contract_id,
            "category": str(model.category),
            "unit_price_cents": event.unit_price_cents,
            "awarded_value_cents": contract.awarded_value_cents,
            "pseudonym": event.pseudonym,
            "home_municipality_code": event.home_municipality_code,
            "tier": str(event.tier),
            "partial_work_ability": event.partial_work_ability,
            "event_id": event.event_id,
            "event_type": str(event.event_type),
            "event_date": event.event_date.isoformat(),
            "episode_id": event.episode_id,
            "participant_committed_cents": participant_committed_cents,
            "contract_committed_cents": contract_committed_cents,
        },
        "component": str(figures.component),
        "share_bp": figures.share_bp,
        "multiplier": {
            "tier_bp": model.tier_bp(event.tier),
            "partial_work_ability_bp": model.partial_work_ability_bp if event.partial_work_ability else 0,
            "max_bp": model.max_multiplier_bp,
            "applied_bp": figures.multiplier_bp,
        },
        "formula": "unit_price_cents × share_bp/10000 × multiplier_bp/10000",
        "raw_cents": figures.gross_text,
        "rounded_cents": figures.gross,
        "once_only_key": None if key is None else [key.pseudonym, key.outcome_type, key.episode_id],
        "already_paid": figures.duplicate,
        "participant_cap": {
            "cap_bp": model.participant_cap_bp,
            "raw_cents": figures.cap_text,
            "cap_cents": figures.cap,
            "room_cents": figures.participant_room,
        },
        "contract_ceiling": {"room_cents": figures.contract_room},
        "allowed_cents": figures.allowed,
    }


class Part(NamedTuple):
    """One line of an event before it is dressed: its figures and how its value is recomputed."""

    kind: LineKind
    status: LineStatus
    amount: int
    unpaid: int
    reason: Reason | None
    base: int  # value = round_half_up(base × rate_num / rate_den) − deducted
    rate_num: int
    rate_den: int
    deducted: int


def paid_parts(*, contract: ContractTerms, event: PaymentEvent, figures: EventFigures) -> list[Part]:
    """What the component pays: the allowed amount, or for a start fee its 90/10 split into paid and held."""
    f = figures
    if f.allowed <= 0:
        return []
    if f.component is not _START:
        share, deducted = f.share_bp * f.multiplier_bp, f.gross - f.allowed
        price = event.unit_price_cents
        return [Part(_OUTCOME, _PAYABLE, f.allowed, 0, None, price, share, COMPONENT_SCALE, deducted)]
    withhold = contract.model.withhold_bp
    # Two parts by largest remainder, which is the paid part allowed × (1 − withhold) rounded half up.
    paid, withheld = split_largest_remainder(f.allowed, [BP_SCALE - withhold, withhold])
    return [
        Part(_START_FEE, _PAYABLE, paid, 0, None, f.allowed, BP_SCALE - withhold, BP_SCALE, 0),
        Part(_WITHHELD, _HELD, withheld, 0, None, f.allowed, 1, 1, paid),
    ]


def refused_parts(*, event: PaymentEvent, figures: EventFigures) -> list[Part]:
    """The excess each rule refuses: all of it when already paid, else what the caps leave out."""
    f, price = figures, event.unit_price_cents
    share, after = f.share_bp * f.multiplier_bp, f.after_participant
    parts = []
    if f.duplicate:
        parts.append(Part(_INELIGIBLE, _REFUSED, 0, f.gross, _ALREADY_PAID, price, share, COMPONENT_SCALE, 0))
    elif f.gross > after:
        over = f.gross - after
        parts.append(
            Part(_INELIGIBLE, _REFUSED, 0, over, _PARTICIPANT_CAP, price, share, COMPONENT_SCALE, after)
        )
    if after > f.allowed:
        over = after - f.allowed
        parts.append(Part(_INELIGIBLE, _REFUSED, 0, over, _CONTRACT_CEILING, after, 1, 1, f.allowed))
    return parts


def event_parts(*, contract: ContractTerms, event: PaymentEvent, figures: EventFigures) -> list[Part]:
    """Every line an event's component makes, before it is dressed; parts of nothing are left out."""
    parts = paid_parts(contract=contract, event=event, figures=figures)
    parts += refused_parts(event=event, figures=figures)
    return [part for part in parts if part.amount or part.unpaid]


def event_lines(
    *, contract: ContractTerms, event: PaymentEvent, figures: EventFigures, trace: Mapping[str, Any]
) -> tuple[PaymentLine, ...]:
    """The event's parts as lines, each with the trace and the line's own figures."""
    f = figures
    parts = event_parts(contract=contract, event=event, figures=f)
    split: dict[str, Any] = {}
    if f.component is _START and f.allowed > 0:
        withhold = contract.model.withhold_bp
        paid = sum(p.amount for p in parts if p.kind is _START_FEE)
        weights = [BP_SCALE - withhold, withhold]
        split = {
            "split": {
                "total_cents": f.allowed,
                "weights_bp": weights,
                "parts_cents": [paid, f.allowed - paid],
            }
        }
    prefix = f"{contract.contract_id}/{event.event_id}"
    component, event_type = str(f.component), str(event.event_type)
    lines = []
    for part in parts:
        kind, reason = part.kind, part.reason
        line: dict[str, Any] = {"kind": str(kind), "amount_cents": part.amount, "unpaid_cents": part.unpaid}
        if reason is not None:
            line["reason"] = str(reason)
        own_split = split if kind is _START_FEE or kind is _WITHHELD else {}
        lines.append(
            PaymentLine(
                line_key=f"{prefix}/{kind}{_SUFFIX[reason]}" if reason is not None else f"{prefix}/{kind}",
                contract_id=contract.contract_id,
                kind=kind,
                status=part.status,
                component=component,
                amount_cents=part.amount,
                unpaid_cents=part.unpaid,
                committed_delta_cents=part.amount,
                reason=reason,
                pseudonym=event.pseudonym,
                home_municipality_code=event.home_municipality_code,
                event_id=event.event_id,
                event_type=event_type,
                event_date=event.event_date,
                episode_id=event.episode_id,
                outcome_key=f.key,
                outcome_claim=f.claim,
                unit_price_cents=event.unit_price_cents,
                share_bp=f.share_bp,
                multiplier_bp=f.multiplier_bp,
                base_cents=part.base,
                rate_num=part.rate_num,
                rate_den=part.rate_den,
                deducted_cents=part.deducted,
                rule=COMPONENT_RULE,
                rule_version=contract.model.rule_version,
                trace={**trace, **own_split, "line": line},
            )
        )
    return tuple(lines)


def compute_event_lines(
    *,
    contract: ContractTerms,
    event: PaymentEvent,
    participant_committed_cents: int,
    contract_committed_cents: int,
    paid_keys: Set[OutcomeKey],
    claims: Mapping[OutcomeKey, int],
) -> EventLines:
    """Lines for one verified event: the component amount capped, the refused excess, and any later bonus.

    ``participant_committed_cents`` and ``contract_committed_cents`` are the sums of
    ``committed_delta_cents`` over earlier lines of this participant on this contract and of the whole
    contract; ``paid_keys`` are the once-only keys held by a standing paid claim anywhere in the ring
    and ``claims`` how many claims of each key were ever paid.
    """
    figures = event_figures(
        contract=contract,
        event=event,
        participant_committed_cents=participant_committed_cents,
        contract_committed_cents=contract_committed_cents,
        paid_keys=paid_keys,
        claims=claims,
    )
    if figures is None:
        return NO_LINES
    trace = event_trace(
        contract=contract,
        event=event,
        figures=figures,
        participant_committed_cents=participant_committed_cents,
        contract_committed_cents=contract_committed_cents,
    )
    lines = event_lines(contract=contract, event=event, figures=figures, trace=trace)
    committed = figures.allowed
    is_fee = figures.key is not None and figures.allowed > 0
    if is_fee and event.bonus_rate is not None:
        # The cohort of this referral's start has settled: the fee brings its bonus at the fixed rate.
        bonus = bonus_lines(
            contract=contract,
            fee=FeeLine.of_event(
                event,
                fee_cents=figures.allowed,
                component=str(figures.component),
                multiplier_bp=figures.multiplier_bp,
                cohort=event.bonus_cohort or "",
            ),
            rate=parse_fraction(event.bonus_rate),
            participant_committed_cents=participant_committed_cents + committed,
            contract_committed_cents=contract_committed_cents + committed,
        )
        lines += bonus.lines
        committed += bonus.committed_cents
    return EventLines(lines=lines, committed_cents=committed, paid_key=figures.key if is_fee else None)
