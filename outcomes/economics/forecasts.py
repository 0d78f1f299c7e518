"""Use cases of a competition's forecast: compute a draft's, store it at publication, read it."""

import uuid
from datetime import datetime
from typing import Any

import msgspec
from sqlmodel import Session, select

from minicompetition.tender import access
from minicompetition.tender.models import Competition
from outcomes.economics.estimates import Scenario
from outcomes.economics.inputs import gather
from outcomes.economics.models import CompetitionForecast
from outcomes.economics.rules import ForecastError, compute_forecast
from outcomes.economics.schemas import ForecastIn, ForecastOut
from outcomes.economics.shaping import forecast_out
from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.clock import helsinki_today
from procurement.core.errors import Conflict, InvalidInput, NotFound
from procurement.ring.models import Dps


def _compute(
    session: Session, competition: Competition, *, data: ForecastIn, kind: str, now: datetime
) -> ForecastOut:
    gathered = gather(session, competition=competition, data=data, today=helsinki_today(now))
    forecast = compute_forecast(gathered.input)
    dps = session.get(Dps, competition.dps_id)
    assert dps is not None  # noqa: S101 (foreign key)
    return forecast_out(
        competition_id=competition.id,
        ring_id=dps.ring_id,
        kind=kind,
        computed_at=now,
        gathered=gathered,
        forecast=forecast,
    )


def _store(
    session: Session, *, competition: Competition, out: ForecastOut, assumptions: ForecastIn, caller: Caller
) -> CompetitionForecast:
    row = session.exec(
        select(CompetitionForecast)
        .where(CompetitionForecast.competition_id == competition.id, CompetitionForecast.kind == out.kind)
        .with_for_update()
    ).first()
    if row is None:
        row = CompetitionForecast(competition_id=competition.id, kind=out.kind)  # type: ignore[call-arg]
    totals = {t.scenario: t for t in out.totals}
    expected = totals[Scenario.EXPECTED.value]
    row.assumptions = msgspec.to_builtins(assumptions)
    row.forecast = msgspec.to_builtins(out)
    row.liability_rate_id = out.liability.id
    row.liability_example = out.liability.example
    row.low_cost_cents = totals[Scenario.LOW.value].cost_cents
    row.expected_cost_cents = expected.cost_cents
    row.high_cost_cents = totals[Scenario.HIGH.value].cost_cents
    row.avoided_liability_cents = expected.avoided_liability_cents
    row.net_effect_cents = expected.net_cents
    row.break_even_ft_bp = out.break_even_ft_bp
    row.horizon_months = out.horizon_months
    row.rule_version = out.rule_version
    row.computed_by = caller.id
    row.computed_at = out.computed_at
    session.add(row)
    session.flush()
    return row


def _audit_after(row: CompetitionForecast) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "assumptions": row.assumptions,
        "liability_rate_id": row.liability_rate_id,
        "liability_example": row.liability_example,
        "cost_cents": [row.low_cost_cents, row.expected_cost_cents, row.high_cost_cents],
        "avoided_liability_cents": row.avoided_liability_cents,
        "net_effect_cents": row.net_effect_cents,
        "break_even_ft_bp": row.break_even_ft_bp,
    }


def compute_draft(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, data: ForecastIn, now: datetime
) -> ForecastOut:
    """An officer of the buyer computes a draft's forecast under stated assumptions; it replaces the last."""
    competition, _ = access.load(session, competition_id, lock="update")
    access.require_buying_officer(caller, competition)
    if competition.state != "draft":
        raise Conflict(
            f"The competition is '{competition.state}'; its forecast was fixed when it was published.",
            current_state=competition.state,
        )
    if data.tier_mix_bp is not None and (
        len(data.tier_mix_bp) != 4 or sum(data.tier_mix_bp.values()) != 10_000
    ):
        raise InvalidInput(
            "The tier mix gives T1–T4 shares that sum to 10 000 basis points.", field="tier_mix_bp"
        )
    try:
        out = _compute(session, competition, data=data, kind="draft", now=now)
    except ForecastError as exc:
        # The assumptions are valid; the stored draft gives no forecast (edit it, then compute again).
        raise Conflict(f"No forecast can be computed from the draft as it stands: {exc}.") from exc
    row = _store(session, competition=competition, out=out, assumptions=data, caller=caller)
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="competition.forecast_computed",
        at=now,
        after=_audit_after(row),
    )
    return out


def _assumptions_of(session: Session, competition_id: uuid.UUID) -> ForecastIn:
    row = session.exec(
        select(CompetitionForecast).where(
            CompetitionForecast.competition_id == competition_id, CompetitionForecast.kind == "draft"
        )
    ).first()
    return msgspec.convert(row.assumptions, ForecastIn) if row else ForecastIn()


def store_at_publication(
    session: Session, *, caller: Caller, competition_id: uuid.UUID, now: datetime
) -> None:
    """Publication's hook: the draft's assumptions (or the defaults) computed now and stored for good.

    Refuses (409) when the competition's stored terms give no forecast: SPEC 3's "economically modellable".
    """
    competition, _ = access.load(session, competition_id, lock="update")
    data = _assumptions_of(session, competition.id)
    try:
        out = _compute(session, competition, data=data, kind="published", now=now)
    except ForecastError as exc:
        raise Conflict(
            f"The competition cannot be published without a forecast, and none can be computed: {exc}. "
            "Edit the draft (a maximum unit price or a budget, lots with demand) and publish again. "
            "Nothing was published."
        ) from exc
    row = _store(session, competition=competition, out=out, assumptions=data, caller=caller)
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="competition.forecast_published",
        at=now,
        after=_audit_after(row),
    )


def get(session: Session, *, caller: Caller, competition_id: uuid.UUID) -> ForecastOut:
    """The stored forecast (the published one once published) for the buying authority's officers."""
    competition, _ = access.load(session, competition_id)
    access.require_buying_officer(caller, competition)
    row = stored(session, competition.id)
    if row is None:
        raise NotFound("No forecast has been computed for this competition yet (PUT its forecast).")
    return msgspec.convert(row.forecast, ForecastOut)


def stored(session: Session, competition_id: uuid.UUID) -> CompetitionForecast | None:
    """The forecast a competition was published with, or its draft's."""
    rows = {
        r.kind: r
        for r in session.exec(
            select(CompetitionForecast).where(CompetitionForecast.competition_id == competition_id)
        )
    }
    return rows.get("published") or rows.get("draft")
