"""Properties of the forecast rules on generated inputs, and a plain exact scan for the break-even point."""

from dataclasses import replace
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.economics.estimates import SCENARIOS, Scenario, capped_chain, shrunk_rate, stated_rate
from outcomes.economics.rules import ForecastInput, LotPlan, compute_forecast
from outcomes.tracking.rules import PaymentComponent
from procurement.core.money import BP_SCALE
from tests.unit.economics_inputs import golden_input, with_rates

E = Scenario.EXPECTED
bps = st.integers(min_value=0, max_value=BP_SCALE)


@st.composite
def mixes(draw: st.DrawFn) -> tuple[int, int, int, int]:
    a, b, c = sorted(draw(st.lists(bps, min_size=3, max_size=3)))
    return (a, b - a, c - b, BP_SCALE - c)


@st.composite
def inputs(draw: st.DrawFn) -> ForecastInput:
    job = draw(bps)
    three = draw(st.integers(0, job))
    six = draw(st.integers(0, three))
    base = golden_input(
        price_cents=draw(st.integers(1, 2_000_000)),
        participants=draw(st.integers(1, 500)),
        municipalities=tuple(draw(st.sets(st.sampled_from(["016", "098", "111", "398"]), min_size=1))),
        mix=draw(mixes()),
        partial_bp=draw(bps),
        rates=(job, three, six),
        ft_bp=draw(st.integers(1, BP_SCALE)),
    )
    extra = LotPlan(
        code="L2",
        municipality_codes=("398",),
        participants=draw(st.integers(1, 50)),
        unit_price_cents=draw(st.integers(1, 900_000)),
    )
    return replace(base, lots=(*base.lots, extra)) if draw(st.booleans()) else base


@settings(max_examples=40, deadline=None)
@given(inputs())
def test_cost_range_is_ordered_and_bounded(inp: ForecastInput) -> None:
    forecast = compute_forecast(inp)
    low, expected, high = (forecast.total(s) for s in SCENARIOS)
    assert 0 <= low.cost_cents <= expected.cost_cents <= high.cost_cents
    assert low.avoided_liability_cents <= expected.avoided_liability_cents <= high.avoided_liability_cents
    rows = len(forecast.rows) // 3
    # Σ participants × P × multiplier, exact: nobody costs more than that plus the largest bonus.
    whole = sum(
        Fraction(lot.participants * lot.unit_price_cents)
        * sum(
            Fraction(mix, BP_SCALE)
            * (
                Fraction(BP_SCALE - inp.partial_work_ability_bp, BP_SCALE)
                * Fraction(inp.model.multiplier_bp(tier=tier, partial_work_ability=False), BP_SCALE)
                + Fraction(inp.partial_work_ability_bp, BP_SCALE)
                * Fraction(inp.model.multiplier_bp(tier=tier, partial_work_ability=True), BP_SCALE)
            )
            for tier, mix in inp.tier_mix_bp
        )
        for lot in inp.lots
    )
    assert high.cost_cents <= whole * Fraction(11, 10) + rows
    # The start fees less the whole withhold is the least that is paid.
    assert low.cost_cents >= low.start_fees_cents - low.withheld_cents - rows


@settings(max_examples=40, deadline=None)
@given(inputs())
def test_rows_add_up_and_each_row_is_consistent(inp: ForecastInput) -> None:
    forecast = compute_forecast(inp)
    for scenario in SCENARIOS:
        per_municipality = forecast.by_municipality(scenario)
        total = forecast.total(scenario)
        assert sum(f.cost_cents for f in per_municipality.values()) == total.cost_cents
        assert sum(f.participants for f in per_municipality.values()) == sum(x.participants for x in inp.lots)
    for row in forecast.rows:
        f = row.figures
        assert f.net_cents == f.avoided_liability_cents - f.cost_cents
        # Each figure is rounded once from its exact value: the parts agree with the cost within 2 cents.
        parts = f.start_fees_cents - f.malus_cents + f.outcome_fees_cents + f.bonus_cents
        assert abs(parts - f.cost_cents) <= 2
        assert abs(f.released_cents + f.malus_cents - f.withheld_cents) <= 1
        assert min(f.start_fees_cents, f.withheld_cents, f.released_cents, f.malus_cents, f.bonus_cents) >= 0


@settings(max_examples=30, deadline=None)
@given(inputs(), st.integers(0, BP_SCALE), st.integers(0, BP_SCALE))
def test_higher_rates_cost_more_and_avoid_more(inp: ForecastInput, a: int, b: int) -> None:
    lower, higher = sorted((a, b))
    low = compute_forecast(with_rates(inp, stated_rate(lower))).total(E)
    high = compute_forecast(with_rates(inp, stated_rate(higher))).total(E)
    assert low.outcome_fees_cents <= high.outcome_fees_cents
    assert low.avoided_liability_cents <= high.avoided_liability_cents


@settings(max_examples=30, deadline=None)
@given(inputs(), st.integers(1, BP_SCALE), st.integers(1, BP_SCALE))
def test_higher_flow_through_costs_more(inp: ForecastInput, a: int, b: int) -> None:
    lower, higher = sorted((a, b))
    low = compute_forecast(replace(inp, flow_through=stated_rate(lower))).total(E)
    high = compute_forecast(replace(inp, flow_through=stated_rate(higher))).total(E)
    assert low.cost_cents <= high.cost_cents
    assert low.malus_cents >= high.malus_cents
    assert low.bonus_cents <= high.bonus_cents


def plain_net(inp: ForecastInput, ft: int) -> Fraction:
    """Deliberately plain: the whole expected net effect, exactly, at one flow-through in basis points.

    Written from SPEC 4.5 and docs/economics.md for the default model (withhold and bonus cap 10 %) and the
    default durations (1,5 / 4,5 months, 9 months after a 3-month delay).
    """
    model = inp.model
    k = Fraction(ft, inp.flow_through.expected_bp)
    cost = Fraction(0)
    avoided = Fraction(0)
    day = Fraction(inp.liability.benefit_days_per_month_centi, 100) * inp.liability.daily_benefit_cents
    for lot in inp.lots:
        for tier, mix in inp.tier_mix_bp:
            for flag in (False, True):
                weight = inp.partial_work_ability_bp if flag else BP_SCALE - inp.partial_work_ability_bp
                n = Fraction(lot.participants * mix * weight, BP_SCALE * BP_SCALE)
                m = Fraction(model.multiplier_bp(tier=tier, partial_work_ability=flag), BP_SCALE)
                price = lot.unit_price_cents * m * n
                start = price * Fraction(model.share_bp(PaymentComponent.START) or 0, BP_SCALE)
                held = start / 10
                release = held * min(Fraction(1), Fraction(ft, model.ft_target_bp))
                fees = sum(
                    price
                    * Fraction(model.share_bp(c) or 0, BP_SCALE)
                    * min(Fraction(1), Fraction(r.expected_bp, BP_SCALE) * k)
                    for c, r in inp.component_rates
                )
                over = (
                    Fraction(ft - model.ft_target_bp, BP_SCALE - model.ft_target_bp)
                    if ft > model.ft_target_bp
                    else 0
                )
                bonus = fees * min(Fraction(1, 10), Fraction(1, 10) * over)
                cost += start - held + release + fees + bonus
                job, three, six = (
                    min(Fraction(1), Fraction(r.expected_bp, BP_SCALE) * k) for r in inp.employment
                )
                months = job * Fraction(3, 2) + three * 3 + six * Fraction(9, 2)
                avoided += n * months * day * Fraction(inp.liability.share_bp(tier), BP_SCALE)
    return avoided - cost


@settings(max_examples=15, deadline=None)
@given(inputs())
def test_break_even_agrees_with_a_plain_computation(inp: ForecastInput) -> None:
    found = compute_forecast(inp).break_even_ft_bp
    below = [ft for ft in range(0, BP_SCALE + 1, 101) if found is None or ft < found]
    assert all(plain_net(inp, ft) < 0 for ft in below)
    if found is not None:
        assert plain_net(inp, found) >= 0
        assert found == 0 or plain_net(inp, found - 1) < 0


@given(st.integers(0, 500), st.integers(0, 500), bps, st.integers(0, 50))
def test_shrunk_rate_lies_between_prior_and_observed(k: int, extra: int, prior: int, m: int) -> None:
    n = k + extra
    rate = shrunk_rate(successes=k, trials=n, prior_bp=prior, prior_weight=m)
    observed = Fraction(k * BP_SCALE, n) if n else Fraction(prior)
    lo, hi = sorted((observed, Fraction(prior)))
    assert lo - 1 <= rate.expected_bp <= hi + 1
    assert 0 <= rate.low_bp <= rate.expected_bp <= rate.high_bp <= BP_SCALE


@given(bps, bps, bps)
def test_a_milestone_chain_never_rises(a: int, b: int, c: int) -> None:
    chain = capped_chain((stated_rate(a), stated_rate(b), stated_rate(c)))
    for scenario in SCENARIOS:
        values = [r.at(scenario) for r in chain]
        assert values == sorted(values, reverse=True)
