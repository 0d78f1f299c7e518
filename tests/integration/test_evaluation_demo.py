"""The demo holds a competition concluded into contracts, one past its deadline with sealed bids, one open."""

from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from procurement.app.demo.loader import load_demo
from procurement.core.clock import utc_now
from procurement.core.settings import Settings


def _rows(session: Session, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r) for r in session.execute(text(sql)).all()]


def test_demo_competitions_are_concluded_and_open(
    session: Session, tmp_path: Path, settings: Settings
) -> None:
    now = utc_now()
    load_demo(session, data_dir=tmp_path, now=now, settings=settings)
    states = _rows(
        session,
        "SELECT category_code, state, tender_deadline < clock_timestamp() FROM competition ORDER BY 1, 2",
    )
    assert states == [
        ("COMPETENCE", "published", False),
        ("EMPLOYMENT", "concluded", True),
        ("EMPLOYMENT", "published", True),  # past its deadline: its bids wait for an officer to open them
    ]
    deadline = session.execute(
        text("SELECT tender_deadline FROM competition WHERE category_code = 'COMPETENCE'")
    ).scalar_one()
    assert deadline - now == timedelta(days=20)
    assert _rows(session, "SELECT seq, status, objective FROM evaluation_run") == [
        (1, "optimal", "served=50 score=45697479 tie=0")
    ]
    standstill = _rows(session, "SELECT standstill_ends_at = issued_at FROM award_decision")
    assert standstill == [(True,)]
    contracts = _rows(
        session,
        "SELECT s.name, c.value_ceiling_cents, c.category_code, c.state FROM contract c "
        "JOIN supplier s ON s.id = c.supplier_id ORDER BY s.name",
    )
    assert contracts == [
        ("Hämeen Työhönvalmennus Oy", 14 * 270_000, "EMPLOYMENT", "active"),
        ("Lahden Valmennuskeskus ry", 15 * 238_000, "EMPLOYMENT", "active"),
        ("Työpolku Oy", 15 * 265_000 + 6 * 255_000, "EMPLOYMENT", "active"),
    ]
    lots = _rows(
        session,
        "SELECT s.name, l.lot_code, l.volume, l.unit_price_cents, cardinality(l.municipality_codes) "
        "FROM contract_lot l JOIN contract c ON c.id = l.contract_id JOIN supplier s ON s.id = c.supplier_id "
        "ORDER BY s.name, l.lot_code",
    )
    assert lots == [
        ("Hämeen Työhönvalmennus Oy", "PAIJAT-HAME", 14, 270_000, 9),
        ("Lahden Valmennuskeskus ry", "LAHTI", 15, 238_000, 1),
        ("Työpolku Oy", "LAHTI", 15, 265_000, 1),
        ("Työpolku Oy", "PAIJAT-HAME", 6, 255_000, 9),
    ]
    # Every bidder went through the real bid service: the concluded competition's four were opened, the
    # three of the competition past its deadline are still sealed.
    assert _rows(session, "SELECT state, count(*) FROM bid GROUP BY state ORDER BY 1") == [
        ("eligible", 4),
        ("submitted", 3),
    ]

    before = _rows(session, "SELECT count(*) FROM competition UNION ALL SELECT count(*) FROM audit_record")
    load_demo(session, data_dir=tmp_path, now=utc_now(), settings=settings)
    assert (
        _rows(session, "SELECT count(*) FROM competition UNION ALL SELECT count(*) FROM audit_record")
        == before
    )
