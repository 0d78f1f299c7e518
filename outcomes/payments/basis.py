"""The payment basis as a table: its records, its fixed Arrow schema and the batch built from lines."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from operator import attrgetter
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

XLSX_MAX_DATA_ROWS = 1_048_575  # 1 048 576 rows per sheet, one of them the header
CHUNK_ROWS = 131_072  # rows per CSV or XLSX chunk and progress step
PARQUET_ROW_GROUP_ROWS = 262_144
UTF8_BOM = b"\xef\xbb\xbf"
DEFAULT_VAT_CODE = "0"  # exempt: employment and training services are typically VAT-exempt

Progress = Callable[[int, int], None]  # (rows written, rows in batch)


class Sink(Protocol):
    def write(self, data: bytes | memoryview, /) -> int: ...


class ExportFormat(StrEnum):
    """Output formats for finance."""

    CSV_FI = "csv-fi"  # UTF-8 with BOM, ';', decimal comma: what Finnish Excel opens
    CSV_RFC4180 = "csv-rfc4180"  # UTF-8, ',', dot decimal, CRLF
    XLSX = "xlsx"
    PARQUET = "parquet"


SUFFIX = {
    ExportFormat.CSV_FI: "_fi.csv",
    ExportFormat.CSV_RFC4180: "_rfc4180.csv",
    ExportFormat.XLSX: ".xlsx",
    ExportFormat.PARQUET: ".parquet",
}


class ExportError(ValueError):
    """A batch that cannot be exported as it stands."""


@dataclass(frozen=True, kw_only=True)
class BasisLine:
    """One payment-basis line as stored; batch-wide columns come from BatchMeta."""

    line_id: int
    home_municipality_code: str
    supplier_business_id: str
    supplier_name: str
    contract_id: str
    competition_id: str
    category: str
    participant_pseudonym: str | None  # None on period lines (withhold release, bonus)
    event_type: str | None
    event_date: date | None
    component: str
    quantity: int
    unit_amount_cents: int
    multiplier_bp: int | None
    amount_cents: int
    cost_centre: str
    rule_version: str
    trace_id: str
    corrects_line_id: int | None = None
    vat_code: str | None = None  # None: the batch's code for the category, else the default
    # How to recompute amount_cents from the row alone (rounding half away from zero, once):
    # amount_cents = round(base_cents × rate_numerator / rate_denominator) − deducted_cents.
    share_bp: int | None = None
    base_cents: int = 0
    rate_numerator: int = 1
    rate_denominator: int = 1
    deducted_cents: int = 0


@dataclass(frozen=True, kw_only=True)
class BatchMeta:
    """Batch-wide facts: one batch is one period of one paying authority."""

    batch_id: str
    period: str  # YYYY-MM
    paying_authority: str
    # Stored with the batch and written as the XLSX creation time, so re-exports are identical.
    created_at: datetime
    default_vat_code: str = DEFAULT_VAT_CODE
    vat_code_by_service_type: Mapping[str, str] = field(default_factory=dict)  # keyed by category

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", self.period):
            raise ExportError(f"period must be YYYY-MM, got {self.period!r}")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", self.batch_id):
            raise ExportError(f"batch id must be letters, digits, '.', '_' or '-': {self.batch_id!r}")


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """What an export holds: counts, totals and the SHA-256 of its bytes."""

    batch_id: str
    format: ExportFormat
    file_name: str
    row_count: int
    total_cents: int
    totals_by_supplier_cents: tuple[tuple[str, int], ...]  # (business id, cents), sorted by id
    totals_by_municipality_cents: tuple[tuple[str, int], ...]  # (municipality code, cents), sorted
    size_bytes: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form (no floats)."""
        return {
            "batch_id": self.batch_id,
            "format": self.format.value,
            "file_name": self.file_name,
            "row_count": self.row_count,
            "total_cents": self.total_cents,
            "totals_by_supplier_cents": dict(self.totals_by_supplier_cents),
            "totals_by_municipality_cents": dict(self.totals_by_municipality_cents),
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
        }


@dataclass(frozen=True, kw_only=True)
class ExportResult:
    """An export held in memory, for HTTP streaming."""

    data: bytes
    manifest: Manifest


TEXT, INT = pa.string(), pa.int64()
SCHEMA = pa.schema(
    [
        pa.field("batch_id", TEXT, nullable=False),
        pa.field("line_id", INT, nullable=False),
        pa.field("period", TEXT, nullable=False),
        pa.field("paying_authority", TEXT, nullable=False),
        pa.field("home_municipality_code", TEXT, nullable=False),
        pa.field("supplier_business_id", TEXT, nullable=False),
        pa.field("supplier_name", TEXT, nullable=False),
        pa.field("contract_id", TEXT, nullable=False),
        pa.field("competition_id", TEXT, nullable=False),
        pa.field("category", TEXT, nullable=False),
        pa.field("participant_pseudonym", TEXT),
        pa.field("event_type", TEXT),
        pa.field("event_date", pa.date32()),
        pa.field("component", TEXT, nullable=False),
        pa.field("quantity", INT, nullable=False),
        pa.field("unit_amount_cents", INT, nullable=False),
        pa.field("share_bp", INT),
        pa.field("multiplier_bp", INT),
        pa.field("base_cents", INT, nullable=False),
        pa.field("rate_numerator", INT, nullable=False),
        pa.field("rate_denominator", INT, nullable=False),
        pa.field("deducted_cents", INT, nullable=False),
        pa.field("amount_cents", INT, nullable=False),
        pa.field("amount_eur", TEXT, nullable=False),  # "1234.56"; the Finnish CSV writes "1234,56"
        pa.field("vat_code", TEXT, nullable=False),
        pa.field("cost_centre", TEXT, nullable=False),
        pa.field("rule_version", TEXT, nullable=False),
        pa.field("trace_id", TEXT, nullable=False),
        pa.field("corrects_line_id", INT),
    ]
)
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)
# The Finnish CSV and the XLSX are read by people: Finnish headers. The RFC 4180 CSV and Parquet are read
# by systems and keep the stable machine names above (docs/finance.md lists both).
FINNISH_HEADERS: dict[str, str] = {
    "batch_id": "erätunnus",
    "line_id": "rivitunnus",
    "period": "maksukausi",
    "paying_authority": "maksava viranomainen",
    "home_municipality_code": "kotikunnan koodi",
    "supplier_business_id": "palveluntuottajan y-tunnus",
    "supplier_name": "palveluntuottaja",
    "contract_id": "sopimustunnus",
    "competition_id": "kilpailutuksen tunnus",
    "category": "luokka",
    "participant_pseudonym": "osallistujan pseudonyymi",
    "event_type": "tapahtuman tyyppi",
    "event_date": "tapahtumapäivä",
    "component": "maksuosa",
    "quantity": "määrä",
    "unit_amount_cents": "yksikkösumma (senttiä)",
    "share_bp": "osuus (peruspistettä)",
    "multiplier_bp": "kerroin (peruspistettä)",
    "base_cents": "peruste (senttiä)",
    "rate_numerator": "kertoimen osoittaja",
    "rate_denominator": "kertoimen nimittäjä",
    "deducted_cents": "vähennetty (senttiä)",
    "amount_cents": "summa (senttiä)",
    "amount_eur": "summa (euroa)",
    "vat_code": "alv-koodi",
    "cost_centre": "kustannuspaikka",
    "rule_version": "sääntöversio",
    "trace_id": "laskentajäljen tunnus",
    "corrects_line_id": "oikaistava rivi",
}
FINNISH_COLUMNS: tuple[str, ...] = tuple(FINNISH_HEADERS[c] for c in COLUMNS)
BATCH_COLUMNS = ("batch_id", "period", "paying_authority")
_DERIVED_COLUMNS = ("amount_eur",)
RECOMPUTE_FIELDS = ("share_bp", "base_cents", "rate_numerator", "rate_denominator", "deducted_cents")
_LINE_FIELDS = tuple(f.name for f in fields(BasisLine))
STRING_COLUMNS = tuple(f.name for f in SCHEMA if f.type == TEXT)
# Dictionaries only where values repeat; per-line ids and amounts would build one just to drop it.
PARQUET_DICTIONARY_COLUMNS = tuple(
    c
    for c in COLUMNS
    if c
    not in (
        "line_id",
        "participant_pseudonym",
        "trace_id",
        "amount_cents",
        "amount_eur",
        "base_cents",
        "deducted_cents",
    )
)
# Min/max statistics on the columns finance filters by; on hashes and names they only cost time.
PARQUET_STATISTICS_COLUMNS = (
    "line_id",
    "period",
    "home_municipality_code",
    "supplier_business_id",
    "contract_id",
    "event_date",
    "amount_cents",
)


def _euro_plain(cents: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Vectorised cents -> "1234.56" (the same text as money.format_plain)."""
    negative = pc.less(cents, 0)
    magnitude = pc.abs_checked(cents)
    whole = pc.divide(magnitude, 100)  # integer division: the operands are non-negative ints
    rest = pc.subtract(magnitude, pc.multiply(whole, 100))
    sign = pc.if_else(negative, pa.scalar("-"), pa.scalar(""))
    return pc.binary_join_element_wise(
        sign,
        pc.cast(whole, pa.string()),
        pa.scalar("."),
        pc.utf8_lpad(pc.cast(rest, pa.string()), width=2, padding="0"),
        "",  # the separator between the parts
    )


def basis_table(*, lines: Sequence[BasisLine] | Sequence[Mapping[str, Any]], meta: BatchMeta) -> pa.Table:
    """The batch as a typed Arrow table with the fixed schema, sorted by line id."""
    n = len(lines)
    if n and isinstance(lines[0], Mapping):
        rows: Sequence[Mapping[str, Any]] = lines  # type: ignore[assignment]
        optional = {"corrects_line_id", "vat_code", *RECOMPUTE_FIELDS}
        missing = {name for name in _LINE_FIELDS if name not in rows[0]} - optional
        if missing:
            raise ExportError(f"lines lack columns: {sorted(missing)}")
        defaults = {f.name: f.default for f in fields(BasisLine) if f.name in RECOMPUTE_FIELDS}
        column = {name: [row.get(name, defaults.get(name)) for row in rows] for name in _LINE_FIELDS}
    else:
        column = {name: list(map(attrgetter(name), lines)) for name in _LINE_FIELDS}
    vat_by_type = meta.vat_code_by_service_type
    column["vat_code"] = [
        code if code is not None else vat_by_type.get(str(category), meta.default_vat_code)
        for code, category in zip(column["vat_code"], column["category"], strict=True)
    ]
    arrays: dict[str, pa.Array] = {}
    for name in COLUMNS:
        if name in BATCH_COLUMNS:
            arrays[name] = pa.array([getattr(meta, name)] * n, TEXT) if n else pa.array([], TEXT)
        elif name not in _DERIVED_COLUMNS:
            try:
                arrays[name] = pa.array(column[name], SCHEMA.field(name).type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
                raise ExportError(f"column {name}: {exc}") from exc
    arrays["amount_eur"] = _euro_plain(arrays["amount_cents"])
    return finish(pa.table([arrays[name] for name in COLUMNS], schema=SCHEMA))


def finish(table: pa.Table) -> pa.Table:
    """Check nulls and line ids, and sort by line id (a no-op for already sorted input)."""
    for name in COLUMNS:
        if not SCHEMA.field(name).nullable and table.column(name).null_count:
            raise ExportError(f"column {name} has empty values")
    if not _strictly_increasing(table.column("line_id")):
        table = table.take(pc.sort_indices(table, sort_keys=[("line_id", "ascending")]))
        if not _strictly_increasing(table.column("line_id")):
            raise ExportError("line ids must be unique within a batch")
    return table


def _strictly_increasing(ids: pa.ChunkedArray) -> bool:
    if len(ids) < 2:
        return True
    return bool(pc.all(pc.greater(ids.slice(1), ids.slice(0, len(ids) - 1))).as_py())


def totals_by(table: pa.Table, key: str) -> tuple[tuple[str, int], ...]:
    grouped = table.group_by(key).aggregate([("amount_cents", "sum")])
    pairs = zip(grouped.column(key).to_pylist(), grouped.column("amount_cents_sum").to_pylist(), strict=True)
    return tuple(sorted((str(k), int(v)) for k, v in pairs))
