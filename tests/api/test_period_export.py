"""The payment basis files over HTTP: every format, its SHA-256 in the headers, the same bytes every time."""

import csv
import hashlib
import io
import re
import zipfile
from xml.etree import ElementTree

import pyarrow.parquet as pq
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from outcomes.payments.basis import COLUMNS, FINNISH_COLUMNS, FINNISH_HEADERS
from procurement.core.settings import Settings
from tests.api.test_periods import _approved, world
from tests.factories.payments import months_ago

Client = TestClient[Litestar]
ROWS = 3  # payable lines: two start fees and one job start; withheld parts are not yet payable


def download(client: Client, period: str, fmt: str, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    response = client.get(f"/periods/{period}/export", params={"format": fmt}, headers=headers)
    assert response.status_code == 200, response.text
    return response.content, dict(response.headers)


@pytest.mark.parametrize("fmt", ["csv-fi", "csv-rfc4180", "xlsx", "parquet"])
def test_each_format_streams_with_its_manifest_and_is_byte_identical(
    client: Client, session: Session, settings: Settings, fmt: str
) -> None:
    pw = world(session, settings)
    period = _approved(client, pw)
    data, headers = download(client, period, fmt, pw.finance.headers)
    assert headers["x-manifest-sha256"] == hashlib.sha256(data).hexdigest()
    assert headers["x-manifest-row-count"] == str(ROWS)
    assert headers["x-manifest-total-cents"] == "149400"
    business_id = session.execute(
        text("SELECT business_id FROM authority WHERE id = :a"), {"a": pw.ow.world.lead_id}
    ).scalar_one()
    suffix = {"csv-fi": "_fi.csv", "csv-rfc4180": "_rfc4180.csv", "xlsx": ".xlsx", "parquet": ".parquet"}[fmt]
    name = f"maksuperuste_{business_id}-{months_ago(1).label}_{months_ago(1).label}{suffix}"
    assert headers["content-disposition"] == f'attachment; filename="{name}"'
    again, _ = download(client, period, fmt, pw.finance.headers)
    assert again == data
    manifest = client.get(
        f"/periods/{period}/manifest", params={"format": fmt}, headers=pw.finance.headers
    ).json()
    suppliers = {str(s.business_id) for s in pw.ow.suppliers}
    assert manifest["sha256"] == headers["x-manifest-sha256"] and manifest["row_count"] == ROWS
    assert manifest["totals_by_municipality_cents"] == {"111": 48_600, "398": 100_800}
    assert manifest["totals_by_supplier_cents"] == {
        pw.ow.suppliers[0].business_id: 100_800,
        pw.ow.suppliers[1].business_id: 48_600,
    }
    assert set(manifest["totals_by_supplier_cents"]) == suppliers
    stored = session.execute(text("SELECT format, sha256, row_count FROM export_batch")).all()
    assert [tuple(r) for r in stored] == [(fmt, manifest["sha256"], ROWS)]
    rows = parse(fmt, data)
    assert sorted((r["home_municipality_code"], int(r["amount_cents"])) for r in rows) == [
        ("111", 48_600),
        ("398", 36_000),
        ("398", 64_800),
    ]
    assert {r["period"] for r in rows} == {months_ago(1).label}
    assert all(len(str(r["participant_pseudonym"])) == 64 for r in rows)


def parse(fmt: str, data: bytes) -> list[dict[str, object]]:
    """Rows of an export as dicts, read the way finance tools read them."""
    if fmt == "csv-fi":
        assert data.startswith(b"\xef\xbb\xbf")
        read = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
        assert list(read[0]) == list(FINNISH_COLUMNS)  # Finnish headers for people
        rows = [{machine: r[finnish] for machine, finnish in FINNISH_HEADERS.items()} for r in read]
        assert {r["amount_eur"] for r in rows} == {"486,00", "360,00", "648,00"}
        return rows
    if fmt == "csv-rfc4180":
        assert b"\r\n" in data and not data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
        assert {r["amount_eur"] for r in rows} == {"486.00", "360.00", "648.00"}
        return list(rows)
    if fmt == "parquet":
        return pq.read_table(io.BytesIO(data)).to_pylist()
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        assert re.findall(rb'<sheet name="([^"]+)"', book.read("xl/workbook.xml")) == [b"data", b"totals"]
        root = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))  # noqa: S314 - our own output
    # Empty cells are not written, so place each cell by its reference ("C7" is the third column).
    table = [
        {_column(c.attrib["r"]): "".join(c.itertext()) for c in row.iterfind("m:c", ns)}
        for row in root.iterfind(".//m:sheetData/m:row", ns)
    ]
    header = [table[0][i] for i in sorted(table[0])]
    assert header == list(FINNISH_COLUMNS)  # the workbook is for people: Finnish headers
    header = list(COLUMNS)
    return [{name: row.get(i) for i, name in enumerate(header)} for row in table[1:]]


def _column(reference: str) -> int:
    letters = reference.rstrip("0123456789")  # "AB12" -> "AB"
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def test_period_lists_its_manifests_and_the_export_survives_confirmation(
    client: Client, session: Session, settings: Settings
) -> None:
    pw = world(session, settings)
    period = _approved(client, pw)
    before, _ = download(client, period, "parquet", pw.finance.headers)
    assert client.post(f"/periods/{period}/export", headers=pw.finance.headers).status_code == 200
    after, _ = download(client, period, "parquet", pw.finance.headers)
    assert after == before
    shown = client.get(f"/periods/{period}", headers=pw.officer.headers).json()
    assert [(m["format"], m["row_count"], m["total_cents"]) for m in shown["exports"]] == [
        ("parquet", 3, 149_400)
    ]
    unknown = client.get(f"/periods/{period}/export", params={"format": "pdf"}, headers=pw.finance.headers)
    assert unknown.status_code == 422 and unknown.headers["content-type"].startswith(
        "application/problem+json"
    )
