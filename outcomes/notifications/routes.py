"""HTTP surface of notifications: an endpoint's delivery log and its test event."""

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, QueryParameter

from outcomes.notifications import deliveries
from outcomes.notifications.schemas import DeliveryOut, TestQueued
from procurement.core.http import CurrentCaller, DbSession, Now


class DeliveryController(Controller):
    """What happened to the events sent to an endpoint of the calling supplier."""

    tags = ["notifications"]

    @get(
        "/suppliers/me/webhooks/{endpoint_id:uuid}/deliveries",
        sync_to_thread=True,
        summary="The endpoint's delivery log, newest first, with every attempt",
    )
    def log(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        endpoint_id: FromPath[uuid.UUID],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[DeliveryOut]:
        return deliveries.log(db_session, caller=caller, endpoint_id=endpoint_id, limit=limit)

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
