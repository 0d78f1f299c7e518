"""The demo ends with last month's payment period closed and approved, and its files written."""

import hashlib
import re
import zipfile
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from procurement.app.demo.loader import load_demo
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.payments import months_ago


def _payment_tables(session: Session) -> dict[str, int]:
    tables = ("payment_period", "payment_line", "export_batch", "payment_settled_start")
    return {t: int(session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables}


def test_demo_period_is_approved_with_files_that_open(
    session: Session, tmp_path: Path, settings: Settings
) -> None:
    load_demo(session, data_dir=tmp_path, now=utc_now(), settings=settings)
    period = session.execute(
        text(
            "SELECT p.id, p.month, p.state, p.line_count, p.payable_cents, a.name FROM payment_period p"
            " JOIN authority a ON a.id = p.authority_id"
        )
    ).one()
    assert (period.month, period.state, period.name) == (months_ago(1).label, "approved", "Lahden kaupunki")
    lines = session.execute(
        text(
            "SELECT count(*), sum(amount_cents) FILTER (WHERE status = 'payable'),"
            " count(DISTINCT home_municipality_code) FROM payment_line WHERE period_id = :p"
        ),
        {"p": period.id},
    ).one()
    assert lines[0] == period.line_count and lines[0] > 20
    assert lines[1] == period.payable_cents and lines[2] >= 2
    batches = dict(session.execute(text("SELECT format, sha256 FROM export_batch")).all())
    files = {path.suffix: path for path in (tmp_path / "exports").iterdir()}
    assert set(files) == {".xlsx", ".csv"} and set(batches) == {"xlsx", "csv-fi"}
    assert hashlib.sha256(files[".xlsx"].read_bytes()).hexdigest() == batches["xlsx"]
    assert hashlib.sha256(files[".csv"].read_bytes()).hexdigest() == batches["csv-fi"]
    with zipfile.ZipFile(files[".xlsx"]) as book:
        assert re.findall(rb'<sheet name="([^"]+)"', book.read("xl/workbook.xml")) == [b"data", b"totals"]
    assert files[".csv"].read_bytes().startswith(b'\xef\xbb\xbf"batch_id";"line_id";"period";')

    before = _payment_tables(session)
    load_demo(session, data_dir=tmp_path, now=utc_now(), settings=settings)
    assert _payment_tables(session) == before
