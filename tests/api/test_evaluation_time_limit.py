"""A run stopped by the solver's time limit is stored as not solved, and no award or price to win uses it."""

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.settings import Settings
from tests.api.test_evaluation import open_competition, score_all


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A time limit no solve can meet."""
    return settings.model_copy(update={"solver_time_limit_s": 1e-6})


def test_time_limited_run_is_stored_as_not_solved(client: TestClient[Litestar], session: Session) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    response = client.post(f"/competitions/{o.competition_id}/evaluation-runs", headers=o.officer)
    assert response.status_code == 201, response.text
    run = response.json()
    assert (run["seq"], run["status"], run["objective"]) == (1, "not_solved", None)
    assert run["message"].startswith("not solved to proven optimality within the time limit of 1e-06 s")
    assert {x["allocated"] for x in run["lines"]} == {None}
    stored = session.execute(text("SELECT status, objective FROM evaluation_run")).one()
    assert tuple(stored) == ("not_solved", None)

    refused = client.post(
        f"/competitions/{o.competition_id}/award", json={"evaluation_run_id": run["id"]}, headers=o.officer
    )
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(
        "Evaluation run #1 is 'not_solved' (not solved to proven optimality"
    )
    ptw = client.post(
        f"/evaluation-runs/{run['id']}/price-to-win",
        json={"bid_id": o.bid_ids[3], "lot_id": o.lot_ids["LAHTI"]},
        headers=o.officer,
    )
    assert (ptw.status_code, ptw.json()["detail"]) == (
        409,
        "Evaluation run #1 is 'not_solved'; the price to win is computed only on an optimal run.",
    )
    mine = client.get(f"/competitions/{o.competition_id}/my-result", headers=o.bidders[0].headers).json()
    assert (mine["run_status"], [x["allocated"] for x in mine["lines"]]) == ("not_solved", [None, None])
