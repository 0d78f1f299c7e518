"""A computed forecast shaped for the API, the page and storage (every value it used, no floats)."""

import uuid
from datetime import datetime
from fractions import Fraction

from outcomes.economics.configuration import rate_out
from outcomes.economics.estimates import SCENARIOS, Scenario
from outcomes.economics.inputs import Gathered
from outcomes.economics.rules import Figures, Forecast
from outcomes.economics.schemas import FigureRow, ForecastOut, RateOut
from procurement.core.money import round_half_up


def decimal_text(value: Fraction, places: int = 2) -> str:
    """An exact value as a plain decimal with ``places`` decimals, half up (display only)."""
    scaled = round_half_up(value * 10**places)
    sign = "-" if scaled < 0 else ""
    whole, rest = divmod(abs(scaled), 10**places)
    return f"{sign}{whole}.{rest:0{places}d}" if places else f"{sign}{whole}"


def figure_row(
    figures: Figures, *, scenario: Scenario, lot: str | None, municipality: str | None
) -> FigureRow:
    """One row of figures."""
    return FigureRow(
        scenario=scenario.value,
        lot_code=lot,
        municipality_code=municipality,
        participants=decimal_text(figures.participants),
        start_fees_cents=figures.start_fees_cents,
        withheld_cents=figures.withheld_cents,
        released_cents=figures.released_cents,
        malus_cents=figures.malus_cents,
        outcome_fees_cents=figures.outcome_fees_cents,
        bonus_cents=figures.bonus_cents,
        cost_cents=figures.cost_cents,
        employed_months=decimal_text(figures.employed_months),
        benefit_days=decimal_text(figures.benefit_days),
        avoided_liability_cents=figures.avoided_liability_cents,
        net_cents=figures.net_cents,
    )


def _warnings(gathered: Gathered, forecast: Forecast) -> list[str]:
    warnings = []
    inp = gathered.input
    if inp.liability.example:
        warnings.append(
            "The liability figures are the shipped example (0/20/30/40 %, 36,17 € a day): an administrator "
            "must check them against the law in force and store the ring's own."
        )
    assumed = sorted(k for k, r in gathered.rates.items() if r.trials == 0 and r.source.value == "assumption")
    if assumed:
        warnings.append(
            f"No history in the category for: {', '.join(assumed)}; the default assumptions stand in."
        )
    if inp.budget_cents and forecast.total(Scenario.HIGH).cost_cents > inp.budget_cents:
        warnings.append("The high case costs more than the budget.")
    return warnings


def forecast_out(
    *,
    competition_id: uuid.UUID,
    ring_id: uuid.UUID,
    kind: str,
    computed_at: datetime,
    gathered: Gathered,
    forecast: Forecast,
) -> ForecastOut:
    """The forecast with its rows, per-municipality and total figures, assumptions and rates."""
    inp = gathered.input
    municipalities = [
        figure_row(f, scenario=s, lot=None, municipality=code)
        for s in SCENARIOS
        for code, f in forecast.by_municipality(s).items()
    ]
    return ForecastOut(
        competition_id=competition_id,
        kind=kind,
        computed_at=computed_at,
        rule_version=forecast.rule_version,
        horizon_months=inp.durations.horizon_months,
        liability=rate_out(inp.liability, ring_id=ring_id),
        assumptions=gathered.assumptions,
        rates=[
            RateOut(
                measure=name,
                low_bp=r.low_bp,
                expected_bp=r.expected_bp,
                high_bp=r.high_bp,
                source=r.source.value,
                successes=r.successes,
                trials=r.trials,
                prior_bp=r.prior_bp,
            )
            for name, r in gathered.rates.items()
        ],
        municipalities=municipalities,
        totals=[figure_row(forecast.total(s), scenario=s, lot=None, municipality=None) for s in SCENARIOS],
        rows=[
            figure_row(r.figures, scenario=r.scenario, lot=r.lot_code, municipality=r.municipality_code)
            for r in forecast.rows
        ],
        break_even_ft_bp=forecast.break_even_ft_bp,
        budget_cents=inp.budget_cents,
        exceeds_budget=bool(inp.budget_cents) and forecast.total(Scenario.HIGH).cost_cents > inp.budget_cents,
        warnings=_warnings(gathered, forecast),
    )
