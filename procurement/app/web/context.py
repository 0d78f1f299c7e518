"""Per-request page context: the language, the signed-in caller, the CSRF token, and rendering."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import MediaType, Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from sqlmodel import Session, select

from procurement.app.web import session as web_session
from procurement.app.web.i18n import LANG_COOKIE, gettext, language
from procurement.app.web.messages import DONE
from procurement.core.auth import Caller
from procurement.core.errors import InvalidInput
from procurement.core.http import DbSession, Now, check_auth_throttle, client_key
from procurement.core.settings import Settings
from procurement.core.text import refusals
from procurement.ring.models import Category

CONFIRMED_FIELD = "confirmed"


class SignInRequired(Exception):
    """The page needs a signed-in principal."""


class CsrfRefused(Exception):
    """A form arrived without this browser's CSRF token."""


@dataclass
class Web:
    """Everything a page handler needs besides the services."""

    request: Request[Any, Any, Any]
    db: Session
    state: State
    settings: Settings
    now: datetime
    key: bytes
    lang: str
    caller: Caller | None
    nonce: str
    new_nonce: bool
    cookie: web_session.SessionCookie | None = None

    @property
    def secure(self) -> bool:
        """Cookies are Secure outside local and test runs (which serve plain HTTP on localhost)."""
        return self.settings.env == "production"

    def signed_in(self, *roles: str) -> Caller:
        """The caller, or a redirect to the sign-in page; 403 when roles are given and not held."""
        if self.caller is None:
            raise SignInRequired
        if roles:
            self.caller.require(*roles)
        return self.caller

    def page(self, template: str, *, status: int = 200, **context: Any) -> Template:
        """Render a page with the shared context (and this browser's CSRF nonce cookie when new)."""
        cookies = [web_session.anon_cookie(self.nonce, secure=self.secure)] if self.new_nonce else []
        notice = DONE.get(self.request.query_params.get("done") or "")
        return Template(
            template_name=template,
            context={
                **base_context(self.lang, self.caller, self.csrf, self.request.url.path),
                "notice": notice,
                "category_names": self.category_names(),
                **context,
            },
            status_code=status,
            cookies=cookies,
            media_type=MediaType.HTML,
        )

    def category_names(self) -> dict[str, tuple[str, str]]:
        """The categories' Finnish and English names by code (data: a ring may add categories)."""
        rows = self.db.exec(select(Category)).all()
        return {c.code: (c.name_fi, c.name_en) for c in rows}

    def t(self, message: str) -> str:
        """A message in the reader's language."""
        return gettext(self.lang, message)

    @property
    def csrf(self) -> str:
        """The CSRF token forms carry."""
        return web_session.csrf_token(self.key, self.nonce)

    def throttle_failure(self) -> None:
        """Count a failed sign-in against this browser's address (the API's failures count the same)."""
        self.state.auth_throttle.hit(client_key(self.request))

    def check_throttle(self) -> None:
        """Refuse (429) an address that has failed to sign in too often lately."""
        check_auth_throttle(self.state, client_key(self.request))

    def back(self, path: str, *, done: str | None = None) -> Redirect:
        """After a successful form: see the result page (post, redirect, get), with what was done."""
        if done is not None:
            base, _, anchor = path.partition("#")
            joiner = "&" if "?" in base else "?"
            path = f"{base}{joiner}done={done}" + (f"#{anchor}" if anchor else "")
        return Redirect(path=path, status_code=303)

    def confirm(
        self, data: dict[str, Any], *, title: str, facts: list[str], button: str, back: str
    ) -> Template | None:
        """None once the form says it was confirmed; else the page that asks (the form's values kept)."""
        if data.get(CONFIRMED_FIELD) == "yes":
            return None
        kept = {k: v for k, v in data.items() if k not in (web_session.CSRF_FIELD, CONFIRMED_FIELD)}
        return self.page(
            "confirm.html",
            title=title,
            facts=facts,
            button=button,
            action=self.request.url.path,
            kept=kept,
            cancel=back,
        )


def base_context(lang: str, caller: Caller | None, csrf: str, path: str) -> dict[str, Any]:
    """What every template sees."""
    return {"lang": lang, "caller": caller, "csrf": csrf, "csrf_field": web_session.CSRF_FIELD, "path": path}


def provide_web(request: Request[Any, Any, Any], db_session: DbSession, state: State, now: Now) -> Web:
    """Read the cookies: the language, the session (checked against its token) and the CSRF nonce."""
    settings: Settings = state.settings
    key = web_session.signing_key(settings)
    found, nonce = web_session.browser_nonce(key, request.cookies)
    caller = web_session.resume(db_session, found, now=now, settings=settings) if found else None
    new_nonce = not nonce
    web = Web(
        request=request,
        db=db_session,
        state=state,
        settings=settings,
        now=now,
        key=key,
        lang=language(request.cookies.get(LANG_COOKIE)),
        caller=caller,
        nonce=nonce or secrets.token_urlsafe(16),
        new_nonce=new_nonce,
        cookie=found if caller is not None else None,
    )
    request.state.web = web  # the error pages show the same header, navigation and sign-out
    return web


async def check_csrf(request: Request[Any, Any, Any]) -> None:
    """Refuse any form post whose token does not match this browser's nonce (double submit, signed)."""
    if request.method != "POST":
        return
    form = await request.form()
    key = web_session.signing_key(request.app.state.settings)
    _, nonce = web_session.browser_nonce(key, request.cookies)
    sent = form.get(web_session.CSRF_FIELD) or request.headers.get("x-csrf-token")
    if not web_session.csrf_ok(key, nonce, sent if isinstance(sent, str) else None):
        raise CsrfRefused
    # What no column can hold is refused before any handler sees it (422, naming the field).
    for field, message in refusals({k: form.getall(k) for k in form}):
        name = field.split("[", 1)[0]
        raise InvalidInput(f"{name}: {message}", field=name)


WebPage = NamedDependency[Web]
