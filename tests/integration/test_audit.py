"""The audit chains verify, and the verify command names a tampered record."""

from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import create_engine
from sqlmodel import Session

from procurement.core import audit
from procurement.core.canonical import sha256_hex
from procurement.core.models import AuditRecord
from tests.conftest import libpq_uri, run_cli

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _write_chains(session: Session) -> list[AuditRecord]:
    rows = []
    for i in range(3):
        rows.append(
            audit.record(
                session,
                aggregate=("competition", "c1"),
                actor="officer:1",
                action=f"step{i}",
                at=T0 + timedelta(minutes=i),
                after={"n": i, "name": "Lahti ä"},
            )
        )
    rows.append(audit.record(session, aggregate=("supplier", "s1"), actor="cli", action="created", at=T0))
    session.flush()
    return rows


def test_chain_links_and_numbers_records(session: Session) -> None:
    rows = _write_chains(session)
    assert [r.seq for r in rows] == [1, 2, 3, 1]
    assert rows[0].prev_hash == audit.GENESIS
    assert rows[1].prev_hash == rows[0].hash
    assert rows[3].prev_hash == audit.GENESIS  # a separate chain per aggregate
    report = audit.verify(session)
    assert report.problems == []
    assert (report.records, report.chains) == (4, 2)


def test_anchor_chains_the_heads(session: Session) -> None:
    rows = _write_chains(session)
    anchored = audit.anchor(session, actor="cli", at=T0 + timedelta(hours=1))
    heads = anchored.after["heads"]  # type: ignore[index]
    assert ["competition", "c1", 3, rows[2].hash] in heads
    assert ["supplier", "s1", 1, rows[3].hash] in heads
    assert anchored.after["digest"] == sha256_hex(  # type: ignore[index]
        __import__("procurement.core.canonical", fromlist=["x"]).canonical_json(heads)
    )
    assert audit.verify(session).problems == []


def test_verify_command_names_the_altered_record(scratch_database_url: str) -> None:
    engine = create_engine(scratch_database_url)
    with Session(engine) as session:
        rows = _write_chains(session)
        session.commit()
        target_id = rows[1].id
    engine.dispose()

    ok = run_cli("audit", "verify", env={"DPR_DATABASE_URL": scratch_database_url})
    assert ok.returncode == 0, ok.stderr
    assert "OK: 4 records in 2 chains verify." in ok.stdout

    # A superuser can switch triggers off; the chain still exposes what it did.
    with psycopg.connect(libpq_uri(scratch_database_url), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("UPDATE audit_record SET after = '{\"n\": 99}' WHERE id = %s", (target_id,))

    bad = run_cli("audit", "verify", env={"DPR_DATABASE_URL": scratch_database_url})
    assert bad.returncode == 1
    assert (
        f"BROKEN audit record {target_id} (competition c1 #2): content does not match its hash" in bad.stdout
    )
