"""One API habit everywhere, read from the served OpenAPI document (docs/api.md writes it down).

- 201 Created with a Location header only where a resource is created (the table below); 200 for every
  other operation, actions on an existing resource included; a retried bid or an already registered
  participant answers 200.
- Every operation documents its problems; 415 exactly where a JSON body is read.
"""

import re
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from procurement.core.paging import MAX_LIMIT

# Every operation that creates a resource, and the address (a GET of the document) its Location names.
CREATES: dict[str, str] = {
    "POST /principals": "/principals/{principal_id}",
    "POST /principals/{principal_id}/tokens": "/principals/{principal_id}/tokens/{token_id}",
    "POST /me/tokens": "/principals/{principal_id}/tokens/{token_id}",
    "POST /authorities": "/authorities/{authority_id}",
    "POST /rings": "/rings/{ring_id}",
    "POST /dps": "/dps/{dps_id}",
    "POST /suppliers": "/suppliers/me",
    "POST /dps/{dps_id}/applications": "/applications/{application_id}",
    "POST /competitions": "/competitions/{competition_id}",
    "POST /competitions/{competition_id}/questions": "/competitions/{competition_id}/questions/{question_id}",
    "POST /competitions/{competition_id}/bids": "/bids/{bid_id}",
    "POST /competitions/{competition_id}/evaluation-runs": "/evaluation-runs/{run_id}",
    "POST /participants": "/participants/{participant_id}",
    "POST /referrals": "/referrals/{referral_id}",
    "POST /referrals/{referral_id}/events": "/outcome-events/{event_id}",
    "POST /periods": "/periods/{period_id}",
    "POST /suppliers/me/webhooks": "/suppliers/me/webhooks/{endpoint_id}",
    "POST /rings/{ring_id}/liability-rates": "/rings/{ring_id}/liability-rates/{rate_id}",
    "POST /award-decisions/{award_id}/rectification-requests": "/rectification-requests/{request_id}",
    "POST /award-decisions/{award_id}/appeals": "/appeals/{appeal_id}",
}
# Creating operations that answer 200 when the thing already exists (nothing new is made).
ALSO_200 = {"POST /competitions/{competition_id}/bids", "POST /participants"}
# 429: any request with a token may meet the failed-authentication throttle (ADR 0014).
PROBLEMS = {"400", "401", "403", "404", "409", "413", "422", "429", "503"}
# Open-data packages answer 304 to a matching If-None-Match; the package feed 204 when nothing is new
# (an OCDS package must hold at least one release).
CONDITIONAL = {"GET /ocds/releases", "GET /ocds/releases/{release_id}", "GET /ocds/records/{ocid}"}
CONDITIONAL |= {"GET /ocds/bulk/{month}", "GET /ocds/packages"}
ALSO_204 = {"GET /ocds/packages"}
EXPORT = "GET /periods/{period_id}/export"


def _document(client: TestClient[Litestar]) -> dict[str, Any]:
    doc: dict[str, Any] = client.get("/schema/openapi.json").json()
    return doc


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_created_resources_answer_201_with_location_and_actions_200(client: TestClient[Litestar]) -> None:
    doc = _document(client)
    operations = _operations(doc)
    failures = []
    for name, op in sorted(operations.items()):
        success = {code for code in op["responses"] if int(code) < 400}
        if name in CREATES:
            expected = {"201", "200"} if name in ALSO_200 else {"201"}
            headers = op["responses"]["201"].get("headers", {})
            if "Location" not in headers or headers["Location"]["schema"] != {"type": "string"}:
                failures.append(f"{name}: its 201 does not document a Location header")
            if f"GET {CREATES[name]}" not in operations:
                failures.append(f"{name}: Location {CREATES[name]} is no GET of the document")
        else:
            expected = (
                {"200"}
                | ({"304"} if name in CONDITIONAL else set())
                | ({"204"} if name in ALSO_204 else set())
            )
            if any("Location" in r.get("headers", {}) for r in op["responses"].values()):
                failures.append(f"{name}: creates nothing, yet documents a Location")
        if success != expected:
            failures.append(f"{name}: answers {sorted(success)}, the habit is {sorted(expected)}")
    assert failures == [], "\n".join(failures)
    # The table names only operations that exist.
    assert sorted(set(CREATES) - set(operations)) == []


def test_every_operation_documents_its_problems_and_415_exactly_where_it_reads_json(
    client: TestClient[Litestar],
) -> None:
    failures = []
    for name, op in _operations(_document(client)).items():
        codes = {code for code in op["responses"] if int(code) >= 400}
        wanted = PROBLEMS | ({"415"} if "requestBody" in op else set())
        if codes != wanted:
            failures.append(f"{name}: problems {sorted(codes)}, expected {sorted(wanted)}")
        if "requestBody" in op and list(op["requestBody"]["content"]) != ["application/json"]:
            failures.append(f"{name}: reads {list(op['requestBody']['content'])}")
    assert failures == [], "\n".join(failures)


def test_replays_and_the_export_are_documented(client: TestClient[Litestar]) -> None:
    operations = _operations(_document(client))
    bids = operations["POST /competitions/{competition_id}/bids"]["responses"]
    assert bids["200"]["content"] == bids["201"]["content"]  # the same Receipt
    assert set(bids["200"]["headers"]) == {"Idempotent-Replayed"}
    participants = operations["POST /participants"]["responses"]
    assert participants["200"]["content"] == participants["201"]["content"]
    export = operations[EXPORT]["responses"]["200"]
    assert sorted(export["content"]) == [
        "application/vnd.apache.parquet",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/csv; charset=utf-8",
    ]
    assert {"X-Manifest-SHA256", "X-Manifest-Row-Count", "X-Manifest-Total-Cents"} <= set(export["headers"])
    assert "Content-Disposition" in export["headers"]


def test_paths_name_their_parameters_consistently(client: TestClient[Litestar]) -> None:
    """A parameter names what it identifies (`{dps_id}`, never `{id}`), so Location templates read alike."""
    names = {
        m for name in _operations(_document(client)) for m in re.findall(r"\{(\w+)\}", name.split(" ", 1)[1])
    }
    # OCDS's own names for a contracting process and a bulk file's month.
    assert sorted(n for n in names if not n.endswith("_id")) == ["month", "ocid"]


# Lists answered whole: each is bounded by one parent and small by rule (docs/api.md, Lists). The opened
# bids are read and audited as one set; an admission's history has a row per change of standing; the
# expiry list is one DPS's admitted suppliers' evidence; the bulk index has a row per month. A
# competition's award decisions and appeals are a few per competition; rectification requests are filed
# by bidders within 14 days of a delivery, a handful per decision.
WHOLE_LISTS = {
    "GET /competitions/{competition_id}/award-decisions",
    "GET /competitions/{competition_id}/appeals",
    "GET /rectification-requests",
    "GET /competitions/{competition_id}/bids",
    "GET /admissions/{admission_id}/history",
    "GET /dps/{dps_id}/evidence-expiry",
    "GET /ocds/bulk",
}


def test_every_list_pages_by_cursor(client: TestClient[Litestar]) -> None:
    """A GET answering an array takes `after` and `limit` and documents Link and X-Next-Cursor."""
    failures, lists = [], set()
    for name, op in _operations(_document(client)).items():
        content = op["responses"].get("200", {}).get("content", {}).get("application/json", {})
        if not name.startswith("GET ") or content.get("schema", {}).get("type") != "array":
            continue
        lists.add(name)
        if name in WHOLE_LISTS:
            continue
        params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
        if "after" not in params or "limit" not in params:
            failures.append(f"{name}: no after/limit query parameters")
        elif (params["limit"]["schema"].get("minimum"), params["limit"]["schema"].get("maximum")) != (
            1,
            MAX_LIMIT,
        ):
            failures.append(f"{name}: limit is not 1–{MAX_LIMIT}")
        if {"Link", "X-Next-Cursor"} - set(op["responses"]["200"].get("headers", {})):
            failures.append(f"{name}: Link and X-Next-Cursor not documented")
    assert failures == [], "\n".join(failures)
    assert lists >= WHOLE_LISTS
