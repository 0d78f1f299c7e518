"""Signing in with an API token, signing out, the language switch and the start page by role."""

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.response import Redirect, Template

from procurement.app.web import session as web_session
from procurement.app.web.context import WebPage
from procurement.app.web.forms import Form, text
from procurement.app.web.i18n import LANG_COOKIE, LANGUAGES
from procurement.core import audit
from procurement.core.auth import authenticate
from procurement.core.errors import NotFound, Unauthenticated
from procurement.core.models import WebSession

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
        web.check_throttle()
        token = text(data, "token")
        try:
            caller = authenticate(web.db, f"Bearer {token}") if token else None
        except Unauthenticated:
            caller = None
        if caller is None:
            web.throttle_failure()
            return web.page("sign_in.html", status=401, error="The token is not valid (unknown or revoked).")
        row, cookie = web_session.open_session(
            web.db,
            caller=caller,
            user_agent=web.request.headers.get("user-agent", ""),
            now=web.now,
            settings=web.settings,
        )
        # Who opened a browser session, and when, is evidence like any other change.
        audit.record(
            web.db,
            aggregate=("principal", caller.id),
            actor=caller.label,
            action="web.sign_in",
            at=web.now,
            after={"session": row.id, "expires_at": row.expires_at},
        )
        max_age = web.settings.session_absolute_hours * 3600
        return Redirect(
            path=HOME_OF_ROLE.get(caller.role, "/ui/"),
            status_code=303,
            cookies=[
                web_session.session_cookie(web.key, cookie, secure=web.secure, max_age=max_age),
                web_session.expired_cookie(web_session.ANON_COOKIE),
            ],
        )

    @post("/sign-out", sync_to_thread=True)
    def sign_out(self, web: WebPage) -> Redirect:
        if web.caller is not None and web.cookie is not None:
            row = web.db.get(WebSession, web.cookie.session_id)
            if row is not None:
                web_session.end(web.db, row, reason="signed out", now=web.now)
                _audit_end(web, sessions=[row.id], action="web.sign_out")
        return Redirect(
            path="/ui/sign-in",
            status_code=303,
            cookies=[web_session.expired_cookie(web_session.SESSION_COOKIE)],
        )

    @get("/sessions", sync_to_thread=True)
    def sessions(self, web: WebPage) -> Template:
        caller = web.signed_in()
        live = web_session.live_sessions(web.db, principal_id=caller.id, now=web.now, settings=web.settings)
        current = web.cookie.session_id if web.cookie else None
        return web.page(
            "sessions.html", sessions=live, current=current, idle=web.settings.session_idle_minutes
        )

    @post("/sessions/{session_id:uuid}/end", sync_to_thread=True)
    def end_session(self, web: WebPage, session_id: FromPath[uuid.UUID]) -> Redirect:
        caller = web.signed_in()
        row = web.db.get(WebSession, session_id)
        if row is None or row.principal_id != caller.id:
            raise NotFound("No session of yours has that id.")
        if row.ended_at is None:
            web_session.end(web.db, row, reason="signed out elsewhere", now=web.now)
            _audit_end(web, sessions=[row.id], action="web.sign_out")
        if web.cookie is not None and web.cookie.session_id == session_id:
            return Redirect(path="/ui/sign-in", status_code=303)
        return web.back("/ui/sessions")

    @post("/sessions/end-all", sync_to_thread=True)
    def end_all_sessions(self, web: WebPage) -> Redirect:
        caller = web.signed_in()
        ended = web_session.end_all(
            web.db, principal_id=caller.id, reason="signed out everywhere", now=web.now
        )
        audit.record(
            web.db,
            aggregate=("principal", caller.id),
            actor=caller.label,
            action="web.sign_out_everywhere",
            at=web.now,
            after={"sessions_ended": ended},
        )
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


def _audit_end(web: Any, *, sessions: list[uuid.UUID], action: str) -> None:
    caller = web.signed_in()
    audit.record(
        web.db,
        aggregate=("principal", caller.id),
        actor=caller.label,
        action=action,
        at=web.now,
        after={"sessions": sessions},
    )
