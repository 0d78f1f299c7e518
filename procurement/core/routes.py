"""HTTP surface of the shared kernel: health, who am I, principals and tokens."""

import uuid

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody

from procurement.core import service, tokens
from procurement.core.http import LOCATION, CurrentCaller, DbSession, Now, created
from procurement.core.listing import PAGE_HEADERS, After, Limit, page_request, paged
from procurement.core.paging import DEFAULT_LIMIT
from procurement.core.replica import ReadReplica
from procurement.core.schemas import Health, PrincipalIn, PrincipalOut, TokenIn, TokenInfo, TokenOut


class CoreController(Controller):
    """Health and principals."""

    tags = ["core"]

    @get(
        "/health",
        sync_to_thread=True,
        summary="Database reachable, schema at the newest migration, the read replica's lag",
    )
    def health(self, db_session: DbSession, state: State) -> Health:
        revision = service.current_revision(db_session)
        if revision != state.migration_head:
            raise HTTPException(
                status_code=503, detail=f"Schema at {revision}, expected {state.migration_head}."
            )
        replica: ReadReplica | None = state.get("read_replica")
        if replica is None:
            return Health(status="ok", database="ok", migrations="head")
        found = replica.health(db_session)
        return Health(
            status="ok" if found.state == "ok" else "degraded",
            database="ok",
            migrations="head",
            replica=found.state,
            replica_lag_s=found.lag_s,
            replica_behind_bytes=found.behind_bytes,
        )

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
        summary="Issue another token for an admin, officer or finance user (admin; never a supplier's)",
    )
    def add_token(
        self, db_session: DbSession, caller: CurrentCaller, principal_id: FromPath[uuid.UUID], now: Now
    ) -> Response[TokenOut]:
        out = service.add_token(db_session, caller=caller, principal_id=principal_id, now=now)
        return created(out, location=f"/principals/{principal_id}/tokens/{out.token_id}")

    @get(
        "/principals/{principal_id:uuid}/tokens",
        sync_to_thread=True,
        summary="Tokens of an admin, officer or finance user, newest first (admin; never a supplier's)",
        response_headers=PAGE_HEADERS,
    )
    def staff_tokens(
        self,
        request: Request,
        db_session: DbSession,
        caller: CurrentCaller,
        principal_id: FromPath[uuid.UUID],
        after: After = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Response[list[TokenInfo]]:
        page = tokens.staff_tokens(
            db_session, caller=caller, principal_id=principal_id, page=page_request(after, limit)
        )
        return paged(request, page)

    @get(
        "/principals/{principal_id:uuid}/tokens/{token_id:uuid}",
        sync_to_thread=True,
        summary="A token's label and dates, never its value (its principal; an admin for staff)",
    )
    def get_token(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        principal_id: FromPath[uuid.UUID],
        token_id: FromPath[uuid.UUID],
    ) -> TokenInfo:
        return service.get_token(db_session, caller=caller, principal_id=principal_id, token_id=token_id)

    @post(
        "/principals/{principal_id:uuid}/tokens/{token_id:uuid}/revoke",
        status_code=200,
        sync_to_thread=True,
        summary="Revoke a token of an admin, officer or finance user (admin)",
    )
    def revoke_staff_token(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        principal_id: FromPath[uuid.UUID],
        token_id: FromPath[uuid.UUID],
        now: Now,
        state: State,
    ) -> TokenInfo:
        revoked = tokens.revoke_staff_token(
            db_session, caller=caller, principal_id=principal_id, token_id=token_id, now=now
        )
        state.token_cache.forget_token(token_id)
        return revoked

    @get(
        "/me/tokens",
        sync_to_thread=True,
        response_headers=PAGE_HEADERS,
        summary="Your tokens, newest first (never the tokens themselves)",
    )
    def own_tokens(
        self,
        request: Request,
        db_session: DbSession,
        caller: CurrentCaller,
        after: After = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Response[list[TokenInfo]]:
        return paged(request, tokens.own_tokens(db_session, caller=caller, page=page_request(after, limit)))

    @post(
        "/me/tokens",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Make yourself a further token, shown once (it opens what your current token opens)",
    )
    def add_own_token(
        self, db_session: DbSession, caller: CurrentCaller, data: JSONBody[TokenIn], now: Now
    ) -> Response[TokenOut]:
        out = tokens.add_own_token(db_session, caller=caller, label=data.label, now=now)
        return created(out, location=f"/principals/{caller.id}/tokens/{out.token_id}")

    @post(
        "/me/tokens/{token_id:uuid}/revoke",
        status_code=200,
        sync_to_thread=True,
        summary="Revoke one of your tokens (its browser sessions end too)",
    )
    def revoke_own_token(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        token_id: FromPath[uuid.UUID],
        now: Now,
        state: State,
    ) -> TokenInfo:
        revoked = tokens.revoke_own(db_session, caller=caller, token_id=token_id, now=now)
        state.token_cache.forget_token(token_id)
        return revoked
