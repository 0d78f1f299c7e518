"""Officer queue and admissions, the start page's chart, and finance periods through the pages."""

import hashlib
from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.core import bearer, make_token
from tests.factories.payments import closed_period, make_pay_world, months_ago, outcome, person, start
from tests.factories.registry import admit, business_id, make_ring_world, make_supplier
from tests.web.helpers import sign_in

TODAY = utc_now().date()


def _application(client: TestClient[Litestar], dps_id: str, token: str) -> str:
    evidence = [
        {
            "type": code,
            "issued_on": (TODAY - timedelta(days=3)).isoformat(),
            "valid_until": (TODAY + timedelta(days=60)).isoformat(),
            "sha256": hashlib.sha256(code.encode()).hexdigest(),
        }
        for code in ("TAX_DEBT", "TRADE_REGISTER")
    ]
    sent = client.post(
        f"/dps/{dps_id}/applications",
        json={"categories": ["EMPLOYMENT", "INCLUSION"], "evidence": evidence},
        headers=bearer(token),
    )
    assert sent.status_code == 201, sent.text
    return str(sent.json()["id"])


def test_queue_extends_and_decides_through_the_same_rules(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    _, token = make_supplier(session, business_id=business_id(7), name="Polku Oy")
    application = _application(client, str(world.dps.id), token)
    csrf = sign_in(client, world.lead_officer)

    queue = client.get("/ui/applications")
    assert "Polku Oy" in queue.text and "Päätös viimeistään" in queue.text
    short = client.post(f"/ui/applications/{application}/extend", data={"_csrf": csrf, "reason": "x"})
    assert short.status_code == 422  # the API's ExtendIn: a reason of at least 3 characters
    extended = client.post(
        f"/ui/applications/{application}/extend", data={"_csrf": csrf, "reason": "Tarvitaan selvitys"}
    )
    assert extended.status_code == 200 and "pidennetty" in extended.text
    no_reason = client.post(
        f"/ui/applications/{application}/decision",
        data={"_csrf": csrf, "cat-EMPLOYMENT": "admit", "cat-INCLUSION": "reject"},
    )
    assert no_reason.status_code == 422
    decided = client.post(
        f"/ui/applications/{application}/decision",
        data={"_csrf": csrf, "cat-EMPLOYMENT": "admit", "cat-INCLUSION": "reject", "reason": "Ei näyttöä."},
    )
    assert decided.status_code == 200 and "Polku Oy" not in decided.text
    state = session.execute(
        text("SELECT state FROM application WHERE id = :i"), {"i": application}
    ).scalar_one()
    assert state == "partially_admitted"


def test_an_admission_is_suspended_from_the_admissions_page(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    supplier, _ = make_supplier(session, business_id=business_id(8), name="Askel Oy")
    admission = admit(session, dps=world.dps, supplier=supplier)[0]
    csrf = sign_in(client, world.lead_officer)
    page = client.get("/ui/admissions")
    assert "Askel Oy" in page.text and "Keskeytä" in page.text
    until = (TODAY + timedelta(days=30)).isoformat()
    done = client.post(
        f"/ui/admissions/{admission.id}/suspend", data={"_csrf": csrf, "until": until, "reason": "Verovelka"}
    )
    assert done.status_code == 200 and "keskeytetty" in done.text


def test_start_page_chart_is_a_png(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    sign_in(client, world.lead_officer)
    chart = client.get("/ui/officer/flow-through.png")
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")


def test_finance_closes_officer_approves_finance_sees_manifests_and_downloads(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    pw = make_pay_world(session, settings=settings)
    day = months_ago(3).first_day
    referral, _ = start(session, pw, participant_id=person(session, pw, n=70, on=day), on=day)
    outcome(session, pw, referral_id=referral, event_type="employment_start", on=day + timedelta(days=9))
    period = closed_period(session, pw, month=months_ago(2))

    csrf = sign_in(client, pw.finance.token)
    early = client.post(f"/ui/finance/periods/{period}/approve", data={"_csrf": csrf, "confirmed": "yes"})
    assert early.status_code == 403  # finance computes, an officer approves (four eyes by role)

    csrf = sign_in(client, pw.officer.token)
    approved = client.post(f"/ui/finance/periods/{period}/approve", data={"_csrf": csrf, "confirmed": "yes"})
    assert approved.status_code == 200 and 'id="period-state">hyväksytty' in approved.text

    sign_in(client, pw.other_finance.token)
    assert client.get(f"/ui/finance/periods/{period}").status_code == 404  # another authority's period

    sign_in(client, pw.finance.token)
    page = client.get(f"/ui/finance/periods/{period}")
    assert page.status_code == 200
    for fmt in ("csv-fi", "csv-rfc4180", "xlsx", "parquet"):
        assert f'data-sha="{fmt}"' in page.text
    assert "Maksettavat kotikunnittain" in page.text and "1\u00a0008,00\u00a0€" in page.text
    download = client.get(f"/ui/finance/periods/{period}/download?format=xlsx")
    sha = hashlib.sha256(download.content).hexdigest()
    assert download.headers["x-manifest-sha256"] == sha and sha in page.text


def test_officer_verifies_a_reported_outcome_from_the_referral_page(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    pw = make_pay_world(session, settings=settings)
    day = months_ago(1).first_day
    referral, _ = start(session, pw, participant_id=person(session, pw, n=72, on=day), on=day)
    event = outcome(
        session,
        pw,
        referral_id=referral,
        event_type="employment_start",
        on=day + timedelta(days=5),
        verify=False,
    )
    csrf = sign_in(client, pw.officer.token)
    assert f"/ui/referrals/{referral}" in client.get("/ui/referrals").text
    page = client.get(f"/ui/referrals/{referral}")
    assert "ilmoitettu" in page.text and f"/ui/outcome-events/{event}/verify" in page.text
    verified = client.post(f"/ui/outcome-events/{event}/verify", data={"_csrf": csrf})
    assert verified.status_code == 200 and "varmennettu" in verified.text
    state = session.execute(text("SELECT state FROM outcome_event WHERE id = :i"), {"i": event}).scalar_one()
    assert state == "verified"

    sign_in(client, pw.ow.supplier_parties[0].token)
    assert client.get(f"/ui/referrals/{referral}").status_code == 403


def test_start_page_flags_overdue_applications_and_keeps_finance_out(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    world = make_ring_world(session)
    _, token = make_supplier(session, business_id=business_id(9), name="Myöhässä Oy")
    application = _application(client, str(world.dps.id), token)
    session.execute(
        text("UPDATE application SET due_on = :d WHERE id = :i"),
        {"d": TODAY - timedelta(days=2), "i": application},
    )
    sign_in(client, world.lead_officer)
    start_page = client.get("/ui/officer").text
    row = start_page[start_page.index("Myöhässä Oy") - 200 : start_page.index("Myöhässä Oy") + 400]
    assert 'class="overdue"' in row and "Myöhässä</strong>" in row

    finance = make_token(session, role="finance", authority_id=world.lead_id)
    sign_in(client, finance)
    for path in ("/ui/officer", "/ui/applications", "/ui/competitions", "/ui/referrals"):
        assert client.get(path).status_code == 403, path
    assert client.get("/ui/finance").status_code == 200
