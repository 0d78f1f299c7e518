"""Forecast against actual during delivery, by contract, municipality and month (SPEC 4.8)."""

import uuid
from collections import defaultdict
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import text
from sqlmodel import Session, col, select

from minicompetition.award.models import Contract, ContractLot
from minicompetition.tender import access
from minicompetition.tender.models import Lot
from outcomes.economics.actual_rules import Employment, avoided_by_month, months_between, phase_evenly
from outcomes.economics.forecasts import stored
from outcomes.economics.history import COUNTED_STATES
from outcomes.economics.liability import LiabilityRates
from outcomes.economics.schemas import ActualRow, ActualsOut
from outcomes.tracking.rules import JOB_STARTS, BenefitDaysTier
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import NotFound
from procurement.core.money import round_half_up
from registry.models import Supplier

Key = tuple[str, str, str]  # contract id, municipality code, month

# Lines of a period whose payment basis is computed (closed, approved or exported) are what is paid.
_PAID = text(
    """
    SELECT l.contract_id, l.home_municipality_code, p.month, sum(l.amount_cents) AS cents
    FROM payment_line l JOIN payment_period p ON p.id = l.period_id
    WHERE l.contract_id = ANY(:contracts) AND l.status = 'payable'
      AND p.state IN ('closed', 'approved', 'exported')
    GROUP BY 1, 2, 3
    """
)
_OUTCOMES = text(
    """
    SELECT r.contract_id, r.home_municipality_code, to_char(e.event_date, 'YYYY-MM') AS month,
           count(*) FILTER (WHERE e.event_type <> 'service_start') AS outcomes,
           count(*) FILTER (WHERE e.event_type = ANY(:jobs)) AS jobs
    FROM outcome_event e JOIN referral r ON r.id = e.referral_id
    WHERE r.contract_id = ANY(:contracts) AND e.state = ANY(:states) AND e.event_date <= :cutoff
    GROUP BY 1, 2, 3
    """
)
_FIRST_STARTS = text(
    "SELECT contract_id, min(started_on) FROM referral WHERE contract_id = ANY(:contracts) GROUP BY 1"
)
_JOBS = text(
    """
    SELECT r.contract_id, r.home_municipality_code, r.tier, e.event_date, e.end_date,
           coalesce(r.started_on, r.referred_on) AS service_start
    FROM outcome_event e JOIN referral r ON r.id = e.referral_id
    WHERE r.contract_id = ANY(:contracts) AND e.state = ANY(:states) AND e.event_type = ANY(:jobs)
      AND e.event_date <= :cutoff
    """
)


def _liability(data: dict[str, object]) -> LiabilityRates:
    """The liability values the forecast recorded: the actual is estimated with the same."""
    shares = data["shares_bp"]
    assert isinstance(shares, dict)  # noqa: S101 (stored by the forecast)
    return LiabilityRates(
        shares_bp=tuple((BenefitDaysTier(t), int(v)) for t, v in sorted(shares.items())),
        daily_benefit_cents=int(str(data["daily_benefit_cents"])),
        benefit_days_per_month_centi=int(str(data["benefit_days_per_month_centi"])),
        effective_from=date.fromisoformat(str(data["effective_from"])),
        example=bool(data["example"]),
    )


def delivery_starts(session: Session, contracts: list[Contract]) -> dict[uuid.UUID, date]:
    """When each contract's delivery began: its first service start, or its conclusion if that was earlier."""
    first = {
        cid: day for cid, day in session.execute(_FIRST_STARTS, {"contracts": [c.id for c in contracts]})
    }
    return {
        c.id: min(helsinki_today(c.concluded_at), first.get(c.id) or helsinki_today(c.concluded_at))
        for c in contracts
    }


def _forecast_cells(
    session: Session, contracts: list[Contract], rows: list[dict[str, object]], horizon: int
) -> tuple[dict[Key, int], dict[Key, int]]:
    """The expected forecast of each lot × municipality, shared by the contracts' awarded volumes and spread
    evenly over the horizon from the month each contract's delivery began."""
    demand = {
        lot.code: lot.demand
        for lot in session.exec(
            select(Lot).where(col(Lot.competition_id).in_({c.competition_id for c in contracts}))
        )
    }
    cost: dict[Key, int] = defaultdict(int)
    avoided: dict[Key, int] = defaultdict(int)
    lots = session.exec(
        select(ContractLot).where(col(ContractLot.contract_id).in_([c.id for c in contracts]))
    ).all()
    concluded = delivery_starts(session, contracts)
    for lot in lots:
        share = Fraction(lot.volume, demand.get(lot.lot_code, lot.volume) or 1)
        for row in rows:
            if row["scenario"] != "expected" or row["lot_code"] != lot.lot_code:
                continue
            municipality = str(row["municipality_code"])
            for target, name in ((cost, "cost_cents"), (avoided, "avoided_liability_cents")):
                total = round_half_up(share * int(str(row[name])))
                for month, cents in phase_evenly(
                    total, first_month=concluded[lot.contract_id], months=horizon
                ).items():
                    target[(str(lot.contract_id), municipality, month)] += cents
    return cost, avoided


def forecast_vs_actual(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, now: datetime
) -> ActualsOut:
    """Paid amounts, outcomes and estimated avoided liability against the stored forecast, month by month."""
    competition, _ = access.load(session, competition_id)
    access.require_buying_officer(caller, competition)
    forecast = stored(session, competition.id)
    if forecast is None:
        raise NotFound("This competition has no forecast to compare with.")
    cutoff = helsinki_today(now)
    contracts = list(
        session.exec(
            select(Contract)
            .where(Contract.competition_id == competition.id)
            .order_by(col(Contract.concluded_at), col(Contract.id))
        )
    )
    ids = [c.id for c in contracts]
    horizon = forecast.horizon_months
    liability = _liability(forecast.forecast["liability"])
    f_cost, f_avoided = (
        _forecast_cells(session, contracts, forecast.forecast["rows"], horizon) if contracts else ({}, {})
    )
    paid: dict[Key, int] = defaultdict(int)
    for cid, code, month, cents in session.execute(_PAID, {"contracts": ids}).all():
        paid[(str(cid), code, month)] += int(cents)
    jobs = sorted(t.value for t in JOB_STARTS)
    counted = {"contracts": ids, "states": list(COUNTED_STATES), "jobs": jobs, "cutoff": cutoff}
    outcomes: dict[Key, tuple[int, int]] = {}
    for cid, code, month, n, j in session.execute(_OUTCOMES, counted).all():
        outcomes[(str(cid), code, month)] = (int(n), int(j))
    avoided: dict[Key, Fraction] = defaultdict(Fraction)
    for cid, code, tier, start, end, service_start in session.execute(_JOBS, counted).all():
        job = Employment(start=start, end=end, service_start=service_start, tier=BenefitDaysTier(tier))
        for month, cents in avoided_by_month(
            job, liability=liability, cutoff=cutoff, horizon_months=horizon
        ).items():
            avoided[(str(cid), code, month)] += cents
    starts = delivery_starts(session, contracts)
    shown_months = set(months_between(min(starts.values()), cutoff)) if contracts else set()
    keys = (
        {k for k in (*f_cost, *f_avoided) if k[2] in shown_months} | set(paid) | set(outcomes) | set(avoided)
    )
    names = _supplier_names(session, contracts)
    rows = [_row(k, names, paid, outcomes, avoided, f_cost, f_avoided) for k in sorted(keys)]
    return ActualsOut(
        competition_id=competition.id,
        cutoff=cutoff,
        forecast_kind=forecast.kind,
        liability_example=forecast.liability_example,
        rows=rows,
        paid_cents=sum(r.paid_cents for r in rows),
        avoided_liability_cents=sum(r.avoided_liability_cents for r in rows),
        forecast_cost_cents=sum(r.forecast_cost_cents for r in rows),
        forecast_avoided_cents=sum(r.forecast_avoided_cents for r in rows),
    )


def _supplier_names(session: Session, contracts: list[Contract]) -> dict[str, str]:
    suppliers = {
        s.id: s.name
        for s in session.exec(
            select(Supplier).where(col(Supplier.id).in_({c.supplier_id for c in contracts}))
        )
    }
    return {str(c.id): suppliers.get(c.supplier_id, "") for c in contracts}


def _row(
    key: Key,
    names: dict[str, str],
    paid: dict[Key, int],
    outcomes: dict[Key, tuple[int, int]],
    avoided: dict[Key, Fraction],
    f_cost: dict[Key, int],
    f_avoided: dict[Key, int],
) -> ActualRow:
    contract_id, municipality, month = key
    avoided_cents = round_half_up(avoided.get(key, Fraction(0)))
    reached, jobs = outcomes.get(key, (0, 0))
    return ActualRow(
        contract_id=uuid.UUID(contract_id),
        supplier_name=names.get(contract_id, ""),
        municipality_code=municipality,
        month=month,
        paid_cents=paid.get(key, 0),
        outcomes=reached,
        employment_starts=jobs,
        avoided_liability_cents=avoided_cents,
        forecast_cost_cents=f_cost.get(key, 0),
        forecast_avoided_cents=f_avoided.get(key, 0),
        cost_gap_cents=paid.get(key, 0) - f_cost.get(key, 0),
        avoided_gap_cents=avoided_cents - f_avoided.get(key, 0),
    )
