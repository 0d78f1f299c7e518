"""The economic model's page: a competition's forecast, its recomputation, forecast against actual, files."""

import uuid
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response, Template

from minicompetition.tender import competitions
from outcomes.economics import actuals, files, forecasts
from outcomes.economics.schemas import ForecastIn, RatesIn
from procurement.app.web.context import WebPage
from procurement.app.web.forms import FieldErrors, Form, integer, percent_bp, text
from procurement.core.errors import InvalidInput, NotFound

Id = FromPath[uuid.UUID]
FileFormat = Annotated[Literal["csv-fi", "xlsx"], QueryParameter(name="format")]


class EconomicsPages(Controller):
    """What the buying authority's officers see of a competition's economics (SPEC 4.8)."""

    include_in_schema = False

    @get("/competitions/{competition_id:uuid}/economics", sync_to_thread=True)
    def page(self, web: WebPage, competition_id: Id) -> Template:
        caller = web.signed_in("officer")
        competition = competitions.get(web.db, caller=caller, competition_id=competition_id, now=web.now)
        try:
            forecast = forecasts.get(web.db, caller=caller, competition_id=competition_id)
        except NotFound:
            forecast = None
        report = None
        if forecast is not None and competition.state != "draft":
            report = actuals.forecast_vs_actual(
                web.db, caller=caller, competition_id=competition_id, now=web.now
            )
        return web.page("economics.html", competition=competition, forecast=forecast, report=report)

    @post("/competitions/{competition_id:uuid}/economics/forecast", sync_to_thread=True)
    def compute(self, web: WebPage, competition_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        errors = FieldErrors()
        horizon = integer(data, "horizon_months", errors, required=False)
        flow_through = percent_bp(data, "flow_through", errors) if text(data, "flow_through") else None
        if errors:
            field, message = next(iter(errors.items()))
            raise InvalidInput(message, field=field)
        assumptions = ForecastIn(
            horizon_months=horizon or 12,
            rates_bp=RatesIn(flow_through=flow_through) if flow_through is not None else None,
        )
        forecasts.compute_draft(
            web.db, caller=caller, competition_id=competition_id, data=assumptions, now=web.now
        )
        return web.back(f"/ui/competitions/{competition_id}/economics")

    @get("/competitions/{competition_id:uuid}/economics/chart.png", sync_to_thread=True)
    def chart(self, web: WebPage, competition_id: Id) -> Response[bytes]:
        caller = web.signed_in("officer")
        report = actuals.forecast_vs_actual(web.db, caller=caller, competition_id=competition_id, now=web.now)
        return Response(files.write_chart(report), media_type="image/png")

    @get("/competitions/{competition_id:uuid}/economics/export", sync_to_thread=True)
    def export(self, web: WebPage, competition_id: Id, fmt: FileFormat = "csv-fi") -> Response[bytes]:
        caller = web.signed_in("officer")
        report = actuals.forecast_vs_actual(web.db, caller=caller, competition_id=competition_id, now=web.now)
        data = files.write_csv_fi(report) if fmt == "csv-fi" else files.write_xlsx(report)
        name = f"ennuste_ja_toteuma_{report.cutoff.isoformat()}{'.csv' if fmt == 'csv-fi' else '.xlsx'}"
        return Response(
            data,
            media_type=files.MEDIA_TYPES[fmt],
            headers={
                "Content-Type": files.MEDIA_TYPES[fmt],
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )
