"""The read replica: public reads on a streaming standby when one is configured (ADR 0019, decision 4).

A public read needs no read-your-writes, so a standby a moment behind serves it as well as the primary.
Every request with a caller, and every write, uses the primary. When the standby does not answer, the
public reads go to the primary for `retry_s` before it is tried again: the service stays whole, only
without the relief, and /health says `degraded`.
"""

import logging
import threading
import time
from dataclasses import dataclass

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

log = logging.getLogger(__name__)

# What a standby that is stopped, restarting or unreachable raises (a query error is not among them).
UNREACHABLE = (OperationalError, InterfaceError, PoolTimeout, psycopg.OperationalError)

# The primary's position is read first. A standby is not behind when it has replayed up to it, or when
# it streams and has replayed all it received (only what is on the wire is missing). Otherwise the lag
# is the age of the last transaction it replayed: an upper bound, true while it does not stream.
# pg_catalog's clock: the test clock shadows clock_timestamp() on the search path.
_PRIMARY_POSITION = text("SELECT pg_current_wal_flush_lsn()::text")
_STANDBY_STATE = text(
    """
    SELECT pg_is_in_recovery(),
           pg_last_wal_replay_lsn() >= CAST(:primary AS pg_lsn)
           OR (pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
               AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver)),
           EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - pg_last_xact_replay_timestamp())::float8,
           GREATEST(pg_wal_lsn_diff(CAST(:primary AS pg_lsn), pg_last_wal_replay_lsn()), 0)::bigint
    """
)


@dataclass(frozen=True)
class ReplicaHealth:
    """What /health says of the standby: `ok`, `unavailable` or `not_in_recovery`, and how far behind."""

    state: str
    lag_s: float | None = None
    behind_bytes: int | None = None


class ReadReplica:
    """The standby's engine, and whether public reads may go to it now."""

    def __init__(self, engine: Engine, *, retry_s: float) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, class_=Session, expire_on_commit=False)
        self._retry_s = retry_s
        self._down_until = 0.0
        self._lock = threading.Lock()

    def session(self) -> Session | None:
        """A session already connected to the standby, or None (it failed lately or fails now)."""
        if time.monotonic() < self._down_until:
            return None
        session = self._sessions()
        try:
            # Connecting now, not at the first query, lets a stopped standby fall back within this request.
            session.connection()
        except UNREACHABLE:
            session.close()
            self.mark_down()
            return None
        return session

    def mark_down(self) -> None:
        """The standby failed: public reads use the primary for a while."""
        with self._lock:
            first = time.monotonic() >= self._down_until
            self._down_until = time.monotonic() + self._retry_s
        if first:
            log.warning(
                "the read replica does not answer: public reads use the primary for %.0f s",
                self._retry_s,
            )

    def health(self, primary: Session) -> ReplicaHealth:
        """Asked now, whatever the last request found, so /health tells the truth."""
        position = primary.execute(_PRIMARY_POSITION).scalar_one()
        try:
            with self.engine.connect() as conn:
                in_recovery, caught_up, age_s, behind = conn.execute(
                    _STANDBY_STATE, {"primary": position}
                ).one()
        except UNREACHABLE:
            self.mark_down()
            return ReplicaHealth("unavailable")
        with self._lock:
            self._down_until = 0.0  # it answers again: public reads may return to it
        if not in_recovery:
            return ReplicaHealth("not_in_recovery")
        lag_s = 0.0 if caught_up else max(0.0, age_s or 0.0)
        return ReplicaHealth("ok", lag_s=round(lag_s, 3), behind_bytes=int(behind or 0))
