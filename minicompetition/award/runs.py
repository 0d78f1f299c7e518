"""Stored evaluation runs: who may read them, the award that chose one, and the rows they are built from."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from minicompetition.award.models import AwardDecision, EvaluationRun
from minicompetition.engine.scoring import LineResult, Problem, ReasonCode
from minicompetition.tender import access
from minicompetition.tender.models import Bid, Competition, Lot
from procurement.core.auth import Caller
from procurement.core.errors import NotFound
from registry.models import Supplier

RUN_NOT_FOUND = "No evaluation run has that id."


@dataclass(frozen=True)
class Viewer:
    """How a caller reads a competition's results: the buying officer everything, a bidder its own lines."""

    officer: bool
    supplier_id: uuid.UUID | None = None

    def sees(self, supplier_id: str | uuid.UUID) -> bool:
        """Whether a line of this supplier is shown to the viewer."""
        return self.officer or str(supplier_id) == str(self.supplier_id)


def viewer_of(session: Session, caller: Caller | None, competition: Competition, *, missing: str) -> Viewer:
    """The buying authority's officer, or a supplier with a bid in the competition; 404 for anyone else."""
    if access.is_buying_officer(caller, competition):
        return Viewer(officer=True)
    if caller is not None and caller.role == "supplier" and competition.state != "draft":
        supplier = access.supplier_of(session, caller)
        if own_bid(session, competition_id=competition.id, supplier_id=supplier.id) is not None:
            return Viewer(officer=False, supplier_id=supplier.id)
    raise NotFound(missing)


def own_bid(session: Session, *, competition_id: uuid.UUID, supplier_id: uuid.UUID) -> Bid | None:
    """The supplier's bid in the competition, if it ever submitted one."""
    return session.exec(
        select(Bid).where(
            Bid.competition_id == competition_id, Bid.supplier_id == supplier_id, col(Bid.current_version) > 0
        )
    ).first()


def load_run(
    session: Session, run_id: uuid.UUID, *, caller: Caller | None
) -> tuple[EvaluationRun, Competition, Viewer]:
    """A run, its competition and how the caller may read it (404 outside the caller's scope)."""
    run = session.get(EvaluationRun, run_id)
    if run is None:
        raise NotFound(RUN_NOT_FOUND)
    competition, _ = access.load(session, run.competition_id)
    return run, competition, viewer_of(session, caller, competition, missing=RUN_NOT_FOUND)


def latest_run(session: Session, competition_id: uuid.UUID) -> EvaluationRun | None:
    """The competition's newest run."""
    return session.exec(
        select(EvaluationRun)
        .where(EvaluationRun.competition_id == competition_id)
        .order_by(col(EvaluationRun.seq).desc())
    ).first()


def award_of(session: Session, competition_id: uuid.UUID) -> AwardDecision | None:
    """The competition's award decision, if issued."""
    return session.exec(select(AwardDecision).where(AwardDecision.competition_id == competition_id)).first()


def lots_by_code(session: Session, competition_id: uuid.UUID) -> dict[str, Lot]:
    """The competition's lots by code, in position order (the engine names lots by code)."""
    rows = session.exec(select(Lot).where(Lot.competition_id == competition_id).order_by(col(Lot.position)))
    return {lot.code: lot for lot in rows}


def suppliers_by_id(session: Session, ids: set[str] | set[uuid.UUID]) -> dict[str, Supplier]:
    """Suppliers by their id as text."""
    wanted = [uuid.UUID(str(x)) for x in ids]
    if not wanted:
        return {}
    return {str(s.id): s for s in session.exec(select(Supplier).where(col(Supplier.id).in_(wanted)))}


def problem_of(run: EvaluationRun) -> Problem:
    """The engine input the run was solved on."""
    return Problem.from_dict(run.input)


def line_results_of(run: EvaluationRun) -> tuple[LineResult, ...]:
    """The run's stored result rows as engine records."""
    return tuple(_line_result(row) for row in run.result.get("lines", []))


def _line_result(row: dict[str, Any]) -> LineResult:
    fields = dict(row)
    fields["reason_code"] = ReasonCode(row["reason_code"]) if row.get("reason_code") else None
    # Runs stored before limits were explained have no limit fields: their defaults stand.
    if row.get("limit_code"):
        fields["limit_code"] = ReasonCode(row["limit_code"])
    return LineResult(**fields)


def price_key(*, lot: str, bid_id: str | uuid.UUID) -> str:
    """The key of a line's price to win in a run's price_to_win map."""
    return f"{lot}/{bid_id}"
