"""HTTP surface of the economic model: liability configuration, forecasts, forecast against actual."""

import uuid
from typing import Annotated, Literal

from litestar import Controller, Response, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from outcomes.economics import actuals, configuration, files, forecasts
from outcomes.economics.schemas import (
    ActualsOut,
    ForecastIn,
    ForecastOut,
    LiabilityRateIn,
    LiabilityRateOut,
    LiabilityRatesOut,
)
from procurement.core.http import LOCATION, CurrentCaller, DbSession, Now, created
from procurement.core.openapi import DocumentedOperation

Id = FromPath[uuid.UUID]
Format = Annotated[Literal["csv-fi", "xlsx"], QueryParameter(name="format", description="csv-fi or xlsx")]


class ActualsFileOperation(DocumentedOperation):
    """The file's real media types."""

    MEDIA = {"200": tuple(files.MEDIA_TYPES.values())}


class EconomicsController(Controller):
    """The ring's liability configuration, competitions' forecasts and forecast against actual (SPEC 4.8)."""

    tags = ["economics"]

    @post(
        "/rings/{ring_id:uuid}/liability-rates",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Store the municipal financing shares and daily benefit from a date on (admin)",
    )
    def configure(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        ring_id: Id,
        data: JSONBody[LiabilityRateIn],
        now: Now,
    ) -> Response[LiabilityRateOut]:
        out = configuration.configure(db_session, caller=caller, ring_id=ring_id, data=data, now=now)
        return created(out, location=f"/rings/{ring_id}/liability-rates/{out.id}")

    @get(
        "/rings/{ring_id:uuid}/liability-rates",
        sync_to_thread=True,
        summary="The ring's liability configuration: in force today and every version",
    )
    def list_rates(self, db_session: DbSession, ring_id: Id, now: Now) -> LiabilityRatesOut:
        return configuration.list_rates(db_session, ring_id=ring_id, now=now)

    @get(
        "/rings/{ring_id:uuid}/liability-rates/{rate_id:uuid}",
        sync_to_thread=True,
        summary="One version of the ring's liability configuration",
    )
    def get_rate(self, db_session: DbSession, ring_id: Id, rate_id: Id) -> LiabilityRateOut:
        return configuration.get_rate(db_session, ring_id=ring_id, rate_id=rate_id)

    @put(
        "/competitions/{competition_id:uuid}/forecast",
        status_code=200,
        sync_to_thread=True,
        summary="Compute a draft's forecast under stated assumptions (officer of the buyer)",
    )
    def compute(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: Id,
        data: JSONBody[ForecastIn],
        now: Now,
    ) -> ForecastOut:
        return forecasts.compute_draft(
            db_session, caller=caller, competition_id=competition_id, data=data, now=now
        )

    @get(
        "/competitions/{competition_id:uuid}/forecast",
        sync_to_thread=True,
        summary="The competition's forecast: as published, or the draft's latest (officer of the buyer)",
    )
    def forecast(self, db_session: DbSession, caller: CurrentCaller, competition_id: Id) -> ForecastOut:
        return forecasts.get(db_session, caller=caller, competition_id=competition_id)

    @get(
        "/competitions/{competition_id:uuid}/forecast-vs-actual",
        sync_to_thread=True,
        summary="Forecast against actual by contract, municipality and month (officer of the buyer)",
    )
    def versus(
        self, db_session: DbSession, caller: CurrentCaller, competition_id: Id, now: Now
    ) -> ActualsOut:
        return actuals.forecast_vs_actual(db_session, caller=caller, competition_id=competition_id, now=now)

    @get(
        "/competitions/{competition_id:uuid}/forecast-vs-actual/export",
        sync_to_thread=True,
        operation_class=ActualsFileOperation,
        summary="Forecast against actual as CSV (Finnish Excel) or XLSX (officer of the buyer)",
    )
    def export(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: Id,
        now: Now,
        fmt: Format = "csv-fi",
    ) -> Response[bytes]:
        report = actuals.forecast_vs_actual(db_session, caller=caller, competition_id=competition_id, now=now)
        data = files.write_csv_fi(report) if fmt == "csv-fi" else files.write_xlsx(report)
        suffix = ".csv" if fmt == "csv-fi" else ".xlsx"
        name = f"ennuste_ja_toteuma_{competition_id}_{report.cutoff.isoformat()}{suffix}"
        return Response(
            data,
            media_type=files.MEDIA_TYPES[fmt],
            headers={
                # Set here in full: the framework would add a second charset to a text/ media type.
                "Content-Type": files.MEDIA_TYPES[fmt],
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )
