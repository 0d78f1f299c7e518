"""The forecast's rates from the registry's history: matured starts, verified outcomes, shrinkage."""

from sqlmodel import Session

from outcomes.economics.estimates import RateSource
from outcomes.economics.inputs import gather
from outcomes.economics.schemas import ForecastIn
from procurement.core.clock import helsinki_today, utc_now
from procurement.core.settings import Settings
from tests.factories.outcomes import make_cohorts, make_outcome_world


def test_rates_come_from_the_track_record_shrunk_toward_the_prior(
    session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session, suppliers=2)
    today = helsinki_today(utc_now())
    make_cohorts(session, ow, settings=settings, today=today)
    gathered = gather(session, competition=ow.awarded.competition, data=ForecastIn(), today=today)
    rates = gathered.rates
    # Six starts are 195–200 days old (at least 180): five have a verified job on day 20.
    # (5 + 20 × 40 %) / (6 + 20) = 50 %.
    job = rates["outcome_a"]
    assert (job.successes, job.trials, job.expected_bp, job.source) == (5, 6, 5000, RateSource.TRACK_RECORD)
    # Nobody is 270 days past the start yet: the prior stands in, as an assumption.
    assert (rates["outcome_b"].trials, rates["outcome_b"].expected_bp) == (0, 3000)
    assert rates["outcome_b"].source is RateSource.ASSUMPTION
    # Flow-through as the register pools it: 5 of 8 matured starts; (5 + 20 × 65 %) / (8 + 20) = 64,29 %.
    ft = rates["flow_through"]
    assert (ft.successes, ft.trials, ft.expected_bp) == (5, 8, 6429)
    # Fewer than 20 referrals in the last year: the tier mix is the default assumption.
    mix = next(a for a in gathered.assumptions if a.name == "tier mix (bp)")
    assert (mix.value, mix.source) == ("T1 2500, T2 2500, T3 2500, T4 2500", "assumption")
