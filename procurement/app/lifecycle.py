"""Start-up and shut-down of a service process: the database, its pool, the request threads."""

import asyncio
import gc
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from litestar import Litestar
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from migrations.runner import head_revision, upgrade_head
from procurement.core.clock import ClockOffset
from procurement.core.db import Watchdog, make_engine
from procurement.core.embedded import EmbeddedPostgres
from procurement.core.replica import UNREACHABLE, ReadReplica
from procurement.core.settings import Settings


def starter(settings: Settings, *, migrate: bool) -> Callable[[Litestar], Awaitable[None]]:
    """The start-up hook: threads, then (unless a session factory was given) the database and its pool."""

    async def start(app: Litestar) -> None:
        # Sync handlers run in this pool; the default (CPU count + 4 threads) starves under load. No
        # more threads than pooled connections: a thread beyond them would open and close an overflow
        # connection per request, and the overflow stays free for requests that hold a connection
        # between two thread hops.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=settings.db_pool_size, thread_name_prefix="dpr")
        )
        app.state.migration_head = head_revision()
        if app.state.session_factory is not None:
            return
        url = settings.database_url
        if url is None:
            embedded = EmbeddedPostgres(settings.data_dir)
            url = embedded.start()
            app.state.embedded = embedded
        if migrate:
            upgrade_head(url)
        watchdog = Watchdog(settings.db_client_timeout_s) if settings.db_client_timeout_s > 0 else None
        engine = make_engine(
            url,
            pool_size=settings.db_pool_size,
            statement_timeout_s=settings.db_statement_timeout_s,
            watchdog=watchdog,
        )
        app.state.watchdog = watchdog
        if settings.env == "test":
            from procurement.app.testing import install_test_clock

            install_test_clock(engine, app.state.clock_offset)
        _fill_pool(engine, settings.db_pool_size)
        app.state.engine = engine
        app.state.session_factory = sessionmaker(engine, class_=Session, expire_on_commit=False)
        if settings.read_database_url:
            app.state.read_replica = _read_replica(settings, watchdog, app.state.clock_offset)
        # What start-up built lives as long as the process: keep it out of the collector's full
        # passes, which otherwise stop every request thread (GIL) for tens of ms under load.
        gc.collect()
        gc.freeze()

    return start


def _read_replica(settings: Settings, watchdog: Watchdog | None, clock: ClockOffset) -> ReadReplica:
    """The standby's pool, filled if it answers; a standby that is down is no reason not to start."""
    assert settings.read_database_url is not None  # noqa: S101 (checked by the caller)
    engine = make_engine(
        settings.read_database_url,
        pool_size=settings.db_pool_size,
        statement_timeout_s=settings.db_statement_timeout_s,
        watchdog=watchdog,
    )
    replica = ReadReplica(engine, retry_s=settings.read_replica_retry_s)
    if settings.env == "test":
        from procurement.app.testing import install_test_clock

        install_test_clock(engine, clock, create=False)
    try:
        _fill_pool(engine, settings.db_pool_size)
    except UNREACHABLE:
        replica.mark_down()
    return replica


def stop(app: Litestar) -> None:
    """Close the pool and stop the embedded server this process started."""
    watchdog = app.state.get("watchdog")
    if watchdog is not None:
        watchdog.stop()
    engine = app.state.get("engine")
    if engine is not None:
        engine.dispose()
    replica = app.state.get("read_replica")
    if replica is not None:
        replica.engine.dispose()
    embedded = app.state.get("embedded")
    if embedded is not None:
        embedded.stop()


def _fill_pool(engine: Engine, size: int) -> None:
    """Open the pool's connections before the first request instead of during the first burst."""
    # A new PostgreSQL backend costs a fork and a cold catalog cache; paying that for each of the
    # pool's connections under the first load of requests shows up as seconds-long tail latency.
    connections = [engine.connect() for _ in range(size)]
    for connection in connections:
        connection.close()
