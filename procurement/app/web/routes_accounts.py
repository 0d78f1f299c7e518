"""A signed-in principal's own API tokens (make one, list, revoke) and a supplier's webhook endpoints.

The same services as `/me/tokens` and `/suppliers/me/webhooks`: a token or a signing secret is shown
once, on the page that answers the form (never in an address or a later page).
"""

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from outcomes.notifications import deliveries
from procurement.app.web.context import WebPage
from procurement.app.web.forms import FieldErrors, Form, add_refusal, text, typed
from procurement.app.web.listing import WHOLE
from procurement.app.web.messages import N_
from procurement.core import tokens
from procurement.core.errors import InvalidInput
from procurement.core.event_kinds import KINDS, SUBSCRIBABLE
from procurement.core.paging import PageRequest
from procurement.core.schemas import TokenIn
from registry.webhooks import endpoints
from registry.webhooks.schemas import EmailSettingIn, EndpointIn

Id = FromPath[uuid.UUID]


class AccountPages(Controller):
    """Tokens for every role; webhooks for suppliers."""

    include_in_schema = False

    @get("/tokens", sync_to_thread=True)
    def token_list(self, web: WebPage) -> Template:
        caller = web.signed_in()
        return _tokens_page(web, caller, errors=FieldErrors(), values={})

    @post("/tokens", sync_to_thread=True)
    def make_token(self, web: WebPage, data: Form) -> Template:
        caller = web.signed_in()
        label = text(data, "label")
        errors = FieldErrors()
        if not label:
            errors["label"] = N_("Name the token by where it is used, e.g. “payroll system”.")
        else:
            try:
                made = tokens.add_own_token(
                    web.db, caller=caller, label=typed(TokenIn, {"label": label}).label, now=web.now
                )
                # The secret is on this page only: the answer to the form, never a redirect's address.
                return _tokens_page(web, caller, errors=errors, values={}, made=made.token)
            except InvalidInput as exc:
                web.db.rollback()
                add_refusal(errors, exc, field="label")
        return _tokens_page(web, caller, errors=errors, values={"label": label}, status=422)

    @post("/tokens/{token_id:uuid}/revoke", sync_to_thread=True)
    def revoke_token(self, web: WebPage, token_id: Id, data: Form) -> Any:
        caller = web.signed_in()
        current = caller.token_id == token_id
        facts = [web.t("A program or person using this token can no longer sign in with it.")]
        if current:
            facts.append(web.t("You signed in with this token: this session ends too."))
        asked = web.confirm(
            data, title=web.t("Revoke the token?"), facts=facts, button=web.t("Revoke"), back="/ui/tokens"
        )
        if asked is not None:
            return asked
        tokens.revoke_own(web.db, caller=caller, token_id=token_id, now=web.now)
        if current:
            return Redirect(path="/ui/sign-in", status_code=303)
        return web.back("/ui/tokens", done="revoked")

    @get("/supplier/webhooks", sync_to_thread=True)
    def webhooks(self, web: WebPage) -> Template:
        caller = web.signed_in("supplier")
        return _webhooks_page(web, caller, errors=FieldErrors(), values={})

    @post("/supplier/webhooks", sync_to_thread=True)
    def register(self, web: WebPage, data: Form) -> Template:
        caller = web.signed_in("supplier")
        values = {"url": text(data, "url"), "description": text(data, "description")}
        chosen = [k for k in SUBSCRIBABLE if text(data, f"type-{k}") == "yes"]
        errors = FieldErrors()
        if not values["url"].startswith(("https://", "http://")):
            errors["url"] = N_("Give the address of your system, starting with https://.")
        if not chosen:
            errors["event_types"] = N_("Choose at least one kind of event.")
        if not errors:
            try:
                body = typed(EndpointIn, {**values, "event_types": chosen})
                made = endpoints.create(web.db, caller=caller, data=body, now=web.now, settings=web.settings)
                return _webhooks_page(
                    web,
                    caller,
                    errors=errors,
                    values={},
                    secret=made.secret,
                    for_url=made.endpoint.url,
                )
            except InvalidInput as exc:
                web.db.rollback()
                add_refusal(errors, exc, field="url")
        values.update({f"type-{k}": "yes" for k in chosen})
        return _webhooks_page(web, caller, errors=errors, values=values, status=422)

    @post("/supplier/notifications", sync_to_thread=True)
    def email(self, web: WebPage, data: Form) -> Redirect:
        caller = web.signed_in("supplier")
        choice = typed(EmailSettingIn, {"email": text(data, "email")})
        endpoints.set_email(web.db, caller=caller, data=choice, now=web.now)
        return web.back("/ui/supplier/webhooks#email", done="email_saved")

    @get("/supplier/webhooks/{endpoint_id:uuid}", sync_to_thread=True)
    def webhook(self, web: WebPage, endpoint_id: Id) -> Template:
        caller = web.signed_in("supplier")
        return web.page(
            "supplier_webhook.html",
            endpoint=endpoints.get(web.db, caller=caller, endpoint_id=endpoint_id),
            log=deliveries.log(
                web.db, caller=caller, endpoint_id=endpoint_id, page=PageRequest(limit=50)
            ).items,
            titles=_titles(web.lang),
        )

    @post("/supplier/webhooks/{endpoint_id:uuid}/rotate", sync_to_thread=True)
    def rotate(self, web: WebPage, endpoint_id: Id, data: Form) -> Any:
        caller = web.signed_in("supplier")
        hours = web.settings.webhook_secret_overlap_hours
        asked = web.confirm(
            data,
            title=web.t("Make a new signing secret?"),
            facts=[
                web.t("The new secret is shown once. The old one keeps signing beside it for %(h)s hours.")
                % {"h": f"{hours:g}"}
            ],
            button=web.t("Make a new secret"),
            back=f"/ui/supplier/webhooks/{endpoint_id}",
        )
        if asked is not None:
            return asked
        made = endpoints.rotate(
            web.db, caller=caller, endpoint_id=endpoint_id, now=web.now, settings=web.settings
        )
        return _webhooks_page(
            web, caller, errors=FieldErrors(), values={}, secret=made.secret, for_url=made.endpoint.url
        )

    @post("/supplier/webhooks/{endpoint_id:uuid}/test", sync_to_thread=True)
    def test(self, web: WebPage, endpoint_id: Id) -> Redirect:
        caller = web.signed_in("supplier")
        deliveries.test(web.db, caller=caller, endpoint_id=endpoint_id, now=web.now)
        return web.back(f"/ui/supplier/webhooks/{endpoint_id}", done="webhook_test")

    @post("/supplier/webhooks/{endpoint_id:uuid}/delete", sync_to_thread=True)
    def delete(self, web: WebPage, endpoint_id: Id, data: Form) -> Any:
        caller = web.signed_in("supplier")
        found = endpoints.get(web.db, caller=caller, endpoint_id=endpoint_id)
        asked = web.confirm(
            data,
            title=web.t("Delete the endpoint?"),
            facts=[web.t("No more events are sent to %(url)s.") % {"url": found.url}],
            button=web.t("Delete"),
            back=f"/ui/supplier/webhooks/{endpoint_id}",
        )
        if asked is not None:
            return asked
        endpoints.delete(web.db, caller=caller, endpoint_id=endpoint_id, now=web.now)
        return web.back("/ui/supplier/webhooks", done="webhook_deleted")


def _titles(lang: str) -> dict[str, str]:
    """Each event kind's name in the reader's language (the kinds carry both)."""
    return {k: (v.title_fi if lang == "fi" else v.title_en) or k for k, v in KINDS.items()}


def _tokens_page(
    web: WebPage,
    caller: Any,
    *,
    errors: FieldErrors,
    values: dict[str, str],
    made: str | None = None,
    status: int = 200,
) -> Template:
    return web.page(
        "tokens.html",
        status=status,
        tokens=tokens.own_tokens(web.db, caller=caller, page=WHOLE).items,
        made=made,
        errors=errors,
        values=values,
    )


def _webhooks_page(
    web: WebPage,
    caller: Any,
    *,
    errors: FieldErrors,
    values: dict[str, str],
    secret: str | None = None,
    for_url: str = "",
    status: int = 200,
) -> Template:
    return web.page(
        "supplier_webhooks.html",
        status=status,
        endpoints=endpoints.list_endpoints(web.db, caller=caller, page=WHOLE).items,
        email=endpoints.email_setting(web.db, caller=caller),
        kinds=SUBSCRIBABLE,
        titles=_titles(web.lang),
        secret=secret,
        for_url=for_url,
        errors=errors,
        values=values,
    )
