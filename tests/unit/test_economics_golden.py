"""Golden cases of the forecast (SPEC 4.8), each worked by hand in its comment; docs/economics.md shows G1."""

from fractions import Fraction

import pytest

from outcomes.economics.estimates import RateSource, Scenario, shrunk_rate, stated_rate
from outcomes.economics.liability import EXAMPLE_RATES, LiabilityRates, effective_rates
from outcomes.economics.rules import ForecastError, compute_forecast
from outcomes.flowthrough.rules import wilson_interval
from tests.unit.economics_inputs import T1, T2, T3, T4, golden_input

E = Scenario.EXPECTED


def test_g1_the_worked_example() -> None:
    # 100 participants, half T2 (×1,0) and half T4 (×1,4): Σ multipliers 120; P × Σ = 800 € × 120 = 96 000 €.
    # Start fees 30 % = 28 800 €, withheld 10 % = 2 880 €, all released at FT 80 % = the target, no bonus.
    # Outcome fees 96 000 € × (15 % × 40 % + 25 % × 30 % + 30 % × 20 %) = 96 000 € × 19,5 % = 18 720 €.
    # Cost 28 800 + 18 720 = 47 520 €.
    # Employed months in 12 − 3 = 9: 40 % × 1,5 + 30 % × (4,5 − 1,5) + 20 % × (9 − 4,5) = 2,4 a participant;
    # 2,4 × 21,5 = 51,6 benefit days × 36,17 € = 1 866,372 €, times the shares 50 × 20 % + 50 × 40 % = 30:
    # 55 991,16 € avoided; net 55 991,16 − 47 520 = 8 471,16 €.
    forecast = compute_forecast(golden_input())
    total = forecast.total(E)
    assert total.participants == 100
    assert (total.start_fees_cents, total.withheld_cents, total.released_cents, total.malus_cents) == (
        2_880_000,
        288_000,
        288_000,
        0,
    )
    assert (total.outcome_fees_cents, total.bonus_cents, total.cost_cents) == (1_872_000, 0, 4_752_000)
    assert (total.employed_months, total.benefit_days) == (240, 5160)
    assert (total.avoided_liability_cents, total.net_cents) == (5_599_116, 847_116)


def test_g1_break_even_flow_through() -> None:
    # Below the target every rate moves with k = FT / 80 % and the release is 2 880 € × k:
    # net(k) = k × (55 991,16 − 18 720 − 2 880) − (28 800 − 2 880) = 34 391,16 k − 25 920 ≥ 0
    # ⇔ k ≥ 0,753683…, FT ≥ 60,2946… %: the lowest whole basis point is 6 030.
    assert compute_forecast(golden_input()).break_even_ft_bp == 6030


def test_g2_flow_through_above_target_pays_a_bonus() -> None:
    # FT 90 %: bonus rate min(10 %, 10 % × (90 − 80)/(100 − 80)) = 5 % of 18 720 € = 936 €; cost 48 456 €.
    total = compute_forecast(golden_input(ft_bp=9000)).total(E)
    assert (total.bonus_cents, total.malus_cents, total.cost_cents) == (93_600, 0, 4_845_600)


def test_g3_flow_through_below_target_keeps_a_malus() -> None:
    # FT 60 %: release 2 880 € × 60/80 = 2 160 €, malus 720 €; cost 47 520 − 720 = 46 800 €.
    total = compute_forecast(golden_input(ft_bp=6000)).total(E)
    assert (total.released_cents, total.malus_cents, total.cost_cents) == (216_000, 72_000, 4_680_000)


def test_g4_tier_1_avoids_no_municipal_liability_and_never_breaks_even() -> None:
    # The municipalities pay nothing for a person in T1 (share 0 %): no liability avoided at any flow-through.
    forecast = compute_forecast(golden_input(mix=(10_000, 0, 0, 0)))
    assert forecast.total(E).avoided_liability_cents == 0
    assert forecast.total(E).employed_months == 240
    assert forecast.break_even_ft_bp is None


def test_g5_rows_round_once_and_the_total_is_their_sum() -> None:
    # 3 participants in T3 (×1,2) at 333,33 € over two municipalities: 1,5 each; P × Σ = 599,994 € a row.
    # Start fee 30 % = 179,9982 € → 180,00 € a row; the total is the rows' sum 360,00 € (exact 359,9964 €).
    forecast = compute_forecast(
        golden_input(price_cents=33_333, participants=3, municipalities=("098", "398"), mix=(0, 0, 10_000, 0))
    )
    rows = forecast.by_municipality(E)
    assert list(rows) == ["098", "398"]
    assert [r.participants for r in rows.values()] == [Fraction(3, 2), Fraction(3, 2)]
    assert [r.start_fees_cents for r in rows.values()] == [18_000, 18_000]
    assert forecast.total(E).start_fees_cents == 36_000


def test_g6_partial_work_ability_adds_to_the_multiplier() -> None:
    # 10 participants in T4 (×1,4), half with partial work ability (×1,6): Σ = 5 × 1,4 + 5 × 1,6 = 15;
    # start fees 30 % × 1 000 € × 15 = 4 500 €.
    total = compute_forecast(
        golden_input(price_cents=100_000, participants=10, mix=(0, 0, 0, 10_000), partial_bp=5000)
    ).total(E)
    assert total.start_fees_cents == 450_000


def test_low_and_high_use_the_rates_range() -> None:
    # A stated rate is worth 20 starts: 40 % of 20 gives the Wilson interval 21,88–61,35 % (floor, ceiling).
    assert stated_rate(4000) == shrunk_rate(successes=0, trials=0, prior_bp=4000, source=RateSource.STATED)
    assert (stated_rate(4000).low_bp, stated_rate(4000).high_bp) == (2188, 6135)
    forecast = compute_forecast(golden_input())
    low, high = forecast.total(Scenario.LOW), forecast.total(Scenario.HIGH)
    assert low.cost_cents < 4_752_000 < high.cost_cents
    assert low.avoided_liability_cents < 5_599_116 < high.avoided_liability_cents


def test_shrinkage_toward_the_prior() -> None:
    # 5 of 8 with a prior of 40 % worth 20 starts: (5 + 8) / 28 = 46,43 %.
    rate = shrunk_rate(successes=5, trials=8, prior_bp=4000)
    assert (rate.expected_bp, rate.source, rate.successes, rate.trials) == (
        4643,
        RateSource.TRACK_RECORD,
        5,
        8,
    )
    # No history: the prior itself, marked as an assumption.
    assert shrunk_rate(successes=0, trials=0, prior_bp=4000).source is RateSource.ASSUMPTION
    # Much history: close to the observed 30 % whatever the prior: (3 000 + 20 × 90 %) / 10 020 = 30,12 %.
    assert shrunk_rate(successes=3000, trials=10_000, prior_bp=9000).expected_bp == 3012


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (57, 120)])
def test_range_without_a_prior_is_the_wilson_interval(k: int, n: int) -> None:
    rate = shrunk_rate(successes=k, trials=n, prior_bp=5000, prior_weight=0)
    interval = wilson_interval(successes=k, n=n)
    assert interval is not None
    assert rate.low_bp <= interval[0] * 10_000 < rate.low_bp + 1
    assert rate.high_bp - 1 < interval[1] * 10_000 <= rate.high_bp


def test_effective_rates_by_date_and_the_shipped_example() -> None:
    from datetime import date

    mine = LiabilityRates(
        shares_bp=((T1, 0), (T2, 2000), (T3, 3000), (T4, 4500)),
        daily_benefit_cents=3700,
        benefit_days_per_month_centi=2150,
        effective_from=date(2026, 1, 1),
        example=False,
        rate_id="r1",
    )
    assert effective_rates([mine], on=date(2025, 12, 31)) is EXAMPLE_RATES
    assert effective_rates([mine], on=date(2026, 1, 1)) is mine
    assert EXAMPLE_RATES.example is True
    assert [EXAMPLE_RATES.share_bp(t) for t in (T1, T2, T3, T4)] == [0, 2000, 3000, 4000]


def test_uncomputable_inputs_say_what_is_missing() -> None:
    with pytest.raises(ForecastError, match="unit price"):
        golden_input(price_cents=0)
    with pytest.raises(ForecastError, match="tier mix must sum"):
        golden_input(mix=(0, 5000, 0, 4000))
