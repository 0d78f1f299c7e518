"""HTTP surface of the registry."""

import uuid
from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import BodyKwarg, FromPath, JSONBody, QueryParameter

from procurement.core.http import LOCATION, AppSettings, CurrentCaller, DbSession, Now, created
from procurement.core.listing import PAGE_HEADERS, After, Limit, page_request, paged
from procurement.core.paging import DEFAULT_LIMIT
from registry import admissions, applications, evidence, standing, suppliers
from registry.schemas import (
    AdmissionOut,
    AdmissionStatusOut,
    ApplicationIn,
    ApplicationOut,
    DecisionIn,
    EvidenceOut,
    ExpiringEvidence,
    ExtendIn,
    PublicRegister,
    ReasonIn,
    RenewEvidenceIn,
    SupplierIn,
    SupplierOut,
    SupplierRegistered,
    SuspendIn,
)

ApplicationState = Literal[
    "pending", "submitted", "extended", "admitted", "partially_admitted", "rejected", "withdrawn"
]


# A reason's body keeps the component name the published contract gave it (stable for generated clients).
ReasonBody = Annotated[
    ReasonIn,
    BodyKwarg(media_type=RequestEncodingType.JSON, schema_component_key="registry_schemas_ReasonIn"),
]


class RegistryController(Controller):
    """Suppliers, applications, admissions and the public register."""

    tags = ["registry"]

    @post(
        "/suppliers",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Register as a supplier; the API token is shown once",
    )
    def register(
        self, db_session: DbSession, data: JSONBody[SupplierIn], now: Now
    ) -> Response[SupplierRegistered]:
        # The new supplier reads itself at /suppliers/me with the token in the body.
        return created(suppliers.register_supplier(db_session, data=data, now=now), location="/suppliers/me")

    @get("/suppliers/me", sync_to_thread=True, summary="The calling supplier")
    def me(self, db_session: DbSession, caller: CurrentCaller) -> SupplierOut:
        return suppliers.supplier_out(suppliers.current_supplier(db_session, caller))

    @post(
        "/suppliers/me/evidence",
        status_code=200,
        sync_to_thread=True,
        summary="File renewed evidence for a DPS; answers with the supplier's evidence for it",
    )
    def renew_evidence(
        self, db_session: DbSession, caller: CurrentCaller, data: JSONBody[RenewEvidenceIn], now: Now
    ) -> list[EvidenceOut]:
        return evidence.renew_evidence(
            db_session, caller=caller, dps_id=data.dps_id, items=data.evidence, now=now
        )

    @post(
        "/dps/{dps_id:uuid}/applications",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Apply to a DPS (supplier)",
    )
    def apply(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        dps_id: FromPath[uuid.UUID],
        data: JSONBody[ApplicationIn],
        now: Now,
        settings: AppSettings,
    ) -> Response[ApplicationOut]:
        out = applications.submit_application(
            db_session, caller=caller, dps_id=dps_id, data=data, now=now, settings=settings
        )
        return created(out, location=f"/applications/{out.id}")

    @get(
        "/applications",
        sync_to_thread=True,
        response_headers=PAGE_HEADERS,
        summary="Own applications, or the officer's queue by due date",
    )
    def list_applications(
        self,
        request: Request,
        db_session: DbSession,
        caller: CurrentCaller,
        now: Now,
        application_state: Annotated[ApplicationState | None, QueryParameter(name="state")] = None,
        dps_id: Annotated[uuid.UUID | None, QueryParameter(name="dps_id")] = None,
        after: After = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Response[list[ApplicationOut]]:
        page = applications.list_applications(
            db_session,
            caller=caller,
            state=application_state,
            now=now,
            dps_id=dps_id,
            page=page_request(after, limit),
        )
        return paged(request, page)

    @get("/applications/{application_id:uuid}", sync_to_thread=True, summary="One application")
    def get_application(
        self, db_session: DbSession, caller: CurrentCaller, application_id: FromPath[uuid.UUID], now: Now
    ) -> ApplicationOut:
        application = applications.load_application(
            db_session, caller=caller, application_id=application_id, now=now
        )
        return applications.application_out(db_session, application, now=now)

    @post(
        "/applications/{application_id:uuid}/withdraw",
        status_code=200,
        sync_to_thread=True,
        summary="Withdraw (supplier)",
    )
    def withdraw(
        self, db_session: DbSession, caller: CurrentCaller, application_id: FromPath[uuid.UUID], now: Now
    ) -> ApplicationOut:
        return applications.withdraw_application(
            db_session, caller=caller, application_id=application_id, now=now
        )

    @post(
        "/applications/{application_id:uuid}/extend",
        status_code=200,
        sync_to_thread=True,
        summary="Extend the decision deadline once, before it is due (lead officer)",
    )
    def extend(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[ExtendIn],
        now: Now,
        settings: AppSettings,
    ) -> ApplicationOut:
        return applications.extend_application(
            db_session,
            caller=caller,
            application_id=application_id,
            reason=data.reason,
            now=now,
            settings=settings,
        )

    @post(
        "/applications/{application_id:uuid}/decision",
        status_code=200,
        sync_to_thread=True,
        summary="Admit or reject",
    )
    def decide(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[DecisionIn],
        now: Now,
    ) -> ApplicationOut:
        return applications.decide_application(
            db_session, caller=caller, application_id=application_id, data=data, now=now
        )

    @get(
        "/dps/{dps_id:uuid}/admissions",
        sync_to_thread=True,
        response_headers=PAGE_HEADERS,
        summary="Admissions of a DPS by category and supplier name (ring officers)",
    )
    def list_admissions(
        self,
        request: Request,
        db_session: DbSession,
        caller: CurrentCaller,
        dps_id: FromPath[uuid.UUID],
        now: Now,
        category: Annotated[str | None, QueryParameter(name="category", max_length=20)] = None,
        after: After = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Response[list[AdmissionOut]]:
        page = admissions.list_admissions(
            db_session,
            caller=caller,
            dps_id=dps_id,
            now=now,
            category=category,
            page=page_request(after, limit),
        )
        return paged(request, page)

    @get(
        "/admissions/{admission_id:uuid}/history",
        sync_to_thread=True,
        summary="An admission's history: each status and from when to when (ring officers)",
    )
    def admission_history(
        self, db_session: DbSession, caller: CurrentCaller, admission_id: FromPath[uuid.UUID], now: Now
    ) -> list[AdmissionStatusOut]:
        return standing.history(db_session, caller=caller, admission_id=admission_id, now=now)

    @post(
        "/admissions/{admission_id:uuid}/suspend",
        status_code=200,
        sync_to_thread=True,
        summary="Suspend until a day",
    )
    def suspend(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        admission_id: FromPath[uuid.UUID],
        data: JSONBody[SuspendIn],
        now: Now,
    ) -> AdmissionOut:
        return admissions.suspend(
            db_session,
            caller=caller,
            admission_id=admission_id,
            until=data.until,
            reason=data.reason,
            now=now,
        )

    @post(
        "/admissions/{admission_id:uuid}/lift",
        status_code=200,
        sync_to_thread=True,
        summary="Lift a suspension",
    )
    def lift(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        admission_id: FromPath[uuid.UUID],
        data: ReasonBody,
        now: Now,
    ) -> AdmissionOut:
        return admissions.lift(
            db_session, caller=caller, admission_id=admission_id, reason=data.reason, now=now
        )

    @post(
        "/admissions/{admission_id:uuid}/exclude",
        status_code=200,
        sync_to_thread=True,
        summary="Exclude: ends the admission (the supplier may apply again with its self-cleaning)",
    )
    def exclude(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        admission_id: FromPath[uuid.UUID],
        data: ReasonBody,
        now: Now,
    ) -> AdmissionOut:
        return admissions.exclude(
            db_session, caller=caller, admission_id=admission_id, reason=data.reason, now=now
        )

    @get("/dps/{dps_id:uuid}/register", sync_to_thread=True, summary="Public register of admitted suppliers")
    def register_of(self, db_session: DbSession, dps_id: FromPath[uuid.UUID], now: Now) -> PublicRegister:
        return admissions.public_register(db_session, dps_id=dps_id, now=now)

    @get("/dps/{dps_id:uuid}/evidence-expiry", sync_to_thread=True, summary="Expired or expiring evidence")
    def evidence_expiry(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        dps_id: FromPath[uuid.UUID],
        now: Now,
        within_days: Annotated[int, QueryParameter(name="within_days", ge=0, le=366)] = 30,
    ) -> list[ExpiringEvidence]:
        return admissions.expiring_evidence(
            db_session, caller=caller, dps_id=dps_id, within_days=within_days, now=now
        )
