"""The flow-through bonus of one outcome fee at its settled cohort's rate, within the caps (SPEC §4.5)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from typing import Any

from outcomes.payments.lines import BONUS_RULE, LineKind, LineStatus, PaymentEvent, PaymentLine, Reason
from outcomes.payments.model import ContractTerms
from procurement.core.money import ROUNDING_RULE, apply_bp_exact, fraction_text, round_half_up


@dataclass(frozen=True, kw_only=True)
class FeeLine:
    """An outcome fee paid to a participant of a settled cohort: what its bonus line needs."""

    contract_id: str
    event_id: str
    event_type: str
    event_date: date
    episode_id: str
    pseudonym: str
    home_municipality_code: str
    unit_price_cents: int
    multiplier_bp: int
    component: str
    fee_cents: int
    cohort: str  # the settlement key of the cohort whose rate applies

    def with_cohort(self, cohort: str) -> FeeLine:
        """The same fee under a cohort's settlement key."""
        return replace(self, cohort=cohort)

    @classmethod
    def of_event(
        cls, event: PaymentEvent, *, fee_cents: int, component: str, multiplier_bp: int, cohort: str
    ) -> FeeLine:
        """The fee an event's own outcome line pays."""
        return cls(
            contract_id=event.contract_id,
            event_id=event.event_id,
            event_type=event.event_type.value,
            event_date=event.event_date,
            episode_id=event.episode_id,
            pseudonym=event.pseudonym,
            home_municipality_code=event.home_municipality_code,
            unit_price_cents=event.unit_price_cents,
            multiplier_bp=multiplier_bp,
            component=component,
            fee_cents=fee_cents,
            cohort=cohort,
        )


@dataclass(frozen=True, kw_only=True)
class BonusLines:
    """The bonus of one fee: its lines and what they add to the running totals."""

    lines: tuple[PaymentLine, ...]
    committed_cents: int


@dataclass(frozen=True, slots=True)
class BonusFigures:
    """The numbers of one fee's bonus: its value, the caps' rooms and what is allowed."""

    value: int
    cap: int
    cap_text: str
    participant_room: int
    contract_room: int
    after_participant: int
    allowed: int


def bonus_figures(
    *,
    contract: ContractTerms,
    fee: FeeLine,
    rate: Fraction,
    participant_committed_cents: int,
    contract_committed_cents: int,
) -> BonusFigures:
    """Fee × rate rounded half up, then kept within the participant cap and the contract ceiling."""
    value = round_half_up(fee.fee_cents * rate)
    cap, cap_text = apply_bp_exact(fee.unit_price_cents, contract.model.participant_cap_bp, fee.multiplier_bp)
    participant_room = max(0, cap - participant_committed_cents)
    contract_room = max(0, contract.awarded_value_cents - contract_committed_cents)
    after_participant = min(value, participant_room)
    return BonusFigures(
        value=value,
        cap=cap,
        cap_text=cap_text,
        participant_room=participant_room,
        contract_room=contract_room,
        after_participant=after_participant,
        allowed=min(after_participant, contract_room),
    )


def bonus_trace(
    *,
    contract: ContractTerms,
    fee: FeeLine,
    rate: Fraction,
    figures: BonusFigures,
    participant_committed_cents: int,
    contract_committed_cents: int,
) -> dict[str, Any]:
    """The bonus rule's trace: the fee, the cohort's rate and every intermediate value."""
    model = contract.model
    return {
        "rule": BONUS_RULE,
        "rule_version": model.rule_version,
        "rounding": ROUNDING_RULE,
        "inputs": {
            "contract_id": contract.contract_id,
            "awarded_value_cents": contract.awarded_value_cents,
            "cohort": fee.cohort,
            "bonus_rate": fraction_text(rate),
            "event_id": fee.event_id,
            "event_type": fee.event_type,
            "event_date": fee.event_date.isoformat(),
            "pseudonym": fee.pseudonym,
            "home_municipality_code": fee.home_municipality_code,
            "fee_component": fee.component,
            "fee_cents": fee.fee_cents,
            "unit_price_cents": fee.unit_price_cents,
            "multiplier_bp": fee.multiplier_bp,
            "participant_committed_cents": participant_committed_cents,
            "contract_committed_cents": contract_committed_cents,
        },
        "formula": "fee_cents × bonus_rate",
        "raw_cents": fraction_text(fee.fee_cents * rate),
        "rounded_cents": figures.value,
        "participant_cap": {
            "cap_bp": model.participant_cap_bp,
            "raw_cents": figures.cap_text,
            "cap_cents": figures.cap,
            "room_cents": figures.participant_room,
        },
        "contract_ceiling": {"room_cents": figures.contract_room},
        "allowed_cents": figures.allowed,
    }


def bonus_lines(
    *,
    contract: ContractTerms,
    fee: FeeLine,
    rate: Fraction,
    participant_committed_cents: int,
    contract_committed_cents: int,
) -> BonusLines:
    """The bonus of one outcome fee at its cohort's rate, and any part of it the caps refuse."""
    committed = {
        "participant_committed_cents": participant_committed_cents,
        "contract_committed_cents": contract_committed_cents,
    }
    f = bonus_figures(contract=contract, fee=fee, rate=rate, **committed)
    trace = bonus_trace(contract=contract, fee=fee, rate=rate, figures=f, **committed)
    refused, one = LineStatus.NOT_PAYABLE, Fraction(1)
    parts = (
        (LineKind.BONUS, LineStatus.PAYABLE, f.allowed, 0, None, fee.fee_cents, rate, f.value - f.allowed),
        (
            LineKind.INELIGIBLE,
            refused,
            0,
            f.value - f.after_participant,
            Reason.PARTICIPANT_CAP,
            fee.fee_cents,
            rate,
            f.after_participant,
        ),
        (
            LineKind.INELIGIBLE,
            refused,
            0,
            f.after_participant - f.allowed,
            Reason.CONTRACT_CEILING,
            f.after_participant,
            one,
            f.allowed,
        ),
    )
    lines = tuple(
        PaymentLine(
            line_key=f"{contract.contract_id}/{fee.event_id}/bonus"
            + (f"/{reason.name.lower()}" if reason else ""),
            contract_id=contract.contract_id,
            kind=kind,
            status=status,
            component=LineKind.BONUS.value,
            amount_cents=amount,
            unpaid_cents=unpaid,
            committed_delta_cents=amount,
            reason=reason,
            pseudonym=fee.pseudonym,
            home_municipality_code=fee.home_municipality_code,
            event_id=fee.event_id,
            event_type=fee.event_type,
            event_date=fee.event_date,
            episode_id=fee.episode_id,
            outcome_key=None,
            outcome_claim=0,
            unit_price_cents=fee.unit_price_cents,
            share_bp=None,
            multiplier_bp=fee.multiplier_bp,
            base_cents=base,
            rate_num=line_rate.numerator,
            rate_den=line_rate.denominator,
            deducted_cents=deducted,
            rule=BONUS_RULE,
            rule_version=contract.model.rule_version,
            trace={**trace, "line": _line(kind, amount, unpaid, reason)},
        )
        for kind, status, amount, unpaid, reason, base, line_rate, deducted in parts
        if amount or unpaid
    )
    return BonusLines(lines=lines, committed_cents=f.allowed)


def _line(kind: LineKind, amount: int, unpaid: int, reason: Reason | None) -> dict[str, Any]:
    line: dict[str, Any] = {"kind": kind.value, "amount_cents": amount, "unpaid_cents": unpaid}
    if reason is not None:
        line["reason"] = reason.value
    return line
