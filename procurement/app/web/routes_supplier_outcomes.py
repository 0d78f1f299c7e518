"""A supplier's referrals (start, outcomes, exits with their evidence) and its payment lines with traces."""

import uuid
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Template

from minicompetition.award import contracts
from outcomes.payments import reads as payment_views
from outcomes.tracking import events, referrals
from outcomes.tracking.schemas import EndIn, EventIn, StartIn
from procurement.app.web import forms, uploads
from procurement.app.web.context import WebPage
from procurement.app.web.forms import FieldErrors, text
from procurement.app.web.labels import EVENT_TYPES, NEUTRAL_EXITS
from procurement.app.web.listing import walk
from procurement.app.web.messages import N_
from procurement.core.errors import InvalidInput

Id = FromPath[uuid.UUID]
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
REFERRAL_STATES = ("referred", "started", "ended")
REPORTABLE = tuple(t for t in EVENT_TYPES if t != "service_start")


class SupplierOutcomePages(Controller):
    """What a supplier records after the award, and what it is paid."""

    include_in_schema = False

    @get("/supplier/referrals", sync_to_thread=True)
    def referral_list(self, web: WebPage) -> Template:
        caller = web.signed_in("supplier")
        query = dict(web.request.query_params)
        state = query.get("state") if query.get("state") in REFERRAL_STATES else None
        page = walk(
            lambda p: referrals.list_referrals(web.db, caller=caller, contract_id=None, state=state, page=p),
            query=query,
            path="/ui/supplier/referrals",
            keep=("state",),
        )
        return web.page("supplier_referrals.html", page=page, states=REFERRAL_STATES)

    @get("/supplier/referrals/{referral_id:uuid}", sync_to_thread=True)
    def referral(self, web: WebPage, referral_id: Id) -> Template:
        caller = web.signed_in("supplier")
        return self._page(web, caller, referral_id, errors=FieldErrors())

    @post("/supplier/referrals/{referral_id:uuid}/start", sync_to_thread=True)
    def start(self, web: WebPage, referral_id: Id, data: Upload) -> Any:
        caller = web.signed_in("supplier")
        errors = FieldErrors()
        day = forms.day(data, "started_on", errors)
        digest = _document(web, data, "evidence", errors)
        if not errors:
            try:
                referrals.start(
                    web.db,
                    caller=caller,
                    referral_id=referral_id,
                    data=StartIn(started_on=day, evidence_sha256=digest),  # type: ignore[arg-type]
                    now=web.now,
                )
                return web.back(f"/ui/supplier/referrals/{referral_id}", done="started")
            except InvalidInput as exc:
                web.db.rollback()
                forms.add_refusal(errors, exc, field="started_on")
        return self._page(web, caller, referral_id, errors=errors, status=422)

    @post("/supplier/referrals/{referral_id:uuid}/events", sync_to_thread=True)
    def report(self, web: WebPage, referral_id: Id, data: Upload) -> Any:
        caller = web.signed_in("supplier")
        errors = FieldErrors()
        day = forms.day(data, "event_date", errors)
        kind = text(data, "event_type")
        if kind not in REPORTABLE:
            errors["event_type"] = N_("Choose one.")
        digest = _document(web, data, "event_evidence", errors)
        if not errors:
            try:
                events.report(
                    web.db,
                    caller=caller,
                    referral_id=referral_id,
                    data=EventIn(event_type=kind, event_date=day, evidence_sha256=digest),  # type: ignore[arg-type]
                    now=web.now,
                )
                return web.back(f"/ui/supplier/referrals/{referral_id}", done="reported")
            except InvalidInput as exc:
                web.db.rollback()
                forms.add_refusal(errors, exc, field="event_date")
        return self._page(web, caller, referral_id, errors=errors, status=422)

    @post("/supplier/referrals/{referral_id:uuid}/end", sync_to_thread=True)
    def end(self, web: WebPage, referral_id: Id, data: Upload) -> Any:
        caller = web.signed_in("supplier")
        errors = FieldErrors()
        day = forms.day(data, "ended_on", errors)
        reason = text(data, "reason")
        neutral = text(data, "neutral_exit_kind") or None
        digest = None
        if reason == "neutral_exit":
            if neutral is None:
                errors["neutral_exit_kind"] = N_("Choose the kind of neutral exit.")
            # A neutral exit leaves the flow-through count only on evidence an officer verifies.
            digest = _document(web, data, "exit_evidence", errors)
        if not errors:
            try:
                referrals.end(
                    web.db,
                    caller=caller,
                    referral_id=referral_id,
                    data=forms.typed(
                        EndIn,
                        {
                            "ended_on": day,
                            "reason": reason,
                            "neutral_exit_kind": neutral if reason == "neutral_exit" else None,
                            "evidence_sha256": digest,
                        },
                    ),
                    now=web.now,
                    settings=web.settings,
                )
                return web.back(f"/ui/supplier/referrals/{referral_id}", done="ended")
            except InvalidInput as exc:
                web.db.rollback()
                forms.add_refusal(errors, exc, field="ended_on")
        return self._page(web, caller, referral_id, errors=errors, status=422)

    @get("/supplier/payments", sync_to_thread=True)
    def payments(self, web: WebPage) -> Template:
        caller = web.signed_in("supplier")
        query = dict(web.request.query_params)
        status = query.get("status")
        page = walk(
            lambda p: payment_views.list_lines(web.db, caller=caller, period_id=None, page=p),
            query=query,
            path="/ui/supplier/payments",
            keep=("status",),
            test=lambda r: not status or r.status == status,
        )
        return web.page("supplier_payments.html", page=page, statuses=("payable", "withheld", "not_payable"))

    @get("/supplier/payments/{line_id:int}", sync_to_thread=True)
    def trace(self, web: WebPage, line_id: FromPath[int]) -> Template:
        caller = web.signed_in("supplier")
        return web.page(
            "supplier_trace.html", trace=payment_views.line_trace(web.db, caller=caller, line_id=line_id)
        )

    @staticmethod
    def _page(
        web: WebPage, caller: Any, referral_id: uuid.UUID, *, errors: FieldErrors, status: int = 200
    ) -> Template:
        found = referrals.get(web.db, caller=caller, referral_id=referral_id)
        contract = contracts.get_contract(web.db, caller=caller, contract_id=found.contract_id)
        return web.page(
            "supplier_referral.html",
            status=status,
            referral=found,
            contract=contract,
            errors=errors,
            event_types=REPORTABLE,
            neutral_kinds=tuple(NEUTRAL_EXITS),
            max_mb=uploads.MAX_BYTES // (1024 * 1024),
        )


def _document(web: WebPage, data: dict[str, Any], field: str, errors: FieldErrors) -> str | None:
    """The uploaded evidence document's SHA-256 (stored by it), or a message beside the field."""
    try:
        upload = data.get(field)
        stored = uploads.store(
            uploads.read_upload(upload, field=field),
            name=getattr(upload, "filename", ""),
            data_dir=web.settings.data_dir,
            field=field,
        )
    except InvalidInput as exc:
        errors[field] = exc.detail
        return None
    return stored.sha256
