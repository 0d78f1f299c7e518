"""The officer's start page with its work queues, the application queue and the admissions."""

import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from minicompetition.award import contracts
from minicompetition.tender import competitions
from outcomes.flowthrough import reports
from outcomes.flowthrough.chart import write_chart
from outcomes.payments import periods
from outcomes.tracking import queues
from procurement.app.web import headline
from procurement.app.web.context import WebPage
from procurement.app.web.forms import Form, text, typed
from procurement.app.web.listing import WHOLE, walk
from procurement.core.errors import Forbidden, NotFound
from procurement.core.paging import Page, PageRequest
from procurement.ring.dps import evidence_types_of, list_dps
from registry import admissions, applications
from registry.schemas import DecisionIn, ExtendIn, ReasonIn, SuspendIn

Id = FromPath[uuid.UUID]
START_PAGE_ROWS = 10  # of a list the start page shows before its link to the list's own page
EXPIRY_DAYS = 30  # evidence expiring within this many days is listed beside the admissions


class OfficerPages(Controller):
    """What an officer does every day, outside the competitions."""

    include_in_schema = False

    @get("/officer", sync_to_thread=True)
    def start(self, web: WebPage) -> Template:
        caller = web.signed_in("officer")
        # The first of the queue (by due date); its next link goes on in the queue's own page.
        pending = walk(
            lambda p: applications.list_applications(
                web.db, caller=caller, state="pending", now=web.now, page=p
            ),
            query={},
            path="/ui/applications",
            size=START_PAGE_ROWS,
        )
        mine = [
            c
            for c in competitions.list_competitions(
                web.db, caller=caller, now=web.now, authority_id=caller.authority_id, page=WHOLE
            ).items
        ]
        # A page of the active contracts, walked on this page: an authority holds hundreds of them.
        active = walk(
            lambda p: contracts.list_contracts(web.db, caller=caller, state="active", page=p),
            query=dict(web.request.query_params),
            path="/ui/officer",
            size=START_PAGE_ROWS,
            param="contracts",
        )
        return web.page(
            "officer_start.html",
            pending=pending.rows,
            pending_page=pending,
            to_open=[c for c in mine if c.state == "closed"],
            to_evaluate=[c for c in mine if c.state in ("opened", "evaluated")],
            open_now=[c for c in mine if c.state == "published"],
            drafts=[c for c in mine if c.state == "draft"],
            events=queues.awaiting_verification(web.db, caller=caller),
            contracts=active.rows,
            contracts_page=active,
            to_approve=periods.list_periods(web.db, caller=caller, state="closed", page=WHOLE).items,
        )

    @get("/officer/flow-through", sync_to_thread=True)
    def flow_through(self, web: WebPage) -> Template:
        # Its own page: the report aggregates every start of the authority's years, live, so the start
        # page (read many times a day) does not wait for it.
        caller = web.signed_in("officer")
        report = reports.flow_through_report(web.db, caller=caller, by=["supplier"], cutoff=None, now=web.now)
        return web.page("officer_flow_through.html", report=report, total=headline.total(report))

    @get("/officer/flow-through.png", sync_to_thread=True)
    def flow_through_chart(self, web: WebPage) -> Response[bytes]:
        caller = web.signed_in("officer")
        report = reports.flow_through_report(web.db, caller=caller, by=["supplier"], cutoff=None, now=web.now)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "chart.png"
            write_chart(report, path, words=headline.chart_words(web.lang, report))
            png = path.read_bytes()
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    @get("/applications", sync_to_thread=True)
    def queue(self, web: WebPage) -> Template:
        caller = web.signed_in("officer")
        page = walk(  # by due date, then arrival (the service's order)
            lambda p: applications.list_applications(
                web.db, caller=caller, state="pending", now=web.now, page=p
            ),
            query=dict(web.request.query_params),
            path="/ui/applications",
        )
        pending = page.rows
        names = {a.dps_id: {t.code: t.name for t in evidence_types_of(web.db, a.dps_id)} for a in pending}
        return web.page("applications.html", applications=pending, page=page, evidence_names=names)

    @get("/admissions", sync_to_thread=True)
    def admissions_list(self, web: WebPage) -> Template:
        caller = web.signed_in("officer")
        query = dict(web.request.query_params)
        every = list_dps(web.db, now=web.now, page=WHOLE).items
        # Each DPS's list walks on its own; its links keep the other lists' places.
        params = [f"dps-{dps.id}" for dps in every]
        by_dps = []
        for dps, param in zip(every, params, strict=True):
            try:
                page = walk(  # by category, then supplier name (the service's order)
                    _admissions_of(web, caller, dps.id),
                    query=query,
                    path="/ui/admissions",
                    keep=[other for other in params if other != param],
                    param=param,
                )
                expiring = admissions.expiring_evidence(
                    web.db, caller=caller, dps_id=dps.id, within_days=EXPIRY_DAYS, now=web.now
                )
            except (Forbidden, NotFound):
                continue  # a DPS of a ring the officer's authority is not in
            names = {t.code: t.name for t in evidence_types_of(web.db, dps.id)}
            by_dps.append((dps, page, expiring, names))
        return web.page("admissions.html", by_dps=by_dps, within=EXPIRY_DAYS)

    @post("/applications/{application_id:uuid}/decision", sync_to_thread=True)
    def decide(self, web: WebPage, application_id: Id, data: Form) -> Any:
        caller = web.signed_in("officer")
        choice = {k.removeprefix("cat-"): v for k, v in data.items() if k.startswith("cat-")}
        decision = typed(
            DecisionIn,
            {
                "admit": [code for code, verdict in choice.items() if verdict == "admit"],
                "reject": [code for code, verdict in choice.items() if verdict == "reject"],
                "reason": text(data, "reason") or None,
            },
        )
        applications.decide_application(
            web.db, caller=caller, application_id=application_id, data=decision, now=web.now
        )
        return web.back("/ui/applications", done="decided")

    @post("/applications/{application_id:uuid}/extend", sync_to_thread=True)
    def extend(self, web: WebPage, application_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        applications.extend_application(
            web.db,
            caller=caller,
            application_id=application_id,
            reason=typed(ExtendIn, {"reason": text(data, "reason")}).reason,
            now=web.now,
            settings=web.settings,
        )
        return web.back("/ui/applications", done="extended")

    @post("/admissions/{admission_id:uuid}/suspend", sync_to_thread=True)
    def suspend(self, web: WebPage, admission_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        wanted = typed(SuspendIn, {"until": text(data, "until"), "reason": text(data, "reason")})
        admissions.suspend(
            web.db,
            caller=caller,
            admission_id=admission_id,
            until=wanted.until,
            reason=wanted.reason,
            now=web.now,
        )
        return web.back("/ui/admissions", done="suspended")

    @post("/admissions/{admission_id:uuid}/lift", sync_to_thread=True)
    def lift(self, web: WebPage, admission_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        reason = typed(ReasonIn, {"reason": text(data, "reason")}).reason
        admissions.lift(web.db, caller=caller, admission_id=admission_id, reason=reason, now=web.now)
        return web.back("/ui/admissions", done="lifted")

    @post("/admissions/{admission_id:uuid}/exclude", sync_to_thread=True)
    def exclude(self, web: WebPage, admission_id: Id, data: Form) -> Any:
        caller = web.signed_in("officer")
        reason = typed(ReasonIn, {"reason": text(data, "reason")}).reason
        asked = web.confirm(
            data,
            title=web.t("Exclude the supplier from the category?"),
            facts=[web.t("An excluded supplier is not invited to new competitions in the category.")],
            button=web.t("Exclude"),
            back="/ui/admissions",
        )
        if asked is not None:
            return asked
        admissions.exclude(web.db, caller=caller, admission_id=admission_id, reason=reason, now=web.now)
        return web.back("/ui/admissions", done="excluded")


def _admissions_of(web: Any, caller: Any, dps_id: uuid.UUID) -> Callable[[PageRequest], Page[Any]]:
    """How one DPS's admissions are read a page at a time."""
    return lambda p: admissions.list_admissions(web.db, caller=caller, dps_id=dps_id, now=web.now, page=p)
