"""What exists only when DPR_ENV=test: failure routes and a clock that browser tests can move."""

from typing import Any

import msgspec
from litestar import Controller, Request, get, put
from litestar.datastructures import State
from litestar.params import JSONBody
from sqlalchemy import Engine, event, text
from sqlmodel import Session

from procurement.core.clock import ClockOffset
from procurement.core.db import driver_connection
from procurement.core.http import DbSession, in_one_transaction

CLOCK_SCHEMA = "dpr_test_clock"

# Deadlines are decided by the database clock (clock_timestamp() inside the transaction), so the
# offset must move it too: a function of the same name, found first on the search path, adds it.
_SHADOW_CLOCK = f"""
CREATE OR REPLACE FUNCTION {CLOCK_SCHEMA}.clock_timestamp() RETURNS timestamptz
LANGUAGE sql VOLATILE AS $$
  SELECT pg_catalog.clock_timestamp()
         + coalesce(nullif(current_setting('dpr.clock_offset', true), ''), '0 seconds')::interval
$$
"""


class ClockIn(msgspec.Struct, forbid_unknown_fields=True):
    """How many seconds both clocks run ahead of real time."""

    offset_s: float


def install_test_clock(engine: Engine, offset: ClockOffset, *, create: bool = True) -> None:
    """Make every connection of the engine read the shifted clock (test mode only); a standby's engine
    does not create the function (it replays the primary's)."""

    @event.listens_for(engine, "checkout")
    def _shift(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(
                f"SET search_path = {CLOCK_SCHEMA}, pg_catalog, public; "
                f"SET dpr.clock_offset = '{float(offset.seconds)} seconds'"
            )
        dbapi_connection.commit()

    if not create:
        return
    with engine.begin() as conn:
        exists = conn.execute(
            text(
                "SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = :schema AND p.proname = 'clock_timestamp'"
            ),
            {"schema": CLOCK_SCHEMA},
        ).first()
        if exists is None:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {CLOCK_SCHEMA}"))
            conn.execute(text(_SHADOW_CLOCK))


def _terminate(session: Session) -> None:
    driver_connection(session).execute("SELECT pg_terminate_backend(pg_backend_pid())")


class TestOnlyController(Controller):
    """Test-only endpoints."""

    path = "/_test"
    include_in_schema = False

    @get("/boom")
    async def boom(self) -> None:
        raise RuntimeError("deliberate failure for the error-shape test")

    @get("/lost-connection", sync_to_thread=True)
    def lost_connection(self, db_session: DbSession) -> None:
        """The server ends this request's connection mid-transaction, as a database restart does."""
        _terminate(db_session)

    @get("/lost-connection-hot")
    async def lost_connection_hot(self, request: Request[Any, Any, Any]) -> None:
        """The same, on the hot routes' path (`in_one_transaction`, as bids take)."""
        await in_one_transaction(request, lambda session, _caller: _terminate(session))

    @put("/clock")
    async def move_clock(self, state: State, data: JSONBody[ClockIn]) -> ClockIn:
        offset: ClockOffset = state.clock_offset
        offset.seconds = data.offset_s
        return ClockIn(offset_s=offset.seconds)
