"""Price to win for every losing line, compared cent by cent with the one-line bisection it replaces."""

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from minicompetition.engine.price_to_win import price_to_win, prices_to_win
from minicompetition.engine.scoring import Problem, Status
from minicompetition.engine.solve import solve
from tests.unit.reference_price_to_win import reference_price_to_win
from tests.unit.test_engine_properties import problems

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from lp_scaling import make_problem

SOME = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _losing(problem: Problem) -> list[tuple[str, str]]:
    result = solve(problem)
    if result.status != Status.OPTIMAL:
        return []
    return [(x.lot_id, x.bid_id) for x in result.lines if x.admissible and not x.allocated]


@SOME
@given(problems())
def test_every_price_to_win_equals_the_one_line_bisection_to_the_cent(problem: Problem) -> None:
    losing = _losing(problem)
    found = prices_to_win(problem) if losing else {}
    assert sorted(found) == sorted(losing)
    for lot, bid in losing:
        assert found[(lot, bid)] == reference_price_to_win(problem, lot_id=lot, bid_id=bid), (lot, bid)


def test_the_50x5_benchmark_competition_agrees_on_a_sample_of_lines() -> None:
    problem = make_problem(bids=50, lots=5)
    losing = _losing(problem)
    assert len(losing) == 84
    sample = losing[::12]
    found = prices_to_win(problem, keys=sample)
    assert {key: reference_price_to_win(problem, lot_id=key[0], bid_id=key[1]) for key in sample} == found


def test_two_worker_processes_give_what_one_gives() -> None:
    problem = make_problem(bids=20, lots=3)
    assert prices_to_win(problem, workers=2) == prices_to_win(problem, workers=1)


@pytest.mark.parametrize("solver", ["HiGHS", "CBC"])
def test_one_line_asked_alone_equals_its_entry_among_all(solver: str) -> None:
    problem = make_problem(bids=20, lots=3)
    every = prices_to_win(problem, solver=solver)
    key = sorted(every)[0]
    assert price_to_win(problem, lot_id=key[0], bid_id=key[1], solver=solver) == every[key]


def test_a_spent_budget_starts_no_further_line() -> None:
    problem = make_problem(bids=20, lots=3)
    assert prices_to_win(problem, budget_s=0.0) == {}
    assert prices_to_win(problem, budget_s=0.0, workers=2) == {}
