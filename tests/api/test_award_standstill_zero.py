"""A DPS call-off with standstill 0, solved with CBC: contracts may be concluded right after the award."""

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from procurement.core.settings import Settings
from tests.api.test_evaluation import evaluate, open_competition, score_all


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Standstill 0 days and the CBC solver."""
    return settings.model_copy(update={"standstill_days": 0, "solver": "CBC"})


def test_standstill_zero_concludes_at_once_with_cbc(client: TestClient[Litestar], session: Session) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    run = evaluate(client, o)
    assert (run["solver"], run["status"], run["budget_used_cents"]) == ("CBC", "optimal", 14_800_000)
    assert run["solver_version"].startswith("CBC ")
    awarded = client.post(
        f"/competitions/{o.competition_id}/award",
        json={"evaluation_run_id": run["id"], "appeal_instructions": "Valitusosoitus liitteenä (liite 3)."},
        headers=o.officer,
    )
    assert awarded.status_code == 200, awarded.text
    body = awarded.json()
    assert body["standstill_ends_at"] == body["issued_at"]
    assert (body["status"], body["appeal_instructions"]) == ("final", "Valitusosoitus liitteenä (liite 3).")
    concluded = client.post(f"/competitions/{o.competition_id}/contracts", headers=o.officer)
    assert concluded.status_code == 200, concluded.text
    assert sorted((x["supplier_name"], x["value_ceiling_cents"]) for x in concluded.json()) == [
        ("Valmennus 1 Oy", 20 * 250_000 + 15 * 240_000),
        ("Valmennus 2 Oy", 20 * 200_000),
        ("Valmennus 3 Oy", 10 * 220_000),
    ]
    assert client.get(f"/competitions/{o.competition_id}/award").json()["status"] == "concluded"
