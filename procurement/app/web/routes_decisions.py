"""The award decision's pages: the officer's decisions, rectification queue, withdrawal and appeals; the
bidder's decision, its own explanation and its rectification request."""

import base64
import uuid
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from minicompetition.award import results
from minicompetition.award.models import AwardDecision
from minicompetition.remedies import appeals, reads, rectification, withdrawal
from minicompetition.remedies.schemas import (
    AppealIn,
    AppealResolutionIn,
    RectificationDecisionIn,
    RectificationIn,
)
from minicompetition.tender import competitions
from procurement.app.web.context import WebPage
from procurement.app.web.forms import Form, text, typed
from procurement.core.errors import NotFound

Id = FromPath[uuid.UUID]
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


class DecisionPages(Controller):
    """Pages of the award decision as a legal act, for officers and bidders."""

    include_in_schema = False

    @get("/competitions/{competition_id:uuid}/decisions", sync_to_thread=True)
    def decisions(self, web: WebPage, competition_id: Id) -> Template:
        caller = web.signed_in("officer")
        competition = competitions.get(web.db, caller=caller, competition_id=competition_id, now=web.now)
        found = reads.list_decisions(web.db, caller=caller, competition_id=competition_id, now=web.now)
        return web.page("decisions.html", competition=competition, decisions=found)

    @post("/competitions/{competition_id:uuid}/award/withdraw", sync_to_thread=True)
    def withdraw(self, web: WebPage, competition_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        withdrawal.withdraw(
            web.db, caller=caller, competition_id=competition_id, reason=text(data, "reason"), now=web.now
        )
        return web.back(f"/ui/competitions/{competition_id}/decisions")

    @post("/decisions/{award_id:uuid}/appeals", sync_to_thread=True)
    def record_appeal(self, web: WebPage, award_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        body = {"filed_on": text(data, "filed_on"), "case_number": text(data, "case_number")}
        out = appeals.record(
            web.db, caller=caller, award_id=award_id, data=typed(AppealIn, body), now=web.now
        )
        return web.back(f"/ui/competitions/{out.competition_id}/decisions")

    @post("/appeals/{appeal_id:uuid}/resolution", sync_to_thread=True)
    def resolve_appeal(self, web: WebPage, appeal_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        body = {"outcome": text(data, "outcome"), "resolution": text(data, "resolution")}
        out = appeals.resolve(
            web.db, caller=caller, appeal_id=appeal_id, data=typed(AppealResolutionIn, body), now=web.now
        )
        return web.back(f"/ui/competitions/{out.competition_id}/decisions")

    @get("/rectification-requests", sync_to_thread=True)
    def queue(self, web: WebPage) -> Template:
        caller = web.signed_in("officer", "supplier")
        found = rectification.queue(web.db, caller=caller, state=None)
        return web.page("rectifications.html", requests=found)

    @get("/rectification-requests/{request_id:uuid}", sync_to_thread=True)
    def request(self, web: WebPage, request_id: Id) -> Template:
        caller = web.signed_in("officer", "supplier")
        found = rectification.get_request(web.db, caller=caller, request_id=request_id)
        return web.page("rectification.html", req=found, officer=caller.role == "officer")

    @get("/rectification-requests/{request_id:uuid}/attachments/{number:int}", sync_to_thread=True)
    def attachment(self, web: WebPage, request_id: Id, number: FromPath[int]) -> Response[bytes]:
        caller = web.signed_in("officer", "supplier")
        found = rectification.attachment(web.db, caller=caller, request_id=request_id, position=number)
        return Response(
            found.content,
            media_type=found.media_type,
            # Downloaded, never shown in the page's origin: the content is the bidder's.
            headers={
                "Content-Disposition": "attachment",
                "X-Content-Type-Options": "nosniff",
                "Digest-SHA256": found.sha256,
            },
        )

    @post("/rectification-requests/{request_id:uuid}/decision", sync_to_thread=True)
    def decide(self, web: WebPage, request_id: Id, data: Form) -> Redirect:
        caller = web.signed_in("officer")
        body = {"outcome": text(data, "outcome"), "reasons": text(data, "reasons")}
        rectification.decide(
            web.db,
            caller=caller,
            request_id=request_id,
            data=typed(RectificationDecisionIn, body),
            now=web.now,
            settings=web.settings,
        )
        return web.back(f"/ui/rectification-requests/{request_id}")

    @get("/decisions/{award_id:uuid}", sync_to_thread=True)
    def decision(self, web: WebPage, award_id: Id) -> Template:
        caller = web.signed_in("officer", "supplier")
        found = reads.get_decision(web.db, caller=caller, award_id=award_id, now=web.now)
        mine = None
        if caller.role == "supplier":
            # The bidder's own explanation: its lines, scores, rank, allocation, reason and price to win.
            mine = results.my_result(web.db, caller=caller, competition_id=found.competition_id)
            decision = web.db.get(AwardDecision, award_id)
            if decision is None or mine.run_id != decision.evaluation_run_id:
                mine = None
        return web.page("decision.html", decision=found, mine=mine, officer=caller.role == "officer")

    @post("/decisions/{award_id:uuid}/rectification-requests", sync_to_thread=True)
    def file_request(self, web: WebPage, award_id: Id, data: Upload) -> Redirect:
        caller = web.signed_in("supplier")
        attachments = []
        upload = data.get("attachment")
        if isinstance(upload, UploadFile) and upload.filename:
            content = upload.file.read()
            attachments.append(
                {
                    "filename": upload.filename[-200:],
                    "media_type": (upload.content_type or "application/octet-stream").lower(),
                    "content_base64": base64.b64encode(content).decode(),
                }
            )
        body = {"reasons": text(data, "reasons"), "attachments": attachments}
        out = rectification.file_request(
            web.db, caller=caller, award_id=award_id, data=typed(RectificationIn, body), now=web.now
        )
        return web.back(f"/ui/rectification-requests/{out.id}")

    @get("/decision-documents/{document_id:uuid}/{form:str}", sync_to_thread=True)
    def document(self, web: WebPage, document_id: Id, form: str) -> Response[bytes]:
        caller = web.signed_in("officer", "supplier")
        if form not in ("pdf", "html"):
            raise NotFound("A decision document is read as pdf or html.")
        doc = reads.read_document(web.db, caller=caller, document_id=document_id, now=web.now)
        if form == "pdf":
            return Response(doc.pdf, media_type="application/pdf", headers={"Digest-SHA256": doc.pdf_sha256})
        return Response(
            doc.html.encode(),
            media_type="text/html; charset=utf-8",
            headers={"Digest-SHA256": doc.html_sha256},
        )
