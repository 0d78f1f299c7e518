"""A draft's forecast input: lots, payment model, stated assumptions, the history and the liability."""

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from sqlmodel import Session

from minicompetition.tender.models import Competition
from minicompetition.tender.terms import lots_of
from outcomes.economics import history
from outcomes.economics.configuration import in_force
from outcomes.economics.estimates import Rate, RateSource, capped_chain, shrunk_rate, stated_rate
from outcomes.economics.rules import Durations, ForecastError, ForecastInput, LotPlan
from outcomes.economics.schemas import AssumptionOut, ForecastIn
from outcomes.payments.contract_terms import payment_model_of
from outcomes.payments.model import PaymentRuleError
from outcomes.tracking.rules import EVENT_COMPONENTS, JOB_STARTS, BenefitDaysTier, Category
from procurement.core.money import BP_SCALE, round_half_up, split_largest_remainder
from procurement.ring.models import Dps

# Design decision (docs/economics.md): the priors the history is shrunk toward, and stand in for it when a
# category has none. They are assumptions, shown as such in every forecast, and the officer may state others.
PRIOR_BP: dict[str, dict[str, int]] = {
    "EMPLOYMENT": {"outcome_a": 4000, "outcome_b": 3000, "outcome_c": 2200, "job_start": 4000},
    "COMPETENCE": {"outcome_a": 5000, "outcome_b": 3500, "job_start": 2500},
    "INCLUSION": {"outcome_a": 4000, "outcome_b": 2500, "job_start": 1000},
}
PRIOR_FT_BP = 6500
RETENTION_BP = {"employed_3_months": 6000, "employed_6_months": 4500}  # of job starts, outside EMPLOYMENT
DEFAULT_MIX_BP = {"T1": 2500, "T2": 2500, "T3": 2500, "T4": 2500}
DEFAULT_PARTIAL_BP = 1000
# Days after the start by which an outcome has had its chance: a job within 180 days, 3 and 6 months after.
WITHIN_DAYS = {"outcome_a": 180, "outcome_b": 270, "outcome_c": 365, "job_start": 180}


@dataclass(frozen=True)
class Gathered:
    """The rules' input and the assumptions list the officer sees."""

    input: ForecastInput
    assumptions: list[AssumptionOut]
    rates: dict[str, Rate]


def _lot_plans(session: Session, competition: Competition, notes: list[AssumptionOut]) -> tuple[LotPlan, ...]:
    lots = lots_of(session, competition)
    demand = sum(x.demand for x in lots)
    if not lots or demand <= 0:
        raise ForecastError("the competition has no lot with demand")
    per_participant = round_half_up(Fraction(competition.budget_cents, demand))
    plans = []
    for lot in lots:
        price = lot.max_unit_price_cents or per_participant
        source = "lot maximum unit price" if lot.max_unit_price_cents else "budget ÷ demand"
        notes.append(AssumptionOut(name=f"unit price {lot.code}", value=str(price), source=source))
        plans.append(
            LotPlan(
                code=lot.code,
                municipality_codes=tuple(lot.municipality_codes),
                participants=lot.demand,
                unit_price_cents=price,
            )
        )
    notes.append(AssumptionOut(name="municipalities of a lot", value="equal shares", source="assumption"))
    return tuple(plans)


def _mix(
    session: Session, competition: Competition, data: ForecastIn, today: date, notes: list[AssumptionOut]
) -> tuple[tuple[tuple[BenefitDaysTier, int], ...], int]:
    counts = history.recent_tier_counts(session, authority_id=competition.authority_id, today=today)
    mix: dict[str, int]
    if data.tier_mix_bp is not None:
        mix, source = {str(k): v for k, v in data.tier_mix_bp.items()}, RateSource.STATED.value
        if set(mix) != set(DEFAULT_MIX_BP):
            raise ForecastError("a stated tier mix gives a share for each of T1–T4")
    elif counts.total >= history.MIX_MIN_REFERRALS:
        parts = split_largest_remainder(BP_SCALE, [counts.by_tier[t] for t in DEFAULT_MIX_BP])
        mix, source = (
            dict(zip(DEFAULT_MIX_BP, parts, strict=True)),
            f"{counts.total} referrals of the last year",
        )
    else:
        mix, source = dict(DEFAULT_MIX_BP), RateSource.ASSUMPTION.value
    if data.partial_work_ability_bp is not None:
        partial, partial_source = data.partial_work_ability_bp, RateSource.STATED.value
    elif counts.total >= history.MIX_MIN_REFERRALS:
        partial = round_half_up(Fraction(BP_SCALE * counts.partial, counts.total))
        partial_source = f"{counts.total} referrals of the last year"
    else:
        partial, partial_source = DEFAULT_PARTIAL_BP, RateSource.ASSUMPTION.value
    notes.append(AssumptionOut(name="tier mix (bp)", value=_text(mix), source=source))
    notes.append(AssumptionOut(name="partial work ability (bp)", value=str(partial), source=partial_source))
    return tuple((BenefitDaysTier(t), int(mix[t])) for t in DEFAULT_MIX_BP), partial


def _text(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in values.items())


def _rate(
    session: Session,
    competition: Competition,
    *,
    measure: str,
    stated: int | None,
    event_types: tuple[str, ...],
    prior_bp: int,
    today: date,
) -> Rate:
    if stated is not None:
        return stated_rate(stated)
    counts = history.outcome_counts(
        session,
        dps_id=competition.dps_id,
        category_code=competition.category_code,
        event_types=event_types,
        within_days=WITHIN_DAYS[measure],
        cutoff=today,
    )
    return shrunk_rate(successes=counts.successes, trials=counts.trials, prior_bp=prior_bp)


def _rates(session: Session, competition: Competition, data: ForecastIn, today: date) -> dict[str, Rate]:
    category = Category(competition.category_code)
    stated = data.rates_bp
    priors = PRIOR_BP[category.value]
    by_component: dict[str, list[str]] = {}
    for event_type, paid in EVENT_COMPONENTS[category].items():
        if paid is not None and paid.value != "start":
            by_component.setdefault(paid.value, []).append(event_type.value)
    rates: dict[str, Rate] = {}
    for component, types in sorted(by_component.items()):
        rates[component] = _rate(
            session,
            competition,
            measure=component,
            stated=getattr(stated, component, None) if stated else None,
            event_types=tuple(sorted(types)),
            prior_bp=priors.get(component, 0),
            today=today,
        )
    ft_stated = stated.flow_through if stated else None
    if ft_stated is not None:
        rates["flow_through"] = stated_rate(ft_stated)
    else:
        counts = history.flow_through_counts(
            session, dps_id=competition.dps_id, category_code=competition.category_code, cutoff=today
        )
        rates["flow_through"] = shrunk_rate(
            successes=counts.successes, trials=counts.trials, prior_bp=PRIOR_FT_BP
        )
    rates.update(_employment(session, competition, data, today, rates))
    return rates


def _employment(
    session: Session, competition: Competition, data: ForecastIn, today: date, rates: dict[str, Rate]
) -> dict[str, Rate]:
    """Job start, 3 and 6 months employed: the EMPLOYMENT outcomes themselves, elsewhere a job rate and
    the assumed share of jobs that last."""
    stated = data.rates_bp
    if competition.category_code == Category.EMPLOYMENT.value:
        chain = [rates["outcome_a"], rates["outcome_b"], rates["outcome_c"]]
    else:
        job = _rate(
            session,
            competition,
            measure="job_start",
            stated=stated.job_start if stated else None,
            event_types=tuple(sorted(t.value for t in JOB_STARTS)),
            prior_bp=PRIOR_BP[competition.category_code]["job_start"],
            today=today,
        )
        chain = [job] + [
            Rate(
                low_bp=round_half_up(Fraction(job.low_bp * RETENTION_BP[m], BP_SCALE)),
                expected_bp=round_half_up(Fraction(job.expected_bp * RETENTION_BP[m], BP_SCALE)),
                high_bp=round_half_up(Fraction(job.high_bp * RETENTION_BP[m], BP_SCALE)),
                source=RateSource.ASSUMPTION,
                prior_bp=RETENTION_BP[m],
            )
            for m in RETENTION_BP
        ]
    names = ("job_start", "employed_3_months", "employed_6_months")
    for i, name in enumerate(names):
        value = getattr(stated, name, None) if stated else None
        if value is not None:
            chain[i] = stated_rate(value)
    return dict(zip(names, capped_chain(tuple(chain)), strict=True))


def gather(session: Session, *, competition: Competition, data: ForecastIn, today: date) -> Gathered:
    """Everything the forecast rests on; ForecastError names what is missing."""
    notes: list[AssumptionOut] = []
    if competition.category_code not in PRIOR_BP:
        raise ForecastError(f"the economic model knows no category '{competition.category_code}'")
    try:
        model = payment_model_of(competition.payment_model, category=competition.category_code)
    except (PaymentRuleError, ValueError, KeyError) as exc:
        raise ForecastError(f"the payment model cannot be read ({exc})") from exc
    lots = _lot_plans(session, competition, notes)
    mix, partial = _mix(session, competition, data, today, notes)
    rates = _rates(session, competition, data, today)
    dps = session.get(Dps, competition.dps_id)
    assert dps is not None  # noqa: S101 (foreign key)
    liability = in_force(session, ring_id=dps.ring_id, on=today)
    durations = Durations(horizon_months=data.horizon_months)
    notes.extend(
        [
            AssumptionOut(name="horizon (months)", value=str(durations.horizon_months), source="stated"),
            AssumptionOut(name="first job after start (months)", value="3", source="assumption"),
            AssumptionOut(name="a job short of 3 months lasts (months)", value="1.5", source="assumption"),
            AssumptionOut(
                name="a job of 3 but not 6 months lasts (months)", value="4.5", source="assumption"
            ),
            AssumptionOut(
                name="outcome rates follow flow-through", value="in proportion", source="assumption"
            ),
        ]
    )
    inp = ForecastInput(
        model=model,
        lots=lots,
        tier_mix_bp=mix,
        partial_work_ability_bp=partial,
        component_rates=tuple(
            (c, rates[c.value]) for c, s in model.shares_bp if c.value != "start" and c.value in rates
        ),
        flow_through=rates["flow_through"],
        employment=(rates["job_start"], rates["employed_3_months"], rates["employed_6_months"]),
        liability=liability,
        durations=durations,
        budget_cents=competition.budget_cents,
    )
    return Gathered(input=inp, assumptions=notes, rates=rates)
