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


def bonus_lines(
    *,
    contract: ContractTerms,
    fee: FeeLine,
    rate: Fraction,
    participant_committed_cents: int,
    contract_committed_cents: int,
) -> BonusLines:
    """The bonus of one outcome fee at its cohort's rate: fee × rate rounded half up, within both caps."""
    model = contract.model
    value = round_half_up(fee.fee_cents * rate)
    cap, cap_text = apply_bp_exact(fee.unit_price_cents, model.participant_cap_bp, fee.multiplier_bp)
    participant_room = max(0, cap - participant_committed_cents)
    contract_room = max(0, contract.awarded_value_cents - contract_committed_cents)
    after_participant = min(value, participant_room)
    allowed = min(after_participant, contract_room)
    trace: dict[str, Any] = {
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
        "rounded_cents": value,
        "participant_cap": {
            "cap_bp": model.participant_cap_bp,
            "raw_cents": cap_text,
            "cap_cents": cap,
            "room_cents": participant_room,
        },
        "contract_ceiling": {"room_cents": contract_room},
        "allowed_cents": allowed,
    }
    parts = [
        (LineKind.BONUS, LineStatus.PAYABLE, allowed, 0, None, fee.fee_cents, rate, value - allowed),
        (
            LineKind.INELIGIBLE,
            LineStatus.NOT_PAYABLE,
            0,
            value - after_participant,
            Reason.PARTICIPANT_CAP,
            fee.fee_cents,
            rate,
            after_participant,
        ),
        (
            LineKind.INELIGIBLE,
            LineStatus.NOT_PAYABLE,
            0,
            after_participant - allowed,
            Reason.CONTRACT_CEILING,
            after_participant,
            Fraction(1),
            allowed,
        ),
    ]
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
            rule_version=model.rule_version,
            trace={
                **trace,
                "line": {
                    "kind": kind.value,
                    "amount_cents": amount,
                    "unpaid_cents": unpaid,
                    **({"reason": reason.value} if reason else {}),
                },
            },
        )
        for kind, status, amount, unpaid, reason, base, line_rate, deducted in parts
        if amount or unpaid
    )
    return BonusLines(lines=lines, committed_cents=allowed)
