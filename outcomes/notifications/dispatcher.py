"""The one dispatcher: projects releases, fans events out, sends webhooks and e-mail, from the outbox.

Exactly one runs at a time across every service process and host: it holds a PostgreSQL advisory lock
on a connection of its own (released by the server if the process dies). The others wait and take over.
Work is woken by NOTIFY from `outbox.emit` and by a poll as a backstop. Each step commits its own
transaction, so a restart resumes where the last commit left off without losing or repeating anything.
"""

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import psycopg
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from minicompetition.publication.projector import project
from outcomes.notifications import mail, sender
from outcomes.notifications.fanout import fan_out
from outcomes.notifications.sweeps import sweep
from procurement.core.clock import utc_now
from procurement.core.db import make_engine
from procurement.core.outbox import CHANNEL
from procurement.core.settings import Settings

log = logging.getLogger(__name__)

LOCK_KEY = 0x44505231  # "DPR1": the dispatcher's advisory lock
BATCH = 200


class Dispatcher:
    """Runs the outbox's consumers while it holds the lock; `run` until `stop`."""

    def __init__(self, *, url: str, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings, self.clock, self.url = settings, clock, url
        # Every call in flight may record its result at once: the pool (and its overflow) holds them all.
        size = settings.webhook_concurrency // 2 + 2
        self.engine = make_engine(url, pool_size=size, statement_timeout_s=60)
        self.sessions = sessionmaker(self.engine, class_=Session, expire_on_commit=False)
        self.pool = ThreadPoolExecutor(settings.webhook_concurrency + 1, thread_name_prefix="dpr-send")
        self.client = httpx.Client(
            timeout=settings.webhook_timeout_s,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=settings.webhook_concurrency * 2),
        )
        self.stopping, self.wake = threading.Event(), threading.Event()
        self.in_flight, self.mail_busy = 0, False
        self._count = threading.Lock()
        self._ticking = threading.Lock()  # stop() waits for a round in progress before closing the pool
        self.leader: psycopg.Connection | None = None

    @property
    def is_leader(self) -> bool:
        """Whether this process holds the lock now."""
        return self.leader is not None

    def run(self) -> None:
        """Lead when the lock is free, work while leading, until stopped."""
        while not self.stopping.is_set():
            try:
                if not self._lead():
                    self.stopping.wait(self.settings.dispatcher_poll_s * 2)
                    continue
                if not self.tick():
                    self._idle()
            except (psycopg.Error, OSError) as exc:  # the database went away: let go, try again
                log.warning("dispatcher: %s; retrying", exc)
                self._release()
                self.stopping.wait(self.settings.dispatcher_poll_s)
            except Exception:
                log.exception("dispatcher step failed; retrying")
                self.stopping.wait(self.settings.dispatcher_poll_s)

    def stop(self) -> None:
        """Finish the calls in flight, let go of the lock, close everything."""
        self.stopping.set()
        self.wake.set()
        with self._ticking:
            self.pool.shutdown(wait=True)
        self._release()
        self.client.close()
        self.engine.dispose()

    def tick(self) -> bool:
        """One round of every step; whether anything was done."""
        with self._ticking:
            return False if self.stopping.is_set() else self._round()

    def _round(self) -> bool:
        now = self.clock()
        done = 0
        with self.sessions() as s:
            done += sweep(s, now=now, reminder_days=self.settings.reminder_days)
            s.commit()
        while (
            n := self._step(lambda s: project(s, prefix=self.settings.ocid_prefix, now=now, limit=BATCH))
        ) > 0:
            done += n
            if n < BATCH:
                break
        while (n := self._step(lambda s: fan_out(s, now=now, settings=self.settings, limit=BATCH))) > 0:
            done += n
            if n < BATCH:
                break
        done += self._send_webhooks()
        self._send_mail()
        return done > 0

    def _step(self, work: Callable[[Session], int]) -> int:
        with self.sessions() as s:
            n = work(s)
            s.commit()
        return n

    def _send_webhooks(self) -> int:
        with self._count:
            free = self.settings.webhook_concurrency - self.in_flight
        with self.sessions() as s:
            # The lease runs from now, not from the start of the round (a long fan-out must not shorten it).
            jobs = sender.claim(s, now=self.clock(), limit=free, settings=self.settings)
            s.commit()
        with self._count:
            self.in_flight += len(jobs)
        for job in jobs:
            self.pool.submit(self._deliver, job)
        return len(jobs)

    def _deliver(self, job: sender.Job) -> None:
        try:
            result = sender.send(self.client, job, settings=self.settings)
            self._record(job, result)
        finally:
            with self._count:
                self.in_flight -= 1
            self.wake.set()

    def _record(self, job: sender.Job, result: sender.Result) -> None:
        """Record the attempt, trying again a few times: an unrecorded delivery is sent again later."""
        for attempt in range(5):
            try:
                with self.sessions() as s:
                    sender.record(s, job, result, now=self.clock(), settings=self.settings)
                    s.commit()
                return
            except Exception:
                log.warning(
                    "recording delivery %s failed (try %d)", job.delivery_id, attempt + 1, exc_info=True
                )
                time.sleep(0.5 * (attempt + 1))
        log.error("delivery %s unrecorded: its lease will expire and it will be sent again", job.delivery_id)

    def _send_mail(self) -> None:
        if self.settings.smtp_host is None or self.mail_busy:
            return
        self.mail_busy = True
        self.pool.submit(self._mail)

    def _mail(self) -> None:
        try:
            with self.sessions() as s:
                mail.send_due(s, now=self.clock(), settings=self.settings)
                s.commit()
        except Exception:
            log.exception("sending e-mail failed; retrying")
        finally:
            self.mail_busy = False

    def _lead(self) -> bool:
        if self.leader is not None:
            return True
        conn = psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)
        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
        if not (got and got[0]):
            conn.close()
            return False
        conn.execute(f"LISTEN {CHANNEL}")
        self.leader = conn
        log.info("dispatcher: leading")
        return True

    def _release(self) -> None:
        if self.leader is not None:
            try:
                self.leader.close()  # closing the session releases the advisory lock
            finally:
                self.leader = None

    def _idle(self) -> None:
        """Wait for a NOTIFY, a finished call, or the poll interval, whichever comes first."""
        assert self.leader is not None  # noqa: S101 (only the leader idles here)
        deadline = time.monotonic() + self.settings.dispatcher_poll_s
        self.wake.clear()
        while not self.stopping.is_set() and not self.wake.is_set() and time.monotonic() < deadline:
            for _ in self.leader.notifies(timeout=0.05, stop_after=1):
                return
