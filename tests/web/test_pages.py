"""The pages through the test client: sign-in, cookies, CSRF, languages, scopes and field messages."""

import re
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Connection, text
from sqlmodel import Session

from procurement.app.factory import create_app
from procurement.core.settings import Settings
from tests.factories.core import make_authority, make_token
from tests.factories.minicompetition import competition_body, count, publish_competition
from tests.factories.registry import make_ring_world
from tests.web.helpers import csrf_of, sign_in


@pytest.fixture
def app_settings_production(settings: Settings, connection: Connection) -> Iterator[TestClient[Litestar]]:
    """The app as production runs it (keys given), sharing the test's transaction."""
    from sqlmodel import Session as DbSession

    production = settings.model_copy(update={"env": "production"})
    app = create_app(
        production,
        session_factory=lambda: DbSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ),
    )
    with TestClient(app, base_url="https://testserver.local", raise_server_exceptions=False) as client:
        yield client


def test_the_servers_address_leads_to_the_sign_in_page_in_finnish(client: TestClient[Litestar]) -> None:
    door = client.get("/", follow_redirects=False)
    assert (door.status_code, door.headers["location"]) == (303, "/ui/")
    page = client.get("/")
    assert page.status_code == 200 and str(page.url).endswith("/ui/sign-in")
    assert 'lang="fi"' in page.text and "Kirjaudu sisään" in page.text
    assert client.get("/openapi.json").status_code == 404  # the redirect is for people, not a catch-all


def test_sign_in_sets_an_httponly_samesite_cookie_and_shows_finnish(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    page = client.get("/ui/sign-in")
    assert page.status_code == 200 and 'lang="fi"' in page.text and "Kirjaudu sisään" in page.text
    signed = client.post(
        "/ui/sign-in", data={"token": world.lead_officer, "_csrf": csrf_of(page.text)}, follow_redirects=False
    )
    assert (signed.status_code, signed.headers["location"]) == (303, "/ui/officer")
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("dpr_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/ui" in cookie
    assert "Secure" not in cookie  # test mode serves plain HTTP; production sets Secure
    assert world.lead_officer not in cookie  # the token never reaches the browser
    start = client.get("/ui/officer")
    assert start.status_code == 200
    assert "Käsittelyä odottavat hakemukset" in start.text and "Voimassa olevat sopimukset" in start.text
    signed_in = session.execute(
        text("SELECT aggregate_type, action, actor FROM audit_record WHERE action = 'web.sign_in'")
    ).all()
    assert [(row.aggregate_type, row.action) for row in signed_in] == [("principal", "web.sign_in")]
    assert signed_in[0].actor.startswith("officer:")


def test_a_wrong_token_is_refused_on_the_page(client: TestClient[Litestar]) -> None:
    page = client.get("/ui/sign-in")
    refused = client.post("/ui/sign-in", data={"token": "dpr_nope", "_csrf": csrf_of(page.text)})
    assert refused.status_code == 401 and "Avain ei kelpaa" in refused.text
    assert client.get("/ui/officer", follow_redirects=False).headers["location"] == "/ui/sign-in"


def test_language_switch_to_english_and_back(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    csrf = sign_in(client, world.lead_officer)
    moved = client.post(
        "/ui/language", data={"lang": "en", "next": "/ui/officer", "_csrf": csrf}, follow_redirects=False
    )
    assert (moved.status_code, moved.headers["location"]) == (303, "/ui/officer")
    english = client.get("/ui/officer")
    assert 'lang="en"' in english.text and "Pending applications" in english.text
    away = client.post("/ui/language", data={"lang": "fi", "next": "https://evil.example/", "_csrf": csrf})
    assert away.url.path == "/ui/officer" and 'lang="fi"' in away.text


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient[Litestar], session: Session
) -> None:
    published = publish_competition(client, session)
    sign_in(client, published.world.lead_officer)
    before = count(session, "competition")
    refused = client.post(f"/ui/competitions/{published.competition_id}/open", data={})
    assert refused.status_code == 403 and "CSRF" in refused.text
    forged = client.post(f"/ui/competitions/{published.competition_id}/open", data={"_csrf": "0" * 64})
    assert forged.status_code == 403
    assert count(session, "competition") == before


def test_roles_and_tenants_are_enforced_like_the_api(client: TestClient[Litestar], session: Session) -> None:
    published = publish_competition(client, session)
    supplier = published.bidders[0].token
    sign_in(client, supplier)
    assert client.get("/ui/officer").status_code == 403
    assert client.get("/ui/finance").status_code == 403
    assert client.get(f"/ui/competitions/{published.competition_id}/bids").status_code == 403

    outsider = make_authority(session, name="Muu kunta")
    other = make_token(session, role="officer", authority_id=outsider.id)
    sign_in(client, other)
    assert client.get(f"/ui/competitions/{published.competition_id}").status_code == 404


def test_field_messages_stand_beside_the_field_and_nothing_is_created(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    csrf = sign_in(client, world.lead_officer)
    before = count(session, "competition")
    body = {
        "_csrf": csrf,
        "dps_id": str(world.dps.id),
        "category": "EMPLOYMENT",
        "title": "Valmennus",
        "description": "",
        "budget_cents": "abc",
        "lots[0].code": "LAHTI",
        "lots[0].municipality_codes": "398",
        "lots[0].target_group": "youth",
        "lots[0].demand": "10",
        "weights.price_bp": "50",
        "weights.quality_bp": "0",
        "weights.outcome_bp": "50",
        "allocation_rules.max_suppliers_per_lot": "2",
        "allocation_rules.max_share_bp": "60",
        "allocation_rules.min_allocation": "1",
        "scope.intended_effect": "Työllistyminen",
        "scope.expected_participants": "10",
        "scope.expected_cost_cents": "1000",
        "scope.expected_outcomes": "5",
        "qa_deadline": "2030-01-10T12:00",
        "tender_deadline": "2030-01-20T12:00",
    }
    bad_money = client.post("/ui/competitions", data=body)
    assert bad_money.status_code == 422
    assert re.search(r'id="f-budget_cents-error">.*Anna summa euroina', bad_money.text)
    assert 'aria-describedby="f-budget_cents-hint f-budget_cents-error"' in bad_money.text

    body |= {"budget_cents": "1 000,00", "weights.outcome_bp": "40"}
    bad_weights = client.post("/ui/competitions", data=body)
    assert bad_weights.status_code == 422 and 'id="f-weights-price_bp-error"' in bad_weights.text
    assert "painoarvojen summan on oltava 100 %" in bad_weights.text
    assert count(session, "competition") == before

    body |= {"weights.outcome_bp": "50"}
    created = client.post("/ui/competitions", data=body, follow_redirects=False)
    assert created.status_code == 303, created.text
    assert count(session, "competition") == before + 1
    detail = client.get(created.headers["location"])
    assert "1\u00a0000,00\u00a0€" in detail.text and "20.1.2030 klo 12.00" in detail.text


def test_a_draft_is_edited_and_questions_are_answered_on_the_pages(
    client: TestClient[Litestar], session: Session
) -> None:
    published = publish_competition(client, session)
    asked = client.post(
        f"/competitions/{published.competition_id}/questions",
        json={"question": "Voiko valmennus olla etänä?"},
        headers=published.bidders[0].headers,
    )
    assert asked.status_code == 201, asked.text
    csrf = sign_in(client, published.world.lead_officer)
    page = client.get(f"/ui/competitions/{published.competition_id}")
    assert "Voiko valmennus olla etänä?" in page.text
    answered = client.post(
        f"/ui/competitions/{published.competition_id}/questions/{asked.json()['id']}/answer",
        data={"_csrf": csrf, "answer": "Osittain, enintään puolet tapaamisista."},
    )
    assert answered.status_code == 200 and "Osittain, enintään puolet tapaamisista." in answered.text

    draft = client.post(
        "/competitions", json=competition_body(published.world), headers=published.officer
    ).json()["id"]
    form = client.get(f"/ui/competitions/{draft}/edit")
    assert 'value="Työllistymisvalmennus 2027"' in form.text and 'value="200000"' in form.text
    values = dict(re.findall(r'name="([^"]+)" type="[a-z-]+" value="([^"]*)"', form.text))
    values |= dict(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form.text, re.S))
    assert values["scope.intended_effect"].startswith("Pitkäaikaistyöttömät")
    values |= {"_csrf": csrf, "title": "Muutettu otsikko", "dps_id": str(published.world.dps.id)}
    values |= {"category": "EMPLOYMENT"}
    values |= {"lots[0].target_group": "long_term_unemployed", "lots[1].target_group": "youth"}
    edited = client.post(f"/ui/competitions/{draft}/edit", data=values)
    assert edited.status_code == 200, re.findall(r"class=\"error\"[^>]*>([^<]*)", edited.text)
    assert "<h1>Muutettu otsikko</h1>" in edited.text


def test_production_cookies_are_secure(
    app_settings_production: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    client = app_settings_production
    page = client.get("/ui/sign-in")
    signed = client.post(
        "/ui/sign-in", data={"token": world.lead_officer, "_csrf": csrf_of(page.text)}, follow_redirects=False
    )
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("dpr_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_pages_carry_security_headers_and_stay_out_of_the_api_contract(client: TestClient[Litestar]) -> None:
    page = client.get("/ui/sign-in")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert paths and not [p for p in paths if p.startswith("/ui") or p.startswith("/_test")]
    assert client.get("/ui/static/htmx.min.js").text.startswith("/*! htmx 2.0.3")


def test_an_officer_cancels_a_published_competition_with_a_reason(
    client: TestClient[Litestar], session: Session
) -> None:
    published = publish_competition(client, session)
    csrf = sign_in(client, published.world.lead_officer)
    page = client.get(f"/ui/competitions/{published.competition_id}")
    assert 'action="/ui/competitions/' in page.text and "Peruuta kilpailutus" in page.text

    def state() -> str:
        return str(
            session.execute(
                text("SELECT state FROM competition WHERE id = :i"), {"i": published.competition_id}
            ).scalar_one()
        )

    short = client.post(
        f"/ui/competitions/{published.competition_id}/cancel", data={"_csrf": csrf, "reason": "x"}
    )
    assert short.status_code == 422 and state() == "published"  # the API's ReasonIn: at least 3 characters
    cancelled = client.post(
        f"/ui/competitions/{published.competition_id}/cancel",
        data={"_csrf": csrf, "reason": "Tarve poistui budjettileikkauksen vuoksi.", "confirmed": "yes"},
    )
    assert cancelled.status_code == 200 and state() == "cancelled"
    assert "Peruuta kilpailutus" not in cancelled.text
    again = client.post(
        f"/ui/competitions/{published.competition_id}/cancel",
        data={"_csrf": csrf, "reason": "Uudelleen.", "confirmed": "yes"},
    )
    assert again.status_code == 409
