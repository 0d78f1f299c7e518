"""Price to win on request: computed once per losing admissible line by re-solving, then kept with the run."""

import json
import uuid
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from minicompetition.award.results import price_out
from minicompetition.award.runs import load_run, price_key, problem_of
from minicompetition.award.schemas import PriceToWinOut
from minicompetition.engine.price_to_win import price_to_win
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
    """The line's price to win: read back if computed, else computed now (its supplier, or the buyer)."""
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
    entry = {
        "lot": lot.code,
        "bid_id": str(bid_id),
        "unit_price_cents": given["unit_price_cents"],
        "price_cents": price,
        "computed_at": now.isoformat(),
    }
    session.execute(_STORE, {"entry": json.dumps({key: entry}), "id": run.id})
    session.expire(run, ["price_to_win"])
    audit.record(
        session,
        aggregate=("competition", competition.id),
        actor=caller.label,
        action="evaluation.price_to_win",
        at=now,
        after={"run": run.id, "lot": lot.code, "bid": bid_id, "price_cents": price},
    )
    return price_out(run, entry, lot)
