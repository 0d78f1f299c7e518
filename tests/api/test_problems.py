"""Every error reaches the client as application/problem+json, never a stack trace."""

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from procurement.app.factory import create_app
from procurement.core.db import make_engine
from procurement.core.settings import Settings
from tests.factories.core import bearer, make_token


def test_unknown_route_is_a_404_problem(client: TestClient[Litestar]) -> None:
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not found"
    assert body["instance"] == "/no/such/thing"
    assert body["request_id"] == response.headers["x-request-id"]


def test_invalid_body_is_a_422_problem_naming_the_field(
    client: TestClient[Litestar], session: Session
) -> None:
    token = make_token(session, role="admin")
    response = client.post("/principals", json={"role": "pope", "name": "x"}, headers=bearer(token))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "Invalid input"
    assert [e["field"] for e in body["errors"]] == ["role"]
    assert "Traceback" not in response.text


def test_malformed_json_is_a_400_problem(client: TestClient[Litestar], session: Session) -> None:
    token = make_token(session, role="admin")
    response = client.post(
        "/principals", content=b"{not json", headers={**bearer(token), "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_unexpected_failure_is_a_500_problem_with_request_id(client: TestClient[Litestar], caplog) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/_test/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "Internal error"
    assert "deliberate failure" not in response.text
    assert "Traceback" not in response.text
    assert body["request_id"] in body["detail"]
    assert any(body["request_id"] in r.getMessage() for r in caplog.records)


def test_health_reports_database_and_migrations(client: TestClient[Litestar]) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "migrations": "head"}


def test_openapi_document_is_served(client: TestClient[Litestar]) -> None:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert "/health" in response.json()["paths"]


def test_every_operation_documents_its_problems(client: TestClient[Litestar]) -> None:
    doc = client.get("/schema/openapi.json").json()
    problem = doc["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance", "request_id"}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status in ("400", "401", "403", "404", "409", "413", "422", "503"):
                content = op["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], f"{method} {path} {status}"


def test_unreachable_database_is_a_503_problem_with_retry_after(settings: Settings) -> None:
    # A socket directory that does not exist: every connection attempt fails at once.
    engine = make_engine("postgresql+psycopg://postgres@/dpr?host=/nonexistent-dpr-socket-dir")
    app = create_app(settings, session_factory=sessionmaker(engine, class_=Session))
    with TestClient(app, raise_server_exceptions=False) as unreachable:
        for path in ("/health", "/me", "/competitions"):
            response = unreachable.get(path, headers={"Authorization": "Bearer dpr_x"})
            assert response.status_code == 503, (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["retry-after"] == "2"
            assert response.json()["title"] == "Service unavailable"
    engine.dispose()
