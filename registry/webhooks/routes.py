"""HTTP surface of a supplier's webhook endpoints and e-mail setting."""

import uuid

from litestar import Controller, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody

from procurement.core.http import LOCATION, AppSettings, CurrentCaller, DbSession, Now, created
from registry.webhooks import endpoints
from registry.webhooks.schemas import EmailSettingIn, EmailSettingOut, EndpointIn, EndpointOut, EndpointSecret


class WebhookController(Controller):
    """The calling supplier's webhook endpoints (docs/webhooks.md) and its e-mail choice."""

    tags = ["notifications"]

    @post(
        "/suppliers/me/webhooks",
        status_code=201,
        response_headers=[LOCATION],
        sync_to_thread=True,
        summary="Register an endpoint; the secret is shown once",
    )
    def create(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        data: JSONBody[EndpointIn],
        now: Now,
        settings: AppSettings,
    ) -> Response[EndpointSecret]:
        out = endpoints.create(db_session, caller=caller, data=data, now=now, settings=settings)
        return created(out, location=f"/suppliers/me/webhooks/{out.endpoint.id}")

    @get(
        "/suppliers/me/webhooks/{endpoint_id:uuid}",
        sync_to_thread=True,
        summary="One of the calling supplier's endpoints",
    )
    def get_endpoint(
        self, db_session: DbSession, caller: CurrentCaller, endpoint_id: FromPath[uuid.UUID]
    ) -> EndpointOut:
        return endpoints.get(db_session, caller=caller, endpoint_id=endpoint_id)

    @get("/suppliers/me/webhooks", sync_to_thread=True, summary="The calling supplier's endpoints")
    def list_endpoints(self, db_session: DbSession, caller: CurrentCaller) -> list[EndpointOut]:
        return endpoints.list_endpoints(db_session, caller=caller)

    @post(
        "/suppliers/me/webhooks/{endpoint_id:uuid}/rotate",
        status_code=200,
        sync_to_thread=True,
        summary="A new secret, shown once; the old one keeps signing beside it for the overlap",
    )
    def rotate(
        self,
        db_session: DbSession,
        caller: CurrentCaller,
        endpoint_id: FromPath[uuid.UUID],
        now: Now,
        settings: AppSettings,
    ) -> EndpointSecret:
        return endpoints.rotate(
            db_session, caller=caller, endpoint_id=endpoint_id, now=now, settings=settings
        )

    @delete(
        "/suppliers/me/webhooks/{endpoint_id:uuid}",
        status_code=200,
        sync_to_thread=True,
        summary="Stop calling an endpoint; answers the endpoint as it was",
    )
    def remove(
        self, db_session: DbSession, caller: CurrentCaller, endpoint_id: FromPath[uuid.UUID], now: Now
    ) -> EndpointOut:
        return endpoints.delete(db_session, caller=caller, endpoint_id=endpoint_id, now=now)

    @get("/suppliers/me/notifications", sync_to_thread=True, summary="The calling supplier's e-mail choice")
    def email(self, db_session: DbSession, caller: CurrentCaller) -> EmailSettingOut:
        return endpoints.email_setting(db_session, caller=caller)

    @put(
        "/suppliers/me/notifications",
        sync_to_thread=True,
        summary="E-mail each event, a daily digest, or none",
    )
    def set_email(
        self, db_session: DbSession, caller: CurrentCaller, data: JSONBody[EmailSettingIn], now: Now
    ) -> EmailSettingOut:
        return endpoints.set_email(db_session, caller=caller, data=data, now=now)
