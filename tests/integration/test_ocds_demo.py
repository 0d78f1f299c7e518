"""Every demo release validates against OCDS 1.1.5 with its extensions, offline, with libcoveocds;
records compile with ocdsmerge; nothing personal and nothing sealed is ever published."""

import json
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select
from stdnum.fi import hetu

from minicompetition.publication import packages
from minicompetition.publication.models import OcdsRelease
from minicompetition.publication.ocds import SCHEMA_DIR, release_schema
from minicompetition.publication.projector import project
from minicompetition.tender import amendments, clarifications
from minicompetition.tender.models import Competition, Invitation
from minicompetition.tender.schemas import AmendmentIn, TermsChangesIn
from procurement.app.demo.competitions import CONCLUDED_TITLE, OPEN_TITLE
from procurement.app.demo.loader import load_demo
from procurement.core.auth import Caller
from procurement.core.clock import utc_now
from procurement.core.models import Principal
from procurement.core.settings import Settings
from tests.ocds_offline import validate

PREFIX = "ocds-dpr000"


def _caller(session: Session, **where: Any) -> Caller:
    p = session.exec(select(Principal).filter_by(**where)).first()
    assert p is not None
    return Caller(id=p.id, role=p.role, name=p.name, authority_id=p.authority_id, business_id=p.business_id)


def _more_activity(session: Session, settings: Settings) -> uuid.UUID:
    """An answered question and an amendment on the open competition (the demo has neither)."""
    open_c = session.exec(select(Competition).where(Competition.title == OPEN_TITLE)).one()
    invitee = session.exec(select(Invitation).where(Invitation.competition_id == open_c.id)).first()
    assert invitee is not None
    supplier = _caller(session, role="supplier", business_id=invitee.business_id)
    officer = session.exec(
        select(Principal).where(Principal.role == "officer", Principal.authority_id == open_c.authority_id)
    ).first()
    assert officer is not None
    buyer = _caller(session, id=officer.id)
    now = utc_now()
    asked = clarifications.ask(
        session,
        caller=supplier,
        competition_id=open_c.id,
        question="Voiko osallistuja olla 17-vuotias?",
        now=now,
    )
    clarifications.answer(
        session,
        caller=buyer,
        competition_id=open_c.id,
        question_id=asked.id,
        text="Kyllä, kun hän on työnhakijana.",
        now=now + timedelta(seconds=1),
    )
    amendments.amend(
        session,
        caller=buyer,
        competition_id=open_c.id,
        data=AmendmentIn(
            reason="Tarkennettu kuvausta.", changes=TermsChangesIn(description="Tarkennettu kuvaus.")
        ),
        now=now + timedelta(seconds=2),
        settings=settings,
    )
    return open_c.id


def _project_all(session: Session) -> list[OcdsRelease]:
    while project(session, prefix=PREFIX, now=utc_now()):
        pass
    return list(session.exec(select(OcdsRelease).order_by(col(OcdsRelease.txid), col(OcdsRelease.event))))


@pytest.fixture
def published(session: Session, tmp_path: Path, settings: Settings) -> dict[str, Any]:
    load_demo(session, data_dir=tmp_path, now=utc_now(), settings=settings)
    open_id = _more_activity(session, settings)
    rows = _project_all(session)
    return {"rows": rows, "open_id": open_id, "settings": settings}


def _errors(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "validation_errors": result["validation_errors"],
        "closed_codelists": result["additional_closed_codelist_values"],
        "invalid_extensions": result["extensions"]["invalid_extension"],
    }


def test_every_demo_release_and_record_validates_with_libcoveocds(
    session: Session, published: dict[str, Any]
) -> None:
    rows, settings = published["rows"], published["settings"]
    kinds = sorted({r.kind for r in rows})
    assert kinds == [
        "admission.admitted",
        "admission.excluded",
        "admission.suspended",
        "competition.amended",
        "competition.answer_published",
        "competition.awarded",
        "competition.opened",
        "competition.published",
        "contract.concluded",
        "dps.published",
    ]
    package = packages.release_package(rows, settings, uri="http://test/ocds/all").body
    result = validate(package)
    assert _errors(result) == {"validation_errors": [], "closed_codelists": {}, "invalid_extensions": {}}
    assert result["extensions"]["is_extended_schema"] is True
    assert result["count"] == len(rows)
    for ocid in sorted({r.ocid for r in rows}):
        record = packages.record_package(
            packages.releases_of(session, ocid), settings, uri=f"http://test/{ocid}"
        )
        assert _errors(validate(record.body)) == {
            "validation_errors": [],
            "closed_codelists": {},
            "invalid_extensions": {},
        }


def test_the_validator_would_catch_a_broken_release(published: dict[str, Any]) -> None:
    rows, settings = published["rows"], published["settings"]
    package = packages.release_package(rows[:1], settings, uri="http://test/one").body
    broken = json.loads(json.dumps(package))
    broken["releases"][0]["tender"]["status"] = "open"  # not in the closed tenderStatus codelist
    broken["releases"][0]["bids"] = {
        "statistics": [{"id": "1", "measure": "bids"}]
    }  # the Bids extension: value
    result = validate(broken)
    assert [e["field"] for e in result["validation_errors"]] == ["releases/bids/statistics"]
    assert list(result["additional_closed_codelist_values"]) == ["releases/tender/status"]


def test_records_compile_the_concluded_competition(session: Session, published: dict[str, Any]) -> None:
    concluded = session.exec(select(Competition).where(Competition.title == CONCLUDED_TITLE)).one()
    ocid = f"{PREFIX}-{concluded.id}"
    rows = packages.releases_of(session, ocid)
    assert [r.kind for r in rows] == [
        "competition.published",
        "competition.opened",
        "competition.awarded",
        *["contract.concluded"] * (len(rows) - 3),
    ]
    record = packages.record_package(rows, published["settings"], uri="u").body["records"][0]
    compiled = record["compiledRelease"]
    contracts = session.execute(
        text("SELECT count(*), sum(value_ceiling_cents) FROM contract WHERE competition_id = :c"),
        {"c": concluded.id},
    ).one()
    assert compiled["tag"] == ["compiled"]
    assert compiled["tender"]["status"] == "complete"
    assert compiled["tender"]["value"] == {"amount": concluded.budget_cents / 100, "currency": "EUR"}
    assert compiled["tender"]["techniques"] == {"hasDynamicPurchasingSystem": True}
    assert compiled["relatedProcesses"][0]["relationship"] == ["framework"]
    assert compiled["relatedProcesses"][0]["identifier"] == f"{PREFIX}-{concluded.dps_id}"
    assert len(compiled["contracts"]) == contracts[0]
    assert sum(round(c["value"]["amount"] * 100) for c in compiled["contracts"]) == contracts[1]
    assert {a["status"] for a in compiled["awards"]} == {"active"}  # the demo's standstill is 0 days
    assert [s["measure"] for s in compiled["bids"]["statistics"][:3]] == [
        "bids",
        "validBids",
        "disqualifiedBids",
    ]
    assert all(p["identifier"]["scheme"] == "FI-PRO" for p in compiled["parties"])
    assert len(record["releases"]) == len(rows)


def test_nothing_personal_or_sealed_is_published(session: Session, published: dict[str, Any]) -> None:
    text_of_all = json.dumps([r.body for r in published["rows"]], ensure_ascii=False)
    pseudonyms = session.execute(text("SELECT pseudonym FROM participant")).scalars().all()
    emails = session.execute(text("SELECT contact_email FROM supplier")).scalars().all()
    people = session.execute(text("SELECT name FROM principal WHERE role <> 'supplier'")).scalars().all()
    assert pseudonyms and emails and people
    for secret in [*pseudonyms, *emails, *people]:
        assert secret not in text_of_all
    candidates = re.findall(r"(?<![0-9a-f-])\d{6}[-+A-FU-Y]\d{3}[0-9A-Y](?![0-9a-f])", text_of_all)
    assert [c for c in candidates if hetu.is_valid(c)] == []  # no personal identity code
    open_releases = [r.body for r in published["rows"] if r.ocid == f"{PREFIX}-{published['open_id']}"]
    assert [r["tag"] for r in open_releases] == [["tender"], ["tenderUpdate"], ["tenderAmendment"]]
    assert all("bids" not in r and "numberOfTenderers" not in r["tender"] for r in open_releases)
    assert open_releases[-1]["tender"]["description"] == "Tarkennettu kuvaus."
    assert open_releases[0]["tender"]["description"] != "Tarkennettu kuvaus."  # the terms as published then
    assert open_releases[-1]["tender"]["amendments"][0]["rationale"] == "Tarkennettu kuvausta."


def test_the_merged_schema_leaves_the_placeholder_fields_unused(published: dict[str, Any]) -> None:
    text_of_all = json.dumps([r.body for r in published["rows"]])
    assert '"submissionTerms"' not in text_of_all and '"identifiers"' not in text_of_all
    assert "Lot" in release_schema()["definitions"]
    assert (SCHEMA_DIR / "1.1.5" / "LICENSE").exists()
