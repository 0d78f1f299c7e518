"""Wiring of the pages into the app: the router, its error pages, templates and static files."""

from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from litestar import MediaType, Request, Response, Router
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from procurement.app.web import i18n
from procurement.app.web import session as web_session
from procurement.app.web.context import CsrfRefused, SignInRequired, base_context, check_csrf, provide_web
from procurement.app.web.routes_auth import AuthPages
from procurement.app.web.routes_competitions import CompetitionPages
from procurement.app.web.routes_decisions import DecisionPages
from procurement.app.web.routes_economics import EconomicsPages
from procurement.app.web.routes_evaluation import EvaluationPages
from procurement.app.web.routes_finance import FinancePages
from procurement.app.web.routes_officer import OfficerPages
from procurement.core.errors import DomainError

HERE = Path(__file__).parent
# Pages load only their own files, cannot be framed, and post only to this site.
SECURITY_HEADERS = [
    ResponseHeader(
        name="Content-Security-Policy",
        # htmx adds its indicator styles inline; nothing else is inline.
        value="default-src 'self'; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'",
    ),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="Cache-Control", value="no-store"),
]


@pass_context
def _gettext(context: Context, message: str) -> str:
    return i18n.translations(context.get("lang", i18n.DEFAULT_LANGUAGE)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return i18n.translations(context.get("lang", i18n.DEFAULT_LANGUAGE)).ngettext(singular, plural, n)


def _formatter(function: Any) -> Any:
    @pass_context
    def apply(context: Context, value: Any) -> str:
        return str(function(value, context.get("lang", i18n.DEFAULT_LANGUAGE)))

    return apply


def _configure(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        date=_formatter(i18n.fmt_date),
        datetime=_formatter(i18n.fmt_datetime),
        money=_formatter(i18n.fmt_money),
        bp=_formatter(i18n.fmt_bp),
        number=_formatter(i18n.fmt_number),
        points=_formatter(i18n.fmt_points),
        # Messages that arrive as data (a state, a refusal): the plain lookup, with no %-formatting
        # (install_gettext_callables wraps only the copy it installs).
        t=_gettext,
    )


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja templates with Babel catalogs and the Finnish formats as filters."""
    return TemplateConfig(
        directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=_configure
    )


def _error_page(request: Request[Any, Any, Any], status: int, title: str, detail: str) -> Response[str]:
    lang = i18n.language(request.cookies.get(i18n.LANG_COOKIE))
    key = web_session.signing_key(request.app.state.settings)
    _, nonce = web_session.browser_nonce(key, request.cookies)
    csrf = web_session.csrf_token(key, nonce) if nonce else ""
    template = request.app.template_engine.get_template("error.html")  # type: ignore[union-attr]
    html = template.render(
        **base_context(lang, None, csrf, request.url.path), status=status, title=title, detail=detail
    )
    return Response(html, status_code=status, media_type=MediaType.HTML)


def web_router(status_of: dict[type[DomainError], int]) -> Router:
    """The /ui router; its errors are pages, never problem+json, and it stays out of the OpenAPI document."""

    def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[str]:
        status = next((code for kind, code in status_of.items() if isinstance(exc, kind)), 400)
        return _error_page(request, status, exc.title, exc.detail)

    def sign_in(request: Request[Any, Any, Any], _: SignInRequired) -> Response[Any]:
        return Redirect(path="/ui/sign-in", status_code=303)

    def csrf(request: Request[Any, Any, Any], _: CsrfRefused) -> Response[str]:
        return _error_page(request, 403, "CSRF", "The form was not sent by this browser's page; reload it.")

    def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[str]:
        return _error_page(request, exc.status_code, "HTTP", str(exc.detail))

    return Router(
        path="/ui",
        route_handlers=[
            AuthPages,
            OfficerPages,
            CompetitionPages,
            EvaluationPages,
            DecisionPages,
            FinancePages,
            EconomicsPages,
        ],
        dependencies={"web": Provide(provide_web, sync_to_thread=True)},
        before_request=check_csrf,
        exception_handlers={
            DomainError: domain_error,
            SignInRequired: sign_in,
            CsrfRefused: csrf,
            ValidationException: http_error,
            HTTPException: http_error,
        },
        include_in_schema=False,
        response_headers=SECURITY_HEADERS,
    )


def static_router() -> Router:
    """htmx and the style sheet, vendored: no build step and no CDN."""
    return create_static_files_router(
        path="/ui/static", directories=[HERE / "static"], include_in_schema=False
    )
