"""HTTP surface of the shared kernel: health, who am I, principals and tokens."""

import uuid

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody

from procurement.core import service
from procurement.core.http import CurrentCaller, DbSession, Now
from procurement.core.schemas import Health, PrincipalIn, PrincipalOut, TokenOut


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

    @post("/principals", sync_to_thread=True, summary="Add a principal and show its first token once")
    def add_principal(
        self, db_session: DbSession, caller: CurrentCaller, data: JSONBody[PrincipalIn], now: Now
    ) -> TokenOut:
        return service.add_principal(db_session, caller=caller, data=data, now=now)

    @post("/principals/{principal_id:uuid}/tokens", sync_to_thread=True, summary="Issue another token")
    def add_token(
        self, db_session: DbSession, caller: CurrentCaller, principal_id: FromPath[uuid.UUID], now: Now
    ) -> TokenOut:
        return service.add_token(db_session, caller=caller, principal_id=principal_id, now=now)
