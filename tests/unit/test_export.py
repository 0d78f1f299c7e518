"""Finance export: reproducible bytes in every format, Finnish and RFC 4180 CSV, split XLSX, manifests."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pyarrow.parquet as pq
import pytest
import xlsxwriter.worksheet

from outcomes.payments.basis import (
    COLUMNS,
    FINNISH_COLUMNS,
    SCHEMA,
    XLSX_MAX_DATA_ROWS,
    BasisLine,
    BatchMeta,
    ExportError,
    ExportFormat,
)
from outcomes.payments.export import basis_frame, default_file_name, export_bytes, export_to_path

META = BatchMeta(
    batch_id="B-2025-03-01",
    period="2025-03",
    paying_authority="Lahti",
    created_at=datetime(2025, 4, 1, 8, 30, tzinfo=UTC),
    vat_code_by_service_type={"COMPETENCE": "EXEMPT-EDU"},
)


def line(line_id: int, **changes: object) -> BasisLine:
    base = BasisLine(
        line_id=line_id,
        home_municipality_code="016",
        supplier_business_id="0112038-9",
        supplier_name="Työvalmennus Oy",
        contract_id="CON-7",
        competition_id="MK-3",
        category="EMPLOYMENT",
        participant_pseudonym=f"pseud-{line_id}",
        event_type="employment_start",
        event_date=date(2025, 3, line_id % 28 + 1),
        component="outcome_a",
        quantity=1,
        unit_amount_cents=240_000,
        multiplier_bp=10_000,
        amount_cents=36_000,
        cost_centre="KP-100",
        rule_version="payments-2025.1",
        trace_id=f"{line_id:064x}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


LINES = [
    line(7, amount_cents=123_456),
    line(2, supplier_business_id="2331972-7", supplier_name='Osuuskunta "Askel"; Lahti', amount_cents=5),
    line(
        5,
        participant_pseudonym=None,
        event_type=None,
        event_date=None,
        component="bonus",
        multiplier_bp=None,
        amount_cents=200_340,
        home_municipality_code="398",
    ),
    line(3, amount_cents=-36_000, corrects_line_id=1, home_municipality_code="398"),
    line(11, category="COMPETENCE", amount_cents=96_000, vat_code=None),
    line(13, supplier_name="Rivi\r\nvaihto Oy", amount_cents=100),
]
TOTAL = 123_456 + 5 + 200_340 - 36_000 + 96_000 + 100


def test_frame_is_typed_and_sorted_by_line_id() -> None:
    frame = basis_frame(lines=LINES, meta=META)
    assert tuple(frame.columns) == COLUMNS
    assert frame["line_id"].tolist() == [2, 3, 5, 7, 11, 13]
    assert str(frame["line_id"].dtype) == "int64"
    assert str(frame["amount_cents"].dtype) == "int64"
    assert str(frame["multiplier_bp"].dtype) == "Int64"
    assert str(frame["corrects_line_id"].dtype) == "Int64"
    assert isinstance(frame["supplier_name"].dtype, pd.StringDtype)
    assert frame["amount_eur"].tolist() == ["0.05", "-360.00", "2003.40", "1234.56", "960.00", "1.00"]
    assert frame["vat_code"].tolist() == ["0", "0", "0", "0", "EXEMPT-EDU", "0"]
    assert set(frame["batch_id"]) == {"B-2025-03-01"} and set(frame["period"]) == {"2025-03"}
    assert frame["corrects_line_id"].tolist()[:2] == [pd.NA, 1]
    assert pd.isna(frame["multiplier_bp"].iloc[2])


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_same_batch_twice_is_byte_identical(fmt: ExportFormat, tmp_path: Path) -> None:
    first = export_bytes(batch=LINES, meta=META, fmt=fmt)
    second = export_bytes(batch=list(reversed(LINES)), meta=META, fmt=fmt)
    from_frame = export_bytes(batch=basis_frame(lines=LINES, meta=META), meta=META, fmt=fmt)
    from_dicts = export_bytes(batch=[vars(item) for item in LINES], meta=META, fmt=fmt)
    assert first.data == second.data == from_frame.data == from_dicts.data
    assert first.manifest == second.manifest
    manifest = export_to_path(batch=LINES, meta=META, fmt=fmt, path=tmp_path)
    written = (tmp_path / default_file_name(meta=META, fmt=fmt)).read_bytes()
    assert written == first.data
    assert manifest == first.manifest
    assert [p.name for p in tmp_path.iterdir()] == [manifest.file_name]  # no ".part" left behind


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_manifest_states_counts_totals_and_hash(fmt: ExportFormat) -> None:
    result = export_bytes(batch=LINES, meta=META, fmt=fmt)
    manifest = result.manifest
    assert manifest.row_count == 6
    assert manifest.total_cents == TOTAL
    assert dict(manifest.totals_by_supplier_cents) == {"0112038-9": TOTAL - 5, "2331972-7": 5}
    assert manifest.totals_by_municipality_cents == (
        ("016", 123_456 + 5 + 96_000 + 100),
        ("398", 200_340 - 36_000),
    )
    assert manifest.sha256 == hashlib.sha256(result.data).hexdigest()
    assert manifest.size_bytes == len(result.data)
    assert manifest.file_name == default_file_name(meta=META, fmt=fmt)
    assert manifest.as_dict()["totals_by_supplier_cents"] == {"0112038-9": TOTAL - 5, "2331972-7": 5}


def test_finnish_csv_opens_with_the_right_values() -> None:
    data = export_bytes(batch=LINES, meta=META, fmt=ExportFormat.CSV_FI).data
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    header = text.split("\r\n", 1)[0]
    # People read this file: Finnish headers, one per machine column, in the same order.
    assert header == ";".join(f'"{name}"' for name in FINNISH_COLUMNS)
    assert header.startswith('"erätunnus";"rivitunnus";"maksukausi";"maksava viranomainen"')
    assert '"1234,56"' in text and '"-360,00"' in text and "1234.56" not in text
    frame = pd.read_csv(
        io.BytesIO(data),
        sep=";",
        decimal=",",
        encoding="utf-8-sig",
        dtype={"kotikunnan koodi": str, "palveluntuottajan y-tunnus": str, "maksukausi": str},
    ).rename(columns=dict(zip(FINNISH_COLUMNS, COLUMNS, strict=True)))
    assert frame["line_id"].tolist() == [2, 3, 5, 7, 11, 13]
    assert [round(v * 100) for v in frame["amount_eur"]] == frame["amount_cents"].tolist()
    assert frame["amount_cents"].tolist() == [5, -36_000, 200_340, 123_456, 96_000, 100]
    assert frame["home_municipality_code"].tolist() == ["016", "398", "398", "016", "016", "016"]
    assert frame["supplier_name"].tolist()[0] == 'Osuuskunta "Askel"; Lahti'
    assert frame["supplier_name"].tolist()[-1] == "Rivi vaihto Oy"  # line break replaced
    assert frame["event_date"].tolist()[0] == "2025-03-03"
    assert pd.isna(frame["participant_pseudonym"].iloc[2])


def test_rfc4180_csv_reads_back_with_the_stdlib() -> None:
    data = export_bytes(batch=LINES, meta=META, fmt=ExportFormat.CSV_RFC4180).data
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.endswith(b"\r\n")
    assert re.search(rb"(?<!\r)\n", data) is None  # every line ends CRLF
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0] == list(COLUMNS)
    assert len(rows) == 7
    record = dict(zip(COLUMNS, rows[1], strict=True))
    assert record["supplier_name"] == 'Osuuskunta "Askel"; Lahti'
    assert (record["amount_cents"], record["amount_eur"], record["line_id"]) == ("5", "0.05", "2")
    bonus = dict(zip(COLUMNS, rows[3], strict=True))
    assert (bonus["participant_pseudonym"], bonus["event_date"], bonus["multiplier_bp"]) == ("", "", "")
    assert bonus["amount_eur"] == "2003.40"
    correction = dict(zip(COLUMNS, rows[2], strict=True))
    assert (correction["amount_eur"], correction["corrects_line_id"]) == ("-360.00", "1")


def test_parquet_has_the_fixed_schema_and_no_index() -> None:
    data = export_bytes(batch=LINES, meta=META, fmt=ExportFormat.PARQUET).data
    table = pq.read_table(io.BytesIO(data))
    assert table.schema.remove_metadata() == SCHEMA.remove_metadata()
    assert table.column_names == list(COLUMNS)
    assert table.schema.metadata[b"batch_id"] == b"B-2025-03-01"
    assert b"pandas" not in table.schema.metadata
    assert table.column("amount_cents").to_pylist() == [5, -36_000, 200_340, 123_456, 96_000, 100]
    assert table.column("event_date").to_pylist()[0] == date(2025, 3, 3)


def _sheet_rows(book: zipfile.ZipFile, path: str) -> list[list[str]]:
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    root = ElementTree.fromstring(book.read(path))  # noqa: S314 - our own output, not untrusted
    rows = []
    for row in root.iterfind(".//m:sheetData/m:row", ns):
        # Empty cells are not written: place each cell by the column letters of its reference.
        cells: dict[int, str] = {}
        for cell in row.iterfind("m:c", ns):
            letters = re.match(r"[A-Z]+", cell.get("r", "")).group()  # type: ignore[union-attr]
            index = 0
            for letter in letters:
                index = index * 26 + ord(letter) - 64
            cells[index - 1] = "".join(cell.itertext())
        rows.append([cells.get(i, "") for i in range(max(cells) + 1)] if cells else [])
    return rows


def test_xlsx_splits_over_sheets_with_a_totals_sheet_and_fixed_timestamps() -> None:
    progress: list[tuple[int, int]] = []
    result = export_bytes(
        batch=LINES,
        meta=META,
        fmt=ExportFormat.XLSX,
        rows_per_sheet=4,
        progress=lambda d, t: progress.append((d, t)),
    )
    assert progress[-1] == (6, 6)
    book = zipfile.ZipFile(io.BytesIO(result.data))
    assert {info.date_time for info in book.infolist()} == {(1980, 1, 31, 0, 0, 0)}
    assert b"2025-04-01T08:30:00Z" in book.read("docProps/core.xml")
    names = re.findall(rb'<sheet name="([^"]+)"', book.read("xl/workbook.xml"))
    assert names == [b"data", b"data_2", b"totals"]
    first = _sheet_rows(book, "xl/worksheets/sheet1.xml")
    second = _sheet_rows(book, "xl/worksheets/sheet2.xml")
    assert first[0] == list(FINNISH_COLUMNS) == second[0]
    assert [r[COLUMNS.index("line_id")] for r in first[1:]] == ["2", "3", "5", "7"]
    assert [r[COLUMNS.index("line_id")] for r in second[1:]] == ["11", "13"]
    assert first[1][COLUMNS.index("amount_eur")] == "0.05"
    assert first[4][COLUMNS.index("amount_eur")] == "1234.56"
    totals = _sheet_rows(book, "xl/worksheets/sheet3.xml")
    assert ["row_count", "6"] in totals
    assert ["all", str(TOTAL), "3839.01"] in totals
    assert ["2331972-7", "5", "0.05"] in totals


def test_xlsx_of_an_empty_batch_and_bad_input() -> None:
    empty = export_bytes(batch=[], meta=META, fmt=ExportFormat.XLSX)
    assert empty.manifest.row_count == 0 and empty.manifest.total_cents == 0
    with pytest.raises(ExportError):
        export_bytes(batch=[line(1), line(1)], meta=META, fmt=ExportFormat.CSV_FI)
    with pytest.raises(ExportError):
        replace(META, period="2025-13")
    with pytest.raises(ExportError):
        export_bytes(batch=[line(1, supplier_name=None)], meta=META, fmt=ExportFormat.PARQUET)


@pytest.mark.parametrize("fmt", [ExportFormat.CSV_FI, ExportFormat.PARQUET])
def test_progress_reaches_the_row_count(fmt: ExportFormat) -> None:
    seen: list[tuple[int, int]] = []
    export_bytes(batch=LINES, meta=META, fmt=fmt, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (6, 6)


def test_large_amounts_survive_the_frame_exactly() -> None:
    big = 2**53 + 1  # the first integer a float cannot hold
    frame = basis_frame(lines=[line(1, amount_cents=big, corrects_line_id=big)], meta=META)
    assert frame["amount_cents"].tolist() == [big]
    assert frame["corrects_line_id"].tolist() == [big]
    assert frame["amount_eur"].tolist() == ["90071992547409.93"]
    manifest = export_bytes(batch=frame, meta=META, fmt=ExportFormat.PARQUET).manifest
    assert manifest.total_cents == big


@pytest.mark.parametrize("fmt", [ExportFormat.CSV_FI, ExportFormat.CSV_RFC4180, ExportFormat.PARQUET])
def test_hash_of_a_large_file_matches_its_bytes(fmt: ExportFormat, tmp_path: Path) -> None:
    """Writes over 1 MiB are hashed in a thread beside the file write; the digest must still match."""
    lines = [line(i, amount_cents=i * 7919 % 300_000) for i in range(1, 50_001)]
    manifest = export_to_path(batch=lines, meta=META, fmt=fmt, path=tmp_path / "out.bin")
    written = (tmp_path / "out.bin").read_bytes()
    assert manifest.file_name == "out.bin"
    assert manifest.size_bytes == len(written) > 1 << 20
    assert manifest.sha256 == hashlib.sha256(written).hexdigest()
    assert manifest.row_count == 50_000
    assert manifest.total_cents == sum(i * 7919 % 300_000 for i in range(1, 50_001))


def test_no_xlsx_sheet_exceeds_excels_row_limit() -> None:
    """A sheet holds 1 048 576 rows with its header: a batch one row larger goes on to a second sheet."""
    assert XLSX_MAX_DATA_ROWS + 1 == xlsxwriter.worksheet.Worksheet().xls_rowmax == 1_048_576
    for rows, sheets in ((4, [b"data", b"totals"]), (5, [b"data", b"data_2", b"totals"])):
        data = export_bytes(batch=LINES[:rows], meta=META, fmt=ExportFormat.XLSX, rows_per_sheet=4).data
        assert (
            re.findall(rb'<sheet name="([^"]+)"', zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml"))
            == sheets
        )
    with pytest.raises(ExportError):
        export_bytes(batch=LINES, meta=META, fmt=ExportFormat.XLSX, rows_per_sheet=XLSX_MAX_DATA_ROWS + 1)
