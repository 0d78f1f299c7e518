"""The app factory: the only module that knows every domain."""

import asyncio
import ctypes
import gc
import logging
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from litestar import Litestar
from litestar.config.response_cache import ResponseCacheConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from minicompetition.award_routes import AwardController
from minicompetition.routes import CompetitionController
from outcomes.payment_routes import PaymentsController
from outcomes.performance import track_record_scores
from outcomes.routes import OutcomesController
from procurement.core import errors, problems
from procurement.core.auth import TokenCache
from procurement.core.clock import ClockOffset
from procurement.core.db import SessionFactory, make_engine, upgrade_head
from procurement.core.embedded import EmbeddedPostgres
from procurement.core.http import (
    add_request_id_header,
    provide_caller,
    provide_db_session,
    provide_now,
    provide_optional_caller,
    provide_settings,
    strict_body,
)
from procurement.core.routes import CoreController
from procurement.core.settings import Settings, ensure_secrets, load_settings, refuse_test_only
from procurement.models_registry import load_all_models
from procurement.ring.routes import RingController
from procurement.web.setup import static_router, template_config, web_router
from registry.routes import RegistryController

log = logging.getLogger(__name__)

# One table from domain errors to HTTP statuses; order matters (subclasses before bases).
STATUS_OF: dict[type[errors.DomainError], int] = {
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.IllegalTransition: 409,
    errors.Conflict: 409,
    errors.InvalidInput: 422,
    errors.Unavailable: 503,
    errors.DomainError: 400,
}

CONTROLLERS: list[Any] = [
    CoreController,
    RingController,
    RegistryController,
    CompetitionController,
    AwardController,
    OutcomesController,
    PaymentsController,
]


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
            "token_cache": TokenCache(ttl_s=cache_ttl),
            # The evaluation scores a TRACK_RECORD sub-criterion from the outcome register.
            "track_record": track_record_scores,
            "clock_offset": ClockOffset(settings.clock_offset_s),
        }
    )

    async def start(app: Litestar) -> None:
        # Sync handlers run in this pool; the default (CPU count + 4 threads) starves under load. No
        # more threads than pooled connections: a thread beyond them would open and close an overflow
        # connection per request, and the overflow stays free for requests that hold a connection
        # between two thread hops.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=settings.db_pool_size, thread_name_prefix="dpr")
        )
        from alembic.script import ScriptDirectory

        from procurement.core.db import alembic_config

        app.state.migration_head = ScriptDirectory.from_config(
            alembic_config("postgresql://")
        ).get_current_head()
        if app.state.session_factory is not None:
            return
        url = settings.database_url
        if url is None:
            embedded = EmbeddedPostgres(settings.data_dir)
            url = embedded.start()
            app.state.embedded = embedded
        if migrate:
            upgrade_head(url)
        engine = make_engine(
            url, pool_size=settings.db_pool_size, statement_timeout_s=settings.db_statement_timeout_s
        )
        if settings.env == "test":
            from procurement.core.testing import install_test_clock

            install_test_clock(engine, app.state.clock_offset)
        _fill_pool(engine, settings.db_pool_size)
        app.state.engine = engine
        app.state.session_factory = sessionmaker(engine, class_=Session, expire_on_commit=False)
        # What start-up built lives as long as the process: keep it out of the collector's full
        # passes, which otherwise stop every request thread (GIL) for tens of ms under load.
        gc.collect()
        gc.freeze()

    def stop(app: Litestar) -> None:
        engine = app.state.get("engine")
        if engine is not None:
            engine.dispose()
        embedded = app.state.get("embedded")
        if embedded is not None:
            embedded.stop()

    # The pages call the same services as the API; their errors are pages, so they get the table too.
    route_handlers: list[Any] = [*CONTROLLERS, web_router(STATUS_OF), static_router()]
    if settings.env == "test":
        from procurement.core.testing import TestOnlyController

        route_handlers.append(TestOnlyController)

    app = Litestar(
        route_handlers=route_handlers,
        state=state,
        on_startup=[start],
        on_shutdown=[stop],
        dependencies={
            "db_session": Provide(provide_db_session),
            "optional_caller": Provide(provide_optional_caller, sync_to_thread=True),
            "caller": Provide(provide_caller, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "now": Provide(provide_now, sync_to_thread=False),
        },
        exception_handlers={
            errors.DomainError: problems.domain_handler(STATUS_OF),
            ValidationException: problems.validation_handler,
            HTTPException: problems.http_handler,
            OperationalError: problems.unavailable_handler,
            InterfaceError: problems.unavailable_handler,
            PoolTimeout: problems.unavailable_handler,
            # Hot paths run SQL on the driver connection itself (minicompetition.bid_sql).
            psycopg.OperationalError: problems.unavailable_handler,
            Exception: problems.internal_handler,
        },
        before_send=[add_request_id_header],
        before_request=strict_body,
        openapi_config=OpenAPIConfig(
            title="Dynamic procurement ring API",
            version="1.0.0",
            description="Registry, mini-competitions with sealed bids, outcomes and payment bases.",
            path="/schema",
        ),
        template_config=template_config(),
        request_max_body_size=settings.max_request_body_bytes,
        response_cache_config=ResponseCacheConfig(),
        debug=False,
    )
    problems.document_problems(app)
    return app


def _fill_pool(engine: Engine, size: int) -> None:
    """Open the pool's connections before the first request instead of during the first burst."""
    # A new PostgreSQL backend costs a fork and a cold catalog cache; paying that for each of the
    # pool's connections under the first load of requests shows up as seconds-long tail latency.
    connections = [engine.connect() for _ in range(size)]
    for connection in connections:
        connection.close()


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
