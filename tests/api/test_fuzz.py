"""Property-based fuzzing of every operation of the served OpenAPI document, as every role (issue 8).

schemathesis generates requests from the document; each is sent as anonymous, admin, officer, finance
and supplier of the authorization world, half of them with the world's real ids in the path so the
handlers are reached, not only the 404s. Every answer must be below 500, every error problem+json, and
every answer must match its documented schema. Each request runs in a savepoint that is rolled back.
A fixed number of examples per operation and role (DPR_FUZZ_EXAMPLES, 2 in the suite), derandomized so
the suite is stable; bench/fuzz.py runs many more and reads the figures from DPR_FUZZ_REPORT.
"""

import json
import os
import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Connection
from sqlmodel import Session

from procurement.core.settings import Settings
from tests.api.authz_world import AuthzWorld, build_world
from tests.api.test_authorization_matrix import PARAM_FOR

ROLES = ("anon", "admin", "officer", "finance", "supplier")
EXAMPLES = int(os.environ.get("DPR_FUZZ_EXAMPLES", "2"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _send(client: TestClient[Litestar], kwargs: dict[str, Any]) -> Any:
    """Send schemathesis' requests-style arguments through the in-process test client."""
    body = kwargs.get("json")
    content = kwargs.get("data")
    return client.request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers=kwargs.get("headers"),
        **({"json": body} if "json" in kwargs else {"content": content} if content is not None else {}),
    )


def _problems(response: Any) -> str | None:
    if response.status_code >= 400 and not response.headers.get("content-type", "").startswith(
        "application/problem+json"
    ):
        return f"error {response.status_code} is not problem+json: {response.text[:160]}"
    return None


@pytest.fixture
def world(client: TestClient[Litestar], session: Session, settings: Settings) -> AuthzWorld:
    built = build_world(client, session, settings)
    session.flush()
    return built


def test_fuzz_every_operation_as_every_role(
    client: TestClient[Litestar], connection: Connection, world: AuthzWorld
) -> None:
    doc = client.get("/schema/openapi.json").json()
    schema = schemathesis.openapi.from_dict(doc)
    failures: list[str] = []
    requests = 0
    statuses: dict[int, int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        name = f"{operation.method.upper()} {operation.path}"
        for role in ROLES:
            requests += _fuzz(client, connection, world, operation, name, role, failures, statuses)
    report = os.environ.get("DPR_FUZZ_REPORT")
    if report:
        with open(report, "w") as handle:
            json.dump(
                {
                    "operations": len(operations),
                    "requests": requests,
                    "statuses": statuses,
                    "failures": failures,
                },
                handle,
            )
    assert failures == [], "\n".join(sorted(set(failures)))
    # Not vacuous: every operation was called as every role, and handlers were reached.
    assert len(operations) >= 88
    assert requests >= len(operations) * len(ROLES)
    assert sum(n for status, n in statuses.items() if status < 300) > 0


def _fuzz(
    client: TestClient[Litestar],
    connection: Connection,
    world: AuthzWorld,
    operation: Any,
    name: str,
    role: str,
    failures: list[str],
    statuses: dict[int, int],
) -> int:
    """Run the operation's examples as one role; record failures instead of shrinking them."""
    mapping = PARAM_FOR.get(name, {})
    sent = 0
    both = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=both, real_ids=st.booleans())
    def run(case: Any, real_ids: bool) -> None:
        nonlocal sent
        if real_ids and case.path_parameters:
            case.path_parameters = {
                k: world.ids.get(mapping.get(k, k), v) for k, v in case.path_parameters.items()
            }
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        case.headers = {**headers, **world.headers[role]}
        kwargs = case.as_transport_kwargs(base_url="http://testserver.local")
        savepoint = connection.begin_nested()
        try:
            response = _send(client, kwargs)
        finally:
            savepoint.rollback()
        sent += 1
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        problem = _problems(response)
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseExceptionGroup as exc:  # schemathesis' FailureGroup
            problem = problem or _first_line(str(exc))
        if problem:
            failures.append(f"{name} as {role}: {problem} [{kwargs['method']} {kwargs['url']}]")

    run()
    return sent


def _first_line(text: str) -> str:
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    return re.sub(r"\s+", " ", " / ".join(lines[:4]))[:300]
