"""Finance export of payment-basis lines: Finnish CSV, RFC 4180 CSV, XLSX and Parquet (SPEC §4.6).

The only module in the project that imports pandas. Every format is byte-for-byte reproducible:
the same batch exported twice gives the same bytes and the same SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from outcomes.payments.basis import (
    BATCH_COLUMNS,
    COLUMNS,
    INT,
    SCHEMA,
    SUFFIX,
    XLSX_MAX_DATA_ROWS,
    BasisLine,
    BatchMeta,
    ExportError,
    ExportFormat,
    ExportResult,
    Manifest,
    Progress,
    Sink,
    basis_table,
    finish,
    totals_by,
)
from outcomes.payments.writers import write_csv, write_parquet, write_xlsx

_PANDAS_DTYPES = {
    pa.int64(): pd.Int64Dtype(),
    pa.string(): pd.StringDtype("pyarrow"),
    pa.date32(): pd.ArrowDtype(pa.date32()),
}


def basis_frame(*, lines: Sequence[BasisLine] | Sequence[Mapping[str, Any]], meta: BatchMeta) -> pd.DataFrame:
    """The batch as a pandas frame with explicit dtypes: int64 / Int64, string, date32; sorted by line id."""
    return _to_frame(basis_table(lines=lines, meta=meta))


def _to_frame(table: pa.Table) -> pd.DataFrame:
    # Every int64 arrives as nullable Int64 (never through float, which loses cents above 2**53);
    # columns that cannot be empty then become plain int64.
    frame = table.to_pandas(types_mapper=_PANDAS_DTYPES.get)
    for name in (f.name for f in SCHEMA if f.type == INT and not f.nullable):
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
        for name in BATCH_COLUMNS:
            if pc.any(pc.not_equal(table.column(name), getattr(meta, name))).as_py():
                raise ExportError(f"frame column {name} does not match the batch metadata")
        return finish(table.replace_schema_metadata(None))
    return basis_table(lines=batch, meta=meta)


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
    return f"maksuperuste_{meta.batch_id}_{meta.period}{SUFFIX[fmt]}"


def _export(
    batch: pd.DataFrame | Sequence[BasisLine] | Sequence[Mapping[str, Any]],
    meta: BatchMeta,
    fmt: ExportFormat,
    sink: Sink | str,
    progress: Progress | None,
    rows_per_sheet: int,
) -> tuple[int, int, tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]:
    table = _as_table(batch, meta)
    total_cents = int(pc.sum(table.column("amount_cents")).as_py() or 0)
    by_supplier = totals_by(table, "supplier_business_id")
    by_municipality = totals_by(table, "home_municipality_code")
    if fmt is ExportFormat.PARQUET:
        write_parquet(table, sink, meta, progress)
    elif isinstance(sink, str):
        raise TypeError("only Parquet is written to a path")
    elif fmt in (ExportFormat.CSV_FI, ExportFormat.CSV_RFC4180):
        write_csv(table, sink, fmt, progress)
    else:
        # The zip writer seeks, so XLSX needs a real file object, never a pass-through sink.
        if not isinstance(sink, io.IOBase):
            raise TypeError("XLSX needs a seekable file object")
        write_xlsx(table, sink, meta, (total_cents, by_supplier, by_municipality), progress, rows_per_sheet)
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
