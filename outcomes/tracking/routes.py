"""HTTP surface of participants, referrals and outcome events."""

import uuid
from typing import Annotated, Literal

from litestar import Controller, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import BodyKwarg, FromPath, JSONBody, QueryParameter

from outcomes.tracking import events, participants, queue, referrals
from outcomes.tracking.schemas import (
    EndIn,
    EventIn,
    EventOut,
    ParticipantIn,
    ParticipantOut,
    ReasonIn,
    ReferralIn,
    ReferralOut,
    StartIn,
    StepEndIn,
    VerifyIn,
)
from procurement.core.http import LOCATION, AppSettings, CurrentCaller, DbSession, Now, created

# A reason's body keeps the component name the published contract gave it (stable for generated clients).
ReasonBody = Annotated[
    ReasonIn,
    BodyKwarg(media_type=RequestEncodingType.JSON, schema_component_key="outcomes_schemas_ReasonIn"),
]

Id = FromPath[uuid.UUID]


class TrackingController(Controller):
    """Participants, referrals and outcome events."""

    tags = ["outcomes"]

    @post(
        "/participants",
        status_code=201,
        response_headers=[LOCATION],
        responses={
            200: ResponseSpec(
                data_container=ParticipantOut,
                description="The person is already registered: the existing participant, updated.",
                generate_examples=False,
            )
        },
        sync_to_thread=True,
        summary="Register a participant by hetu (officer); 200 when already registered",
    )
    def register(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        data: JSONBody[ParticipantIn],
        now: Now,
        settings: AppSettings,
    ) -> Response[ParticipantOut]:
        out, new = participants.register(db_session, caller=caller, data=data, now=now, settings=settings)
        return created(out, location=f"/participants/{out.id}") if new else Response(out, status_code=200)

    @get("/participants/{participant_id:uuid}", sync_to_thread=True, summary="A participant in scope")
    def get_participant(
        self, db_session: DbSession, caller: CurrentCaller, participant_id: Id
    ) -> ParticipantOut:
        return participants.get(db_session, caller=caller, participant_id=participant_id)

    @post(
        "/referrals",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Refer a participant to a contract lot (officer)",
    )
    def refer(
        self, db_session: DbSession, caller: CurrentCaller, data: JSONBody[ReferralIn], now: Now
    ) -> Response[ReferralOut]:
        out = referrals.refer(db_session, caller=caller, data=data, now=now)
        return created(out, location=f"/referrals/{out.id}")

    @get(
        "/referrals",
        sync_to_thread=True,
        summary="Referrals of the officer's authority or the supplier's own",
    )
    def list_referrals(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        contract_id: Annotated[uuid.UUID | None, QueryParameter(name="contract_id")] = None,
        referral_state: Annotated[
            Literal["referred", "started", "ended"] | None, QueryParameter(name="state")
        ] = None,
    ) -> list[ReferralOut]:
        return referrals.list_referrals(
            db_session, caller=caller, contract_id=contract_id, state=referral_state
        )

    @get("/referrals/{referral_id:uuid}", sync_to_thread=True, summary="A referral with its outcome events")
    def get_referral(self, db_session: DbSession, caller: CurrentCaller, referral_id: Id) -> ReferralOut:
        return referrals.get(db_session, caller=caller, referral_id=referral_id)

    @post(
        "/referrals/{referral_id:uuid}/start",
        status_code=200,
        sync_to_thread=True,
        summary="Record the start (supplier)",
    )
    def start(
        self, db_session: DbSession, caller: CurrentCaller, referral_id: Id, data: JSONBody[StartIn], now: Now
    ) -> ReferralOut:
        return referrals.start(db_session, caller=caller, referral_id=referral_id, data=data, now=now)

    @post(
        "/referrals/{referral_id:uuid}/end",
        status_code=200,
        sync_to_thread=True,
        summary="Record the end (supplier)",
    )
    def end(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        referral_id: Id,
        data: JSONBody[EndIn],
        now: Now,
        settings: AppSettings,
    ) -> ReferralOut:
        return referrals.end(
            db_session, caller=caller, referral_id=referral_id, data=data, now=now, settings=settings
        )

    @post(
        "/referrals/{referral_id:uuid}/neutral-exit/verify",
        status_code=200,
        sync_to_thread=True,
        summary="Verify a reported neutral exit: only then it leaves the flow-through count (officer)",
    )
    def verify_exit(
        self, db_session: DbSession, caller: CurrentCaller, referral_id: Id, now: Now
    ) -> ReferralOut:
        return referrals.decide_neutral_exit(
            db_session, caller=caller, referral_id=referral_id, verified=True, now=now
        )

    @post(
        "/referrals/{referral_id:uuid}/neutral-exit/reject",
        status_code=200,
        sync_to_thread=True,
        summary="Reject a reported neutral exit, with the reason (officer)",
    )
    def reject_exit(
        self, db_session: DbSession, caller: CurrentCaller, referral_id: Id, data: ReasonBody, now: Now
    ) -> ReferralOut:
        return referrals.decide_neutral_exit(
            db_session, caller=caller, referral_id=referral_id, verified=False, now=now, reason=data.reason
        )

    @get(
        "/outcome-events",
        sync_to_thread=True,
        summary="Outcome events to decide (officer: the authority's; supplier: its own), duplicates flagged",
    )
    def list_events(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        event_state: Annotated[str | None, QueryParameter(name="state")] = None,
        contract_id: Annotated[uuid.UUID | None, QueryParameter(name="contract_id")] = None,
    ) -> list[EventOut]:
        return queue.list_events(db_session, caller=caller, state=event_state, contract_id=contract_id)

    @post(
        "/referrals/{referral_id:uuid}/events",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Report an outcome with evidence (supplier) or record one from a register (officer)",
    )
    def report_event(
        self, db_session: DbSession, caller: CurrentCaller, referral_id: Id, data: JSONBody[EventIn], now: Now
    ) -> Response[EventOut]:
        out = events.report(db_session, caller=caller, referral_id=referral_id, data=data, now=now)
        return created(out, location=f"/outcome-events/{out.id}")

    @get(
        "/outcome-events/{event_id:uuid}",
        sync_to_thread=True,
        summary="An outcome event (officers of the buying authority, the contract's supplier)",
    )
    def get_event(self, db_session: DbSession, caller: CurrentCaller, event_id: Id) -> EventOut:
        return events.get(db_session, caller=caller, event_id=event_id)

    @post(
        "/outcome-events/{event_id:uuid}/verify",
        status_code=200,
        sync_to_thread=True,
        summary="Verify (officer)",
    )
    def verify(
        self, db_session: DbSession, caller: CurrentCaller, event_id: Id, data: JSONBody[VerifyIn], now: Now
    ) -> EventOut:
        return events.verify(db_session, caller=caller, event_id=event_id, data=data, now=now)

    @post(
        "/outcome-events/{event_id:uuid}/reject",
        status_code=200,
        sync_to_thread=True,
        summary="Reject (officer)",
    )
    def reject(
        self, db_session: DbSession, caller: CurrentCaller, event_id: Id, data: ReasonBody, now: Now
    ) -> EventOut:
        return events.reject(db_session, caller=caller, event_id=event_id, reason=data.reason, now=now)

    @post(
        "/outcome-events/{event_id:uuid}/void",
        status_code=200,
        sync_to_thread=True,
        summary="Void a verified event; a paid one awaits clawback (officer)",
    )
    def void(
        self, db_session: DbSession, caller: CurrentCaller, event_id: Id, data: ReasonBody, now: Now
    ) -> EventOut:
        return events.void(db_session, caller=caller, event_id=event_id, reason=data.reason, now=now)

    @post(
        "/outcome-events/{event_id:uuid}/end",
        status_code=200,
        sync_to_thread=True,
        summary="Record when a job, studies or ladder step ended",
    )
    def end_step(
        self, db_session: DbSession, caller: CurrentCaller, event_id: Id, data: JSONBody[StepEndIn], now: Now
    ) -> EventOut:
        return events.end_step(db_session, caller=caller, event_id=event_id, data=data, now=now)
