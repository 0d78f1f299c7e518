"""HTTP surface of a supplier's webhook endpoints and e-mail setting."""

import uuid

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, JSONBody

from procurement.core.http import AppSettings, CurrentCaller, DbSession, Now
from registry.webhooks import endpoints
from registry.webhooks.schemas import EmailSettingIn, EmailSettingOut, EndpointIn, EndpointOut, EndpointSecret


class WebhookController(Controller):
    """The calling supplier's webhook endpoints (docs/webhooks.md) and its e-mail choice."""

    tags = ["notifications"]

    @post(
        "/suppliers/me/webhooks",
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
    ) -> EndpointSecret:
        return endpoints.create(db_session, caller=caller, data=data, now=now, settings=settings)

    @get("/suppliers/me/webhooks", sync_to_thread=True, summary="The calling supplier's endpoints")
    def list_endpoints(self, db_session: DbSession, caller: CurrentCaller) -> list[EndpointOut]:
        return endpoints.list_endpoints(db_session, caller=caller)

    @post(
        "/suppliers/me/webhooks/{endpoint_id:uuid}/rotate",
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
        "/suppliers/me/webhooks/{endpoint_id:uuid}", sync_to_thread=True, summary="Stop calling an endpoint"
    )
    def remove(
        self, db_session: DbSession, caller: CurrentCaller, endpoint_id: FromPath[uuid.UUID], now: Now
    ) -> None:
        endpoints.delete(db_session, caller=caller, endpoint_id=endpoint_id, now=now)

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
