"""HTTP surface of notifications: an endpoint's delivery log and its test event."""

import uuid

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from outcomes.notifications import deliveries
from outcomes.notifications.schemas import DeliveryOut, TestQueued
from procurement.core.http import CurrentCaller, DbSession, Now
from procurement.core.listing import PAGE_HEADERS, After, Limit, page_request, paged
from procurement.core.paging import DEFAULT_LIMIT


class DeliveryController(Controller):
    """What happened to the events sent to an endpoint of the calling supplier."""

    tags = ["notifications"]

    @get(
        "/suppliers/me/webhooks/{endpoint_id:uuid}/deliveries",
        sync_to_thread=True,
        summary="The endpoint's delivery log, newest first, with every attempt",
        response_headers=PAGE_HEADERS,
    )
    def log(
        self,
        request: Request,
        db_session: DbSession,
        caller: CurrentCaller,
        endpoint_id: FromPath[uuid.UUID],
        after: After = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Response[list[DeliveryOut]]:
        page = deliveries.log(
            db_session, caller=caller, endpoint_id=endpoint_id, page=page_request(after, limit)
        )
        return paged(request, page)

    @post(
        "/suppliers/me/webhooks/{endpoint_id:uuid}/test",
        sync_to_thread=True,
        status_code=200,
        summary="Queue a signed test event for the endpoint",
    )
    def test(
        self, db_session: DbSession, caller: CurrentCaller, endpoint_id: FromPath[uuid.UUID], now: Now
    ) -> TestQueued:
        return deliveries.test(db_session, caller=caller, endpoint_id=endpoint_id, now=now)
