"""HTTP surface of authorities, rings, categories and DPSs."""

import uuid
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from procurement.core.http import LOCATION, CurrentCaller, DbSession, Now, OptionalCaller, created
from procurement.core.listing import PAGE_HEADERS, After, Limit, page_request, paged
from procurement.core.paging import DEFAULT_LIMIT
from procurement.ring.dps import category_page, create_dps, get_dps, list_dps, publish_dps
from procurement.ring.rings import (
    add_member,
    authority_out,
    create_authority,
    create_ring,
    end_membership,
    get_authority,
    get_ring,
    list_authorities,
    ring_out,
)
from procurement.ring.schemas import (
    AuthorityIn,
    AuthorityOut,
    CategoryOut,
    DpsIn,
    DpsOut,
    MemberIn,
    MembershipEndIn,
    RingIn,
    RingOut,
)


class RingController(Controller):
    """Authorities, rings and their DPSs."""

    tags = ["ring"]

    @post(
        "/authorities",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Add an authority (admin)",
    )
    def create_authority(
        self, db_session: DbSession, caller: CurrentCaller, data: JSONBody[AuthorityIn], now: Now
    ) -> Response[AuthorityOut]:
        out = create_authority(db_session, caller=caller, data=data, now=now)
        return created(out, location=f"/authorities/{out.id}")

    @get("/authorities", sync_to_thread=True, response_headers=PAGE_HEADERS, summary="Authorities, by name")
    def list_authorities(
        self, request: Request, db_session: DbSession, after: After = None, limit: Limit = DEFAULT_LIMIT
    ) -> Response[list[AuthorityOut]]:
        return paged(request, list_authorities(db_session, page=page_request(after, limit)))

    @get("/authorities/{authority_id:uuid}", sync_to_thread=True, summary="An authority")
    def get_authority(self, db_session: DbSession, authority_id: FromPath[uuid.UUID]) -> AuthorityOut:
        return authority_out(get_authority(db_session, authority_id))

    @post(
        "/rings",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Found a ring with its lead and members (admin)",
    )
    def create_ring(
        self, db_session: DbSession, caller: CurrentCaller, data: JSONBody[RingIn], now: Now
    ) -> Response[RingOut]:
        out = create_ring(db_session, caller=caller, data=data, now=now)
        return created(out, location=f"/rings/{out.id}")

    @get("/rings/{ring_id:uuid}", sync_to_thread=True, summary="A ring and its membership periods")
    def get_ring(self, db_session: DbSession, ring_id: FromPath[uuid.UUID]) -> RingOut:
        return ring_out(db_session, get_ring(db_session, ring_id))

    @post(
        "/rings/{ring_id:uuid}/members",
        status_code=200,
        sync_to_thread=True,
        summary="Add a membership period to a ring; answers with the ring (admin)",
    )
    def add_member(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        ring_id: FromPath[uuid.UUID],
        data: JSONBody[MemberIn],
        now: Now,
    ) -> RingOut:
        return add_member(db_session, caller=caller, ring_id=ring_id, data=data, now=now)

    @post(
        "/rings/{ring_id:uuid}/members/{membership_id:uuid}/end",
        status_code=200,
        sync_to_thread=True,
        summary="End a membership on a day (admin)",
    )
    def end_membership(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        ring_id: FromPath[uuid.UUID],
        membership_id: FromPath[uuid.UUID],
        data: JSONBody[MembershipEndIn],
        now: Now,
    ) -> RingOut:
        return end_membership(
            db_session,
            caller=caller,
            ring_id=ring_id,
            membership_id=membership_id,
            valid_until=data.valid_until,
            now=now,
        )

    @get("/categories", sync_to_thread=True, response_headers=PAGE_HEADERS, summary="The outcome categories")
    def categories(
        self, request: Request, db_session: DbSession, after: After = None, limit: Limit = DEFAULT_LIMIT
    ) -> Response[list[CategoryOut]]:
        return paged(request, category_page(db_session, page=page_request(after, limit)))

    @post(
        "/dps",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Draft a DPS (officer of the ring's lead authority)",
    )
    def create_dps(
        self, db_session: DbSession, caller: CurrentCaller, data: JSONBody[DpsIn], now: Now
    ) -> Response[DpsOut]:
        out = create_dps(db_session, caller=caller, data=data, now=now)
        return created(out, location=f"/dps/{out.id}")

    @get(
        "/dps",
        sync_to_thread=True,
        response_headers=PAGE_HEADERS,
        summary="Published DPSs, newest first (public)",
    )
    def list_dps(
        self,
        request: Request,
        db_session: DbSession,
        now: Now,
        ring_id: Annotated[uuid.UUID | None, QueryParameter(name="ring_id")] = None,
        after: After = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Response[list[DpsOut]]:
        return paged(request, list_dps(db_session, now=now, ring_id=ring_id, page=page_request(after, limit)))

    @get("/dps/{dps_id:uuid}", sync_to_thread=True, summary="A DPS (drafts only to the ring's officers)")
    def get_dps(
        self, db_session: DbSession, optional_caller: OptionalCaller, dps_id: FromPath[uuid.UUID], now: Now
    ) -> DpsOut:
        return get_dps(db_session, caller=optional_caller, dps_id=dps_id, now=now)

    @post(
        "/dps/{dps_id:uuid}/publish",
        status_code=200,
        sync_to_thread=True,
        summary="Open a DPS for applications",
    )
    def publish_dps(
        self, db_session: DbSession, caller: CurrentCaller, dps_id: FromPath[uuid.UUID], now: Now
    ) -> DpsOut:
        return publish_dps(db_session, caller=caller, dps_id=dps_id, now=now)
