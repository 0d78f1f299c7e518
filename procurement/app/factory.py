"""The app factory: the only module that puts every domain together."""

import ctypes
import logging
import signal
import sys
from typing import Any

from litestar import Litestar
from litestar.config.response_cache import ResponseCacheConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from outcomes.economics.forecasts import store_at_publication
from outcomes.flowthrough.performance import track_record_scores
from procurement.app import lifecycle
from procurement.app.apidocs import OfflineSwaggerUI
from procurement.app.models import load_all_models
from procurement.app.surface import CONTROLLERS, EXCEPTION_HANDLERS, PUBLIC_READS, STATUS_OF
from procurement.app.web.session import SESSION_COOKIE
from procurement.app.web.setup import front_door, static_router, template_config, web_router
from procurement.core import openapi_limits, problems
from procurement.core.auth import TokenCache
from procurement.core.clock import ClockOffset
from procurement.core.db import SessionFactory
from procurement.core.http import (
    add_request_id_header,
    provide_caller,
    provide_db_session,
    provide_now,
    provide_optional_caller,
    provide_settings,
    strict_body,
)
from procurement.core.settings import Settings, ensure_secrets, load_settings, refuse_test_only
from procurement.core.throttle import Throttle

log = logging.getLogger(__name__)


def create_app(
    settings: Settings, *, session_factory: SessionFactory | None = None, migrate: bool = True
) -> Litestar:
    """Build the app; with no session factory it connects (or starts PostgreSQL) at start-up."""
    load_all_models()
    refuse_test_only(settings)
    settings = ensure_secrets(settings)
    # Tests share one transaction with the app, so they get no token cache (tokens appear and vanish).
    cache_ttl = 0.0 if settings.env == "test" else settings.token_cache_ttl_s
    state = State(
        {
            "settings": settings,
            "session_factory": session_factory,
            # Set at start-up when DPR_READ_DATABASE_URL names a standby: the public reads' sessions.
            "read_replica": None,
            "public_reads": PUBLIC_READS,
            # A browser with a signed-in session reads the primary, as a token does.
            "credential_cookies": (SESSION_COOKIE,),
            "token_cache": TokenCache(ttl_s=cache_ttl),
            # The evaluation scores a TRACK_RECORD sub-criterion from the outcome register.
            "track_record": track_record_scores,
            # Publishing stores the competition's forecast (SPEC 4.8), computed by the economic model.
            "publication_forecast": store_at_publication,
            "clock_offset": ClockOffset(settings.clock_offset_s),
            "auth_throttle": Throttle(
                allowed=settings.auth_failures_allowed, window_s=settings.auth_failure_window_s
            ),
            "price_to_win_throttle": Throttle(
                allowed=settings.price_to_win_allowed, window_s=settings.price_to_win_window_s
            ),
        }
    )
    # The pages call the same services as the API; their errors are pages, so they get the table too.
    route_handlers: list[Any] = [*CONTROLLERS, web_router(STATUS_OF), static_router(), front_door]
    if settings.env == "test":
        from procurement.app.testing import TestOnlyController

        route_handlers.append(TestOnlyController)

    app = Litestar(
        route_handlers=route_handlers,
        state=state,
        on_startup=[lifecycle.starter(settings, migrate=migrate)],
        on_shutdown=[lifecycle.stop],
        dependencies={
            "db_session": Provide(provide_db_session),
            "optional_caller": Provide(provide_optional_caller, sync_to_thread=True),
            "caller": Provide(provide_caller, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "now": Provide(provide_now, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[add_request_id_header],
        before_request=strict_body,
        openapi_config=OpenAPIConfig(
            title="Dynamic procurement ring API",
            version="1.0.0",
            description=(
                "Registry, mini-competitions with sealed bids, outcomes and payment bases. Send your API "
                "token as `Authorization: Bearer <token>`; public reads need none. Errors are "
                "application/problem+json (RFC 9457)."
            ),
            path="/schema",
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http", scheme="bearer", description="An API token (dpr_…)."
                    )
                }
            ),
            # Either no token (public reads) or a bearer token; each operation's 401 says when one is needed.
            security=[{}, {"bearer": []}],
            render_plugins=[OfflineSwaggerUI()],
        ),
        template_config=template_config(),
        request_max_body_size=settings.max_request_body_bytes,
        response_cache_config=ResponseCacheConfig(),
        debug=False,
    )
    problems.document_problems(app)
    openapi_limits.document_limits(app)
    return app


def worker_app() -> Litestar:
    """One of `dpr serve --workers N`'s processes: the parent has started and migrated the database."""
    _end_with_supervisor()
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(settings, migrate=False)


def _end_with_supervisor() -> None:
    """Ask Linux to send this worker SIGTERM when its supervisor dies."""
    # A supervisor killed with SIGKILL cannot stop its workers; orphans would keep the port, and a
    # restarted service could not bind it. SIGTERM lets the worker finish its requests and exit.
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
