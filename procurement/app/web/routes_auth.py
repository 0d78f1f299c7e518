"""Signing in with an API token, signing out, the language switch and the start page by role."""

from typing import Any

from litestar import Controller, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from procurement.app.web import session as web_session
from procurement.app.web.context import WebPage
from procurement.app.web.forms import Form, text
from procurement.app.web.i18n import LANG_COOKIE, LANGUAGES
from procurement.core import audit
from procurement.core.auth import authenticate, hash_token
from procurement.core.errors import Unauthenticated

HOME_OF_ROLE = {"officer": "/ui/officer", "finance": "/ui/finance", "supplier": "/ui/supplier"}


class AuthPages(Controller):
    """Sign-in, sign-out and language."""

    include_in_schema = False

    @get("/", sync_to_thread=True)
    def home(self, web: WebPage) -> Redirect:
        caller = web.signed_in()
        caller.require(*HOME_OF_ROLE)
        return Redirect(path=HOME_OF_ROLE[caller.role], status_code=303)

    @get("/sign-in", sync_to_thread=True)
    def sign_in_form(self, web: WebPage) -> Template:
        return web.page("sign_in.html", error=None)

    @post("/sign-in", sync_to_thread=True)
    def sign_in(self, web: WebPage, data: Form) -> Any:
        token = text(data, "token")
        try:
            caller = authenticate(web.db, f"Bearer {token}") if token else None
        except Unauthenticated:
            caller = None
        if caller is None:
            return web.page("sign_in.html", status=401, error="The token is not valid (unknown or revoked).")
        started = web_session.new_session(principal_id=caller.id, token_hash=hash_token(token))
        # Who opened a browser session, and when, is evidence like any other change.
        audit.record(
            web.db, aggregate=("principal", caller.id), actor=caller.label, action="web.sign_in", at=web.now
        )
        return Redirect(
            path=HOME_OF_ROLE.get(caller.role, "/ui/"),
            status_code=303,
            cookies=[
                web_session.session_cookie(web.key, started, secure=web.secure),
                web_session.expired_cookie(web_session.ANON_COOKIE),
            ],
        )

    @post("/sign-out", sync_to_thread=True)
    def sign_out(self, web: WebPage) -> Redirect:
        return Redirect(
            path="/ui/sign-in",
            status_code=303,
            cookies=[web_session.expired_cookie(web_session.SESSION_COOKIE)],
        )

    @post("/language", sync_to_thread=True)
    def choose_language(self, web: WebPage, data: Form) -> Redirect:
        lang = text(data, "lang")
        back = text(data, "next")
        if lang not in LANGUAGES:
            lang = web.lang
        # Only paths of this site: an open redirect would let a link send officers elsewhere.
        target = back if back.startswith("/ui") and not back.startswith("//") else "/ui/"
        cookie = Cookie(
            key=LANG_COOKIE, value=lang, path="/ui", max_age=365 * 86400, samesite="lax", secure=web.secure
        )
        return Redirect(path=target, status_code=303, cookies=[cookie])
