"""The demo data is realistic and loads idempotently."""

from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from procurement.app.demo.loader import load_demo
from procurement.core.clock import utc_now
from procurement.core.settings import Settings


def _counts(session: Session) -> dict[str, int]:
    tables = (
        "authority",
        "ring",
        "ring_membership",
        "dps",
        "supplier",
        "application",
        "admission",
        "audit_record",
    )
    return {t: int(session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables}


def test_demo_registry_loads_once(session: Session, tmp_path: Path, settings: Settings) -> None:
    tokens = load_demo(session, data_dir=tmp_path, now=utc_now(), settings=settings)
    first = _counts(session)
    assert {"admin", "officer_lahti", "officer_hollola", "finance_lahti", "supplier_1"} <= set(tokens)
    assert (first["authority"], first["ring"], first["ring_membership"], first["dps"]) == (2, 1, 2, 1)
    assert first["supplier"] == 12
    states = dict(session.execute(text("SELECT state, count(*) FROM application GROUP BY state")).all())
    assert states == {"admitted": 7, "partially_admitted": 1, "rejected": 1, "submitted": 2, "extended": 1}
    admission_states = dict(
        session.execute(text("SELECT state, count(*) FROM admission GROUP BY state")).all()
    )
    assert admission_states == {"active": 9, "suspended": 1, "excluded": 1}
    codes = session.execute(text("SELECT municipality_codes FROM authority ORDER BY name")).scalars().all()
    assert codes == [["398"], ["016", "081", "098", "111", "142", "316", "560", "576", "781"]]

    again = load_demo(session, data_dir=tmp_path, now=utc_now(), settings=settings)
    assert again == tokens
    assert _counts(session) == first
