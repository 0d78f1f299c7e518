"""Price to win: computed once per losing admissible line (every one at the award), kept with the run."""

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from minicompetition.award.models import EvaluationRun
from minicompetition.award.results import price_out
from minicompetition.award.runs import award_of, load_run, price_key, problem_of
from minicompetition.award.schemas import PriceToWinOut
from minicompetition.engine.price_to_win import price_to_win, prices_to_win
from minicompetition.engine.scoring import EngineError, EngineInputError
from minicompetition.tender.models import Lot
from procurement.core import audit
from procurement.core.auth import Caller
from procurement.core.errors import Conflict, NotFound
from procurement.core.settings import Settings

NO_LINE = "This run has no line of yours for that bid and lot."

# Merging into the map keeps entries that a concurrent request stored meanwhile.
_STORE = text("UPDATE evaluation_run SET price_to_win = price_to_win || CAST(:entry AS jsonb) WHERE id = :id")


def line_price_to_win(
    session: Session,
    *,
    caller: Caller,
    run_id: uuid.UUID,
    bid_id: uuid.UUID,
    lot_id: uuid.UUID,
    now: datetime,
    settings: Settings,
) -> PriceToWinOut:
    """A line's price to win: its bidder once the award on this run is issued, the buying officers at any
    time; computed on the first request unless the award computed it, then kept with the run."""
    run, competition, viewer = load_run(session, run_id, caller=caller)
    lot = session.get(Lot, lot_id)
    if lot is None or lot.competition_id != competition.id:
        raise NotFound(NO_LINE)
    given = next(
        (x for x in run.input.get("lines", []) if x["lot_id"] == lot.code and x["bid_id"] == str(bid_id)),
        None,
    )
    if given is None or not viewer.sees(given["supplier_id"]):
        raise NotFound(NO_LINE)
    if not viewer.officer and not _awarded_on(session, run):
        raise Conflict(
            "Your price to win is shown once the award decision on this evaluation run is issued; until then "
            "only the buying authority's officers see it."
        )
    key = price_key(lot=lot.code, bid_id=bid_id)
    if key in run.price_to_win:
        return price_out(run, run.price_to_win[key], lot)
    if run.status != "optimal":
        raise Conflict(
            f"Evaluation run #{run.seq} is '{run.status}'; the price to win is computed only on an "
            "optimal run."
        )
    row = next(x for x in run.result["lines"] if x["lot_id"] == lot.code and x["bid_id"] == str(bid_id))
    if not row["admissible"]:
        raise Conflict(f"This line is inadmissible ({row['reason']}); no price makes it win.")
    if row["allocated"]:
        raise Conflict(f"This line already wins {row['allocated']} participants in lot {lot.code}.")
    # A line the award's time budget did not reach is computed now, once, and kept like the others.
    try:
        price = price_to_win(
            problem_of(run),
            bid_id=str(bid_id),
            lot_id=lot.code,
            solver=run.solver_name,
            time_limit_s=settings.solver_time_limit_s,
        )
    except EngineInputError as exc:
        raise Conflict(f"The price to win cannot be computed for this line: {exc}.") from exc
    except EngineError as exc:
        raise Conflict(f"The price to win could not be computed: {exc}. Nothing was stored.") from exc
    entry = _entry(
        lot=lot.code, bid_id=str(bid_id), unit_price_cents=given["unit_price_cents"], price=price, now=now
    )
    _store(session, run, {key: entry})
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="evaluation.price_to_win",
        at=now,
        after={"run": run.id, "lot": lot.code, "bid": bid_id, "price_cents": price},
    )
    return price_out(run, entry, lot)


def store_all(session: Session, *, run: EvaluationRun, actor: str, now: datetime, settings: Settings) -> None:
    """At the award: every losing admissible line's price to win, computed once and kept with the run."""
    problem = problem_of(run)
    stored = set(run.price_to_win)
    wanted = [
        (x["lot_id"], x["bid_id"])
        for x in run.result.get("lines", [])
        if x["admissible"]
        and not x["allocated"]
        and price_key(lot=x["lot_id"], bid_id=x["bid_id"]) not in stored
    ]
    if not wanted:
        return
    prices = {line.key: line.unit_price_cents for line in problem.lines}
    try:
        found = prices_to_win(
            problem,
            keys=wanted,
            solver=run.solver_name,
            time_limit_s=settings.solver_time_limit_s,
            workers=settings.price_to_win_workers,
            budget_s=settings.price_to_win_award_budget_s,
        )
    except (EngineError, EngineInputError) as exc:
        # The award stands without them; each line then answers that none was computed.
        audit.record(
            session,
            aggregate=("competition", run.competition_id),
            actor=actor,
            action="evaluation.prices_to_win_failed",
            at=now,
            after={"run": run.id, "lines": len(wanted), "error": str(exc)[:500]},
        )
        return
    entries = {
        price_key(lot=lot, bid_id=bid): _entry(
            lot=lot, bid_id=bid, unit_price_cents=prices[(lot, bid)], price=price, now=now
        )
        for (lot, bid), price in found.items()
    }
    _store(session, run, entries)
    audit.record(
        session,
        aggregate=("competition", run.competition_id),
        actor=actor,
        action="evaluation.prices_to_win",
        at=now,
        after={"run": run.id, "lines": len(entries), "left_for_first_read": len(wanted) - len(entries)},
    )


def _entry(
    *, lot: str, bid_id: str, unit_price_cents: int | None, price: int | None, now: datetime
) -> dict[str, Any]:
    return {
        "lot": lot,
        "bid_id": bid_id,
        "unit_price_cents": unit_price_cents,
        "price_cents": price,
        "computed_at": now.isoformat(),
    }


def _store(session: Session, run: EvaluationRun, entries: dict[str, Any]) -> None:
    session.execute(_STORE, {"entry": json.dumps(entries), "id": run.id})
    session.expire(run, ["price_to_win"])


def _awarded_on(session: Session, run: EvaluationRun) -> bool:
    award = award_of(session, run.competition_id)
    return award is not None and award.evaluation_run_id == run.id
