"""API shapes of the economic model: liability configuration, forecasts and forecast against actual."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

Bp = Annotated[int, msgspec.Meta(ge=0, le=10_000, description="basis points: 10 000 = 100 %")]
TierName = Literal["T1", "T2", "T3", "T4"]


class LiabilityRateIn(msgspec.Struct, forbid_unknown_fields=True):
    """The municipal financing share per tier and the daily benefit, in force from a date (admin)."""

    effective_from: date
    shares_bp: dict[TierName, Bp]
    daily_benefit_cents: Annotated[int, msgspec.Meta(ge=1, le=1_000_000, description="average daily benefit")]
    benefit_days_per_month_centi: Annotated[
        int, msgspec.Meta(ge=1, le=3100, description="benefit days a month in hundredths: 2150 = 21.5")
    ]
    basis: Annotated[
        str, msgspec.Meta(min_length=3, max_length=2000, description="the law or decision checked")
    ]


class LiabilityRateOut(msgspec.Struct):
    """One version of the configuration; ``example`` marks the shipped example no administrator confirmed."""

    id: uuid.UUID | None
    ring_id: uuid.UUID
    effective_from: date
    shares_bp: dict[str, int]
    daily_benefit_cents: int
    benefit_days_per_month_centi: int
    example: bool
    basis: str | None = None
    created_at: datetime | None = None
    superseded_at: datetime | None = None


class LiabilityRatesOut(msgspec.Struct):
    """The ring's configuration: the version in force today and every version (corrections included)."""

    ring_id: uuid.UUID
    in_force: LiabilityRateOut
    versions: list[LiabilityRateOut]


class RatesIn(msgspec.Struct, forbid_unknown_fields=True):
    """Expected rates the officer states instead of the track record (each optional)."""

    outcome_a: Bp | None = None
    outcome_b: Bp | None = None
    outcome_c: Bp | None = None
    flow_through: Bp | None = None
    job_start: Bp | None = None
    employed_3_months: Bp | None = None
    employed_6_months: Bp | None = None


class ForecastIn(msgspec.Struct, forbid_unknown_fields=True):
    """A draft's forecast assumptions; what is left out comes from the history or the default assumption."""

    tier_mix_bp: dict[TierName, Bp] | None = None
    partial_work_ability_bp: Bp | None = None
    rates_bp: RatesIn | None = None
    horizon_months: Annotated[int, msgspec.Meta(ge=1, le=120)] = 12


class AssumptionOut(msgspec.Struct):
    """One assumption of the forecast, its value as text and where it comes from."""

    name: str
    value: str
    source: str


class RateOut(msgspec.Struct):
    """An expected rate with its range and evidence."""

    measure: str
    low_bp: int
    expected_bp: int
    high_bp: int
    source: str
    successes: int
    trials: int
    prior_bp: int


class FigureRow(msgspec.Struct):
    """Figures of one row: a lot × municipality, a municipality, or the total (codes empty), per scenario."""

    scenario: str
    lot_code: str | None
    municipality_code: str | None
    participants: str  # exact expected participants to two decimals
    start_fees_cents: int
    withheld_cents: int
    released_cents: int
    malus_cents: int
    outcome_fees_cents: int
    bonus_cents: int
    cost_cents: int
    employed_months: str
    benefit_days: str
    avoided_liability_cents: int
    net_cents: int


class ForecastOut(msgspec.Struct):
    """A competition's forecast (SPEC 4.8) with every value it used."""

    competition_id: uuid.UUID
    kind: str  # draft or published
    computed_at: datetime
    rule_version: str
    horizon_months: int
    liability: LiabilityRateOut
    assumptions: list[AssumptionOut]
    rates: list[RateOut]
    municipalities: list[FigureRow]
    totals: list[FigureRow]
    rows: list[FigureRow]
    break_even_ft_bp: int | None
    budget_cents: int
    exceeds_budget: bool
    warnings: list[str]


class ActualRow(msgspec.Struct):
    """Forecast against actual for one contract, municipality and month."""

    contract_id: uuid.UUID
    supplier_name: str
    municipality_code: str
    month: str
    paid_cents: int
    outcomes: int
    employment_starts: int
    avoided_liability_cents: int
    forecast_cost_cents: int
    forecast_avoided_cents: int
    cost_gap_cents: int  # paid − forecast cost
    avoided_gap_cents: int  # avoided − forecast avoided


class ActualsOut(msgspec.Struct):
    """Forecast against actual of a competition during delivery, with totals."""

    competition_id: uuid.UUID
    cutoff: date
    forecast_kind: str
    liability_example: bool
    rows: list[ActualRow]
    paid_cents: int
    avoided_liability_cents: int
    forecast_cost_cents: int
    forecast_avoided_cents: int
