"""HTTP surface of mini-competitions, clarifications and sealed bids."""

import uuid
from typing import Annotated

from litestar import Controller, Request, Response, get, post, put
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import BodyKwarg, FromPath, HeaderParameter, JSONBody

from minicompetition.tender import (
    amendments,
    bids,
    clarifications,
    competitions,
    opening,
    own_bid,
    unsuccessful,
)
from minicompetition.tender.schemas import (
    AmendmentIn,
    AnswerIn,
    BidContentOut,
    BidIn,
    BidOut,
    CompetitionIn,
    CompetitionOut,
    CompetitionSummary,
    InboxDetail,
    InboxItem,
    InvitationOut,
    OpenedBidOut,
    OpeningOut,
    PublishIn,
    QuestionIn,
    QuestionOut,
    ReasonIn,
    Receipt,
)
from procurement.core.http import (
    LOCATION,
    AppSettings,
    CurrentCaller,
    DbSession,
    Now,
    OptionalCaller,
    created,
    in_one_transaction,
    provide_now,
)
from procurement.core.openapi import DocumentedOperation, header

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="A retry with the same key and body returns the original receipt; another body is a 409.",
    ),
]
CompetitionId = FromPath[uuid.UUID]


# Publishing takes an optional body: only to confirm publishing to fewer than three invitees.
PublishBody = Annotated[PublishIn | None, BodyKwarg(media_type=RequestEncodingType.JSON)]


class BidOperation(DocumentedOperation):
    """A retried submission answers 200 with the original receipt and says so in a header."""

    HEADERS = {
        "200": {"Idempotent-Replayed": header("Always 'true': this is the receipt of an earlier submission.")}
    }


# A reason's body keeps the component name the published contract gave it (stable for generated clients).
ReasonBody = Annotated[
    ReasonIn,
    BodyKwarg(media_type=RequestEncodingType.JSON, schema_component_key="minicompetition_schemas_ReasonIn"),
]


class CompetitionController(Controller):
    """Competitions, their clarifications and their sealed bids."""

    tags = ["minicompetition"]

    @post(
        "/competitions",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Draft a competition (officer of a ring member)",
    )
    def create(
        self, db_session: DbSession, caller: CurrentCaller, data: JSONBody[CompetitionIn], now: Now
    ) -> Response[CompetitionOut]:
        out = competitions.create(db_session, caller=caller, data=data, now=now)
        return created(out, location=f"/competitions/{out.id}")

    @get("/competitions", sync_to_thread=True, summary="Published competitions (public) and own drafts")
    def list_competitions(
        self, db_session: DbSession, optional_caller: OptionalCaller, now: Now
    ) -> list[CompetitionSummary]:
        return competitions.list_competitions(db_session, caller=optional_caller, now=now)

    @get(
        "/competitions/{competition_id:uuid}",
        sync_to_thread=True,
        summary="A competition (public once published)",
    )
    def get_competition(
        self, db_session: DbSession, optional_caller: OptionalCaller, competition_id: CompetitionId, now: Now
    ) -> CompetitionOut:
        return competitions.get(db_session, caller=optional_caller, competition_id=competition_id, now=now)

    @put("/competitions/{competition_id:uuid}", sync_to_thread=True, summary="Replace a draft's terms")
    def edit(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        data: JSONBody[CompetitionIn],
        now: Now,
    ) -> CompetitionOut:
        return competitions.edit(db_session, caller=caller, competition_id=competition_id, data=data, now=now)

    @post(
        "/competitions/{competition_id:uuid}/publish",
        status_code=200,
        sync_to_thread=True,
        summary="Publish: snapshot the invitations, start the tender period",
    )
    def publish(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        now: Now,
        settings: AppSettings,
        data: PublishBody = None,
    ) -> CompetitionOut:
        return competitions.publish(
            db_session,
            caller=caller,
            competition_id=competition_id,
            now=now,
            settings=settings,
            confirm_few_invitees=data is not None and data.confirm_few_invitees,
        )

    @post(
        "/competitions/{competition_id:uuid}/amendments",
        status_code=200,
        sync_to_thread=True,
        summary="Amend a published competition before its deadline, with a reason",
    )
    def amend(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        data: JSONBody[AmendmentIn],
        now: Now,
        settings: AppSettings,
    ) -> CompetitionOut:
        return amendments.amend(
            db_session, caller=caller, competition_id=competition_id, data=data, now=now, settings=settings
        )

    @post(
        "/competitions/{competition_id:uuid}/cancel",
        status_code=200,
        sync_to_thread=True,
        summary="Cancel before award, with a reason",
    )
    def cancel(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        data: ReasonBody,
        now: Now,
    ) -> CompetitionOut:
        return competitions.cancel(
            db_session, caller=caller, competition_id=competition_id, reason=data.reason, now=now
        )

    @post(
        "/competitions/{competition_id:uuid}/unsuccessful",
        status_code=200,
        sync_to_thread=True,
        summary="End an evaluated competition as unsuccessful: no winner, with the reason (buying authority)",
    )
    def declare_unsuccessful(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        data: ReasonBody,
        now: Now,
    ) -> CompetitionOut:
        return unsuccessful.declare(
            db_session, caller=caller, competition_id=competition_id, reason=data.reason, now=now
        )

    @get(
        "/competitions/{competition_id:uuid}/invitations",
        sync_to_thread=True,
        summary="The invitation snapshot (buying authority)",
    )
    def invitations(
        self, db_session: DbSession, caller: CurrentCaller, competition_id: CompetitionId
    ) -> list[InvitationOut]:
        return competitions.invitations(db_session, caller=caller, competition_id=competition_id)

    @post(
        "/competitions/{competition_id:uuid}/questions",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Ask (invitee)",
    )
    def ask(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        data: JSONBody[QuestionIn],
        now: Now,
    ) -> Response[QuestionOut]:
        out = clarifications.ask(
            db_session, caller=caller, competition_id=competition_id, question=data.question, now=now
        )
        return created(out, location=f"/competitions/{competition_id}/questions/{out.id}")

    @get(
        "/competitions/{competition_id:uuid}/questions/{question_id:uuid}",
        sync_to_thread=True,
        summary="One question (its asker until answered; then every invitee; the buying authority)",
    )
    def question(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        question_id: FromPath[uuid.UUID],
    ) -> QuestionOut:
        return clarifications.question(
            db_session, caller=caller, competition_id=competition_id, question_id=question_id
        )

    @get(
        "/competitions/{competition_id:uuid}/questions",
        sync_to_thread=True,
        summary="Questions and answers (invitees, buying authority); askers are never named",
    )
    def questions(
        self, db_session: DbSession, caller: CurrentCaller, competition_id: CompetitionId
    ) -> list[QuestionOut]:
        return clarifications.questions(db_session, caller=caller, competition_id=competition_id)

    @post(
        "/competitions/{competition_id:uuid}/questions/{question_id:uuid}/answer",
        status_code=200,
        sync_to_thread=True,
        summary="Answer a question to every invitee (buying authority)",
    )
    def answer(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        question_id: FromPath[uuid.UUID],
        data: JSONBody[AnswerIn],
        now: Now,
    ) -> QuestionOut:
        return clarifications.answer(
            db_session,
            caller=caller,
            competition_id=competition_id,
            question_id=question_id,
            text=data.answer,
            now=now,
        )

    @post(
        "/competitions/{competition_id:uuid}/bids",
        status_code=201,
        response_headers=[LOCATION],
        responses={
            200: ResponseSpec(
                data_container=Receipt,
                description="The original receipt of a retried Idempotency-Key and body: nothing new.",
                generate_examples=False,
            )
        },
        operation_class=BidOperation,
        summary="Submit or resubmit the bid (invitee); returns the receipt",
        description=(
            "201 with a new receipt (Location: the bid); 200 with the original receipt for a retried "
            "Idempotency-Key (header Idempotent-Replayed: true)."
        ),
    )
    async def submit_bid(
        self,
        request: Request,
        competition_id: CompetitionId,
        data: JSONBody[BidIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Receipt]:
        # The hot path of a bid burst: one worker-thread hop does the caller, the bid and the commit.
        now, settings = provide_now(request.app.state), request.app.state.settings
        result = await in_one_transaction(
            request,
            lambda session, caller: bids.submit(
                session,
                caller=caller,
                competition_id=competition_id,
                data=data,
                idempotency_key=idempotency_key,
                now=now,
                settings=settings,
            ),
        )
        if result.created:
            return created(result.receipt, location=f"/bids/{result.receipt.bid_id}")
        return Response(result.receipt, status_code=200, headers={"Idempotent-Replayed": "true"})

    @get(
        "/competitions/{competition_id:uuid}/bids",
        sync_to_thread=True,
        summary="Opened bids (buying authority, after opening; every read audited)",
    )
    def list_bids(
        self, db_session: DbSession, caller: CurrentCaller, competition_id: CompetitionId, now: Now
    ) -> list[OpenedBidOut]:
        return opening.list_bids(db_session, caller=caller, competition_id=competition_id, now=now)

    @post(
        "/competitions/{competition_id:uuid}/open",
        status_code=200,
        sync_to_thread=True,
        summary="Open the bids after the deadline (buying authority)",
    )
    def open_bids(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        competition_id: CompetitionId,
        now: Now,
        settings: AppSettings,
    ) -> OpeningOut:
        return opening.open_bids(
            db_session, caller=caller, competition_id=competition_id, now=now, settings=settings
        )

    @get("/bids/{bid_id:uuid}", sync_to_thread=True, summary="A bid (its supplier; the buyer once opened)")
    def get_bid(
        self, db_session: DbSession, caller: CurrentCaller, bid_id: FromPath[uuid.UUID], now: Now
    ) -> BidOut:
        return opening.get_bid(db_session, caller=caller, bid_id=bid_id, now=now)

    @get(
        "/bids/{bid_id:uuid}/content",
        sync_to_thread=True,
        summary="Read back the current version's content (its supplier, before the deadline; audited)",
    )
    def own_bid_content(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        bid_id: FromPath[uuid.UUID],
        now: Now,
        settings: AppSettings,
    ) -> BidContentOut:
        return own_bid.own_content(db_session, caller=caller, bid_id=bid_id, now=now, settings=settings)

    @post(
        "/bids/{bid_id:uuid}/withdraw",
        status_code=200,
        sync_to_thread=True,
        summary="Withdraw before the deadline",
    )
    def withdraw(
        self, db_session: DbSession, caller: CurrentCaller, bid_id: FromPath[uuid.UUID], now: Now
    ) -> Receipt:
        return bids.withdraw(db_session, caller=caller, bid_id=bid_id, now=now)

    @post(
        "/bids/{bid_id:uuid}/confirm",
        status_code=200,
        sync_to_thread=True,
        summary="Confirm the current version against amended terms",
    )
    def confirm(
        self, db_session: DbSession, caller: CurrentCaller, bid_id: FromPath[uuid.UUID], now: Now
    ) -> Receipt:
        return bids.confirm(db_session, caller=caller, bid_id=bid_id, now=now)

    @get("/inbox", sync_to_thread=True, summary="Competitions the calling supplier is invited to")
    def inbox(self, db_session: DbSession, caller: CurrentCaller, now: Now) -> list[InboxItem]:
        return clarifications.inbox(db_session, caller=caller, now=now)

    @get(
        "/inbox/{competition_id:uuid}",
        sync_to_thread=True,
        summary="One invitation in full (404 if not invited)",
    )
    def inbox_item(
        self, db_session: DbSession, caller: CurrentCaller, competition_id: CompetitionId, now: Now
    ) -> InboxDetail:
        return clarifications.inbox_item(db_session, caller=caller, competition_id=competition_id, now=now)
