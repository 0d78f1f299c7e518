"""Wiring of the pages into the app: the router, its error pages, templates and static files."""

import logging
import re
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from litestar import MediaType, Request, Response, Router, get
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from procurement.app.web import explain, i18n, labels
from procurement.app.web import session as web_session
from procurement.app.web.context import (
    CsrfRefused,
    SignInRequired,
    Web,
    base_context,
    check_csrf,
    provide_web,
)
from procurement.app.web.messages import N_
from procurement.app.web.municipalities import name_and_code
from procurement.app.web.routes_accounts import AccountPages
from procurement.app.web.routes_auth import AuthPages
from procurement.app.web.routes_competitions import CompetitionPages
from procurement.app.web.routes_contracts import ContractPages
from procurement.app.web.routes_decisions import DecisionPages
from procurement.app.web.routes_economics import EconomicsPages
from procurement.app.web.routes_evaluation import EvaluationPages
from procurement.app.web.routes_finance import FinancePages
from procurement.app.web.routes_officer import OfficerPages
from procurement.app.web.routes_public import PublicPages, unknown_page
from procurement.app.web.routes_referrals import ReferralPages
from procurement.app.web.routes_supplier import SupplierPages
from procurement.app.web.routes_supplier_bids import SupplierBidPages
from procurement.app.web.routes_supplier_outcomes import SupplierOutcomePages
from procurement.core.errors import DomainError, Forbidden, InvalidInput, NotFound

log = logging.getLogger(__name__)

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


@pass_context
def _label(context: Context, code: str | None, kind: str = "state") -> str:
    return _gettext(context, labels.label(kind, code))


@pass_context
def _reason(context: Context, text: str | None, code: str | None = None) -> str:
    return explain.reason(text, code, context.get("lang", i18n.DEFAULT_LANGUAGE))


@pass_context
def _unsuccessful(context: Context, text: str | None) -> str:
    return explain.unsuccessful(text, context.get("lang", i18n.DEFAULT_LANGUAGE))


@pass_context
def _category(context: Context, code: str | None) -> str:
    """A category's name from the database (Finnish or English), else its label, else the code."""
    lang = context.get("lang", i18n.DEFAULT_LANGUAGE)
    names = (context.get("category_names") or {}).get(code)
    if names:
        return str(names[0] if lang == "fi" else names[1])
    return _gettext(context, labels.label("category", code))


EVIDENCE_PROBLEM = re.compile(
    r"(?P<code>[A-Z0-9_]+): (?P<what>missing|expired on|expires on) ?(?P<day>[0-9-]*)"
)


@pass_context
def _evidence_problem(context: Context, problem: str, names: dict[str, str]) -> str:
    """'TAX_DEBT: expires on 2026-12-01' as 'Verovelkatodistus: vanhenee 1.12.2026'."""
    found = EVIDENCE_PROBLEM.fullmatch(problem)
    if not found:
        return problem
    name = names.get(found["code"], found["code"])
    day = i18n.fmt_date(date.fromisoformat(found["day"])) if found["day"] else ""
    template = {
        "missing": N_("%(name)s: missing"),
        "expired on": N_("%(name)s: expired on %(day)s"),
        "expires on": N_("%(name)s: expires on %(day)s"),
    }[found["what"]]
    return _gettext(context, template) % {"name": name, "day": day}


@pass_context
def _message(context: Context, message: Any) -> str:
    """A form message: a msgid, a (msgid, values) pair, or a service's sentence, in the reader's language."""
    lang = context.get("lang", i18n.DEFAULT_LANGUAGE)
    if isinstance(message, tuple):
        return _gettext(context, message[0]) % message[1]
    translated = _gettext(context, str(message))
    if translated != message or lang == i18n.SOURCE_LANGUAGE:
        return translated
    return explain.sentence(str(message), lang) or translated


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
        # A code as its name in the reader's language: {{ e.event_type | label("event") }}.
        label=_label,
        reason=_reason,
        unsuccessful=_unsuccessful,
        municipality=name_and_code,
        category=_category,
        msg=_message,
        evidence_problem=_evidence_problem,
    )


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja templates with Babel catalogs and the Finnish formats as filters."""
    return TemplateConfig(
        directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=_configure
    )


def _error_page(
    request: Request[Any, Any, Any],
    status: int,
    exc: DomainError,
) -> Response[str]:
    """An error as a page with the header, navigation and sign-out of the signed-in caller."""
    web: Web | None = request.state.get("web")
    lang = web.lang if web else i18n.language(request.cookies.get(i18n.LANG_COOKIE))
    if web is not None:
        context = base_context(lang, web.caller, web.csrf, request.url.path)
    else:
        key = web_session.signing_key(request.app.state.settings)
        _, nonce = web_session.browser_nonce(key, request.cookies)
        csrf = web_session.csrf_token(key, nonce) if nonce else ""
        context = base_context(lang, None, csrf, request.url.path)
    shown = explain.refusal(exc, lang)
    template = request.app.template_engine.get_template("error.html")  # type: ignore[union-attr]
    html = template.render(
        **context,
        status=status,
        title=exc.title,
        detail=shown.text,
        original=shown.original,
        advice=explain.advice(exc, lang) if shown.original is None else None,
        errors=exc.extra.get("errors") or [],
    )
    return Response(html, status_code=status, media_type=MediaType.HTML)


def web_router(status_of: dict[type[DomainError], int]) -> Router:
    """The /ui router; its errors are pages, never problem+json, and it stays out of the OpenAPI document."""

    def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[str]:
        status = next((code for kind, code in status_of.items() if isinstance(exc, kind)), 400)
        return _error_page(request, status, exc)

    def sign_in(request: Request[Any, Any, Any], _: SignInRequired) -> Response[Any]:
        return Redirect(path="/ui/sign-in", status_code=303)

    def csrf(request: Request[Any, Any, Any], _: CsrfRefused) -> Response[str]:
        refused = Forbidden("The form was not sent by this browser's page; reload it.")
        refused.title = "CSRF"
        return _error_page(request, 403, refused)

    def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[str]:
        kind = {404: NotFound, 403: Forbidden, 405: NotFound}.get(exc.status_code, InvalidInput)
        return _error_page(request, exc.status_code, kind(str(exc.detail)))

    def unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
        log.exception("page %s failed", request.url.path, exc_info=exc)
        failed = DomainError(
            "Something went wrong on our side; nothing was saved. "
            "Try again, and tell the support if it persists."
        )
        failed.title = "Unexpected error"
        return _error_page(request, 500, failed)

    return Router(
        path="/ui",
        route_handlers=[
            AuthPages,
            AccountPages,
            OfficerPages,
            CompetitionPages,
            ContractPages,
            EvaluationPages,
            DecisionPages,
            FinancePages,
            EconomicsPages,
            PublicPages,
            ReferralPages,
            SupplierPages,
            SupplierBidPages,
            SupplierOutcomePages,
            unknown_page,
        ],
        dependencies={"web": Provide(provide_web, sync_to_thread=True)},
        before_request=check_csrf,
        exception_handlers={
            DomainError: domain_error,
            SignInRequired: sign_in,
            CsrfRefused: csrf,
            ValidationException: http_error,
            HTTPException: http_error,
            Exception: unexpected,
        },
        include_in_schema=False,
        response_headers=SECURITY_HEADERS,
    )


@get("/", include_in_schema=False, sync_to_thread=False)
def front_door() -> Redirect:
    """The server's own address leads to the pages: a person who types it meets them, not a 404."""
    return Redirect(path="/ui/", status_code=303)


def static_router() -> Router:
    """htmx and the style sheet, vendored: no build step and no CDN."""
    return create_static_files_router(
        path="/ui/static", directories=[HERE / "static"], include_in_schema=False
    )
