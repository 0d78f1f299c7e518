"""The officer's start page, the application queue, referrals and outcome verification."""

import tempfile
import uuid
from pathlib import Path

from litestar import Controller, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from minicompetition.award import contracts
from minicompetition.tender import competitions
from outcomes.flowthrough import reports
from outcomes.flowthrough.chart import write_chart
from outcomes.tracking import events, referrals
from outcomes.tracking.schemas import ReasonIn as RejectReasonIn
from outcomes.tracking.schemas import VerifyIn
from procurement.app.web.context import WebPage
from procurement.app.web.forms import Form, text, typed
from procurement.core.errors import Forbidden, NotFound
from procurement.core.paging import MAX_LIMIT, PageRequest
from procurement.ring.dps import list_dps
from registry import admissions, applications
from registry.schemas import DecisionIn, ExtendIn, SuspendIn

ALL = PageRequest(limit=MAX_LIMIT)  # a ring has a few DPSs; one page holds them all

Id = FromPath[uuid.UUID]


class OfficerPages(Controller):
    """What an officer does every day, outside the competitions."""

    include_in_schema = False

    @get("/officer", sync_to_thread=True)
    def start(self, web: WebPage) -> Template:
        caller = web.signed_in("officer")
        pending = applications.list_applications(web.db, caller=caller, state="pending", now=web.now).items
        open_now = competitions.list_competitions(
            web.db, caller=caller, now=web.now, state="published", authority_id=caller.authority_id
        ).items
        active = contracts.list_contracts(web.db, caller=caller, state="active").items
        report = reports.flow_through_report(web.db, caller=caller, by=None, cutoff=None, now=web.now)
        return web.page(
            "officer_start.html", pending=pending, competitions=open_now, contracts=active, report=report
        )

    @get("/officer/flow-through.png", sync_to_thread=True)
    def flow_through_chart(self, web: WebPage) -> Response[bytes]:
        caller = web.signed_in("officer")
        by = ["supplier"]
        report = reports.flow_through_report(web.db, caller=caller, by=by, cutoff=None, now=web.now)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "chart.png"
            write_chart(report, path)
            png = path.read_bytes()
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    @get("/applications", sync_to_thread=True)
    def queue(self, web: WebPage) -> Template:
        caller = web.signed_in("officer")
        pending = applications.list_applications(web.db, caller=caller, state="pending", now=web.now).items
        return web.page("applications.html", applications=pending, errors={})

    @get("/admissions", sync_to_thread=True)
    def admissions_list(self, web: WebPage) -> Template:
        caller = web.signed_in("officer")
        by_dps = []
        for dps in list_dps(web.db, now=web.now, page=ALL).items:
            try:
                rows = admissions.list_admissions(web.db, caller=caller, dps_id=dps.id, now=web.now).items
            except (Forbidden, NotFound):
                continue  # a DPS of a ring the officer's authority is not in
            by_dps.append((dps, rows))
        return web.page("admissions.html", by_dps=by_dps)

    @post("/applications/{application_id:uuid}/decision", sync_to_thread=True)
    def decide(self, web: WebPage, application_id: Id, data: Form) -> Redirect:
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
        return web.back("/ui/applications")

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
        return web.back("/ui/applications")

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
        return web.back("/ui/admissions")

    @get("/referrals", sync_to_thread=True)
    def referral_list(self, web: WebPage) -> Template:
        caller = web.signed_in("officer")
        rows = referrals.list_referrals(web.db, caller=caller, contract_id=None, state=None).items
        return web.page("referrals.html", referrals=rows)

    @get("/referrals/{referral_id:uuid}", sync_to_thread=True)
    def referral(self, web: WebPage, referral_id: Id) -> Template:
        caller = web.signed_in("officer")
        return web.page(
            "referral.html", referral=referrals.get(web.db, caller=caller, referral_id=referral_id)
        )

    @post("/outcome-events/{event_id:uuid}/verify", sync_to_thread=True)
    def verify(self, web: WebPage, event_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        verified = events.verify(
            web.db,
            caller=caller,
            event_id=event_id,
            data=VerifyIn(pre_dates_referral=text(data, "pre_dates_referral") == "yes"),
            now=web.now,
        )
        return web.back(f"/ui/referrals/{verified.referral_id}")

    @post("/outcome-events/{event_id:uuid}/reject", sync_to_thread=True)
    def reject(self, web: WebPage, event_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        rejected = events.reject(
            web.db,
            caller=caller,
            event_id=event_id,
            reason=typed(RejectReasonIn, {"reason": text(data, "reason")}).reason,
            now=web.now,
        )
        return web.back(f"/ui/referrals/{rejected.referral_id}")
