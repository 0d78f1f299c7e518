"""Reproducing a stored evaluation run: re-solve its stored input with its solver and compare."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from minicompetition.award.models import EvaluationRun
from minicompetition.engine.scoring import EngineInputError, Problem
from minicompetition.engine.solve import solve
from procurement.core.errors import NotFound

COMPARED = ("allocated", "total_score", "rank", "admissible")


@dataclass(frozen=True)
class Reproduction:
    """What a re-solve of a stored run found."""

    run_id: uuid.UUID
    seq: int
    solver: str
    stored_version: str
    current_version: str
    status: str
    lines: int
    allocations: int
    differences: tuple[str, ...]

    @property
    def identical(self) -> bool:
        """True when the re-solve gives the stored status, scores, ranks and allocation."""
        return not self.differences


def compare(stored: Mapping[str, Any], fresh: Mapping[str, Any], *, input_sha256: str) -> tuple[str, ...]:
    """Differences between a stored result and a fresh one, one sentence each (empty: identical)."""
    out = []
    if stored.get("input_sha256") != input_sha256:
        out.append(
            f"input: the stored input hashes to {input_sha256}, but the run was solved on "
            f"{stored.get('input_sha256')} (the stored input or result was changed)"
        )
    if stored.get("status") != fresh["status"]:
        out.append(f"status: stored {stored.get('status')}, re-solved {fresh['status']}")
    before = {(x["lot_id"], x["bid_id"]): x for x in stored.get("lines", [])}
    after = {(x["lot_id"], x["bid_id"]): x for x in fresh["lines"]}
    for key in sorted(set(before) | set(after)):
        where = f"lot {key[0]} bid {key[1]}"
        if key not in after:
            out.append(f"{where}: in the stored result only")
            continue
        if key not in before:
            out.append(f"{where}: in the re-solved result only")
            continue
        for name in COMPARED:
            if before[key].get(name) != after[key][name]:
                out.append(f"{where}: {name} stored {before[key].get(name)}, re-solved {after[key][name]}")
    return tuple(out)


def reproduce(session: Session, *, run_id: uuid.UUID, time_limit_s: float) -> Reproduction:
    """Re-solve a stored run's input with the run's solver and compare the result with the stored one."""
    run = session.get(EvaluationRun, run_id)
    if run is None:
        raise NotFound(f"No evaluation run {run_id}.")
    try:
        problem = Problem.from_dict(run.input)
    except EngineInputError as exc:
        return Reproduction(
            run_id=run.id,
            seq=run.seq,
            solver=run.solver_name,
            stored_version=run.solver_version,
            current_version="",
            status="unreadable",
            lines=0,
            allocations=0,
            differences=(f"input: the stored input cannot be read ({exc})",),
        )
    fresh = solve(problem, solver=run.solver_name, time_limit_s=time_limit_s).to_dict(timings=False)
    differences = compare(run.result, fresh, input_sha256=problem.sha256())
    return Reproduction(
        run_id=run.id,
        seq=run.seq,
        solver=run.solver_name,
        stored_version=run.solver_version,
        current_version=str(fresh["solver_version"]),
        status=str(fresh["status"]),
        lines=len(fresh["lines"]),
        allocations=sum(1 for x in fresh["lines"] if x["allocated"]),
        differences=differences,
    )
