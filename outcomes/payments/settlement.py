"""Pure quarterly flow-through settlement of the start-fee withhold: release, malus and bonus (SPEC §4.5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any

from outcomes.payments.model import ContractTerms, PaymentModel, PaymentRuleError
from outcomes.payments.rules import LineKind, LineStatus, PaymentLine, Reason
from procurement.core.money import ROUNDING_RULE, bp, fraction_text, round_half_up, split_largest_remainder

SETTLEMENT_RULE = "flow_through_settlement"


class CohortStatus(StrEnum):
    """Whether a cohort can be settled on the settlement date."""

    SETTLEABLE = "settleable"
    IMMATURE = "immature"  # last start + horizon + data lag is after the settlement date
    TOO_SMALL = "too_small"  # matured but under the minimum: waits to merge into the next quarter


@dataclass(frozen=True, kw_only=True)
class CohortStart:
    """A start whose withheld start-fee part is not yet settled."""

    event_id: str
    pseudonym: str
    home_municipality_code: str
    start_date: date
    withheld_cents: int


@dataclass(frozen=True, kw_only=True)
class Cohort:
    """The starts of one calendar quarter, or of several when small quarters were merged forward."""

    cohort_id: str  # "2025Q1", or "2025Q1+2025Q2" when merged
    quarters: tuple[str, ...]
    starts: tuple[CohortStart, ...]  # sorted by start date, then event id
    withheld_cents: int
    last_start_date: date
    matures_on: date
    status: CohortStatus


@dataclass(frozen=True, kw_only=True)
class FlowThroughCount:
    """FT as exact counts: qualified matured non-neutral starts over matured non-neutral starts."""

    qualified: int
    denominator: int

    def __post_init__(self) -> None:
        if not 0 <= self.qualified <= self.denominator or self.denominator == 0:
            raise PaymentRuleError(f"need 0 ≤ qualified ≤ denominator and denominator > 0, got {self}")

    @property
    def rate(self) -> Fraction:
        """FT as an exact fraction."""
        return Fraction(self.qualified, self.denominator)


@dataclass(frozen=True, kw_only=True)
class Settlement:
    """The settled figures of one cohort and its lines, split by home municipality."""

    contract_id: str
    cohort_id: str
    withheld_cents: int
    release_cents: int
    malus_cents: int
    bonus_cents: int  # payable after the contract ceiling
    bonus_over_ceiling_cents: int
    committed_delta_cents: int  # Σ committed_delta_cents of the lines: bonus − malus
    lines: tuple[PaymentLine, ...]
    trace: Mapping[str, Any]


def quarter_label(day: date) -> str:
    """Calendar quarter of a day, e.g. "2025Q3"."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def plan_cohorts(
    *,
    model: PaymentModel,
    starts: Sequence[CohortStart],
    settlement_date: date,
    contract_closed: bool = False,
) -> tuple[Cohort, ...]:
    """Group unsettled starts into quarterly cohorts, merging small matured ones into the next.

    ``contract_closed`` lets a final matured remainder under the minimum settle, since no later
    quarter will ever come to merge it into.
    """
    wait = timedelta(days=model.ft_horizon_days + model.data_lag_days)
    by_quarter: dict[str, list[CohortStart]] = {}
    for start in sorted(starts, key=lambda s: (s.start_date, s.event_id)):
        by_quarter.setdefault(quarter_label(start.start_date), []).append(start)

    def cohort(quarters: list[str], members: list[CohortStart], status: CohortStatus) -> Cohort:
        last = max(s.start_date for s in members)
        return Cohort(
            cohort_id="+".join(quarters),
            quarters=tuple(quarters),
            starts=tuple(members),
            withheld_cents=sum(s.withheld_cents for s in members),
            last_start_date=last,
            matures_on=last + wait,
            status=status,
        )

    cohorts: list[Cohort] = []
    quarters: list[str] = []
    members: list[CohortStart] = []
    ordered = sorted(by_quarter)
    for index, quarter in enumerate(ordered):
        quarters.append(quarter)
        members.extend(by_quarter[quarter])
        if members[-1].start_date + wait > settlement_date:
            # Later quarters start later still, so none of them can have matured either.
            cohorts.append(cohort(quarters, members, CohortStatus.IMMATURE))
            for later in ordered[index + 1 :]:
                cohorts.append(cohort([later], by_quarter[later], CohortStatus.IMMATURE))
            return tuple(cohorts)
        if len(members) >= model.min_cohort_starts:
            cohorts.append(cohort(quarters, members, CohortStatus.SETTLEABLE))
            quarters, members = [], []
    if members:
        status = CohortStatus.SETTLEABLE if contract_closed else CohortStatus.TOO_SMALL
        cohorts.append(cohort(quarters, members, status))
    return tuple(cohorts)


def _by_municipality(starts: Sequence[CohortStart]) -> dict[str, int]:
    weights: dict[str, int] = {}
    for start in starts:
        weights[start.home_municipality_code] = (
            weights.get(start.home_municipality_code, 0) + start.withheld_cents
        )
    return dict(sorted(weights.items()))


def _split(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    if total == 0 or not weights:
        return dict.fromkeys(weights, 0)
    if sum(weights.values()) == 0:
        # Nothing was withheld (every start capped away): share the amount by head count instead.
        weights = dict.fromkeys(weights, 1)
    return dict(zip(weights, split_largest_remainder(total, list(weights.values())), strict=True))


def settle_cohort(
    *,
    contract: ContractTerms,
    cohort: Cohort,
    flow_through: FlowThroughCount,
    outcome_fees_cents: int,
    contract_committed_cents: int,
    settlement_date: date,
    outcome_fees_by_municipality: Mapping[str, int] | None = None,
) -> Settlement:
    """Release withhold × min(1, FT/target), keep the rest as malus, and pay the bonus above target.

    Amounts are computed for the whole cohort and rounded once; the lines then split them over
    home municipalities by largest remainder (release and malus by withheld cents, the bonus by
    ``outcome_fees_by_municipality`` when given, else by withheld cents).
    """
    model = contract.model
    if cohort.status is not CohortStatus.SETTLEABLE:
        raise PaymentRuleError(f"cohort {cohort.cohort_id} is {cohort.status.value}, not settleable")
    if cohort.matures_on > settlement_date:
        raise PaymentRuleError(
            f"cohort {cohort.cohort_id} matures on {cohort.matures_on}, after {settlement_date}"
        )
    if outcome_fees_cents < 0:
        raise PaymentRuleError("outcome fees must be non-negative")
    if (
        outcome_fees_by_municipality is not None
        and sum(outcome_fees_by_municipality.values()) != outcome_fees_cents
    ):
        raise PaymentRuleError("outcome fees by municipality must add up to the outcome-fee total")
    withheld = cohort.withheld_cents
    ft = flow_through.rate
    target = bp(model.ft_target_bp)
    ratio = min(Fraction(1), ft / target)
    release_raw = withheld * ratio
    release = round_half_up(release_raw)
    malus = withheld - release
    if ft > target:
        scale = (ft - target) / (1 - target)
        bonus_uncapped = bp(model.bonus_share_bp) * scale * outcome_fees_cents
        bonus_raw = min(bp(model.bonus_cap_bp) * outcome_fees_cents, bonus_uncapped)
    else:
        scale = Fraction(0)
        bonus_uncapped = bonus_raw = Fraction(0)
    bonus_full = round_half_up(bonus_raw)
    # The malus is money the contract will never pay, so it frees room under the ceiling first.
    room = max(0, contract.awarded_value_cents - (contract_committed_cents - malus))
    bonus = min(bonus_full, room)
    trace: dict[str, Any] = {
        "rule": SETTLEMENT_RULE,
        "rule_version": model.rule_version,
        "rounding": ROUNDING_RULE,
        "inputs": {
            "contract_id": contract.contract_id,
            "awarded_value_cents": contract.awarded_value_cents,
            "contract_committed_cents": contract_committed_cents,
            "cohort_id": cohort.cohort_id,
            "quarters": list(cohort.quarters),
            "starts": len(cohort.starts),
            "start_event_ids": [s.event_id for s in cohort.starts],
            "last_start_date": cohort.last_start_date.isoformat(),
            "matures_on": cohort.matures_on.isoformat(),
            "settlement_date": settlement_date.isoformat(),
            "withheld_cents": withheld,
            "ft_qualified": flow_through.qualified,
            "ft_denominator": flow_through.denominator,
            "outcome_fees_cents": outcome_fees_cents,
        },
        "ft": fraction_text(ft),
        "ft_target_bp": model.ft_target_bp,
        "release_ratio": fraction_text(ratio),
        "release_raw_cents": fraction_text(release_raw),
        "release_cents": release,
        "malus_cents": malus,
        "bonus_share_bp": model.bonus_share_bp,
        "bonus_cap_bp": model.bonus_cap_bp,
        "bonus_scale": fraction_text(scale),
        "bonus_uncapped_raw_cents": fraction_text(bonus_uncapped),
        "bonus_raw_cents": fraction_text(bonus_raw),
        "bonus_rounded_cents": bonus_full,
        "contract_room_cents": room,
        "bonus_cents": bonus,
    }
    withheld_weights = _by_municipality(cohort.starts)
    bonus_weights = (
        dict(sorted(outcome_fees_by_municipality.items())) if outcome_fees_by_municipality else None
    )
    parts: list[tuple[LineKind, LineStatus, dict[str, int], int, Reason | None]] = [
        (LineKind.WITHHOLD_RELEASE, LineStatus.PAYABLE, _split(release, withheld_weights), 0, None),
        (
            LineKind.MALUS,
            LineStatus.NOT_PAYABLE,
            _split(malus, withheld_weights),
            -1,
            Reason.FLOW_THROUGH_BELOW_TARGET,
        ),
        (LineKind.BONUS, LineStatus.PAYABLE, _split(bonus, bonus_weights or withheld_weights), 1, None),
        (
            LineKind.INELIGIBLE,
            LineStatus.NOT_PAYABLE,
            _split(bonus_full - bonus, bonus_weights or withheld_weights),
            0,
            Reason.CONTRACT_CEILING,
        ),
    ]
    lines: list[PaymentLine] = []
    for kind, status, amounts, commit_sign, reason in parts:
        for municipality, amount in amounts.items():
            if amount == 0:
                continue
            paid = amount if status is LineStatus.PAYABLE else 0
            line_trace = {
                **trace,
                "line": {
                    "kind": kind.value,
                    "home_municipality_code": municipality,
                    "amount_cents": paid,
                    "unpaid_cents": amount - paid,
                    **({"reason": reason.value} if reason else {}),
                },
            }
            suffix = f"/{reason.name.lower()}" if kind is LineKind.INELIGIBLE and reason else ""
            lines.append(
                PaymentLine(
                    line_key=f"{contract.contract_id}/cohort:{cohort.cohort_id}/{kind.value}{suffix}/{municipality}",
                    contract_id=contract.contract_id,
                    kind=kind,
                    status=status,
                    component=kind.value if kind is not LineKind.INELIGIBLE else LineKind.BONUS.value,
                    amount_cents=paid,
                    unpaid_cents=amount - paid,
                    committed_delta_cents=commit_sign * amount,
                    reason=reason,
                    pseudonym=None,
                    home_municipality_code=municipality,
                    event_id=None,
                    event_type=None,
                    event_date=None,
                    episode_id=None,
                    outcome_key=None,
                    unit_price_cents=contract.unit_price_cents,
                    share_bp=None,
                    multiplier_bp=None,
                    rule=SETTLEMENT_RULE,
                    rule_version=model.rule_version,
                    trace=line_trace,
                )
            )
    return Settlement(
        contract_id=contract.contract_id,
        cohort_id=cohort.cohort_id,
        withheld_cents=withheld,
        release_cents=release,
        malus_cents=malus,
        bonus_cents=bonus,
        bonus_over_ceiling_cents=bonus_full - bonus,
        committed_delta_cents=bonus - malus,
        lines=tuple(lines),
        trace=trace,
    )
