"""HTTP surface of the shared kernel: health, who am I, principals and tokens."""

import uuid

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody

from procurement.core import service
from procurement.core.http import LOCATION, CurrentCaller, DbSession, Now, created
from procurement.core.schemas import Health, PrincipalIn, PrincipalOut, TokenInfo, TokenOut


class CoreController(Controller):
    """Health and principals."""

    tags = ["core"]

    @get("/health", sync_to_thread=True, summary="Database reachable and schema at the newest migration")
    def health(self, db_session: DbSession, state: State) -> Health:
        revision = service.current_revision(db_session)
        if revision != state.migration_head:
            raise HTTPException(
                status_code=503, detail=f"Schema at {revision}, expected {state.migration_head}."
            )
        return Health(status="ok", database="ok", migrations="head")

    @get("/me", sync_to_thread=True, summary="The principal behind the token")
    def me(self, caller: CurrentCaller) -> PrincipalOut:
        return PrincipalOut(
            id=caller.id,
            role=caller.role,
            name=caller.name,
            authority_id=caller.authority_id,
            business_id=caller.business_id,
        )

    @post(
        "/principals",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Add a principal and show its first token once",
    )
    def add_principal(
        self, db_session: DbSession, caller: CurrentCaller, data: JSONBody[PrincipalIn], now: Now
    ) -> Response[TokenOut]:
        out = service.add_principal(db_session, caller=caller, data=data, now=now)
        return created(out, location=f"/principals/{out.principal.id}")

    @get("/principals/{principal_id:uuid}", sync_to_thread=True, summary="A principal (admin, or itself)")
    def get_principal(
        self, db_session: DbSession, caller: CurrentCaller, principal_id: FromPath[uuid.UUID]
    ) -> PrincipalOut:
        return service.get_principal(db_session, caller=caller, principal_id=principal_id)

    @post(
        "/principals/{principal_id:uuid}/tokens",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Issue another token",
    )
    def add_token(
        self, db_session: DbSession, caller: CurrentCaller, principal_id: FromPath[uuid.UUID], now: Now
    ) -> Response[TokenOut]:
        out = service.add_token(db_session, caller=caller, principal_id=principal_id, now=now)
        return created(out, location=f"/principals/{principal_id}/tokens/{out.token_id}")

    @get(
        "/principals/{principal_id:uuid}/tokens/{token_id:uuid}",
        sync_to_thread=True,
        summary="A token's label and dates, never its value (admin, or its principal)",
    )
    def get_token(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        principal_id: FromPath[uuid.UUID],
        token_id: FromPath[uuid.UUID],
    ) -> TokenInfo:
        return service.get_token(db_session, caller=caller, principal_id=principal_id, token_id=token_id)
