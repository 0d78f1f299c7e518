"""Finance export of payment-basis lines: Finnish CSV, RFC 4180 CSV, XLSX and Parquet (SPEC §4.6).

The only module in the project that imports pandas. Every format is byte-for-byte reproducible:
the same batch exported twice gives the same bytes and the same SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter
from pathlib import Path
from typing import IO, Any, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import xlsxwriter

XLSX_MAX_DATA_ROWS = 1_048_575  # 1 048 576 rows per sheet, one of them the header
CHUNK_ROWS = 131_072  # rows per CSV or XLSX chunk and progress step
PARQUET_ROW_GROUP_ROWS = 262_144
UTF8_BOM = b"\xef\xbb\xbf"
DEFAULT_VAT_CODE = "0"  # exempt: employment and training services are typically VAT-exempt

Progress = Callable[[int, int], None]  # (rows written, rows in batch)


class _Sink(Protocol):
    def write(self, data: bytes | memoryview, /) -> int: ...


class ExportFormat(StrEnum):
    """Output formats for finance."""

    CSV_FI = "csv-fi"  # UTF-8 with BOM, ';', decimal comma: what Finnish Excel opens
    CSV_RFC4180 = "csv-rfc4180"  # UTF-8, ',', dot decimal, CRLF
    XLSX = "xlsx"
    PARQUET = "parquet"


_SUFFIX = {
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


_S, _I = pa.string(), pa.int64()
SCHEMA = pa.schema(
    [
        pa.field("batch_id", _S, nullable=False),
        pa.field("line_id", _I, nullable=False),
        pa.field("period", _S, nullable=False),
        pa.field("paying_authority", _S, nullable=False),
        pa.field("home_municipality_code", _S, nullable=False),
        pa.field("supplier_business_id", _S, nullable=False),
        pa.field("supplier_name", _S, nullable=False),
        pa.field("contract_id", _S, nullable=False),
        pa.field("competition_id", _S, nullable=False),
        pa.field("category", _S, nullable=False),
        pa.field("participant_pseudonym", _S),
        pa.field("event_type", _S),
        pa.field("event_date", pa.date32()),
        pa.field("component", _S, nullable=False),
        pa.field("quantity", _I, nullable=False),
        pa.field("unit_amount_cents", _I, nullable=False),
        pa.field("multiplier_bp", _I),
        pa.field("amount_cents", _I, nullable=False),
        pa.field("amount_eur", _S, nullable=False),  # "1234.56"; the Finnish CSV writes "1234,56"
        pa.field("vat_code", _S, nullable=False),
        pa.field("cost_centre", _S, nullable=False),
        pa.field("rule_version", _S, nullable=False),
        pa.field("trace_id", _S, nullable=False),
        pa.field("corrects_line_id", _I),
    ]
)
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)
_BATCH_COLUMNS = ("batch_id", "period", "paying_authority")
_DERIVED_COLUMNS = ("amount_eur",)
_LINE_FIELDS = tuple(f.name for f in fields(BasisLine))
_STRING_COLUMNS = tuple(f.name for f in SCHEMA if f.type == _S)
# Dictionaries only where values repeat; per-line ids and amounts would build one just to drop it.
_PARQUET_DICTIONARY_COLUMNS = tuple(
    c
    for c in COLUMNS
    if c not in ("line_id", "participant_pseudonym", "trace_id", "amount_cents", "amount_eur")
)
# Min/max statistics on the columns finance filters by; on hashes and names they only cost time.
_PARQUET_STATISTICS_COLUMNS = (
    "line_id",
    "period",
    "home_municipality_code",
    "supplier_business_id",
    "contract_id",
    "event_date",
    "amount_cents",
)
_PANDAS_DTYPES = {
    pa.int64(): pd.Int64Dtype(),
    pa.string(): pd.StringDtype("pyarrow"),
    pa.date32(): pd.ArrowDtype(pa.date32()),
}


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
        missing = {name for name in _LINE_FIELDS if name not in rows[0]} - {"corrects_line_id", "vat_code"}
        if missing:
            raise ExportError(f"lines lack columns: {sorted(missing)}")
        column = {name: [row.get(name) for row in rows] for name in _LINE_FIELDS}
    else:
        column = {name: list(map(attrgetter(name), lines)) for name in _LINE_FIELDS}
    vat_by_type = meta.vat_code_by_service_type
    column["vat_code"] = [
        code if code is not None else vat_by_type.get(str(category), meta.default_vat_code)
        for code, category in zip(column["vat_code"], column["category"], strict=True)
    ]
    arrays: dict[str, pa.Array] = {}
    for name in COLUMNS:
        if name in _BATCH_COLUMNS:
            arrays[name] = pa.array([getattr(meta, name)] * n, _S) if n else pa.array([], _S)
        elif name not in _DERIVED_COLUMNS:
            try:
                arrays[name] = pa.array(column[name], SCHEMA.field(name).type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
                raise ExportError(f"column {name}: {exc}") from exc
    arrays["amount_eur"] = _euro_plain(arrays["amount_cents"])
    return _finish(pa.table([arrays[name] for name in COLUMNS], schema=SCHEMA))


def _finish(table: pa.Table) -> pa.Table:
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


def basis_frame(*, lines: Sequence[BasisLine] | Sequence[Mapping[str, Any]], meta: BatchMeta) -> pd.DataFrame:
    """The batch as a pandas frame with explicit dtypes: int64 / Int64, string, date32; sorted by line id."""
    return _to_frame(basis_table(lines=lines, meta=meta))


def _to_frame(table: pa.Table) -> pd.DataFrame:
    # Every int64 arrives as nullable Int64 (never through float, which loses cents above 2**53);
    # columns that cannot be empty then become plain int64.
    frame = table.to_pandas(types_mapper=_PANDAS_DTYPES.get)
    for name in (f.name for f in SCHEMA if f.type == _I and not f.nullable):
        frame[name] = frame[name].astype("int64")
    return frame


def _as_table(
    batch: pd.DataFrame | Sequence[BasisLine] | Sequence[Mapping[str, Any]], meta: BatchMeta
) -> pa.Table:
    if isinstance(batch, pd.DataFrame):
        if tuple(batch.columns) != COLUMNS:
            raise ExportError("a frame must come from basis_frame (same columns, same order)")
        try:
            table = pa.Table.from_pandas(batch, schema=SCHEMA, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ExportError(f"frame does not fit the export schema: {exc}") from exc
        for name in _BATCH_COLUMNS:
            if pc.any(pc.not_equal(table.column(name), getattr(meta, name))).as_py():
                raise ExportError(f"frame column {name} does not match the batch metadata")
        return _finish(table.replace_schema_metadata(None))
    return basis_table(lines=batch, meta=meta)


def _totals(table: pa.Table, key: str) -> tuple[tuple[str, int], ...]:
    grouped = table.group_by(key).aggregate([("amount_cents", "sum")])
    pairs = zip(grouped.column(key).to_pylist(), grouped.column("amount_cents_sum").to_pylist(), strict=True)
    return tuple(sorted((str(k), int(v)) for k, v in pairs))


def _no_line_breaks(table: pa.Table) -> pa.Table:
    """Replace CR/LF inside text with spaces: finance importers split rows on them, quoted or not."""
    for name in _STRING_COLUMNS:
        col = table.column(name)
        if pc.any(pc.match_substring_regex(col, r"[\r\n]")).as_py():
            cleaned = pc.replace_substring_regex(col, r"\r\n|\r|\n", " ")
            table = table.set_column(table.schema.get_field_index(name), SCHEMA.field(name), cleaned)
    return table


def _csv_chunk(chunk: pa.Table, options: pacsv.WriteOptions) -> bytes:
    buffer = pa.BufferOutputStream()
    pacsv.write_csv(chunk, buffer, write_options=options)
    data: bytes = buffer.getvalue().to_pybytes()
    rows = chunk.num_rows + (1 if options.include_header else 0)
    if data.count(b"\n") != rows or b"\r" in data:
        # Rare: a field holds a line break. Clean it (counting is far cheaper than scanning fields).
        return _csv_chunk(_no_line_breaks(chunk), options)
    # Arrow ends rows with LF; no field holds a line break now, so every LF ends a row.
    return data.replace(b"\n", b"\r\n")


def _write_csv(table: pa.Table, sink: _Sink, fmt: ExportFormat, progress: Progress | None) -> None:
    finnish = fmt is ExportFormat.CSV_FI
    if finnish:
        euro = pc.replace_substring(table.column("amount_eur"), ".", ",")
        table = table.set_column(COLUMNS.index("amount_eur"), SCHEMA.field("amount_eur"), euro)
        sink.write(UTF8_BOM)
    delimiter = ";" if finnish else ","
    total = table.num_rows
    offset = 0
    while True:
        chunk = table.slice(offset, CHUNK_ROWS)
        options = pacsv.WriteOptions(include_header=offset == 0, delimiter=delimiter, batch_size=16_384)
        sink.write(_csv_chunk(chunk, options))
        offset += chunk.num_rows
        if progress is not None:
            progress(offset, total)
        if offset >= total:
            return


def _write_parquet(table: pa.Table, where: str | Any, meta: BatchMeta, progress: Progress | None) -> None:
    """Write to a path or an Arrow output stream: Arrow then writes natively, not through Python."""
    schema = SCHEMA.with_metadata(
        {"batch_id": meta.batch_id, "period": meta.period, "paying_authority": meta.paying_authority}
    )
    table = table.replace_schema_metadata(schema.metadata)
    total = table.num_rows
    with pq.ParquetWriter(
        where,
        schema,
        compression="snappy",
        use_dictionary=list(_PARQUET_DICTIONARY_COLUMNS),
        write_statistics=list(_PARQUET_STATISTICS_COLUMNS),
        store_schema=True,
    ) as writer:
        if total == 0:
            writer.write_table(table)
        for offset in range(0, total, PARQUET_ROW_GROUP_ROWS):
            chunk = table.slice(offset, PARQUET_ROW_GROUP_ROWS)
            writer.write_table(chunk, row_group_size=PARQUET_ROW_GROUP_ROWS)
            if progress is not None:
                progress(offset + chunk.num_rows, total)
    if progress is not None and total == 0:
        progress(0, 0)


_XLSX_KIND = {
    pa.string(): "string",
    pa.int64(): "number",
    pa.date32(): "date",
}


def _write_xlsx(
    table: pa.Table,
    sink: io.IOBase,
    meta: BatchMeta,
    totals: tuple[int, tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]],
    progress: Progress | None,
    rows_per_sheet: int,
) -> None:
    if not 1 <= rows_per_sheet <= XLSX_MAX_DATA_ROWS:
        raise ExportError(f"rows per sheet must be 1–{XLSX_MAX_DATA_ROWS}")
    # constant_memory streams rows to temp files, so a million-row batch fits in memory; it is set
    # here on xlsxwriter itself, never through DataFrame.to_excel (which then writes one column).
    workbook = xlsxwriter.Workbook(
        sink,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    # A fixed creation time (the batch's own) keeps docProps/core.xml, and so the bytes, reproducible.
    workbook.set_properties({"title": f"Maksuperuste {meta.batch_id}", "created": meta.created_at})
    bold = workbook.add_format({"bold": True})
    euro = workbook.add_format({"num_format": "#,##0.00"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    total_rows = table.num_rows
    sheets = max(1, -(-total_rows // rows_per_sheet))
    written = 0
    euro_column = COLUMNS.index("amount_eur")
    kinds = [_XLSX_KIND[SCHEMA.field(name).type] for name in COLUMNS]
    for sheet_index in range(sheets):
        sheet = workbook.add_worksheet("data" if sheet_index == 0 else f"data_{sheet_index + 1}")
        sheet.write_row(0, 0, COLUMNS, bold)
        sheet.freeze_panes(1, 0)
        part = table.slice(sheet_index * rows_per_sheet, rows_per_sheet)
        row = 1
        for start in range(0, part.num_rows, CHUNK_ROWS):
            chunk = part.slice(start, CHUNK_ROWS)
            columns = [chunk.column(name).to_pylist() for name in COLUMNS]
            cents = columns[COLUMNS.index("amount_cents")]
            # Euro cells are exact decimals (written as "1234.56" in the XML), never binary floats.
            columns[euro_column] = [Decimal(c).scaleb(-2) for c in cents]
            for values in zip(*columns, strict=True):
                for col, (kind, value) in enumerate(zip(kinds, values, strict=True)):
                    if value is None:
                        continue
                    if col == euro_column:
                        sheet.write_number(row, col, value, euro)
                    elif kind == "string":
                        sheet.write_string(row, col, value)
                    elif kind == "number":
                        sheet.write_number(row, col, value)
                    else:
                        sheet.write_datetime(row, col, value, day)
                row += 1
            written += chunk.num_rows
            if progress is not None:
                progress(written, total_rows)
    _write_totals_sheet(workbook, meta, total_rows, totals, bold, euro)
    workbook.close()
    if progress is not None and total_rows == 0:
        progress(0, 0)


def _write_totals_sheet(
    workbook: xlsxwriter.Workbook,
    meta: BatchMeta,
    row_count: int,
    totals: tuple[int, tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]],
    bold: Any,
    euro: Any,
) -> None:
    total_cents, by_supplier, by_municipality = totals
    sheet = workbook.add_worksheet("totals")
    rows: list[tuple[str, ...] | tuple[str, int]] = [
        ("batch_id", meta.batch_id),
        ("period", meta.period),
        ("paying_authority", meta.paying_authority),
        ("row_count", row_count),
    ]
    for r, (label, value) in enumerate(rows):
        sheet.write_string(r, 0, label, bold)
        if isinstance(value, int):
            sheet.write_number(r, 1, value)
        else:
            sheet.write_string(r, 1, value)
    r = len(rows) + 1
    for title, pairs in (
        ("total", (("all", total_cents),)),
        ("supplier_business_id", by_supplier),
        ("home_municipality_code", by_municipality),
    ):
        sheet.write_row(r, 0, (title, "amount_cents", "amount_eur"), bold)
        r += 1
        for key, cents in pairs:
            sheet.write_string(r, 0, key)
            sheet.write_number(r, 1, cents)
            sheet.write_number(r, 2, Decimal(cents).scaleb(-2), euro)
            r += 1
        r += 1


class _HashingWriter:
    """A write-only sink that hashes what passes through it."""

    def __init__(self, sink: IO[bytes]) -> None:
        self.sink = sink
        self.digest = hashlib.sha256()

    def write(self, data: bytes | memoryview) -> int:
        if len(data) < 1 << 20:
            self.digest.update(data)
            return self.sink.write(data)
        # hashlib and file writes both release the GIL on large buffers, so overlap them.
        hasher = threading.Thread(target=self.digest.update, args=(data,))
        hasher.start()
        try:
            return self.sink.write(data)
        finally:
            hasher.join()


def _file_digest(path: Path) -> Any:
    """The SHA-256 of a written file."""
    with path.open("rb") as written:
        return hashlib.file_digest(written, "sha256")


def default_file_name(*, meta: BatchMeta, fmt: ExportFormat) -> str:
    """File name for a batch export, e.g. "maksuperuste_B-17_2025-03_fi.csv"."""
    return f"maksuperuste_{meta.batch_id}_{meta.period}{_SUFFIX[fmt]}"


def _export(
    batch: pd.DataFrame | Sequence[BasisLine] | Sequence[Mapping[str, Any]],
    meta: BatchMeta,
    fmt: ExportFormat,
    sink: _Sink | str,
    progress: Progress | None,
    rows_per_sheet: int,
) -> tuple[int, int, tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]:
    table = _as_table(batch, meta)
    total_cents = int(pc.sum(table.column("amount_cents")).as_py() or 0)
    by_supplier = _totals(table, "supplier_business_id")
    by_municipality = _totals(table, "home_municipality_code")
    if fmt is ExportFormat.PARQUET:
        _write_parquet(table, sink, meta, progress)
    elif isinstance(sink, str):
        raise TypeError("only Parquet is written to a path")
    elif fmt in (ExportFormat.CSV_FI, ExportFormat.CSV_RFC4180):
        _write_csv(table, sink, fmt, progress)
    else:
        # The zip writer seeks, so XLSX needs a real file object, never a pass-through sink.
        if not isinstance(sink, io.IOBase):
            raise TypeError("XLSX needs a seekable file object")
        _write_xlsx(table, sink, meta, (total_cents, by_supplier, by_municipality), progress, rows_per_sheet)
    return table.num_rows, total_cents, by_supplier, by_municipality


def _manifest(
    meta: BatchMeta,
    fmt: ExportFormat,
    file_name: str,
    figures: tuple[int, int, tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]],
    size: int,
    digest: str,
) -> Manifest:
    rows, total, by_supplier, by_municipality = figures
    return Manifest(
        batch_id=meta.batch_id,
        format=fmt,
        file_name=file_name,
        row_count=rows,
        total_cents=total,
        totals_by_supplier_cents=by_supplier,
        totals_by_municipality_cents=by_municipality,
        size_bytes=size,
        sha256=digest,
    )


def export_bytes(
    *,
    batch: pd.DataFrame | Sequence[BasisLine] | Sequence[Mapping[str, Any]],
    meta: BatchMeta,
    fmt: ExportFormat,
    progress: Progress | None = None,
    rows_per_sheet: int = XLSX_MAX_DATA_ROWS,
) -> ExportResult:
    """Export a batch (lines, line dicts, or a basis_frame) to bytes with its manifest."""
    if fmt is ExportFormat.PARQUET:
        stream = pa.BufferOutputStream()
        figures = _export(batch, meta, fmt, stream, progress, rows_per_sheet)
        data = stream.getvalue().to_pybytes()
    else:
        sink = io.BytesIO()
        figures = _export(batch, meta, fmt, sink, progress, rows_per_sheet)
        data = sink.getvalue()
    manifest = _manifest(
        meta, fmt, default_file_name(meta=meta, fmt=fmt), figures, len(data), hashlib.sha256(data).hexdigest()
    )
    return ExportResult(data=data, manifest=manifest)


def export_to_path(
    *,
    batch: pd.DataFrame | Sequence[BasisLine] | Sequence[Mapping[str, Any]],
    meta: BatchMeta,
    fmt: ExportFormat,
    path: Path | str,
    progress: Progress | None = None,
    rows_per_sheet: int = XLSX_MAX_DATA_ROWS,
) -> Manifest:
    """Export a batch to a file (a directory gets the default file name) and return its manifest."""
    target = Path(path)
    if target.is_dir():
        target = target / default_file_name(meta=meta, fmt=fmt)
    partial = target.with_name(target.name + ".part")
    try:
        # Arrow writes Parquet to the path natively and the zip writer of XLSX seeks back to patch
        # headers, so those two files are hashed once finished; CSV is hashed as it passes.
        if fmt is ExportFormat.PARQUET:
            figures = _export(batch, meta, fmt, str(partial), progress, rows_per_sheet)
            digest = _file_digest(partial)
        elif fmt is ExportFormat.XLSX:
            with partial.open("wb") as sink:
                figures = _export(batch, meta, fmt, sink, progress, rows_per_sheet)
            digest = _file_digest(partial)
        else:
            with partial.open("wb") as sink:
                hashing = _HashingWriter(sink)
                figures = _export(batch, meta, fmt, hashing, progress, rows_per_sheet)
            digest = hashing.digest
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return _manifest(meta, fmt, target.name, figures, target.stat().st_size, digest.hexdigest())
