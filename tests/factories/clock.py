"""Moving both clocks in an API test: the app's `now` and the database's clock_timestamp()."""

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.app.testing import _SHADOW_CLOCK, CLOCK_SCHEMA


def shift_clocks(client: TestClient[Litestar], session: Session, *, seconds: float) -> None:
    """Run both clocks `seconds` ahead for the rest of the test (transaction-local: rolled back with it)."""
    client.app.state.clock_offset.seconds = seconds
    session.execute(text(f"CREATE SCHEMA IF NOT EXISTS {CLOCK_SCHEMA}"))
    session.execute(text(_SHADOW_CLOCK))
    session.execute(text(f"SET LOCAL search_path = {CLOCK_SCHEMA}, pg_catalog, public"))
    session.execute(text(f"SET LOCAL dpr.clock_offset = '{float(seconds)} seconds'"))
