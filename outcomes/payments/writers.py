"""The payment basis written as files: CSV (Finnish and RFC 4180), Parquet and XLSX, chunk by chunk."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import xlsxwriter

from outcomes.payments.basis import (
    CHUNK_ROWS,
    COLUMNS,
    FINNISH_COLUMNS,
    PARQUET_DICTIONARY_COLUMNS,
    PARQUET_ROW_GROUP_ROWS,
    PARQUET_STATISTICS_COLUMNS,
    SCHEMA,
    STRING_COLUMNS,
    UTF8_BOM,
    XLSX_MAX_DATA_ROWS,
    BatchMeta,
    ExportError,
    ExportFormat,
    Progress,
    Sink,
)


def _no_line_breaks(table: pa.Table) -> pa.Table:
    """Replace CR/LF inside text with spaces: finance importers split rows on them, quoted or not."""
    for name in STRING_COLUMNS:
        index = COLUMNS.index(name)  # by position: the Finnish CSV's columns carry Finnish names
        col = table.column(index)
        if pc.any(pc.match_substring_regex(col, r"[\r\n]")).as_py():
            cleaned = pc.replace_substring_regex(col, r"\r\n|\r|\n", " ")
            table = table.set_column(index, table.schema.field(index), cleaned)
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


def write_csv(table: pa.Table, sink: Sink, fmt: ExportFormat, progress: Progress | None) -> None:
    finnish = fmt is ExportFormat.CSV_FI
    if finnish:
        euro = pc.replace_substring(table.column("amount_eur"), ".", ",")
        table = table.set_column(COLUMNS.index("amount_eur"), SCHEMA.field("amount_eur"), euro)
        table = table.rename_columns(list(FINNISH_COLUMNS))
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


def write_parquet(table: pa.Table, where: str | Any, meta: BatchMeta, progress: Progress | None) -> None:
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
        use_dictionary=list(PARQUET_DICTIONARY_COLUMNS),
        write_statistics=list(PARQUET_STATISTICS_COLUMNS),
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


def write_xlsx(
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
        sheet.write_row(0, 0, FINNISH_COLUMNS, bold)
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
