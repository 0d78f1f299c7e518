"""The forecast of a competition (SPEC 4.8): cost under its payment model against avoided liability; pure.

Figures → rows → totals: every figure is exact (``Fraction``) per lot, municipality, tier and scenario,
rounded half up once per lot × municipality row; the municipality and total rows are sums of those rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from fractions import Fraction

import numpy as np

from outcomes.economics.estimates import SCENARIOS, Rate, Scenario
from outcomes.economics.liability import LiabilityRates
from outcomes.payments.model import PaymentModel
from outcomes.tracking.rules import BenefitDaysTier, PaymentComponent
from procurement.core.money import BP_SCALE, bp, round_half_up

RULE_VERSION = "economics-2026.1"
TIERS = tuple(BenefitDaysTier)
OUTCOME_COMPONENTS = (PaymentComponent.A, PaymentComponent.B, PaymentComponent.C)


class ForecastError(ValueError):
    """A forecast that cannot be computed from its inputs; the message says which input is missing."""


@dataclass(frozen=True, kw_only=True)
class LotPlan:
    """A lot as the forecast sees it: its municipalities, expected participants and assumed unit price."""

    code: str
    municipality_codes: tuple[str, ...]
    participants: int
    unit_price_cents: int


@dataclass(frozen=True, kw_only=True)
class Durations:
    """How long the employment outcomes last within the horizon (stated assumptions, in months)."""

    horizon_months: int = 12
    job_delay_months: int = 3  # a first job starts within the flow-through horizon of 90 days
    short_job_tenths: int = 15  # a job that does not reach 3 months lasts 1.5 months on average
    mid_job_tenths: int = 45  # a job that reaches 3 months but not 6 lasts 4.5 months

    def __post_init__(self) -> None:
        if not 1 <= self.horizon_months <= 120 or not 0 <= self.job_delay_months <= 120:
            raise ForecastError("the horizon is 1–120 months and the job delay 0–120 months")
        if not 0 <= self.short_job_tenths <= self.mid_job_tenths:
            raise ForecastError("a short job cannot last longer than a job that reached 3 months")

    def weights(self) -> tuple[Fraction, Fraction, Fraction]:
        """Employed months per unit of the job, 3-month and 6-month rates, within the horizon."""
        rest = Fraction(max(0, self.horizon_months - self.job_delay_months))
        short = min(Fraction(self.short_job_tenths, 10), rest)
        mid = min(Fraction(self.mid_job_tenths, 10), rest)
        # (rJ − r3)·short + (r3 − r6)·mid + r6·rest, regrouped by rate.
        return short, mid - short, rest - mid


@dataclass(frozen=True, kw_only=True)
class ForecastInput:
    """Everything a forecast rests on; the stored forecast records each of these values."""

    model: PaymentModel
    lots: tuple[LotPlan, ...]
    tier_mix_bp: tuple[tuple[BenefitDaysTier, int], ...]
    partial_work_ability_bp: int
    component_rates: tuple[tuple[PaymentComponent, Rate], ...]  # the model's outcome components
    flow_through: Rate
    employment: tuple[Rate, Rate, Rate]  # job start, employed 3 months, employed 6 months
    liability: LiabilityRates
    durations: Durations = field(default_factory=Durations)
    budget_cents: int = 0

    def __post_init__(self) -> None:
        if not self.lots or any(x.participants <= 0 for x in self.lots):
            raise ForecastError("the forecast needs lots with at least one expected participant each")
        if any(x.unit_price_cents <= 0 for x in self.lots):
            raise ForecastError("every lot needs a unit price: a maximum unit price or a budget")
        if any(not x.municipality_codes for x in self.lots):
            raise ForecastError("every lot needs at least one municipality")
        if sorted(t for t, _ in self.tier_mix_bp) != sorted(TIERS) or any(s < 0 for _, s in self.tier_mix_bp):
            raise ForecastError("the tier mix needs a non-negative share for each of T1–T4")
        if sum(s for _, s in self.tier_mix_bp) != BP_SCALE:
            raise ForecastError(f"the tier mix must sum to {BP_SCALE} basis points")
        if not 0 <= self.partial_work_ability_bp <= BP_SCALE:
            raise ForecastError("the share with partial work ability is 0–10 000 basis points")
        rated = {c for c, _ in self.component_rates}
        wanted = {c for c, s in self.model.shares_bp if c is not PaymentComponent.START}
        if rated != wanted:
            raise ForecastError(f"need an expected rate for each outcome component: {sorted(wanted)}")


@dataclass(frozen=True, kw_only=True)
class Figures:
    """One row's figures: what is paid under the payment model and the liability it avoids."""

    participants: Fraction = Fraction(0)
    start_fees_cents: int = 0
    withheld_cents: int = 0
    released_cents: int = 0
    malus_cents: int = 0
    outcome_fees_cents: int = 0
    bonus_cents: int = 0
    cost_cents: int = 0  # start fees − malus + outcome fees + bonus
    employed_months: Fraction = Fraction(0)
    benefit_days: Fraction = Fraction(0)
    avoided_liability_cents: int = 0
    net_cents: int = 0  # avoided liability − cost

    def __add__(self, other: Figures) -> Figures:
        return Figures(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


@dataclass(frozen=True, kw_only=True)
class Row:
    """A lot × municipality row of one scenario."""

    lot_code: str
    municipality_code: str
    scenario: Scenario
    figures: Figures


@dataclass(frozen=True, kw_only=True)
class Forecast:
    """The forecast: its rows, totals per municipality and in all, and the break-even flow-through."""

    rows: tuple[Row, ...]
    break_even_ft_bp: int | None  # the lowest flow-through at which avoided liability covers the cost
    rule_version: str = RULE_VERSION

    def total(self, scenario: Scenario) -> Figures:
        """All rows of a scenario summed."""
        return sum((r.figures for r in self.rows if r.scenario is scenario), Figures())

    def by_municipality(self, scenario: Scenario) -> dict[str, Figures]:
        """A scenario's rows summed per municipality, in code order."""
        out: dict[str, Figures] = {}
        for r in sorted(self.rows, key=lambda r: r.municipality_code):
            if r.scenario is scenario:
                out[r.municipality_code] = out.get(r.municipality_code, Figures()) + r.figures
        return out


def bonus_rate(model: PaymentModel, ft: Fraction) -> Fraction:
    """The settlement's bonus rate on outcome fees at a flow-through (as ``payments.settlement``)."""
    target = bp(model.ft_target_bp)
    scale = (ft - target) / (1 - target) if ft > target else Fraction(0)
    return min(bp(model.bonus_cap_bp), bp(model.bonus_share_bp) * scale)


def release_ratio(model: PaymentModel, ft: Fraction) -> Fraction:
    """The share of the withhold released at a flow-through: min(1, FT / target)."""
    return min(Fraction(1), ft / bp(model.ft_target_bp))


@dataclass(frozen=True, kw_only=True)
class _Group:
    lot_code: str
    municipality_code: str
    participants: Fraction
    base_cents: Fraction  # participants × unit price × multiplier
    liability_per_month: Fraction  # cents of benefit liability one employed month of this group avoids


def _groups(inp: ForecastInput) -> Iterator[_Group]:
    """Lot × municipality × tier × partial work ability, with exact expected participants."""
    model, liability = inp.model, inp.liability
    partial = bp(inp.partial_work_ability_bp)
    per_month = Fraction(liability.benefit_days_per_month_centi, 100) * liability.daily_benefit_cents
    for lot in inp.lots:
        # The forecast knows no municipality's share of a lot: it assumes an equal split.
        per_municipality = Fraction(lot.participants, len(lot.municipality_codes))
        for code in lot.municipality_codes:
            for tier, mix in inp.tier_mix_bp:
                for flag, weight in ((False, 1 - partial), (True, partial)):
                    n = per_municipality * bp(mix) * weight
                    if n == 0:
                        continue
                    multiplier = bp(model.multiplier_bp(tier=tier, partial_work_ability=flag))
                    yield _Group(
                        lot_code=lot.code,
                        municipality_code=code,
                        participants=n,
                        base_cents=n * lot.unit_price_cents * multiplier,
                        liability_per_month=per_month * bp(liability.share_bp(tier)),
                    )


@dataclass(frozen=True)
class _Exact:
    participants: Fraction
    start: Fraction
    withheld: Fraction
    release: Fraction
    outcome: Fraction
    bonus: Fraction
    months: Fraction
    days: Fraction
    avoided: Fraction


def _exact(inp: ForecastInput, group: _Group, scenario: Scenario) -> _Exact:
    """A group's exact figures under one scenario's rates."""
    model = inp.model
    ft = bp(inp.flow_through.at(scenario))
    start = group.base_cents * bp(model.share_bp(PaymentComponent.START) or 0)
    withheld = start * bp(model.withhold_bp)
    outcome = sum(
        (
            group.base_cents * bp(model.share_bp(c) or 0) * bp(rate.at(scenario))
            for c, rate in inp.component_rates
        ),
        Fraction(0),
    )
    short, mid, long = inp.durations.weights()
    job, three, six = (bp(r.at(scenario)) for r in inp.employment)
    months = group.participants * (job * short + three * mid + six * long)
    return _Exact(
        participants=group.participants,
        start=start,
        withheld=withheld,
        release=withheld * release_ratio(model, ft),
        outcome=outcome,
        bonus=outcome * bonus_rate(model, ft),
        months=months,
        days=months * Fraction(inp.liability.benefit_days_per_month_centi, 100),
        avoided=months * group.liability_per_month,
    )


def _figures(parts: list[_Exact]) -> Figures:
    """A row's exact parts summed and each money figure rounded once, half up."""

    def total(name: str) -> Fraction:
        return sum((getattr(p, name) for p in parts), Fraction(0))

    start, withheld, release = total("start"), total("withheld"), total("release")
    outcome, bonus, avoided = total("outcome"), total("bonus"), total("avoided")
    cost = round_half_up(start - withheld + release + outcome + bonus)
    avoided_cents = round_half_up(avoided)
    return Figures(
        participants=total("participants"),
        start_fees_cents=round_half_up(start),
        withheld_cents=round_half_up(withheld),
        released_cents=round_half_up(release),
        malus_cents=round_half_up(withheld - release),
        outcome_fees_cents=round_half_up(outcome),
        bonus_cents=round_half_up(bonus),
        cost_cents=cost,
        employed_months=total("months"),
        benefit_days=total("days"),
        avoided_liability_cents=avoided_cents,
        net_cents=avoided_cents - cost,
    )


def compute_forecast(inp: ForecastInput) -> Forecast:
    """The forecast of low, expected and high cost against the liability the expected outcomes avoid."""
    groups = list(_groups(inp))
    keys = list(dict.fromkeys((g.lot_code, g.municipality_code) for g in groups))
    rows: list[Row] = []
    for scenario in SCENARIOS:
        parts: dict[tuple[str, str], list[_Exact]] = {k: [] for k in keys}
        for g in groups:
            parts[(g.lot_code, g.municipality_code)].append(_exact(inp, g, scenario))
        rows.extend(
            Row(lot_code=lot, municipality_code=code, scenario=scenario, figures=_figures(parts[(lot, code)]))
            for lot, code in keys
        )
    return Forecast(rows=tuple(rows), break_even_ft_bp=break_even_ft_bp(inp, groups))


def net_at(inp: ForecastInput, ft_bp: int, *, base: Fraction, per_month: Fraction) -> Fraction:
    """Exact net effect when flow-through is ft and every expected outcome rate moves in proportion to it.

    ``base`` is Σ participants × unit price × multiplier, ``per_month`` Σ participants × the liability one
    employed month avoids, both over all groups.
    """
    model = inp.model
    scale = Fraction(ft_bp, inp.flow_through.expected_bp)

    def moved(rate: Rate) -> Fraction:
        return min(Fraction(1), bp(rate.expected_bp) * scale)

    ft = bp(ft_bp)
    start = base * bp(model.share_bp(PaymentComponent.START) or 0)
    withheld = start * bp(model.withhold_bp)
    outcome = base * sum((bp(model.share_bp(c) or 0) * moved(r) for c, r in inp.component_rates), Fraction(0))
    cost = start - withheld + withheld * release_ratio(model, ft) + outcome * (1 + bonus_rate(model, ft))
    short, mid, long = inp.durations.weights()
    job, three, six = (moved(r) for r in inp.employment)
    return per_month * (job * short + three * mid + six * long) - cost


def break_even_ft_bp(inp: ForecastInput, groups: list[_Group] | None = None) -> int | None:
    """The lowest flow-through (whole basis points) at which the net effect is not negative; None if none.

    Holds the expected scenario's rates in proportion to flow-through (a rate never exceeds 100 %), with the
    withhold's release and the bonus following flow-through as the settlement does.
    """
    if inp.flow_through.expected_bp == 0:
        return None
    groups = list(_groups(inp)) if groups is None else groups
    base = sum((g.base_cents for g in groups), Fraction(0))
    per_month = sum((g.participants * g.liability_per_month for g in groups), Fraction(0))
    # A float pass over every basis point skips the points clearly below zero; each remaining candidate is
    # decided in exact arithmetic, so the answer is exact (the margin is far above float error).
    margin = 1e-6 * float(base + per_month * 120 + 1)
    nets = _net_floats(inp, base=float(base), per_month=float(per_month))
    for ft_bp in np.flatnonzero(nets >= -margin).tolist():
        if net_at(inp, ft_bp, base=base, per_month=per_month) >= 0:
            return int(ft_bp)
    return None


def _net_floats(inp: ForecastInput, *, base: float, per_month: float) -> np.ndarray:
    """``net_at`` in floats at every basis point at once, only to skip points far from zero."""
    model = inp.model
    ft = np.arange(BP_SCALE + 1, dtype=np.float64) / BP_SCALE
    scale = ft * BP_SCALE / inp.flow_through.expected_bp
    target = model.ft_target_bp / BP_SCALE

    def moved(rate: Rate) -> np.ndarray:
        return np.minimum(1.0, rate.expected_bp / BP_SCALE * scale)

    start = base * (model.share_bp(PaymentComponent.START) or 0) / BP_SCALE
    withheld = start * model.withhold_bp / BP_SCALE
    outcome = base * sum(
        ((model.share_bp(c) or 0) / BP_SCALE * moved(r) for c, r in inp.component_rates), np.zeros_like(ft)
    )
    over = np.where(ft > target, (ft - target) / (1 - target), 0.0)
    bonus = np.minimum(model.bonus_cap_bp / BP_SCALE, model.bonus_share_bp / BP_SCALE * over)
    cost = start - withheld + withheld * np.minimum(1.0, ft / target) + outcome * (1 + bonus)
    short, mid, long = (float(w) for w in inp.durations.weights())
    job, three, six = (moved(r) for r in inp.employment)
    result: np.ndarray = per_month * (job * short + three * mid + six * long) - cost
    return result
