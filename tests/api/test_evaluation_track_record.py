"""A competition that announces a track-record criterion scores it from the outcome register."""

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from tests.api.test_evaluation import evaluate, open_competition

TRACK_ONLY = [{"code": "TRACK_RECORD", "name": "Vaikuttavuushistoria", "weight_bp": 10000}]
LINES = {0: [("LAHTI", 250_000, 20, 8000)], 1: [("LAHTI", 200_000, 30, 6000)]}


def test_new_entrants_are_scored_at_the_category_mean(client: TestClient[Litestar], session: Session) -> None:
    opened = open_competition(client, session, lines=LINES, quality_criteria=TRACK_ONLY)
    run = evaluate(client, opened)
    lines = run["lines"]
    assert len(lines) == 2
    # Nobody in the category has a matured start yet, so the mean is the 80 % target: quality 80 for both,
    # entered by no evaluator, and neither line is incomplete.
    assert sorted(line["quality_score"] for line in lines) == [800000, 800000]
    assert all(line["reason_code"] != "incomplete" for line in lines)
