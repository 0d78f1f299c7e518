"""The lines of a close: the payment rules run over the moved events, serially or in worker processes."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import threading
import traceback
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

import msgspec

from outcomes.payments.ledger import Ledger, run_events
from outcomes.payments.lines import PaymentEvent
from outcomes.payments.model import ContractTerms
from outcomes.payments.rows import LineContext, line_row

CHUNK_EVENTS = 4096  # events per COPY chunk sent to the database
PARALLEL_MIN_EVENTS = 20_000  # a batch smaller than this costs a worker process more than it saves
MAX_WORKERS = 4
BUFFER_BYTES = 256 * 1024 * 1024  # chunks a worker may have waiting for the COPY
WORKER_NICE = 10


@dataclass(frozen=True, kw_only=True)
class Work:
    """Everything one computation needs: contract terms and booking, events in any order, the ledger."""

    terms: Mapping[str, ContractTerms]
    contexts: Mapping[tuple[str, str | None], LineContext]  # (contract id, lot id)
    events: Sequence[PaymentEvent]
    ledger: Ledger


def compute_rows(work: Work, *, chunk_events: int = CHUNK_EVENTS) -> Iterator[str]:
    """COPY text chunks of the lines of every event, in the rules' order; the ledger is updated as it goes."""
    parts: list[str] = []
    contexts = work.contexts
    batch = run_events(contracts=work.terms, events=work.events, ledger=work.ledger)
    for count, (event, result) in enumerate(batch, start=1):
        if result.lines:
            context = contexts[(event.contract_id, event.lot_id)]
            parts.extend(line_row(line, context) for line in result.lines)
        if count % chunk_events == 0:
            yield "".join(parts)
            parts = []
    if parts:
        yield "".join(parts)


def independent_groups(work: Work, *, category_of: Mapping[str, str]) -> list[list[str]]:
    """Contracts split into groups that no payment rule connects, each sorted, in a fixed order."""
    # Caps and ceilings are per contract; the once-only key joins two contracts only through a
    # participant they share within one category (the outcome type names the category).
    parent = {key: key for key in work.terms}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    first_seen: dict[tuple[str, str], str] = {}
    for event in work.events:
        union(
            first_seen.setdefault((event.pseudonym, category_of[event.contract_id]), event.contract_id),
            event.contract_id,
        )
    groups: dict[str, list[str]] = {}
    for key in sorted(work.terms):
        groups.setdefault(find(key), []).append(key)
    return list(groups.values())


def split_work(work: Work, *, workers: int, category_of: Mapping[str, str]) -> list[Work]:
    """Deal the independent groups to workers, largest first, so each gets a similar number of events."""
    sizes: dict[str, int] = {}
    for event in work.events:
        sizes[event.contract_id] = sizes.get(event.contract_id, 0) + 1
    groups = independent_groups(work, category_of=category_of)
    groups.sort(key=lambda g: (-sum(sizes.get(k, 0) for k in g), g[0]))
    load = [0] * workers
    owner: dict[str, int] = {}
    for group in groups:
        target = min(range(workers), key=lambda i: (load[i], i))
        load[target] += sum(sizes.get(k, 0) for k in group)
        owner.update(dict.fromkeys(group, target))
    parts = []
    for index in range(workers):
        keys = {k for k, o in owner.items() if o == index}
        events = [e for e in work.events if owner[e.contract_id] == index]
        if not events:
            continue
        ledger = work.ledger
        pseudonyms = {e.pseudonym for e in events}
        parts.append(
            Work(
                terms={k: work.terms[k] for k in keys},
                contexts={c: v for c, v in work.contexts.items() if c[0] in keys},
                events=events,
                ledger=Ledger(
                    paid_keys={k for k in ledger.paid_keys if k.pseudonym in pseudonyms},
                    claims={k: n for k, n in ledger.claims.items() if k.pseudonym in pseudonyms},
                    participant_cents={p: v for p, v in ledger.participant_cents.items() if p[0] in keys},
                    contract_cents={k: v for k, v in ledger.contract_cents.items() if k in keys},
                ),
            )
        )
    return parts


# Events travel to a worker as MessagePack, not pickled with its Work: a million of them encode in
# ~0.25 s instead of ~5 s of pickling in the parent.
_EVENTS = msgspec.msgpack.Decoder(list[PaymentEvent])


def _worker(conn: Connection) -> None:
    # Behind the parent: it turns the moved rows into events and feeds the COPY, both on the critical path.
    os.nice(WORKER_NICE)
    try:
        while head := conn.recv_bytes():
            work: Work = pickle.loads(head)  # noqa: S301 (sent by the parent process itself)
            for chunk in compute_rows(replace(work, events=_EVENTS.decode(conn.recv_bytes()))):
                conn.send_bytes(b"D" + chunk.encode())
        conn.send_bytes(b"Z")
    except BaseException:
        conn.send_bytes(b"E" + traceback.format_exc().encode())
    finally:
        conn.close()


class ComputeError(RuntimeError):
    """A worker process failed while computing lines."""


class _Stream:
    """One worker's chunks, read by a thread into memory (up to a bound) while the parent is busy."""

    def __init__(self, conn: Connection, process: Any) -> None:
        self.conn, self.process = conn, process
        self.messages: deque[bytes] = deque()
        self.queued = 0
        self.load = 0  # events handed to this worker
        self.ready = threading.Condition()
        # Parts are sent by a thread: the worker reads the next one only when it has finished the last,
        # and the parent meanwhile moves the next category's events.
        self.outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._send, daemon=True).start()

    def send(self, message: bytes) -> None:
        self.outbox.put(message)

    def _send(self) -> None:
        while (message := self.outbox.get()) is not None:
            try:
                self.conn.send_bytes(message)
            except OSError:
                return  # the worker has ended: its reader reports why

    def _read(self) -> None:
        while True:
            try:
                message = self.conn.recv_bytes()
            except (EOFError, OSError) as exc:
                message = b"E" + f"the worker process ended without its lines ({exc!r})".encode()
            with self.ready:
                # Past the bound the worker waits (its pipe fills) until the COPY has taken chunks.
                self.ready.wait_for(lambda: self.queued < BUFFER_BYTES)
                self.messages.append(message)
                self.queued += len(message)
                self.ready.notify_all()
            if message[:1] != b"D":
                return

    def take(self) -> bytes:
        with self.ready:
            self.ready.wait_for(lambda: bool(self.messages))
            message = self.messages.popleft()
            self.queued -= len(message)
            self.ready.notify_all()
            return message


class LinePool:
    """The lines of a close, computed while its next events are still being moved.

    Parts of a large batch go to worker processes as soon as they are known; a thread per worker keeps
    its chunks in memory until the COPY takes them. Small batches (and any batch on one core) are
    computed in this process when the chunks are read. The chunks come back in a fixed order (this
    process's parts, then the workers' in turn, one chunk each), whatever the timing.
    """

    def __init__(self, *, workers: int, parallel_min_events: int = PARALLEL_MIN_EVENTS) -> None:
        self.workers, self.parallel_min_events = workers, parallel_min_events
        self.local: list[Work] = []
        self.streams: list[_Stream] = []
        self.done = False  # every chunk was read: the workers are ending on their own

    def __enter__(self) -> LinePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, work: Work, *, category_of: Mapping[str, str]) -> None:
        """Compute ``work``'s lines: in workers when it is large enough, else here when read."""
        if self.workers < 2 or len(work.events) < self.parallel_min_events:
            self.local.append(work)
            return
        if not self.streams:
            self._start()
        for part in split_work(work, workers=self.workers, category_of=category_of):
            stream = min(self.streams, key=lambda s: s.load)  # the first of the least loaded
            stream.load += len(part.events)
            stream.send(pickle.dumps(replace(part, events=())))
            stream.send(msgspec.msgpack.encode(part.events))

    def _start(self) -> None:
        context: Any = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["outcomes.payments.compute"])
        for _ in range(self.workers):
            receiver, sender = context.Pipe()
            process = context.Process(target=_worker, args=(sender,), daemon=True)
            process.start()
            sender.close()
            self.streams.append(_Stream(receiver, process))

    def chunks(self) -> Iterator[str | memoryview]:
        """Every line's COPY chunk: no part may be added once this is called."""
        for stream in self.streams:
            stream.send(b"")  # no more parts
        for work in self.local:
            yield from compute_rows(work)
        active = list(self.streams)
        while active:
            for stream in list(active):
                message = stream.take()
                tag, body = message[:1], memoryview(message)[1:]
                if tag == b"D":
                    yield body
                elif tag == b"Z":
                    active.remove(stream)
                else:
                    raise ComputeError(bytes(body).decode(errors="replace"))
        self.done = True

    def close(self) -> None:
        """End the worker processes (at once when the close failed) and their reading threads."""
        for stream in self.streams:
            if self.done:
                stream.process.join(timeout=5)
            if stream.process.is_alive():
                stream.process.kill()
                stream.process.join(timeout=5)
            stream.outbox.put(None)
            with stream.ready:
                stream.queued = 0  # a reader waiting at the bound reads on and meets the closed pipe
                stream.messages.clear()
                stream.ready.notify_all()
            stream.conn.close()
        self.streams = []
