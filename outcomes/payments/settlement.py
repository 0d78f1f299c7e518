"""Pure quarterly flow-through settlement: release and malus per start, bonus per outcome fee (SPEC §4.5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any

from outcomes.payments.bonus import FeeLine, bonus_lines
from outcomes.payments.lines import SETTLEMENT_RULE, LineKind, LineStatus, PaymentLine, Reason
from outcomes.payments.model import ContractTerms, PaymentModel, PaymentRuleError
from procurement.core.money import ROUNDING_RULE, bp, fraction_text, round_half_up


class CohortStatus(StrEnum):
    """Whether a cohort can be settled on the settlement date."""

    SETTLEABLE = "settleable"
    IMMATURE = "immature"  # last start + horizon + data lag is after the settlement date
    TOO_SMALL = "too_small"  # matured but under the minimum: waits to merge into the next quarter


class StartVerdict(StrEnum):
    """Where a matured start stands in its cohort's flow-through."""

    QUALIFIED = "qualified"
    NOT_QUALIFIED = "not_qualified"
    NEUTRAL = "neutral"  # a verified neutral exit inside the window: out of both sides


@dataclass(frozen=True, kw_only=True)
class CohortStart:
    """A start whose start fee belongs to no settled cohort yet, with its withheld part."""

    event_id: str
    referral_id: str
    lot_id: str | None
    pseudonym: str
    home_municipality_code: str
    start_date: date
    episode_id: str
    unit_price_cents: int
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

    Once the contract is completed or terminated no later quarter will come, so every matured remainder
    settles whatever its size (the final settlement) and each later quarter settles when it matures.
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
        if by_quarter[quarter][-1].start_date + wait > settlement_date:
            if members and contract_closed:
                cohorts.append(cohort(quarters, members, CohortStatus.SETTLEABLE))
                quarters, members = [], []
            # Later quarters start later still, so none of them can have matured either.
            cohorts.append(
                cohort([*quarters, quarter], [*members, *by_quarter[quarter]], CohortStatus.IMMATURE)
            )
            cohorts.extend(cohort([q], by_quarter[q], CohortStatus.IMMATURE) for q in ordered[index + 1 :])
            return tuple(cohorts)
        quarters.append(quarter)
        members.extend(by_quarter[quarter])
        if len(members) >= model.min_cohort_starts:
            cohorts.append(cohort(quarters, members, CohortStatus.SETTLEABLE))
            quarters, members = [], []
    if members:
        status = CohortStatus.SETTLEABLE if contract_closed else CohortStatus.TOO_SMALL
        cohorts.append(cohort(quarters, members, status))
    return tuple(cohorts)


def flow_through_count(cohort: Cohort, verdicts: Mapping[str, StartVerdict]) -> FlowThroughCount | None:
    """FT over exactly the cohort's starts (by referral); None when every start is a neutral exit."""
    counted = [verdicts[s.referral_id] for s in cohort.starts]
    denominator = sum(1 for v in counted if v is not StartVerdict.NEUTRAL)
    qualified = sum(1 for v in counted if v is StartVerdict.QUALIFIED)
    return FlowThroughCount(qualified=qualified, denominator=denominator) if denominator else None


@dataclass(frozen=True, kw_only=True)
class SettlementFigures:
    """A cohort's settled rates: the share of the withhold released and the bonus rate on outcome fees."""

    ft: Fraction
    release_ratio: Fraction  # min(1, FT / target)
    bonus_scale: Fraction  # (FT − target) / (1 − target) when FT > target, else 0
    bonus_rate: Fraction  # min(bonus cap, bonus share × scale), applied to each outcome fee


def settlement_figures(model: PaymentModel, flow_through: FlowThroughCount) -> SettlementFigures:
    """The release ratio and the bonus rate of a flow-through, exact."""
    ft, target = flow_through.rate, bp(model.ft_target_bp)
    scale = (ft - target) / (1 - target) if ft > target else Fraction(0)
    return SettlementFigures(
        ft=ft,
        release_ratio=min(Fraction(1), ft / target),
        bonus_scale=scale,
        bonus_rate=min(bp(model.bonus_cap_bp), bp(model.bonus_share_bp) * scale),
    )


@dataclass(frozen=True, kw_only=True)
class Settlement:
    """The settled figures of one cohort and its lines: release and malus per start, bonus per fee."""

    contract_id: str
    cohort_id: str
    figures: SettlementFigures
    withheld_cents: int
    release_cents: int
    malus_cents: int
    bonus_cents: int  # payable, after the caps
    committed_delta_cents: int  # Σ committed_delta_cents of the lines: bonus − malus
    lines: tuple[PaymentLine, ...]
    trace: Mapping[str, Any]  # the cohort's part of every line's trace


def settlement_trace(
    *,
    contract: ContractTerms,
    cohort: Cohort,
    flow_through: FlowThroughCount,
    figures: SettlementFigures,
    settlement_date: date,
    ft_cutoff: date,
) -> dict[str, Any]:
    """The cohort's part of the trace: inputs, FT and the rates every line of the settlement uses."""
    model = contract.model
    return {
        "rule": SETTLEMENT_RULE,
        "rule_version": model.rule_version,
        "rounding": ROUNDING_RULE,
        "inputs": {
            "contract_id": contract.contract_id,
            "cohort_id": cohort.cohort_id,
            "quarters": list(cohort.quarters),
            "starts": len(cohort.starts),
            "last_start_date": cohort.last_start_date.isoformat(),
            "matures_on": cohort.matures_on.isoformat(),
            "settlement_date": settlement_date.isoformat(),
            "ft_cutoff": ft_cutoff.isoformat(),
            "withheld_cents": cohort.withheld_cents,
            "ft_qualified": flow_through.qualified,
            "ft_denominator": flow_through.denominator,
        },
        "ft": fraction_text(figures.ft),
        "ft_target_bp": model.ft_target_bp,
        "release_ratio": fraction_text(figures.release_ratio),
        "bonus_share_bp": model.bonus_share_bp,
        "bonus_cap_bp": model.bonus_cap_bp,
        "bonus_scale": fraction_text(figures.bonus_scale),
        "bonus_rate": fraction_text(figures.bonus_rate),
    }


def start_lines(
    *,
    contract: ContractTerms,
    start: CohortStart,
    verdict: StartVerdict,
    ratio: Fraction,
    trace: Mapping[str, Any],
) -> tuple[PaymentLine, ...]:
    """A start's withheld fee settled: withheld × ratio released (half up), the rest kept as malus."""
    release = round_half_up(start.withheld_cents * ratio)
    malus = start.withheld_cents - release
    own = {
        "event_id": start.event_id,
        "flow_through": verdict.value,
        "withheld_cents": start.withheld_cents,
        "release_raw_cents": fraction_text(start.withheld_cents * ratio),
        "release_cents": release,
        "malus_cents": malus,
    }
    parts = (
        (LineKind.WITHHOLD_RELEASE, LineStatus.PAYABLE, release, 0, 0, None, ratio, 0),
        (
            LineKind.MALUS,
            LineStatus.NOT_PAYABLE,
            0,
            malus,
            -malus,
            Reason.FLOW_THROUGH_BELOW_TARGET,
            Fraction(1),
            release,
        ),
    )
    return tuple(
        PaymentLine(
            line_key=f"{contract.contract_id}/{start.event_id}/{kind.value}",
            contract_id=contract.contract_id,
            kind=kind,
            status=status,
            component=kind.value,
            amount_cents=amount,
            unpaid_cents=unpaid,
            committed_delta_cents=committed,
            reason=reason,
            pseudonym=start.pseudonym,
            home_municipality_code=start.home_municipality_code,
            event_id=start.event_id,
            event_type="service_start",
            event_date=start.start_date,
            episode_id=start.episode_id,
            outcome_key=None,
            outcome_claim=0,
            unit_price_cents=start.unit_price_cents,
            share_bp=None,
            multiplier_bp=None,
            base_cents=start.withheld_cents,
            rate_num=rate.numerator,
            rate_den=rate.denominator,
            deducted_cents=deducted,
            rule=SETTLEMENT_RULE,
            rule_version=contract.model.rule_version,
            trace={
                **trace,
                "start": own,
                "line": {"kind": kind.value, "amount_cents": amount, "unpaid_cents": unpaid}
                | ({"reason": reason.value} if reason else {}),
            },
        )
        for kind, status, amount, unpaid, committed, reason, rate, deducted in parts
        if amount or unpaid
    )


def settle_cohort(
    *,
    contract: ContractTerms,
    cohort: Cohort,
    verdicts: Mapping[str, StartVerdict],
    fees: Sequence[FeeLine],
    participant_committed_cents: Mapping[str, int],
    contract_committed_cents: int,
    settlement_date: date,
    ft_cutoff: date,
) -> Settlement | None:
    """Settle a matured cohort: each start's withhold × min(1, FT/target), and each fee's bonus above target.

    ``verdicts`` are the starts' flow-through verdicts by referral id; ``fees`` the outcome fees paid so
    far to the cohort's referrals (in a fixed order); the committed totals are the contract's and its
    participants' so far. None while every start is a neutral exit: there is no flow-through to judge.
    """
    if cohort.status is not CohortStatus.SETTLEABLE or cohort.matures_on > settlement_date:
        raise PaymentRuleError(f"cohort {cohort.cohort_id} is {cohort.status.value} on {settlement_date}")
    flow_through = flow_through_count(cohort, verdicts)
    if flow_through is None:
        return None
    figures = settlement_figures(contract.model, flow_through)
    trace = settlement_trace(
        contract=contract,
        cohort=cohort,
        flow_through=flow_through,
        figures=figures,
        settlement_date=settlement_date,
        ft_cutoff=ft_cutoff,
    )
    lines: list[PaymentLine] = []
    for start in cohort.starts:
        verdict = verdicts[start.referral_id]
        lines.extend(
            start_lines(
                contract=contract, start=start, verdict=verdict, ratio=figures.release_ratio, trace=trace
            )
        )
    # The malus is money the contract will never pay, so it frees room under the caps before any bonus.
    committed = contract_committed_cents
    per_participant = dict(participant_committed_cents)
    for line in lines:
        committed += line.committed_delta_cents
        per_participant[line.pseudonym] = per_participant.get(line.pseudonym, 0) + line.committed_delta_cents
    if figures.bonus_rate > 0:
        for fee in fees:
            bonus = bonus_lines(
                contract=contract,
                fee=fee,
                rate=figures.bonus_rate,
                participant_committed_cents=per_participant.get(fee.pseudonym, 0),
                contract_committed_cents=committed,
            )
            lines.extend(bonus.lines)
            committed += bonus.committed_cents
            per_participant[fee.pseudonym] = per_participant.get(fee.pseudonym, 0) + bonus.committed_cents

    def total(kind: LineKind) -> int:
        return sum(line.amount_cents + line.unpaid_cents for line in lines if line.kind is kind)

    return Settlement(
        contract_id=contract.contract_id,
        cohort_id=cohort.cohort_id,
        figures=figures,
        withheld_cents=cohort.withheld_cents,
        release_cents=total(LineKind.WITHHOLD_RELEASE),
        malus_cents=total(LineKind.MALUS),
        bonus_cents=total(LineKind.BONUS),
        committed_delta_cents=committed - contract_committed_cents,
        lines=tuple(lines),
        trace=trace,
    )
