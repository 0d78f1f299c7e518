"""Finance pages: payment periods per authority, close, approve, export, and downloads with manifests."""

import uuid
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response, Template

from outcomes.payments import files as payment_files
from outcomes.payments import periods as payment_service
from outcomes.payments.basis import ExportFormat
from outcomes.payments.schemas import PeriodIn
from outcomes.payments.summaries import period_summary
from procurement.app.web.context import WebPage
from procurement.app.web.forms import Form, text, typed
from procurement.app.web.listing import walk
from procurement.core.clock import helsinki_today

Id = FromPath[uuid.UUID]
EXPORTABLE = ("approved", "exported")


class FinancePages(Controller):
    """What finance (and the approving officer) do with a month's payment basis."""

    include_in_schema = False

    @get("/finance", sync_to_thread=True)
    def periods(self, web: WebPage) -> Template:
        caller = web.signed_in("finance", "officer")
        page = walk(
            lambda p: payment_service.list_periods(web.db, caller=caller, page=p),
            query=dict(web.request.query_params),
            path="/ui/finance",
        )
        today = helsinki_today(web.now)
        last_month = f"{today.year - (today.month == 1)}-{(today.month - 2) % 12 + 1:02d}"
        # Newest month first: last month's period, if it exists, is on the first page.
        opened = {p.month for p in page.rows}
        suggested = last_month if last_month not in opened and page.first_link is None else ""
        return web.page(
            "finance.html", periods=page.rows, page=page, suggested=suggested, this_month=f"{today:%Y-%m}"
        )

    @post("/finance/periods", sync_to_thread=True)
    def create(self, web: WebPage, data: Form) -> Redirect:
        caller = web.signed_in("finance")
        month = typed(PeriodIn, {"month": text(data, "month")}).month
        period = payment_service.create_period(web.db, caller=caller, month=month, now=web.now)
        return web.back(f"/ui/finance/periods/{period.id}", done="period_opened")

    @get("/finance/periods/{period_id:uuid}", sync_to_thread=True)
    def period(self, web: WebPage, period_id: Id) -> Template:
        caller = web.signed_in("finance", "officer")
        found = payment_service.get_period(web.db, caller=caller, period_id=period_id)
        manifests = []
        if found.state in EXPORTABLE and caller.role == "finance":
            manifests = [
                payment_files.manifest(web.db, caller=caller, period_id=period_id, fmt=fmt, now=web.now)
                for fmt in ExportFormat
            ]
        summary = (
            period_summary(web.db, caller=caller, period_id=period_id) if found.state != "open" else None
        )
        month_over = found.month < f"{helsinki_today(web.now):%Y-%m}"
        return web.page(
            "period.html", period=found, manifests=manifests, summary=summary, month_over=month_over
        )

    @post("/finance/periods/{period_id:uuid}/close", sync_to_thread=True)
    def close(self, web: WebPage, period_id: Id, data: Form) -> Any:
        caller = web.signed_in("finance")
        asked = web.confirm(
            data,
            title=web.t("Close the period and compute its payment lines?"),
            facts=[
                web.t(
                    "The lines are computed from the verified events; a closed period never changes "
                    "(corrections go to a later period)."
                )
            ],
            button=web.t("Close and compute the period"),
            back=f"/ui/finance/periods/{period_id}",
        )
        if asked is not None:
            return asked
        payment_service.close_period(web.db, caller=caller, period_id=period_id, now=web.now)
        return web.back(f"/ui/finance/periods/{period_id}", done="closed")

    @post("/finance/periods/{period_id:uuid}/approve", sync_to_thread=True)
    def approve(self, web: WebPage, period_id: Id, data: Form) -> Any:
        caller = web.signed_in("officer")
        asked = web.confirm(
            data,
            title=web.t("Approve the period for export?"),
            facts=[web.t("Finance can then export the payment basis; the amounts no longer change.")],
            button=web.t("Approve"),
            back=f"/ui/finance/periods/{period_id}",
        )
        if asked is not None:
            return asked
        payment_service.approve_period(web.db, caller=caller, period_id=period_id, now=web.now)
        return web.back(f"/ui/finance/periods/{period_id}", done="approved")

    @post("/finance/periods/{period_id:uuid}/exported", sync_to_thread=True)
    def confirm_export(self, web: WebPage, period_id: Id, data: Form) -> Any:
        caller = web.signed_in("finance")
        asked = web.confirm(
            data,
            title=web.t("Confirm that the payment basis was sent?"),
            facts=[web.t("The period becomes exported and its outcome events paid.")],
            button=web.t("Confirm the export was sent"),
            back=f"/ui/finance/periods/{period_id}",
        )
        if asked is not None:
            return asked
        payment_service.confirm_export(web.db, caller=caller, period_id=period_id, now=web.now)
        return web.back(f"/ui/finance/periods/{period_id}", done="exported")

    @get("/finance/periods/{period_id:uuid}/download", sync_to_thread=True)
    def download(
        self, web: WebPage, period_id: Id, fmt: Annotated[str, QueryParameter(name="format")] = "csv-fi"
    ) -> Response[bytes]:
        caller = web.signed_in("finance")
        produced = payment_files.produce(
            web.db, caller=caller, period_id=period_id, fmt=payment_files.export_format(fmt), now=web.now
        )
        assert produced.data is not None  # noqa: S101 (produced in memory)
        return Response(
            produced.data,
            media_type=produced.media_type,
            headers={
                "Content-Type": produced.media_type,  # in full: the framework would add a second charset
                "Content-Disposition": f'attachment; filename="{produced.manifest.file_name}"',
                "X-Manifest-SHA256": produced.manifest.sha256,
                "X-Manifest-Row-Count": str(produced.manifest.row_count),
            },
        )
