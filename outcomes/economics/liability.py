"""The municipalities' unemployment-benefit liability as data with effective dates (SPEC 4.8); pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from outcomes.tracking.rules import BenefitDaysTier
from procurement.core.money import BP_SCALE

_T = BenefitDaysTier


@dataclass(frozen=True, kw_only=True)
class LiabilityRates:
    """The municipal financing share per benefit-days tier, the average daily benefit and days a month."""

    shares_bp: tuple[tuple[BenefitDaysTier, int], ...]
    daily_benefit_cents: int
    benefit_days_per_month_centi: int  # hundredths of a day: 2150 = 21.5 benefit days a month
    effective_from: date
    example: bool  # the shipped example, not confirmed by an administrator against the law in force
    rate_id: str | None = None  # the stored configuration row; None for the shipped example

    def __post_init__(self) -> None:
        if sorted(t for t, _ in self.shares_bp) != sorted(BenefitDaysTier):
            raise ValueError("every benefit-days tier needs exactly one municipal share")
        if any(not 0 <= s <= BP_SCALE for _, s in self.shares_bp):
            raise ValueError(f"municipal shares are 0–{BP_SCALE} basis points")
        if self.daily_benefit_cents <= 0 or not 0 < self.benefit_days_per_month_centi <= 3100:
            raise ValueError("the daily benefit must be positive and benefit days a month 0–31")

    def share_bp(self, tier: BenefitDaysTier) -> int:
        """The municipality's share of the benefit of a person in this tier."""
        return dict(self.shares_bp)[tier]


# The shipped example (SPEC 4.8): 0 / 20 / 30 / 40 % and 36,17 € a day, about 21.5 benefit days a month.
# An example only: an administrator checks it against the law in force and stores the ring's own values.
EXAMPLE_RATES = LiabilityRates(
    shares_bp=((_T.T1, 0), (_T.T2, 2000), (_T.T3, 3000), (_T.T4, 4000)),
    daily_benefit_cents=3617,
    benefit_days_per_month_centi=2150,
    effective_from=date(2025, 1, 1),
    example=True,
)


def effective_rates(configured: Sequence[LiabilityRates], *, on: date) -> LiabilityRates:
    """The configuration in force on a day: the latest effective on or before it, else the example."""
    in_force = [r for r in configured if r.effective_from <= on]
    if not in_force:
        return EXAMPLE_RATES
    return max(in_force, key=lambda r: r.effective_from)
