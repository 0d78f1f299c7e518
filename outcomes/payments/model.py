"""The payment model as data (SPEC 4.5): component shares, group multipliers, caps, and a contract's terms."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from outcomes.tracking.rules import (
    BenefitDaysTier,
    Category,
    PaymentComponent,
)
from procurement.core.money import (
    BP_SCALE,
)

# 2026.1: one ceiling and one set of cohorts per contract, first verified first paid, bonus on every
# outcome fee of a settled cohort, release per start, reclaims after a clawback.
RULE_VERSION = "payments-2026.1"

_PC = PaymentComponent
_T = BenefitDaysTier

DEFAULT_SHARES_BP: Mapping[Category, tuple[tuple[PaymentComponent, int], ...]] = MappingProxyType(
    {
        Category.EMPLOYMENT: ((_PC.START, 3000), (_PC.A, 1500), (_PC.B, 2500), (_PC.C, 3000)),
        Category.COMPETENCE: ((_PC.START, 4000), (_PC.A, 3000), (_PC.B, 3000)),
        Category.INCLUSION: ((_PC.START, 5000), (_PC.A, 2500), (_PC.B, 2500)),
    }
)
DEFAULT_TIER_MULTIPLIERS_BP: tuple[tuple[BenefitDaysTier, int], ...] = (
    (_T.T1, 7500),
    (_T.T2, 10_000),
    (_T.T3, 12_000),
    (_T.T4, 14_000),
)


class PaymentRuleError(ValueError):
    """A payment model or rule input that breaks the rules' own preconditions."""


@dataclass(frozen=True, kw_only=True)
class PaymentModel:
    """How a unit price is paid out (SPEC §4.5); every number is configuration with its default."""

    category: Category
    shares_bp: tuple[tuple[PaymentComponent, int], ...]
    tier_multipliers_bp: tuple[tuple[BenefitDaysTier, int], ...] = DEFAULT_TIER_MULTIPLIERS_BP
    partial_work_ability_bp: int = 2000
    max_multiplier_bp: int = 18_000
    withhold_bp: int = 1000  # of each start fee
    ft_target_bp: int = 8000
    ft_horizon_days: int = 90
    data_lag_days: int = 35
    min_cohort_starts: int = 20
    bonus_share_bp: int = 1000  # of the cohort's outcome fees, scaled by how far FT beats the target
    bonus_cap_bp: int = 1000  # the bonus never exceeds this share of the cohort's outcome fees
    participant_cap_bp: int = 12_000  # × P × the participant's multiplier
    rule_version: str = RULE_VERSION

    def __post_init__(self) -> None:
        components = [c for c, _ in self.shares_bp]
        if len(set(components)) != len(components):
            raise PaymentRuleError(f"a component appears twice: {components}")
        if PaymentComponent.START not in components:
            raise PaymentRuleError("the payment model needs a start fee component")
        if any(s < 0 for _, s in self.shares_bp) or sum(s for _, s in self.shares_bp) != BP_SCALE:
            raise PaymentRuleError(f"component shares must be ≥ 0 and sum to {BP_SCALE} bp")
        tiers = [t for t, _ in self.tier_multipliers_bp]
        if sorted(tiers) != sorted(BenefitDaysTier):
            raise PaymentRuleError("every benefit-days tier needs exactly one multiplier")
        if any(m <= 0 for _, m in self.tier_multipliers_bp) or self.max_multiplier_bp <= 0:
            raise PaymentRuleError("multipliers must be positive")
        for name in ("withhold_bp", "bonus_share_bp", "bonus_cap_bp"):
            if not 0 <= getattr(self, name) <= BP_SCALE:
                raise PaymentRuleError(f"{name} must be 0–{BP_SCALE}")
        # A target of 100 % would make the bonus scale (FT − target)/(1 − target) divide by zero.
        if not 0 < self.ft_target_bp < BP_SCALE:
            raise PaymentRuleError(f"ft_target_bp must be strictly between 0 and {BP_SCALE}")
        if min(self.partial_work_ability_bp, self.ft_horizon_days, self.data_lag_days) < 0:
            raise PaymentRuleError("adders and day counts must be non-negative")
        if self.min_cohort_starts < 1 or self.participant_cap_bp < 0:
            raise PaymentRuleError("min_cohort_starts must be ≥ 1 and participant_cap_bp ≥ 0")

    # Built once per model: a close asks for them once per event.
    @functools.cached_property
    def _shares(self) -> dict[PaymentComponent, int]:
        return dict(self.shares_bp)

    @functools.cached_property
    def _tiers(self) -> dict[BenefitDaysTier, int]:
        return dict(self.tier_multipliers_bp)

    def share_bp(self, component: PaymentComponent) -> int | None:
        """Share of the unit price paid for a component, or None if the model has no such component."""
        return self._shares.get(component)

    def tier_bp(self, tier: BenefitDaysTier) -> int:
        """The tier's own multiplier, before the adder and the cap."""
        return self._tiers[tier]

    def multiplier_bp(self, *, tier: BenefitDaysTier, partial_work_ability: bool) -> int:
        """Group multiplier: the tier's, plus the partial-work-ability adder, capped."""
        base = self._tiers[tier]
        return min(
            base + (self.partial_work_ability_bp if partial_work_ability else 0), self.max_multiplier_bp
        )


def default_payment_model(*, category: Category) -> PaymentModel:
    """The SPEC §4.5 defaults for a category; override fields with dataclasses.replace."""
    return PaymentModel(category=category, shares_bp=DEFAULT_SHARES_BP[category])


@dataclass(frozen=True, kw_only=True)
class ContractTerms:
    """What the rules need of a contract: its ceiling (all its lots together) and its payment model.

    Unit prices are per lot, so each event carries its own (``PaymentEvent.unit_price_cents``).
    """

    contract_id: str
    awarded_value_cents: int
    model: PaymentModel

    def __post_init__(self) -> None:
        if self.awarded_value_cents < 0:
            raise PaymentRuleError("the awarded value must be non-negative")
