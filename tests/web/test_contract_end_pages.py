"""After the award on the pages: a supplier ends a service with a neutral exit and its evidence document,
an officer verifies it; an officer completes one contract and terminates another, each confirmed first."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.minicompetition import count
from tests.factories.payments import make_pay_world, person, start
from tests.web.helpers import sign_in

PDF = b"%PDF-1.4\n% muuttoilmoitus\n"


def test_a_neutral_exit_is_ended_with_evidence_and_verified_by_the_officer(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    pw = make_pay_world(session, settings=settings)
    day = utc_now().date() - timedelta(days=10)
    referral, _ = start(session, pw, participant_id=person(session, pw, n=41, on=day), on=day)
    csrf = sign_in(client, pw.ow.supplier_parties[0].token)
    url = f"/ui/supplier/referrals/{referral}/end"
    form = {"_csrf": csrf, "ended_on": (day + timedelta(days=5)).isoformat(), "reason": "neutral_exit"}
    # The kind and the evidence are both asked for, at once.
    refused = client.post(url, data=form, files={"exit_evidence": ("", b"", "application/octet-stream")})
    assert refused.status_code == 422
    assert 'href="#f-neutral_exit_kind"' in refused.text and 'href="#f-exit_evidence"' in refused.text
    ended = client.post(
        url,
        data=form | {"neutral_exit_kind": "moved_away"},
        files={"exit_evidence": ("muutto.pdf", PDF, "application/pdf")},
    )
    assert ended.status_code == 200, ended.text
    stored = session.execute(
        text("SELECT neutral_exit_state, neutral_exit_evidence_sha256 FROM referral WHERE id = :r"),
        {"r": referral},
    ).one()
    assert stored.neutral_exit_state == "reported" and len(stored.neutral_exit_evidence_sha256) == 64
    client.cookies.clear()
    csrf = sign_in(client, pw.officer.token)
    page = client.get(f"/ui/referrals/{referral}")
    assert 'id="exit-state">ilmoitettu' in page.text
    verified = client.post(f"/ui/referrals/{referral}/neutral-exit/verify", data={"_csrf": csrf})
    assert verified.status_code == 200 and 'id="exit-state">varmennettu' in verified.text
    assert "/neutral-exit/verify" not in verified.text  # nothing more to decide


def test_an_officer_completes_one_contract_and_terminates_another(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    pw = make_pay_world(session, settings=settings)
    first, second = pw.contract(0).id, pw.contract(1).id
    csrf = sign_in(client, pw.officer.token)
    page = client.get(f"/ui/competitions/{pw.ow.awarded.competition.id}")
    assert f'action="/ui/contracts/{first}/complete"' in page.text
    asked = client.post(f"/ui/contracts/{first}/complete", data={"_csrf": csrf})
    assert asked.status_code == 200 and "valmiina?" in asked.text
    assert (
        session.execute(text("SELECT state FROM contract WHERE id = :c"), {"c": first}).scalar_one()
        == "active"
    )
    done = client.post(f"/ui/contracts/{first}/complete", data={"_csrf": csrf, "confirmed": "yes"})
    assert done.status_code == 200 and "Sopimus on päätetty valmiina" in done.text
    before = count(session, "audit_record")
    short = client.post(f"/ui/contracts/{second}/terminate", data={"_csrf": csrf, "reason": "x"})
    assert short.status_code == 422 and count(session, "audit_record") == before
    reason = "Palveluntuottaja ei ole aloittanut palvelua sovitusti."
    client.post(
        f"/ui/contracts/{second}/terminate", data={"_csrf": csrf, "reason": reason, "confirmed": "yes"}
    )
    rows = session.execute(
        text("SELECT id, state, termination_reason FROM contract WHERE id IN (:a, :b)"),
        {"a": first, "b": second},
    ).all()
    assert {(r.id, r.state, r.termination_reason) for r in rows} == {
        (first, "completed", None),
        (second, "terminated", reason),
    }
    shown = client.get(f"/ui/competitions/{pw.ow.awarded.competition.id}").text
    assert reason in shown and f"/ui/contracts/{first}/complete" not in shown
    ended = session.execute(
        text("SELECT count(*) FROM outbox_event WHERE kind = 'contract.ended'")
    ).scalar_one()
    assert ended == 2
