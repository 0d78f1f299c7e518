"""The registry over HTTP: applications, decisions, admissions, the public register, tenant isolation."""

import hashlib
from datetime import date, timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.clock import utc_now
from tests.factories.core import bearer, make_authority, make_token
from tests.factories.registry import RingWorld, admit, business_id, make_ring_world, make_supplier

TODAY = utc_now().date()


def _evidence(*, issued: date | None = None, valid_until: date | None = None) -> list[dict[str, str]]:
    issued = issued or TODAY - timedelta(days=3)
    valid_until = valid_until or TODAY + timedelta(days=60)
    return [
        {
            "type": code,
            "issued_on": issued.isoformat(),
            "valid_until": valid_until.isoformat(),
            "sha256": hashlib.sha256(code.encode()).hexdigest(),
        }
        for code in ("TAX_DEBT", "TRADE_REGISTER")
    ]


def _count(session: Session, table: str) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _apply(client: TestClient[Litestar], world: RingWorld, token: str, **body: object):  # type: ignore[no-untyped-def]
    payload = {"categories": ["EMPLOYMENT"], "evidence": _evidence()} | body
    return client.post(f"/dps/{world.dps.id}/applications", json=payload, headers=bearer(token))


def test_supplier_registers_and_gets_a_token_once(client: TestClient[Litestar], session: Session) -> None:
    response = client.post(
        "/suppliers", json={"business_id": "0737546-2", "name": "Valmennus Oy", "contact_email": "a@b.fi"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["supplier"]["business_id"] == "0737546-2"
    me = client.get("/suppliers/me", headers=bearer(body["token"]))
    assert me.json()["name"] == "Valmennus Oy"
    again = client.post(
        "/suppliers", json={"business_id": "0737546-2", "name": "Other", "contact_email": "a@b.fi"}
    )
    assert again.status_code == 409


def test_invalid_business_id_is_refused_and_nothing_written(
    client: TestClient[Litestar], session: Session
) -> None:
    before = _count(session, "supplier")
    response = client.post(
        "/suppliers", json={"business_id": "0737546-3", "name": "Bad", "contact_email": "a@b.fi"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "business_id"
    assert "not a valid Finnish business id" in response.json()["detail"]
    assert _count(session, "supplier") == before
    assert _count(session, "principal") == 0


def test_full_application_cycle_with_working_day_deadline(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    supplier, token = make_supplier(session, business_id=business_id(1))
    response = _apply(client, world, token, categories=["EMPLOYMENT", "INCLUSION"])
    assert response.status_code == 201, response.text
    application = response.json()
    assert application["state"] == "submitted"
    assert [c["code"] for c in application["categories"]] == ["EMPLOYMENT", "INCLUSION"]
    assert len(application["evidence"]) == 2
    from procurement.core.clock import to_helsinki
    from registry.rules import decision_due

    assert application["due_on"] == decision_due(to_helsinki(utc_now()).date(), 10).isoformat()

    queue = client.get("/applications?state=pending", headers=bearer(world.lead_officer)).json()
    assert [a["id"] for a in queue] == [application["id"]]
    assert queue[0]["overdue"] is False

    extended = client.post(
        f"/applications/{application['id']}/extend",
        json={"reason": "Tarvitaan lisäselvitys"},
        headers=bearer(world.lead_officer),
    )
    assert extended.status_code == 200
    assert extended.json()["state"] == "extended"
    assert extended.json()["due_on"] == decision_due(to_helsinki(utc_now()).date(), 15).isoformat()
    twice = client.post(
        f"/applications/{application['id']}/extend",
        json={"reason": "again"},
        headers=bearer(world.lead_officer),
    )
    assert twice.status_code == 409
    assert twice.json()["current_state"] == "extended"

    no_reason = client.post(
        f"/applications/{application['id']}/decision",
        json={"admit": ["EMPLOYMENT"], "reject": ["INCLUSION"]},
        headers=bearer(world.lead_officer),
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"

    decided = client.post(
        f"/applications/{application['id']}/decision",
        json={
            "admit": ["EMPLOYMENT"],
            "reject": ["INCLUSION"],
            "reason": "Ei kokemusta osallisuuspalveluista",
        },
        headers=bearer(world.lead_officer),
    )
    assert decided.status_code == 200
    assert decided.json()["state"] == "partially_admitted"
    assert {c["code"]: c["decision"] for c in decided.json()["categories"]} == {
        "EMPLOYMENT": "admitted",
        "INCLUSION": "rejected",
    }

    register = client.get(f"/dps/{world.dps.id}/register").json()
    employment = next(c for c in register["categories"] if c["category"] == "EMPLOYMENT")
    assert employment["suppliers"] == [
        {
            "business_id": supplier.business_id,
            "name": supplier.name,
            "status": "active",
            "admitted_on": employment["suppliers"][0]["admitted_on"],
        }
    ]
    assert "contact_email" not in str(register) and "sha256" not in str(register)
    actions = (
        session.execute(
            text("SELECT action FROM audit_record WHERE aggregate_id = :s ORDER BY seq"),
            {"s": str(supplier.id)},
        )
        .scalars()
        .all()
    )
    assert actions == ["application.submitted", "application.extended", "application.decided"]


def test_bad_applications_are_refused_and_write_nothing(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session, categories=("EMPLOYMENT", "COMPETENCE"))
    _, token = make_supplier(session, business_id=business_id(2))
    before = (_count(session, "application"), _count(session, "evidence"), _count(session, "audit_record"))

    unknown = _apply(client, world, token, categories=["ASTROLOGY"])
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "categories[0]"

    not_in_dps = _apply(client, world, token, categories=["INCLUSION"])
    assert not_in_dps.status_code == 422
    assert "has no category 'INCLUSION'" in not_in_dps.json()["detail"]

    expired = _apply(client, world, token, evidence=_evidence(valid_until=TODAY - timedelta(days=1)))
    assert expired.status_code == 422
    assert expired.json()["errors"][0]["field"] == "evidence[0].valid_until"

    too_old = _apply(client, world, token, evidence=_evidence(issued=TODAY - timedelta(days=200)))
    assert too_old.status_code == 422
    assert "at most 90 days old" in too_old.json()["detail"]

    missing = _apply(client, world, token, evidence=_evidence()[:1])
    assert missing.status_code == 422
    assert "TRADE_REGISTER" in missing.json()["detail"]

    assert (
        _count(session, "application"),
        _count(session, "evidence"),
        _count(session, "audit_record"),
    ) == before

    assert _apply(client, world, token).status_code == 201
    duplicate = _apply(client, world, token)
    assert duplicate.status_code == 409
    assert "already have a pending application" in duplicate.json()["detail"]


def test_application_to_an_expired_dps_is_refused(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    world.dps.valid_until = TODAY - timedelta(days=1)
    world.dps.valid_from = TODAY - timedelta(days=400)
    session.add(world.dps)
    session.flush()
    _, token = make_supplier(session, business_id=business_id(3))
    response = _apply(client, world, token)
    assert response.status_code == 409
    assert "closed on" in response.json()["detail"]
    assert _count(session, "application") == 0


def test_tenant_isolation(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    _, token_a = make_supplier(session, business_id=business_id(4))
    _, token_b = make_supplier(session, business_id=business_id(5))
    application = _apply(client, world, token_a).json()

    assert client.get(f"/applications/{application['id']}", headers=bearer(token_b)).status_code == 404
    assert client.get("/applications", headers=bearer(token_b)).json() == []
    assert client.get(f"/applications/{application['id']}", headers=bearer(token_a)).status_code == 200

    decision = {"admit": ["EMPLOYMENT"]}
    member = client.post(
        f"/applications/{application['id']}/decision", json=decision, headers=bearer(world.member_officer)
    )
    assert member.status_code == 403
    assert "lead authority" in member.json()["detail"]
    # The member's officer may still see the queue.
    assert (
        client.get(f"/applications/{application['id']}", headers=bearer(world.member_officer)).status_code
        == 200
    )

    outsider_authority = make_authority(
        session, name="Sastamalan kaupunki", municipality_codes=("790",), lead_municipality="790"
    )
    outsider = make_token(session, role="officer", authority_id=outsider_authority.id)
    assert client.get(f"/applications/{application['id']}", headers=bearer(outsider)).status_code == 404
    assert (
        client.post(
            f"/applications/{application['id']}/decision", json=decision, headers=bearer(outsider)
        ).status_code
        == 404
    )

    supplier_as_officer = client.post(
        f"/applications/{application['id']}/decision", json=decision, headers=bearer(token_a)
    )
    assert supplier_as_officer.status_code == 403
    assert client.get(f"/dps/{world.dps.id}/admissions", headers=bearer(token_a)).status_code == 403


def test_suspend_lift_exclude_follow_the_state_machine(
    client: TestClient[Litestar], session: Session
) -> None:
    world = make_ring_world(session)
    supplier, _ = make_supplier(session, business_id=business_id(6))
    (admission,) = admit(session, dps=world.dps, supplier=supplier)
    officer = bearer(world.lead_officer)
    until = (TODAY + timedelta(days=30)).isoformat()

    lift_active = client.post(
        f"/admissions/{admission.id}/lift", json={"reason": "nothing to lift"}, headers=officer
    )
    assert lift_active.status_code == 409
    assert lift_active.json()["current_state"] == "active"

    suspended = client.post(
        f"/admissions/{admission.id}/suspend", json={"until": until, "reason": "Verovelka"}, headers=officer
    )
    assert suspended.status_code == 200
    assert (suspended.json()["state"], suspended.json()["suspended_until"]) == ("suspended", until)
    register = client.get(f"/dps/{world.dps.id}/register").json()
    assert register["categories"][0]["suppliers"][0]["status"] == "suspended"

    assert (
        client.post(f"/admissions/{admission.id}/lift", json={"reason": "Maksettu"}, headers=officer).json()[
            "state"
        ]
        == "active"
    )
    excluded = client.post(
        f"/admissions/{admission.id}/exclude", json={"reason": "Vakava virhe"}, headers=officer
    )
    assert excluded.json()["state"] == "excluded"
    again = client.post(
        f"/admissions/{admission.id}/suspend", json={"until": until, "reason": "x" * 5}, headers=officer
    )
    assert again.status_code == 409
    assert "'excluded'" in again.json()["detail"]
    assert client.get(f"/dps/{world.dps.id}/register").json()["categories"][0]["suppliers"] == []


def test_evidence_expiry_listing_and_award_rule(client: TestClient[Litestar], session: Session) -> None:
    from registry.admissions import award_blockers

    world = make_ring_world(session)
    fresh, _ = make_supplier(session, business_id=business_id(7))
    expiring, expiring_token = make_supplier(session, business_id=business_id(8))
    admit(session, dps=world.dps, supplier=fresh, evidence_days_left=80)
    admit(session, dps=world.dps, supplier=expiring, evidence_days_left=10)

    listing = client.get(
        f"/dps/{world.dps.id}/evidence-expiry?within_days=30", headers=bearer(world.member_officer)
    ).json()
    assert [row["business_id"] for row in listing] == [expiring.business_id]
    assert listing[0]["problems"][0].startswith("TAX_DEBT: expires on")

    assert award_blockers(session, dps_id=world.dps.id, supplier_id=expiring.id, on=TODAY) == []
    later = TODAY + timedelta(days=11)
    assert award_blockers(session, dps_id=world.dps.id, supplier_id=expiring.id, on=later) == [
        f"TAX_DEBT: expired on {(TODAY + timedelta(days=10)).isoformat()}",
        f"TRADE_REGISTER: expired on {(TODAY + timedelta(days=10)).isoformat()}",
    ]

    renewed = client.post(
        "/suppliers/me/evidence",
        json={"dps_id": str(world.dps.id), "evidence": _evidence()},
        headers=bearer(expiring_token),
    )
    assert renewed.status_code == 200
    assert award_blockers(session, dps_id=world.dps.id, supplier_id=expiring.id, on=later) == []


def test_lead_officer_creates_and_publishes_a_dps(client: TestClient[Litestar], session: Session) -> None:
    world = make_ring_world(session)
    body = {
        "ring_id": str(world.ring.id),
        "title": "Uusi DPS",
        "valid_from": "2026-01-01",
        "valid_until": "2029-12-31",
        "categories": ["EMPLOYMENT", "INCLUSION"],
        "evidence_types": [{"code": "TAX_DEBT", "name": "Verovelkatodistus", "max_age_days": 90}],
    }
    member = client.post("/dps", json=body, headers=bearer(world.member_officer))
    assert member.status_code == 403
    created = client.post("/dps", json=body, headers=bearer(world.lead_officer))
    assert created.status_code == 201
    dps = created.json()
    assert (dps["state"], dps["categories"]) == ("draft", ["EMPLOYMENT", "INCLUSION"])
    assert client.get(f"/dps/{dps['id']}").status_code == 404  # drafts are not public
    published = client.post(f"/dps/{dps['id']}/publish", headers=bearer(world.lead_officer))
    assert published.json()["state"] == "published"
    assert client.get(f"/dps/{dps['id']}").json()["title"] == "Uusi DPS"
    assert client.post(f"/dps/{dps['id']}/publish", headers=bearer(world.lead_officer)).status_code == 409
    bad = client.post("/dps", json=body | {"categories": ["NOPE"]}, headers=bearer(world.lead_officer))
    assert bad.status_code == 422


def test_admin_builds_authorities_and_rings(client: TestClient[Litestar], session: Session) -> None:
    admin = bearer(make_token(session, role="admin"))
    lahti = client.post(
        "/authorities",
        json={
            "name": "Lahden kaupunki",
            "business_id": business_id(100),
            "kind": "municipality",
            "municipality_codes": ["398"],
            "lead_municipality": "398",
        },
        headers=admin,
    )
    assert lahti.status_code == 201, lahti.text
    bad = client.post(
        "/authorities",
        json={
            "name": "X",
            "business_id": business_id(100),
            "kind": "municipality",
            "municipality_codes": ["39"],
            "lead_municipality": "39",
        },
        headers=admin,
    )
    assert bad.status_code == 422
    ring = client.post(
        "/rings",
        json={"name": "Rengas", "lead_authority_id": lahti.json()["id"], "valid_from": "2025-01-01"},
        headers=admin,
    )
    assert ring.status_code == 201
    members = ring.json()["members"]
    assert [(m["authority_name"], m["valid_until"]) for m in members] == [("Lahden kaupunki", None)]
    ended = client.post(
        f"/rings/{ring.json()['id']}/members/{members[0]['id']}/end",
        json={"valid_until": "2026-12-31"},
        headers=admin,
    )
    assert ended.status_code == 409  # the lead cannot leave
    officer = bearer(make_token(session, role="officer", authority_id=lahti.json()["id"]))
    assert (
        client.post(
            "/rings",
            json={"name": "x", "lead_authority_id": lahti.json()["id"], "valid_from": "2025-01-01"},
            headers=officer,
        ).status_code
        == 403
    )
