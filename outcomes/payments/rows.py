"""Payment lines as PostgreSQL COPY text rows: the one way lines are written, in bulk or one by one."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec
from psycopg.copy import QueuedLibpqWriter
from sqlmodel import Session

from outcomes.payments.lines import PaymentLine
from outcomes.payments.trace import compact_trace
from procurement.core.db import driver_connection

# Column order of a COPY row; `id` comes from the table's identity, in the order rows are written.
COLUMNS = (
    "period_id",
    "contract_id",
    "supplier_id",
    "lot_id",
    "pseudonym",
    "home_municipality_code",
    "event_id",
    "event_type",
    "event_date",
    "episode_id",
    "component",
    "kind",
    "status",
    "quantity",
    "unit_amount_cents",
    "share_bp",
    "multiplier_bp",
    "amount_cents",
    "unpaid_cents",
    "committed_delta_cents",
    "reason",
    "vat_code",
    "cost_centre",
    "rule",
    "rule_version",
    "trace",
    "trace_id",
    "corrects_line_id",
    "outcome_key",
    "line_key",
    "base_cents",
    "rate_num",
    "rate_den",
    "deducted_cents",
    "outcome_claim",
)
COPY_SQL = f"COPY payment_line ({', '.join(COLUMNS)}) FROM STDIN"
NULL = "\\N"
_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _canonical(trace: Mapping[str, Any]) -> bytes:
    # The bytes outcomes.payments.trace_digest hashes (msgspec writes what json.dumps(sort_keys=True,
    # separators=(",", ":"), ensure_ascii=False) writes, faster), so sha256(trace::text) = trace_id in SQL.
    return msgspec.json.encode(trace, order="sorted")


def canonical_trace(trace: Mapping[str, Any]) -> tuple[str, str]:
    """The trace as canonical JSON (sorted keys, no spaces, UTF-8) and its SHA-256: the stored text and id."""
    data = _canonical(trace)
    return data.decode(), hashlib.sha256(data).hexdigest()


def _escape(value: str) -> str:
    # Most values hold none of the four characters COPY text format escapes; leave those untouched.
    if _SPECIAL.search(value) is None:
        return value
    return _SPECIAL.sub(lambda m: _ESCAPES[m.group()], value)


def _json_text(trace: str) -> str:
    # Canonical JSON escapes tabs and line breaks itself, so only its backslashes need doubling.
    return trace.replace("\\", "\\\\") if "\\" in trace else trace


def _text(value: str | None) -> str:
    return NULL if value is None else _escape(value)


def _num(value: int | None) -> str:
    return NULL if value is None else str(value)


def outcome_key_text(line: PaymentLine) -> str | None:
    """The once-only key as stored: pseudonym, outcome type and episode joined by '|'."""
    key = line.outcome_key
    return None if key is None else key.text


@dataclass(frozen=True, kw_only=True)
class LineContext:
    """What a computed line needs beside itself to become a row: where it is stored and booked."""

    period_id: str
    contract_id: str
    supplier_id: str
    lot_id: str | None
    vat_code: str
    cost_centre: str

    @functools.cached_property
    def head(self) -> str:
        """The row's first four fields with their tabs, the same for every line of the context."""
        return "\t".join((self.period_id, self.contract_id, self.supplier_id, self.lot_id or NULL)) + "\t"

    @functools.cached_property
    def booking(self) -> str:
        """The VAT code and cost centre fields, escaped once."""
        return f"{_text(self.vat_code)}\t{_text(self.cost_centre)}"


def line_row(line: PaymentLine, ctx: LineContext, *, corrects_line_id: int | None = None) -> str:
    """One computed line as a COPY text row (ending in a newline)."""
    data = _canonical(line.trace)
    trace_id = hashlib.sha256(data).hexdigest()
    # A component line stores only the inputs its row lacks (~200 of ~1 300 bytes, so the table and its
    # WAL are less than half as large); trace_id stays the hash of the full trace the endpoint rebuilds.
    compact = compact_trace(line.trace)
    trace = (data if compact is None else _canonical(compact)).decode()
    texts = [
        line.pseudonym,
        line.home_municipality_code,
        line.event_type,
        line.episode_id,
        line.component,
        line.rule_version,
        outcome_key_text(line),
        line.line_key,
    ]
    # One search over the row's texts instead of one per field: they almost never need escaping.
    if _SPECIAL.search("".join(filter(None, texts))) is None:
        pseudonym, municipality, event_type, episode, component, version, key, line_key = [
            NULL if t is None else t for t in texts
        ]
    else:
        pseudonym, municipality, event_type, episode, component, version, key, line_key = map(_text, texts)
    day: date = line.event_date
    fields = (
        pseudonym,
        municipality,
        line.event_id,
        event_type,
        day.isoformat(),
        episode,
        component,
        line.kind,  # StrEnum members are their values (no enum property call per line)
        line.status,
        "1",
        str(line.unit_price_cents),
        _num(line.share_bp),
        _num(line.multiplier_bp),
        str(line.amount_cents),
        str(line.unpaid_cents),
        str(line.committed_delta_cents),
        NULL if line.reason is None else line.reason,
        ctx.booking,
        line.rule,
        version,
        _json_text(trace),
        trace_id,
        _num(corrects_line_id),
        key,
        line_key,
        str(line.base_cents),
        str(line.rate_num),
        str(line.rate_den),
        str(line.deducted_cents),
        str(line.outcome_claim),
    )
    return ctx.head + "\t".join(fields) + "\n"


def raw_row(values: Mapping[str, Any]) -> str:
    """A row from explicit column values (corrections); the trace is canonicalised here."""
    trace, trace_id = canonical_trace(values["trace"])
    out: list[str] = []
    for name in COLUMNS:
        if name == "trace":
            out.append(_json_text(trace))
        elif name == "trace_id":
            out.append(trace_id)
        else:
            value = values.get(name)
            if value is None:
                out.append(NULL)
            elif isinstance(value, bool):
                raise TypeError(f"{name} cannot be a bool")
            elif isinstance(value, int):
                out.append(str(value))
            elif isinstance(value, date):
                out.append(value.isoformat())
            else:
                out.append(_text(str(value)))
    return "\t".join(out) + "\n"


def copy_lines(session: Session, chunks: Iterable[str | bytes | memoryview]) -> None:
    """Stream rows into payment_line inside the session's transaction."""
    # A queued writer hands each chunk to a thread that feeds the server, so this process goes back to
    # reading the workers' next chunks while the server is still inserting the last ones: the workers
    # and the server then run side by side instead of taking turns.
    with (
        driver_connection(session).cursor() as cursor,
        cursor.copy(COPY_SQL, writer=QueuedLibpqWriter(cursor)) as copy,
    ):
        for chunk in chunks:
            if chunk:
                copy.write(chunk)
