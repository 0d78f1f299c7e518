"""Stateful fuzzing: schemathesis follows the links between operations (create → read → act), the ones
it infers from the document's responses and path parameters, as every role. Every answer below 500,
every error problem+json, every answer as documented. Each scenario runs in a savepoint rolled back at
its end, so its steps see one another's writes and the next scenario starts from the same world.

DPR_FUZZ_STATEFUL_EXAMPLES scenarios of up to DPR_FUZZ_STATEFUL_STEPS steps per role (6 × 8 in the
suite); bench/fuzz.py runs more.
"""

import json
import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar import Litestar
from litestar.testing import TestClient
from schemathesis.core.transport import Response
from sqlalchemy import Connection
from sqlmodel import Session

from procurement.core.settings import Settings
from tests.api.authz_world import AuthzWorld, build_world
from tests.api.test_fuzz import CHECKS, ROLES, _first_line, _send

EXAMPLES = int(os.environ.get("DPR_FUZZ_STATEFUL_EXAMPLES", "6"))
STEPS = int(os.environ.get("DPR_FUZZ_STATEFUL_STEPS", "8"))


@pytest.fixture
def world(client: TestClient[Litestar], session: Session, settings: Settings) -> AuthzWorld:
    built = build_world(client, session, settings)
    session.flush()
    return built


def test_stateful_links_as_every_role(
    client: TestClient[Litestar], connection: Connection, world: AuthzWorld
) -> None:
    schema = schemathesis.openapi.from_dict(client.get("/schema/openapi.json").json())
    base = schema.as_state_machine()
    failures: list[str] = []
    calls: dict[str, int] = {}
    linked = 0

    for role in ROLES:

        class Machine(base):  # type: ignore[valid-type, misc]
            savepoint: Any = None

            def setup(self) -> None:
                self.savepoint = connection.begin_nested()

            def teardown(self) -> None:
                if self.savepoint is not None and self.savepoint.is_active:
                    self.savepoint.rollback()

            def before_call(self, case: Any) -> None:
                headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
                case.headers = {**headers, **world.headers[role]}  # noqa: B023 (the loop's role, by design)

            def call(self, case: Any, **kwargs: Any) -> Response:
                nonlocal linked
                name = f"{case.method.upper()} {case.path}"
                calls[name] = calls.get(name, 0) + 1
                linked += int(bool(case.path_parameters))
                sent = _send(client, case.as_transport_kwargs(base_url="http://testserver.local"))
                return Response.from_any(sent)

            def validate_response(self, response: Response, case: Any, **kwargs: Any) -> None:
                name = f"{case.method.upper()} {case.path} as {role}"  # noqa: B023
                problem = None
                if response.status_code >= 500:
                    problem = f"{response.status_code}: {response.text[:160]}"
                elif response.status_code >= 400 and not response.headers.get("content-type", [""])[
                    0
                ].startswith("application/problem+json"):
                    problem = f"error {response.status_code} is not problem+json"
                try:
                    case.validate_response(response, checks=CHECKS)
                except BaseExceptionGroup as exc:
                    problem = problem or _first_line(str(exc))
                if problem:
                    failures.append(f"{name}: {problem}")

        Machine.run(
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
        )
    assert failures == [], "\n".join(sorted(set(failures)))
    # Not vacuous: scenarios reached many operations, and steps followed links into objects' paths.
    assert len(calls) >= 20, calls
    assert linked >= 10
    report = os.environ.get("DPR_FUZZ_STATEFUL_REPORT")
    if report:
        with open(report, "w") as handle:
            json.dump(
                {"operations_called": len(calls), "calls": sum(calls.values()), "linked": linked}, handle
            )
