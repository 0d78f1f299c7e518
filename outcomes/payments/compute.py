"""The lines of a close: the payment rules run over the moved events, serially or in worker processes."""

from __future__ import annotations

import multiprocessing
import os
import traceback
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
PARALLEL_MIN_EVENTS = 50_000  # below this a worker process costs more than it saves
MAX_WORKERS = 4


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
# ~0.25 s instead of ~5 s of pickling in the parent, before any worker could start.
_EVENTS = msgspec.msgpack.Decoder(list[PaymentEvent])


def _worker(conn: Connection, work: Work) -> None:
    try:
        events = _EVENTS.decode(conn.recv_bytes())
        for chunk in compute_rows(replace(work, events=events)):
            conn.send_bytes(b"D" + chunk.encode())
        conn.send_bytes(b"Z")
    except BaseException:
        conn.send_bytes(b"E" + traceback.format_exc().encode())
    finally:
        conn.close()


class ComputeError(RuntimeError):
    """A worker process failed while computing lines."""


def rows_in_parallel(parts: Sequence[Work]) -> Iterator[memoryview]:
    """Run each part in a process of its own; yield their chunks in a fixed round-robin order."""
    context: Any = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["outcomes.payments.compute"])
    running = []
    try:
        for part in parts:
            receiver, sender = context.Pipe()
            process = context.Process(target=_worker, args=(sender, replace(part, events=())), daemon=True)
            process.start()
            sender.close()
            running.append((receiver, process))
            receiver.send_bytes(msgspec.msgpack.encode(part.events))
        active = list(running)
        while active:
            for entry in list(active):
                message = entry[0].recv_bytes()
                tag, body = message[:1], memoryview(message)[1:]
                if tag == b"D":
                    yield body
                elif tag == b"Z":
                    active.remove(entry)
                else:
                    raise ComputeError(bytes(body).decode(errors="replace"))
    finally:
        for receiver, process in running:
            receiver.close()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()


def line_chunks(
    work: Work, *, category_of: Mapping[str, str], workers: int | None = None
) -> Iterator[str | memoryview]:
    """The COPY chunks of a close: in this process, or over worker processes when the batch is large."""
    count = workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS)
    if count > 1 and (workers is not None or len(work.events) >= PARALLEL_MIN_EVENTS):
        parts = split_work(work, workers=count, category_of=category_of)
        if len(parts) > 1:
            return rows_in_parallel(parts)
    return compute_rows(work)
