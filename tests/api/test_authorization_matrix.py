"""Every operation of the served OpenAPI document × every kind of caller: the documented outcome, never 5xx.

Columns: no token, admin, officer of the lead authority L of ring A, officer of another ring's authority,
finance of L, finance of the other authority, supplier S1 (owns the bid, contract, referral), another
supplier S2. Every object belongs to L / S1. Each cell runs in a savepoint that is rolled back, so the
cells do not see one another's writes. A cell lists the statuses allowed ('ok' = any 2xx).
Run with DPR_MATRIX_PRINT=1 to print the observed table (to review a new route's row before adding it).
"""

import json
import os
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Connection
from sqlmodel import Session

from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.api.authz_world import CALLERS, AuthzWorld, build_world, random_ids
from tests.factories.minicompetition import bid_body, competition_body

# Path parameters that mean another object than the parameter's name says, per operation.
PARAM_FOR: dict[str, dict[str, str]] = {
    "GET /competitions/{competition_id}/award": {"competition_id": "awarded_competition_id"},
    "POST /competitions/{competition_id}/award": {"competition_id": "awarded_competition_id"},
    "GET /competitions/{competition_id}/contracts": {"competition_id": "awarded_competition_id"},
    "POST /competitions/{competition_id}/contracts": {"competition_id": "awarded_competition_id"},
    "GET /competitions/{competition_id}/my-result": {"competition_id": "awarded_competition_id"},
    "GET /competitions/{competition_id}/evaluation-runs": {"competition_id": "awarded_competition_id"},
}

# Bodies that need more than the schema's minimal instance to reach the authorization decision.
BODY_FOR: dict[str, Any] = {
    "POST /principals": {"role": "officer", "name": "Uusi virkailija", "authority_id": "{authority_id}"},
    "POST /me/tokens": {"label": "Toinen laite"},
    "POST /periods": {"month": "2020-01"},
    "POST /applications/{application_id}/decision": {"admit": ["EMPLOYMENT"]},
    "POST /competitions/{competition_id}/award": {"evaluation_run_id": "{run_id}"},
    "POST /competitions": "competition",
    "POST /competitions/{competition_id}/bids": bid_body(price=123_456),
    "POST /suppliers/me/evidence": {
        "dps_id": "{dps_id}",
        "evidence": [
            {"type": "TAX_DEBT", "issued_on": "{today}", "valid_until": "{later}", "sha256": "d" * 64}
        ],
    },
    "POST /participants": {"hetu": "010170-900A", "home_municipality_code": "398"},
    # A host that cannot be resolved here: refused before anything is stored.
    "POST /suppliers/me/webhooks": {
        "url": "https://hooks.invalid/x",
        "event_types": ["competition.published"],
    },
}
QUERY_FOR: dict[str, dict[str, str]] = {
    "GET /evaluation-runs/{run_id}/price-to-win": {"bid_id": "{bid_id}", "lot_id": "{lot_id}"},
    "GET /ocds/releases": {"ocid": "ocds-dpr000-unknown"},
}
# Path parameters that name no object of the world (open data, a supplier's own endpoints).
EXTRA_PATH = {
    "month": "2026-01",
    "release_id": "unknown",
    "ocid": "ocds-dpr000-unknown",
    "endpoint_id": "5a7c1d9e-0000-4000-8000-000000000001",
}

OK = "ok"

# fmt: off
# operation                                                         anon adm off offX fin finX sup supX
MATRIX: dict[str, str] = {
    "POST /principals":                                               "401 ok  403 403 403 403 403 403",
    "POST /principals/{principal_id}/tokens":                         "401 ok  403 403 403 403 403 403",
    "GET /principals/{principal_id}/tokens":                          "401 ok  403 403 403 403 403 403",
    "POST /principals/{principal_id}/tokens/{token_id}/revoke":       "401 ok  403 403 403 403 403 403",
    "GET /me/tokens":                                                 "401 ok  ok  ok  ok  ok  ok  ok",
    "POST /me/tokens":                                                "401 ok  ok  ok  ok  ok  ok  ok",
    "POST /me/tokens/{token_id}/revoke":                              "401 404 ok  404 404 404 404 404",
    "GET /principals/{principal_id}":                                 "401 ok  ok  404 404 404 404 404",
    "GET /principals/{principal_id}/tokens/{token_id}":               "401 ok  ok  404 404 404 404 404",
    "GET /authorities/{authority_id}":                                "ok  ok  ok  ok  ok  ok  ok  ok",
    "GET /competitions/{competition_id}/questions/{question_id}":     "401 404 ok  404 404 404 ok  404",
    "GET /outcome-events/{event_id}":                                 "401 403 ok  404 403 403 ok  404",
    "GET /health":                                                    "ok  ok  ok  ok  ok  ok  ok  ok",
    "GET /me":                                                        "401 ok  ok  ok  ok  ok  ok  ok",
    "POST /rings/{ring_id}/members":                                  "401 ok  403 403 403 403 403 403",
    "GET /categories":                                                "ok  ok  ok  ok  ok  ok  ok  ok",
    "GET /authorities":                                               "ok  ok  ok  ok  ok  ok  ok  ok",
    "POST /authorities":                                              "401 ok  403 403 403 403 403 403",
    "GET /dps":                                                       "ok  ok  ok  ok  ok  ok  ok  ok",
    "POST /dps":                                                      "401 403 422 403 403 403 403 403",
    "POST /rings":                                                    "401 422 403 403 403 403 403 403",
    "POST /rings/{ring_id}/members/{membership_id}/end":              "401 ok|409 403 403 403 403 403 403",
    "GET /dps/{dps_id}":                                              "ok  ok  ok  ok  ok  ok  ok  ok",
    "GET /rings/{ring_id}":                                           "ok  ok  ok  ok  ok  ok  ok  ok",
    "POST /dps/{dps_id}/publish":                                     "401 403 409 403 403 403 403 403",
    "POST /dps/{dps_id}/applications":                                "401 403 403 403 403 403 409 409",
    "POST /applications/{application_id}/decision":                   "401 403 409 404 403 403 403 404",
    "GET /dps/{dps_id}/evidence-expiry":                              "401 403 ok  404 403 403 403 403",
    "POST /admissions/{admission_id}/exclude":                        "401 403 ok  404 403 403 403 403",
    "POST /applications/{application_id}/extend":                     "401 403 409 404 403 403 403 404",
    "GET /applications/{application_id}":                             "401 403 ok  404 403 403 ok  404",
    "POST /admissions/{admission_id}/lift":                           "401 403 409 404 403 403 403 403",
    "GET /dps/{dps_id}/admissions":                                   "401 403 ok  404 403 403 403 403",
    "GET /admissions/{admission_id}/history":                         "401 403 ok  404 403 403 403 403",
    "GET /applications":                                              "401 403 ok  ok  403 403 ok  ok",
    "GET /suppliers/me":                                              "401 403 403 403 403 403 ok  ok",
    "POST /suppliers":                                                "ok  ok  ok  ok  ok  ok  ok  ok",
    "GET /dps/{dps_id}/register":                                     "ok  ok  ok  ok  ok  ok  ok  ok",
    "POST /suppliers/me/evidence":                                    "401 403 403 403 403 403 ok  ok",
    "POST /admissions/{admission_id}/suspend":                        "401 403 422 404 403 403 403 403",
    "POST /applications/{application_id}/withdraw":                   "401 403 403 403 403 403 409 404",
    "POST /competitions/{competition_id}/amendments":                 "401 403 422 403 403 403 403 403",
    "POST /competitions/{competition_id}/questions/{question_id}/answer": "401 403 ok 403 403 403 403 403",
    "GET /competitions/{competition_id}/questions":                   "401 404 ok  404 404 404 ok  ok",
    "POST /competitions/{competition_id}/questions":                  "401 403 403 403 403 403 ok  ok",
    "POST /competitions/{competition_id}/cancel":                     "401 403 ok  403 403 403 403 403",
    "POST /competitions/{competition_id}/unsuccessful":               "401 403 409 403 403 403 403 403",
    "POST /bids/{bid_id}/confirm":                                    "401 403 403 403 403 403 ok  404",
    "GET /competitions":                                              "ok  ok  ok  ok  ok  ok  ok  ok",
    "POST /competitions":                                             "401 403 ok  403 403 403 403 403",
    "GET /competitions/{competition_id}":                             "ok  ok  ok  ok  ok  ok  ok  ok",
    "PUT /competitions/{competition_id}":                             "401 403 409 403 403 403 403 403",
    "GET /bids/{bid_id}":                                             "401 404 404 404 404 404 ok  404",
    "GET /inbox":                                                     "401 403 403 403 403 403 ok  ok",
    "GET /inbox/{competition_id}":                                    "401 403 403 403 403 403 ok  ok",
    "GET /competitions/{competition_id}/invitations":                 "401 403 ok  403 403 403 403 403",
    "GET /competitions/{competition_id}/bids":                        "401 403 403 404 404 404 404 404",
    "POST /competitions/{competition_id}/bids":                       "401 403 403 403 403 403 ok  ok",
    "POST /competitions/{competition_id}/open":                       "401 403 409 403 403 403 403 403",
    "POST /competitions/{competition_id}/publish":                    "401 403 409 403 403 403 403 403",
    "POST /bids/{bid_id}/withdraw":                                   "401 403 403 403 403 403 ok  404",
    "GET /bids/{bid_id}/content":                                     "401 403 403 403 403 403 ok  404",
    "GET /competitions/{competition_id}/contracts":                   "401 404 ok  ok  ok  ok  ok  ok",
    "POST /competitions/{competition_id}/contracts":                  "401 403 ok  403 403 403 403 403",
    "GET /competitions/{competition_id}/quality-scores":              "401 403 409 403 403 403 403 403",
    "PUT /competitions/{competition_id}/quality-scores":              "401 403 409 403 403 403 403 403",
    "GET /competitions/{competition_id}/evaluation-runs":             "401 403 ok  403 403 403 403 403",
    "POST /competitions/{competition_id}/evaluation-runs":            "401 403 409 403 403 403 403 403",
    "GET /competitions/{competition_id}/award":                       "ok  ok  ok  ok  ok  ok  ok  ok",
    "POST /competitions/{competition_id}/award":                      "401 403 409 403 403 403 403 403",
    "GET /contracts/{contract_id}":                                   "401 404 ok  404 ok  404 ok  404",
    "GET /contracts":                                                 "401 404 ok  ok  ok  ok  ok  ok",
    "POST /contracts/{contract_id}/complete":                         "401 403 ok  404 403 403 403 403",
    "POST /contracts/{contract_id}/terminate":                        "401 403 ok  404 403 403 403 403",
    "GET /competitions/{competition_id}/my-result":                   "401 403 403 403 403 403 404 404",
    "GET /evaluation-runs/{run_id}/price-to-win":                     "401 404 404 404 404 404 404 404",
    "POST /evaluation-runs/{run_id}/price-to-win":                    "401 404 404 404 404 404 404 404",
    "GET /evaluation-runs/{run_id}":                                  "401 404 ok  404 404 404 404 404",
    "POST /referrals/{referral_id}/end":                              "401 403 403 403 403 403 422 404",
    "POST /outcome-events/{event_id}/end":                            "401 403 422 404 403 403 422 404",
    "GET /reports/flow-through":                                      "401 403 ok  ok  403 403 ok  ok",
    "GET /participants/{participant_id}":                             "401 403 ok  404 403 403 ok  404",
    "GET /referrals/{referral_id}":                                   "401 403 ok  404 403 403 ok  404",
    "GET /referrals":                                                 "401 403 ok  ok  403 403 ok  ok",
    "POST /referrals":                                                "401 403 409 422 403 403 403 403",
    "GET /dps/{dps_id}/performance":                                  "ok  ok  ok  ok  ok  ok  ok  ok",
    "GET /dps/{dps_id}/flow-through":                                 "ok  ok  ok  ok  ok  ok  ok  ok",
    "POST /participants":                                             "401 403 422 422 403 403 403 403",
    "POST /outcome-events/{event_id}/reject":                         "401 403 ok  404 403 403 403 403",
    "POST /referrals/{referral_id}/events":                           "401 403 422 404 403 403 422 404",
    "POST /referrals/{referral_id}/start":                            "401 403 403 403 403 403 409 404",
    "POST /outcome-events/{event_id}/verify":                         "401 403 ok  404 403 403 403 403",
    "POST /outcome-events/{event_id}/void":                           "401 403 409 404 403 403 403 403",
    "GET /outcome-events":                                            "401 403 ok  ok  403 403 ok  ok",
    "POST /referrals/{referral_id}/neutral-exit/verify":              "401 403 409 404 403 403 403 403",
    "POST /referrals/{referral_id}/neutral-exit/reject":              "401 403 409 404 403 403 403 403",
    "POST /periods/{period_id}/approve":                              "401 403 409 404 403 403 403 403",
    "POST /periods/{period_id}/close":                                "401 403 403 403 ok|409 404 403 403",
    "GET /periods/{period_id}/export":                                "401 403 403 403 409 404 403 403",
    "POST /periods/{period_id}/export":                               "401 403 403 403 409 404 403 403",
    "GET /periods":                                                   "401 403 ok  ok  ok  ok  403 403",
    "POST /periods":                                                  "401 403 403 403 ok  ok  403 403",
    "GET /periods/{period_id}":                                       "401 403 ok  404 ok  404 403 403",
    "GET /payment-lines":                                             "401 403 ok  ok  ok  ok  ok  ok",
    "GET /periods/{period_id}/manifest":                              "401 403 403 403 409 404 403 403",
    "GET /payment-lines/{line_id}/trace":                             "401 403 404 404 404 404 404 404",
    "GET /feed":                                                      "ok  ok  ok  ok  ok  ok  ok  ok",
    "GET /ocds/packages":                                             "ok  ok  ok  ok  ok  ok  ok  ok",
    "GET /ocds/releases":                                             "404 404 404 404 404 404 404 404",
    "GET /ocds/releases/{release_id}":                                "404 404 404 404 404 404 404 404",
    "GET /ocds/records/{ocid}":                                       "404 404 404 404 404 404 404 404",
    "GET /ocds/bulk":                                                 "ok  ok  ok  ok  ok  ok  ok  ok",
    "GET /ocds/bulk/{month}":                                         "404 404 404 404 404 404 404 404",
    "GET /ocds/policy":                                               "ok  ok  ok  ok  ok  ok  ok  ok",
    "POST /suppliers/me/webhooks":                                    "401 403 403 403 403 403 422 422",
    "GET /suppliers/me/webhooks":                                     "401 403 403 403 403 403 ok  ok",
    "GET /suppliers/me/webhooks/{endpoint_id}":                       "401 403 403 403 403 403 404 404",
    "POST /suppliers/me/webhooks/{endpoint_id}/rotate":               "401 403 403 403 403 403 404 404",
    "POST /suppliers/me/webhooks/{endpoint_id}/test":                 "401 403 403 403 403 403 404 404",
    "GET /suppliers/me/webhooks/{endpoint_id}/deliveries":            "401 403 403 403 403 403 404 404",
    "DELETE /suppliers/me/webhooks/{endpoint_id}":                    "401 403 403 403 403 403 404 404",
    "GET /suppliers/me/notifications":                                "401 403 403 403 403 403 ok  ok",
    "PUT /suppliers/me/notifications":                                "401 403 403 403 403 403 ok  ok",
}
# fmt: on


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


STRING_BY_NAME = {
    "hetu": "010170-900A",
    "month": "2020-01",
    "contact_email": "info@example.fi",
    "business_id": "2331972-7",
    "sha256": "a" * 64,
    "evidence_sha256": "a" * 64,
}


def minimal(schema: dict[str, Any], doc: dict[str, Any], ids: dict[str, str], name: str = "") -> Any:
    """A small instance of a schema: required properties only, ids taken from the world by name."""
    schema = _resolve(schema, doc)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(o, doc).get("type") != "null"]
            return minimal(options[0], doc, ids, name)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: minimal(props[k], doc, ids, k) for k in schema.get("required", [])}
    if kind == "array":
        return [minimal(schema["items"], doc, ids, name)] * max(1, schema.get("minItems", 0))
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "uuid":
            return ids.get(name, ids.get("competition_id"))
        if fmt == "date":
            return "2026-01-15"
        if fmt == "date-time":
            return "2026-01-15T10:00:00+02:00"
        if name in STRING_BY_NAME:
            return STRING_BY_NAME[name]
        if "municipalit" in name:
            return "398"
        if name in ("categories", "category", "code"):
            return "EMPLOYMENT"
        pattern = schema.get("pattern", "")
        if "[0-9]{3}" in pattern:
            return "398"
        if pattern.startswith("^[A-Z"):
            return "EMPLOYMENT"
        return "Testi ääkkösin"
    return None


def operations(client: TestClient[Litestar]) -> list[tuple[str, dict[str, Any]]]:
    doc = client.get("/schema/openapi.json").json()
    return [
        (f"{method.upper()} {path}", op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def call(
    client: TestClient[Litestar],
    doc: dict[str, Any],
    name: str,
    op: dict[str, Any],
    ids: dict[str, str],
    headers: dict[str, str],
) -> Any:
    method, path = name.split(" ", 1)
    mapping = PARAM_FOR.get(name, {})
    known = {**EXTRA_PATH, **ids}
    url = re.sub(r"\{(\w+)\}", lambda m: known[mapping.get(m.group(1), m.group(1))], path)
    kwargs: dict[str, Any] = {"headers": headers}
    if "requestBody" in op:
        if BODY_FOR.get(name) == "competition":
            body = json.loads(json.dumps(competition_body(world_dps_stub(ids["dps_id"]))))
        elif name in BODY_FOR:
            body = json.loads(_fill(json.dumps(BODY_FOR[name]), ids))
        else:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            body = minimal(schema, doc, ids)
        kwargs["json"] = body
    if name in QUERY_FOR:
        kwargs["params"] = {k: _fill(v, ids) for k, v in QUERY_FOR[name].items()}
    return client.request(method, url, **kwargs)


def _fill(template: str, ids: dict[str, str]) -> str:
    today = utc_now().date()
    values = {**ids, "today": today.isoformat(), "later": (today + timedelta(days=300)).isoformat()}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def world_dps_stub(dps_id: str) -> Any:
    """competition_body reads only world.dps.id."""
    return SimpleNamespace(dps=SimpleNamespace(id=dps_id))


def _allowed(cell: str) -> set[str]:
    return set(cell.split("|"))


def _matches(status: int, allowed: set[str]) -> bool:
    return str(status) in allowed or (OK in allowed and 200 <= status < 300)


def _foreign_leak(world: AuthzWorld, caller: str, text: str) -> str | None:
    if caller not in ("anon", "officer_x", "finance_x", "supplier_x"):
        return None
    return next((k for k, v in world.private_markers.items() if v in text), None)


@pytest.fixture
def world(client: TestClient[Litestar], session: Session, settings: Settings) -> AuthzWorld:
    built = build_world(client, session, settings)
    session.flush()
    return built


def test_every_operation_has_a_row(client: TestClient[Litestar]) -> None:
    missing = [name for name, _ in operations(client) if name not in MATRIX]
    stale = sorted(set(MATRIX) - {name for name, _ in operations(client)})
    assert missing == [], f"Operations without a row in the authorization matrix: {missing}"
    assert stale == [], f"Matrix rows for operations the app no longer serves: {stale}"


def test_authorization_matrix(
    client: TestClient[Litestar], connection: Connection, world: AuthzWorld
) -> None:
    doc = client.get("/schema/openapi.json").json()
    failures: list[str] = []
    observed: dict[str, list[str]] = {}
    for name, op in operations(client):
        row = MATRIX.get(name, "").split()
        for column, caller in enumerate(CALLERS):
            savepoint = connection.begin_nested()
            try:
                answer = call(client, doc, name, op, world.ids, world.headers[caller])
            finally:
                savepoint.rollback()
            observed.setdefault(name, []).append(str(answer.status_code))
            if os.environ.get("DPR_MATRIX_PRINT") == "2" and answer.status_code in (400, 404, 422):
                print(name, caller, answer.text[:300])
            if answer.status_code >= 500:
                failures.append(f"{name} as {caller}: {answer.status_code} {answer.text[:200]}")
                continue
            if answer.status_code >= 400 and not answer.headers["content-type"].startswith(
                "application/problem+json"
            ):
                failures.append(f"{name} as {caller}: error {answer.status_code} is not problem+json")
            leak = _foreign_leak(world, caller, answer.text) if answer.status_code < 300 else None
            if leak:
                failures.append(f"{name} as {caller}: answer holds tenant A's {leak}")
            if row and not _matches(answer.status_code, _allowed(row[column])):
                failures.append(
                    f"{name} as {caller}: {answer.status_code}, expected {row[column]} ({answer.text[:160]})"
                )
    if os.environ.get("DPR_MATRIX_PRINT"):
        for name, cells in observed.items():
            print(f'    "{name}":'.ljust(62) + '"' + " ".join(c.ljust(4) for c in cells).rstrip() + '",')
    assert failures == [], "\n".join(failures)


def test_foreign_objects_answer_404(
    client: TestClient[Litestar], connection: Connection, world: AuthzWorld
) -> None:
    """Random ids in every path: nobody gets a 2xx or a 5xx; a signed-in caller gets 403/404 (or 422)."""
    doc = client.get("/schema/openapi.json").json()
    foreign = random_ids()
    failures = []
    for name, op in operations(client):
        if "{" not in name:
            continue
        for caller in CALLERS:
            savepoint = connection.begin_nested()
            try:
                answer = call(client, doc, name, op, foreign, world.headers[caller])
            finally:
                savepoint.rollback()
            allowed = {401, 403, 404, 422} if caller == "anon" else {403, 404, 422}
            if answer.status_code not in allowed:
                failures.append(
                    f"{name} as {caller} on a random id: {answer.status_code} {answer.text[:160]}"
                )
    assert failures == [], "\n".join(failures)
