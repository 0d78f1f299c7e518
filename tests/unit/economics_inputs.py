"""Inputs of the forecast rules shared by the golden and property tests."""

from dataclasses import replace

from outcomes.economics.estimates import Rate, stated_rate
from outcomes.economics.liability import EXAMPLE_RATES
from outcomes.economics.rules import ForecastInput, LotPlan
from outcomes.payments.model import default_payment_model
from outcomes.tracking.rules import BenefitDaysTier, Category, PaymentComponent

T1, T2, T3, T4 = BenefitDaysTier
A, B, C = PaymentComponent.A, PaymentComponent.B, PaymentComponent.C


def golden_input(
    *,
    price_cents: int = 80_000,
    participants: int = 100,
    municipalities: tuple[str, ...] = ("398",),
    mix: tuple[int, int, int, int] = (0, 5000, 0, 5000),
    partial_bp: int = 0,
    rates: tuple[int, int, int] = (4000, 3000, 2000),
    ft_bp: int = 8000,
) -> ForecastInput:
    """One EMPLOYMENT lot at the SPEC 4.5 default payment model and the shipped example liability."""
    job, three, six = (stated_rate(r) for r in rates)
    return ForecastInput(
        model=default_payment_model(category=Category.EMPLOYMENT),
        lots=(
            LotPlan(
                code="L1",
                municipality_codes=municipalities,
                participants=participants,
                unit_price_cents=price_cents,
            ),
        ),
        tier_mix_bp=tuple(zip((T1, T2, T3, T4), mix, strict=True)),
        partial_work_ability_bp=partial_bp,
        component_rates=((A, job), (B, three), (C, six)),
        flow_through=stated_rate(ft_bp),
        employment=(job, three, six),
        liability=EXAMPLE_RATES,
        budget_cents=price_cents * participants,
    )


def with_rates(inp: ForecastInput, rate: Rate) -> ForecastInput:
    """Every outcome and employment rate replaced by one rate."""
    return replace(
        inp,
        component_rates=tuple((c, rate) for c, _ in inp.component_rates),
        employment=(rate, rate, rate),
    )
