"""HTTP surface of payment periods, their export files and manifests, payment lines and traces."""

import uuid
from collections.abc import Iterator
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from outcomes.payments import files as payment_files
from outcomes.payments import periods as payment_service
from outcomes.payments import reads as payment_views
from outcomes.payments.files import MEDIA_TYPES
from outcomes.payments.schemas import (
    ExportFormatName,
    LineOut,
    ManifestOut,
    PeriodIn,
    PeriodOut,
    TraceOut,
)
from procurement.core.http import LOCATION, CurrentCaller, DbSession, Now, created
from procurement.core.listing import PAGE_HEADERS, After, Limit, page_request, paged
from procurement.core.openapi import DocumentedOperation, header
from procurement.core.paging import DEFAULT_LIMIT

Id = FromPath[uuid.UUID]
Format = Annotated[
    ExportFormatName, QueryParameter(name="format", description="csv-fi, csv-rfc4180, xlsx or parquet")
]
STREAM_CHUNK = 1 << 20


class ExportOperation(DocumentedOperation):
    """The export's real media types and the manifest's headers."""

    MEDIA = {"200": tuple(dict.fromkeys(MEDIA_TYPES.values()))}
    HEADERS = {
        "200": {
            "Content-Disposition": header('attachment; filename="maksuperuste_<batch id>_<month><suffix>"'),
            "X-Manifest-SHA256": header("SHA-256 of the file's bytes (lower-case hex)"),
            "X-Manifest-Row-Count": header("Number of payment lines in the file"),
            "X-Manifest-Total-Cents": header("Sum of the lines' amounts, integer cents"),
        }
    }


def _chunks(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(view), STREAM_CHUNK):
        yield bytes(view[start : start + STREAM_CHUNK])


class PaymentsController(Controller):
    """Monthly payment periods: finance closes and exports, an officer approves; lines and their traces."""

    tags = ["payments"]

    @post(
        "/periods",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Open the payment period of a month (finance)",
    )
    def create(
        self, db_session: DbSession, caller: CurrentCaller, data: JSONBody[PeriodIn], now: Now
    ) -> Response[PeriodOut]:
        out = payment_service.create_period(db_session, caller=caller, month=data.month, now=now)
        return created(out, location=f"/periods/{out.id}")

    @get(
        "/periods",
        sync_to_thread=True,
        response_headers=PAGE_HEADERS,
        summary="The periods of your authority, newest month first (finance, officer)",
    )
    def list_periods(
        self,
        request: Request,
        db_session: DbSession,
        caller: CurrentCaller,
        after: After = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Response[list[PeriodOut]]:
        page = payment_service.list_periods(db_session, caller=caller, page=page_request(after, limit))
        return paged(request, page)

    @get(
        "/periods/{period_id:uuid}",
        sync_to_thread=True,
        summary="A period with its figures (finance, officer)",
    )
    def get_period(self, db_session: DbSession, caller: CurrentCaller, period_id: Id) -> PeriodOut:
        return payment_service.get_period(db_session, caller=caller, period_id=period_id)

    @post(
        "/periods/{period_id:uuid}/close",
        status_code=200,
        sync_to_thread=True,
        summary="Close an ended month: compute its payment-basis lines (finance)",
    )
    def close(self, db_session: DbSession, caller: CurrentCaller, period_id: Id, now: Now) -> PeriodOut:
        return payment_service.close_period(db_session, caller=caller, period_id=period_id, now=now)

    @post(
        "/periods/{period_id:uuid}/approve",
        status_code=200,
        sync_to_thread=True,
        summary="Approve a closed period's payment basis (officer)",
    )
    def approve(self, db_session: DbSession, caller: CurrentCaller, period_id: Id, now: Now) -> PeriodOut:
        return payment_service.approve_period(db_session, caller=caller, period_id=period_id, now=now)

    @post(
        "/periods/{period_id:uuid}/export",
        status_code=200,
        sync_to_thread=True,
        summary="Confirm the export: the period is exported and its events paid (finance)",
    )
    def confirm_export(
        self, db_session: DbSession, caller: CurrentCaller, period_id: Id, now: Now
    ) -> PeriodOut:
        return payment_service.confirm_export(db_session, caller=caller, period_id=period_id, now=now)

    @get(
        "/periods/{period_id:uuid}/export",
        sync_to_thread=True,
        operation_class=ExportOperation,
        summary="The payment basis file of an approved period; the same bytes every time (finance)",
    )
    def download(
        self, db_session: DbSession, caller: CurrentCaller, period_id: Id, now: Now, fmt: Format = "csv-fi"
    ) -> Stream:
        produced = payment_files.produce(
            db_session, caller=caller, period_id=period_id, fmt=payment_files.export_format(fmt), now=now
        )
        assert produced.data is not None  # noqa: S101 (produced in memory)
        return Stream(
            _chunks(produced.data),
            media_type=produced.media_type,
            headers={
                # Set here in full: the framework would add a second charset to a text/ media type.
                "Content-Type": produced.media_type,
                "Content-Disposition": f'attachment; filename="{produced.manifest.file_name}"',
                "Content-Length": str(len(produced.data)),
                "X-Manifest-SHA256": produced.manifest.sha256,
                "X-Manifest-Row-Count": str(produced.manifest.row_count),
                "X-Manifest-Total-Cents": str(produced.manifest.total_cents),
            },
        )

    @get(
        "/periods/{period_id:uuid}/manifest",
        sync_to_thread=True,
        summary="Row count, totals per supplier and municipality and SHA-256 of an export (finance)",
    )
    def manifest(
        self, db_session: DbSession, caller: CurrentCaller, period_id: Id, now: Now, fmt: Format = "csv-fi"
    ) -> ManifestOut:
        return payment_files.manifest(
            db_session, caller=caller, period_id=period_id, fmt=payment_files.export_format(fmt), now=now
        )

    @get(
        "/payment-lines",
        sync_to_thread=True,
        response_headers=PAGE_HEADERS,
        summary="Payment lines: your own (supplier) or your authority's",
    )
    def lines(
        self,
        request: Request,
        db_session: DbSession,
        caller: CurrentCaller,
        period_id: Annotated[uuid.UUID | None, QueryParameter(name="period_id")] = None,
        after: After = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Response[list[LineOut]]:
        page = payment_views.list_lines(
            db_session, caller=caller, period_id=period_id, page=page_request(after, limit)
        )
        return paged(request, page)

    @get(
        "/payment-lines/{line_id:int}/trace",
        sync_to_thread=True,
        summary="How a line's amount was computed, to reproduce it (its supplier, officer, finance)",
    )
    def trace(self, db_session: DbSession, caller: CurrentCaller, line_id: FromPath[int]) -> TraceOut:
        return payment_views.line_trace(db_session, caller=caller, line_id=line_id)
