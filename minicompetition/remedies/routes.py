"""HTTP surface of the award decision as a legal act: issue, documents, rectification, withdrawal, appeals."""

import uuid
from typing import Annotated, Literal

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from minicompetition.award import contracts
from minicompetition.award import decisions as award
from minicompetition.award.schemas import AwardIn, AwardOut, ContractOut
from minicompetition.remedies import appeals, issuing, reads, rectification, withdrawal
from minicompetition.remedies.schemas import (
    AppealIn,
    AppealOut,
    AppealResolutionIn,
    DecisionOut,
    RectificationDecisionIn,
    RectificationIn,
    RectificationOut,
    WithdrawIn,
)
from procurement.core.http import (
    LOCATION,
    AppSettings,
    CurrentCaller,
    DbSession,
    Now,
    OptionalCaller,
    created,
)
from procurement.core.listing import PAGE_HEADERS, After, Limit, page_request, paged
from procurement.core.paging import DEFAULT_LIMIT

CompetitionId = FromPath[uuid.UUID]
AwardId = FromPath[uuid.UUID]


class RemediesController(Controller):
    """The award decision, its documents and delivery, rectification, withdrawal, appeals and contracts."""

    tags = ["evaluation and award"]

    @post(
        "/competitions/{competition_id:uuid}/award",
        status_code=200,
        sync_to_thread=True,
        summary="Issue the award decision on an optimal run and deliver its document to every bidder",
    )
    def issue_award(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        data: JSONBody[AwardIn],
        now: Now,
        settings: AppSettings,
    ) -> AwardOut:
        return issuing.issue(
            db_session, caller=caller, competition_id=competition_id, data=data, now=now, settings=settings
        )

    @post(
        "/competitions/{competition_id:uuid}/award/withdraw",
        status_code=200,
        sync_to_thread=True,
        summary="Withdraw the award decision before contracts (buying officer); back to 'evaluated'",
    )
    def withdraw(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        data: JSONBody[WithdrawIn],
        now: Now,
    ) -> DecisionOut:
        return withdrawal.withdraw(
            db_session, caller=caller, competition_id=competition_id, reason=data.reason, now=now
        )

    @post(
        "/competitions/{competition_id:uuid}/contracts",
        status_code=200,
        sync_to_thread=True,
        summary="Conclude the contracts after the standstill, with no request or appeal pending",
    )
    def conclude(
        self, db_session: DbSession, caller: CurrentCaller, competition_id: CompetitionId, now: Now
    ) -> list[ContractOut]:
        return appeals.conclude(db_session, caller=caller, competition_id=competition_id, now=now)

    @get(
        "/competitions/{competition_id:uuid}/award",
        sync_to_thread=True,
        summary="The award decision: winners, lots, volumes and unit prices (public once issued)",
    )
    def get_award(
        self, db_session: DbSession, optional_caller: OptionalCaller, competition_id: CompetitionId, now: Now
    ) -> AwardOut:
        return award.get_award(db_session, caller=optional_caller, competition_id=competition_id, now=now)

    @get(
        "/competitions/{competition_id:uuid}/contracts",
        sync_to_thread=True,
        summary="A competition's contracts in the caller's scope",
        response_headers=PAGE_HEADERS,
    )
    def competition_contracts(
        self,
        request: Request,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        after: After = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Response[list[ContractOut]]:
        page = contracts.list_contracts(
            db_session, caller=caller, competition_id=competition_id, page=page_request(after, limit)
        )
        return paged(request, page)

    @get(
        "/competitions/{competition_id:uuid}/award-decisions",
        sync_to_thread=True,
        summary="Every award decision of a competition, withdrawn ones included (officers, bidders)",
    )
    def decisions(
        self, db_session: DbSession, caller: CurrentCaller, competition_id: CompetitionId, now: Now
    ) -> list[DecisionOut]:
        return reads.list_decisions(db_session, caller=caller, competition_id=competition_id, now=now)

    @get(
        "/award-decisions/{award_id:uuid}",
        sync_to_thread=True,
        summary="An award decision: state, delivery, standstill, documents, requests, appeals",
    )
    def decision(
        self, db_session: DbSession, caller: CurrentCaller, award_id: AwardId, now: Now
    ) -> DecisionOut:
        return reads.get_decision(db_session, caller=caller, award_id=award_id, now=now)

    @get(
        "/decision-documents/{document_id:uuid}/pdf",
        sync_to_thread=True,
        summary="A stored decision document as PDF/A (officers, the bidders it was delivered to)",
        media_type="application/pdf",
    )
    def document_pdf(
        self, db_session: DbSession, caller: CurrentCaller, document_id: FromPath[uuid.UUID], now: Now
    ) -> Response[bytes]:
        doc = reads.read_document(db_session, caller=caller, document_id=document_id, now=now)
        return _file(doc.pdf, "application/pdf", doc.pdf_sha256, f"decision-{doc.id}.pdf")

    @get(
        "/decision-documents/{document_id:uuid}/html",
        sync_to_thread=True,
        summary="A stored decision document as HTML (officers, the bidders it was delivered to)",
        media_type=MediaType.HTML,
    )
    def document_html(
        self, db_session: DbSession, caller: CurrentCaller, document_id: FromPath[uuid.UUID], now: Now
    ) -> Response[bytes]:
        doc = reads.read_document(db_session, caller=caller, document_id=document_id, now=now)
        return _file(
            doc.html.encode(), "text/html; charset=utf-8", doc.html_sha256, f"decision-{doc.id}.html"
        )

    @post(
        "/award-decisions/{award_id:uuid}/rectification-requests",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="File a rectification request within 14 days of delivery (a bidder)",
    )
    def file_request(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        award_id: AwardId,
        data: JSONBody[RectificationIn],
        now: Now,
    ) -> Response[RectificationOut]:
        out = rectification.file_request(db_session, caller=caller, award_id=award_id, data=data, now=now)
        return created(out, location=f"/rectification-requests/{out.id}")

    @get(
        "/rectification-requests",
        sync_to_thread=True,
        summary="Rectification requests: the officer's queue by deadline, or a supplier's own",
    )
    def requests(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        request_state: Annotated[
            Literal["filed", "upheld", "dismissed"] | None, QueryParameter(name="state")
        ] = None,
    ) -> list[RectificationOut]:
        return rectification.queue(db_session, caller=caller, state=request_state)

    @get(
        "/rectification-requests/{request_id:uuid}",
        sync_to_thread=True,
        summary="A rectification request (buying officers, the bidder that filed it)",
    )
    def request(
        self, db_session: DbSession, caller: CurrentCaller, request_id: FromPath[uuid.UUID]
    ) -> RectificationOut:
        return rectification.get_request(db_session, caller=caller, request_id=request_id)

    @get(
        "/rectification-requests/{request_id:uuid}/attachments/{attachment_id:int}",
        sync_to_thread=True,
        summary="An attachment of a rectification request",
        media_type=MediaType.TEXT,
    )
    def attachment(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        request_id: FromPath[uuid.UUID],
        attachment_id: FromPath[int],
    ) -> Response[bytes]:
        # An attachment is numbered within its request (1, 2, …).
        found = rectification.attachment(
            db_session, caller=caller, request_id=request_id, position=attachment_id
        )
        return Response(
            found.content,
            media_type=found.media_type,
            headers={
                "Digest-SHA256": found.sha256,
                # Never rendered inline: the content is the bidder's, not ours.
                "Content-Disposition": "attachment",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @post(
        "/rectification-requests/{request_id:uuid}/decision",
        status_code=200,
        sync_to_thread=True,
        summary="Decide a rectification request with reasons (buying officer); upheld withdraws the award",
    )
    def decide(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        request_id: FromPath[uuid.UUID],
        data: JSONBody[RectificationDecisionIn],
        now: Now,
        settings: AppSettings,
    ) -> RectificationOut:
        return rectification.decide(
            db_session, caller=caller, request_id=request_id, data=data, now=now, settings=settings
        )

    @post(
        "/award-decisions/{award_id:uuid}/appeals",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Record a Market Court appeal (buying officer); it blocks the contracts",
    )
    def record_appeal(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        award_id: AwardId,
        data: JSONBody[AppealIn],
        now: Now,
    ) -> Response[AppealOut]:
        out = appeals.record(db_session, caller=caller, award_id=award_id, data=data, now=now)
        return created(out, location=f"/appeals/{out.id}")

    @get("/appeals/{appeal_id:uuid}", sync_to_thread=True, summary="A recorded Market Court appeal")
    def appeal(
        self, db_session: DbSession, caller: CurrentCaller, appeal_id: FromPath[uuid.UUID]
    ) -> AppealOut:
        return appeals.get_appeal(db_session, caller=caller, appeal_id=appeal_id)

    @get(
        "/competitions/{competition_id:uuid}/appeals",
        sync_to_thread=True,
        summary="A competition's recorded Market Court appeals (officers, bidders)",
    )
    def list_appeals(
        self, db_session: DbSession, caller: CurrentCaller, competition_id: CompetitionId
    ) -> list[AppealOut]:
        return appeals.list_appeals(db_session, caller=caller, competition_id=competition_id)

    @post(
        "/appeals/{appeal_id:uuid}/resolution",
        status_code=200,
        sync_to_thread=True,
        summary="Record the court's decision or its lifting of the ban on contracts (buying officer)",
    )
    def resolve_appeal(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        appeal_id: FromPath[uuid.UUID],
        data: JSONBody[AppealResolutionIn],
        now: Now,
    ) -> AppealOut:
        return appeals.resolve(db_session, caller=caller, appeal_id=appeal_id, data=data, now=now)


def _file(content: bytes, media_type: str, digest: str, name: str) -> Response[bytes]:
    """A stored document with its SHA-256, to be read in the browser."""
    return Response(
        content,
        media_type=media_type,
        headers={"Digest-SHA256": digest, "Content-Disposition": f'inline; filename="{name}"'},
    )
