"""Flow-through as one SQL aggregate: the SPEC 4.4 rules of outcomes.rules, spelled in CTEs."""

# The database classifies every start and counts per cell; Python only turns the counts into rates,
# intervals and ratings. tests/integration/test_flowthrough_sql.py holds this equal, cell by cell, to
# outcomes.flowthrough.flow_through_by on the same data; test_first_step_on_histories.py holds the
# stored path (each start's first step read from its row) equal to the probing one (read from events).

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from outcomes.flowthrough.rules import Dimension
from outcomes.flowthrough.steps import DEFAULT_CONFIG, FlowThroughConfig
from outcomes.tracking.rules import (
    NEXT_STEP_TYPES,
    RUNG_REQUIRED,
    SERVICE_LADDER,
    NeutralExitKind,
    OutcomeEventState,
)

# Only verified facts count: a report not yet verified, or one rejected or voided, is no next step.
COUNTED_STATES = (OutcomeEventState.VERIFIED, OutcomeEventState.PAYABLE, OutcomeEventState.PAID)

_KEY_SQL = {
    Dimension.CONTRACT: "c.contract_id::text",
    Dimension.SUPPLIER: "c.supplier_id::text",
    Dimension.CATEGORY: "c.category_code::text",
    Dimension.LOT: "c.lot_id::text",
    Dimension.MUNICIPALITY: "c.home_municipality_code::text",
    Dimension.TARGET_GROUP: "tg.target_group::text",
    Dimension.MONTH: "to_char(c.started_on, 'YYYY-MM')",
}


# Grouped by the column itself where the key is its text: a uuid sorts far faster than its text.
_GROUP_SQL = {
    Dimension.CONTRACT: "c.contract_id",
    Dimension.SUPPLIER: "c.supplier_id",
    Dimension.LOT: "c.lot_id",
}
# One cut-off is a constant (neither a set to join nor a key to group by); several are a set.
_ONE_CUTOFF = "(SELECT CAST(:cutoff AS date) AS cutoff) AS co"
_CUTOFFS = "unnest(CAST(:cutoffs AS date[])) AS co(cutoff)"


def _literals(values: Sequence[str]) -> str:
    # Our own enum values only, never input: safe to spell inline, and it keeps the plan simple.
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in sorted(values, key=str))


def _ladder() -> str:
    return "ARRAY[" + ", ".join(f"'{r.value}'" for r in SERVICE_LADDER) + "]::text[]"


_STARTS = """
WITH starts AS (
    -- Each start once per cut-off asked (one, or the month ends of a public table's history).
    SELECT co.cutoff, r.id, r.referred_on, r.started_on, r.current_rung, r.ended_on, r.end_reason,
           r.neutral_exit_kind, r.neutral_exit_state, r.lot_id, r.home_municipality_code, r.target_groups,
           r.contract_id, r.supplier_id, r.category_code{step_column}
    -- A referral carries its contract's supplier and category (the database keeps them equal): the
    -- contract is joined only to scope a DPS.
    FROM referral r {join}
    CROSS JOIN {cutoff_source}
    WHERE r.started_on IS NOT NULL AND r.started_on <= co.cutoff {scope}
),"""
_CLASSIFIED = """
classified AS (
    -- classify_start: immature, neutral (a verified exit in the window wins over a step), qualified or not.
    SELECT s.*,
           s.started_on + CAST(:horizon AS integer) <= s.cutoff AS matured,
           COALESCE(s.started_on + CAST(:horizon AS integer) <= s.cutoff
                    AND s.end_reason = 'neutral_exit' AND s.neutral_exit_state = 'verified'
                    AND s.ended_on <= s.started_on + CAST(:horizon AS integer), false) AS neutral,
           {days_to_step} AS days_to_step
    FROM starts s {qualifying_join}
)
"""
# The probing path (any persistence; the reference for the stored one): the start's next steps read
# from outcome_event.
_QUALIFYING = """
qualifying AS (
    -- judge_step: a next-step type, not pre-existing, inside (start, start + horizon], a step up the
    -- ladder when both rungs are known (a ladder step without the current rung never is), and held for
    -- the persistence days by the cut-off (an end after the cut-off is not yet a fact).
    SELECT s.cutoff, e.referral_id, min(e.event_date) AS first_step_on
    FROM outcome_event e JOIN starts s ON s.id = e.referral_id
    WHERE e.state IN ({counted})
      AND e.event_type IN ({next_steps})
      AND NOT e.pre_dates_referral
      AND e.event_date >= s.referred_on
      AND e.event_date > s.started_on
      AND e.event_date <= s.started_on + CAST(:horizon AS integer)
      AND CASE WHEN e.rung IS NOT NULL AND s.current_rung IS NOT NULL
               THEN array_position({ladder}, e.rung::text) > array_position({ladder}, s.current_rung::text)
               ELSE e.event_type NOT IN ({rung_required}) END
      AND (CASE WHEN e.end_date IS NOT NULL AND e.end_date <= s.cutoff THEN e.end_date ELSE s.cutoff END)
          - e.event_date + 1 >= CAST(:persistence AS integer)
    GROUP BY s.cutoff, e.referral_id
),"""
_PROBED = (
    _STARTS.replace("{step_column}", "")
    + _QUALIFYING
    + _CLASSIFIED.format(
        days_to_step="q.first_step_on - s.started_on",
        qualifying_join="LEFT JOIN qualifying q ON q.referral_id = s.id AND q.cutoff = s.cutoff",
    )
)
# The stored path (the default persistence): referral.first_step_on is the earliest step passing every
# rule but the horizon and the cut-off, whose recorded end (if any) lets it be held for the persistence
# days (migration 0025 keeps it). A step qualifies at (cut-off c, horizon h) iff it passes those rules,
# its date <= start + h, and min(end, c) - date + 1 >= p; the last is (end IS NULL or end - date + 1 >= p)
# and date <= c - p + 1. Both remaining conditions only bound the date from above, so some step
# qualifies iff the earliest one does, and the first qualifying step is that earliest one.
_STORED = _STARTS.replace("{step_column}", ", r.first_step_on AS stored_step_on") + _CLASSIFIED.format(
    days_to_step="""CASE WHEN s.stored_step_on <= s.started_on + CAST(:horizon AS integer)
                     AND s.stored_step_on <= s.cutoff - (CAST(:persistence AS integer) - 1)
                THEN s.stored_step_on - s.started_on END""",
    qualifying_join="",
)
# The persistence the stored first step is computed with; another one reads the events.
STORED_PERSISTENCE_DAYS = DEFAULT_CONFIG.persistence_days
# Each start's verdict is judged once (the OFFSET 0 keeps the planner from copying the judgement into
# every aggregate's filter: at 38 000 starts that was most of the statement's time); the aggregates then
# only count. percentile_cont skips the NULL days of starts not qualified.
_AGGREGATE = """
SELECT {cut} AS cut, {keys}
       count(*) AS starts,
       count(*) FILTER (WHERE c.matured) AS matured,
       {neutral_kinds},
       count(c.qualified_days) AS qualified,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY c.qualified_days) AS median_days
FROM (SELECT j.*, CASE WHEN j.neutral THEN j.neutral_exit_kind END AS neutral_kind,
             CASE WHEN j.matured AND NOT j.neutral THEN j.days_to_step END AS qualified_days
      FROM classified j OFFSET 0) c {unnest}
GROUP BY {group}
"""
_VERDICTS = """
SELECT c.id::text AS referral_id, c.matured, c.neutral, c.matured AND NOT c.neutral
       AND c.days_to_step IS NOT NULL AS qualified
FROM classified c
"""


def _ctes(*, stored: bool) -> str:
    return _STORED if stored else _PROBED


def _stored(config: FlowThroughConfig) -> bool:
    """Whether the stored first steps answer for this configuration (any horizon, their persistence)."""
    return config.persistence_days == STORED_PERSISTENCE_DAYS


def _cte_values() -> dict[str, str]:
    return {
        "counted": _literals([s.value for s in COUNTED_STATES]),
        "next_steps": _literals([t.value for t in NEXT_STEP_TYPES]),
        "rung_required": _literals([t.value for t in RUNG_REQUIRED]),
        "ladder": _ladder(),
    }


def _group_by(by: Sequence[Dimension], *, one_cutoff: bool) -> str:
    # One cut-off is not a key (the fence above hides that it is a constant, and sorting by it costs);
    # no key at all still gives no row for no starts, as grouping by the cut-off did.
    keys = [] if one_cutoff else ["c.cutoff"]
    keys += [_GROUP_SQL.get(Dimension(d), f"k{i}") for i, d in enumerate(by)]
    return ", ".join(keys) if keys else "() HAVING count(*) > 0"


def flow_through_sql(
    *, by: Sequence[Dimension], scope: Sequence[str], stored: bool = True, one_cutoff: bool = False
) -> str:
    """The aggregate for a grouping (none: one total cell) at each cut-off; ``scope`` names the contract
    filters to apply; ``stored`` reads each start's stored first step instead of its events;
    ``one_cutoff`` takes `:cutoff` instead of the array `:cutoffs`."""
    if len(set(by)) != len(by):
        raise ValueError("group by each dimension once")
    # A referral carries its contract's authority and supplier (kept equal by foreign keys): filtering
    # on its own columns reads one index instead of every referral joined to the contracts.
    filters = {
        "authority": "r.authority_id = :authority_id",
        "supplier": "r.supplier_id = :supplier_id",
        "dps": "k.dps_id = :dps_id",
        "category": "r.category_code = :category_code",
    }
    keys = [f"{_KEY_SQL[Dimension(d)]} AS k{i}" for i, d in enumerate(by)]
    return (_ctes(stored=stored) + _AGGREGATE).format(
        scope="".join(f" AND {filters[s]}" for s in scope),
        join="JOIN contract k ON k.id = r.contract_id" if "dps" in scope or "category" in scope else "",
        **_cte_values(),
        keys="".join(f"{k}, " for k in keys),
        cutoff_source=_ONE_CUTOFF if one_cutoff else _CUTOFFS,
        cut="CAST(:cutoff AS date)" if one_cutoff else "c.cutoff",
        group=_group_by(by, one_cutoff=one_cutoff),
        neutral_kinds=",\n       ".join(
            f"count(*) FILTER (WHERE c.neutral_kind = '{k.value}') AS neutral_{k.value}"
            for k in NeutralExitKind
        ),
        unnest=(
            "CROSS JOIN LATERAL unnest(c.target_groups) AS tg(target_group)"
            if Dimension.TARGET_GROUP in by
            else ""
        ),
    )


@dataclass(frozen=True)
class CellCounts:
    """The counts of one cell as the database gives them."""

    key: tuple[str, ...]
    starts: int
    matured: int
    neutral_by_kind: tuple[tuple[NeutralExitKind, int], ...]
    qualified: int
    median_days: float | None


def fetch_counts(
    session: Session,
    *,
    by: Sequence[Dimension],
    cutoff: date,
    authority_id: uuid.UUID | None = None,
    supplier_id: uuid.UUID | None = None,
    dps_id: uuid.UUID | None = None,
    category_code: str | None = None,
    config: FlowThroughConfig = DEFAULT_CONFIG,
) -> list[CellCounts]:
    """Run the aggregate at one cut-off; one row per cell present, sorted by key."""
    series = fetch_series(
        session,
        by=by,
        cutoffs=[cutoff],
        authority_id=authority_id,
        supplier_id=supplier_id,
        dps_id=dps_id,
        category_code=category_code,
        config=config,
    )
    return series.get(cutoff, [])


def fetch_series(
    session: Session,
    *,
    by: Sequence[Dimension],
    cutoffs: Sequence[date],
    authority_id: uuid.UUID | None = None,
    supplier_id: uuid.UUID | None = None,
    dps_id: uuid.UUID | None = None,
    category_code: str | None = None,
    config: FlowThroughConfig = DEFAULT_CONFIG,
    probe: bool = False,
) -> dict[date, list[CellCounts]]:
    """Run the aggregate at every cut-off in one statement; per cut-off, the cells sorted by key.

    ``probe`` reads the events even where the stored first steps would do (the reference path)."""
    given = {"authority": authority_id, "supplier": supplier_id, "dps": dps_id, "category": category_code}
    scope = [name for name, value in given.items() if value is not None]
    one = len(cutoffs) == 1
    params: dict[str, Any] = {
        **({"cutoff": cutoffs[0]} if one else {"cutoffs": list(cutoffs)}),
        "horizon": config.horizon_days,
        "persistence": config.persistence_days,
        **{f"{name}_id" if name != "category" else "category_code": given[name] for name in scope},
    }
    sql = flow_through_sql(by=by, scope=scope, stored=_stored(config) and not probe, one_cutoff=one)
    rows = session.execute(text(sql), params).mappings().all()
    series: dict[date, list[CellCounts]] = {}
    for row in rows:
        series.setdefault(row["cut"], []).append(
            CellCounts(
                key=tuple(row[f"k{i}"] for i in range(len(by))),
                starts=row["starts"],
                matured=row["matured"],
                neutral_by_kind=tuple(
                    (k, row[f"neutral_{k.value}"]) for k in NeutralExitKind if row[f"neutral_{k.value}"]
                ),
                qualified=row["qualified"],
                median_days=row["median_days"],
            )
        )
    return {cut: sorted(cells, key=lambda c: c.key) for cut, cells in series.items()}


@dataclass(frozen=True)
class StartCounts:
    """One start as flow-through classifies it at a cut-off."""

    matured: bool
    neutral: bool
    qualified: bool


def start_verdicts(
    session: Session,
    *,
    referral_ids: Sequence[str],
    cutoff: date,
    config: FlowThroughConfig = DEFAULT_CONFIG,
    probe: bool = False,
) -> dict[str, StartCounts]:
    """Each given started referral classified by the same rules as the aggregate, keyed by referral id."""
    if not referral_ids:
        return {}
    sql = (_ctes(stored=_stored(config) and not probe) + _VERDICTS).format(
        scope=" AND r.id = ANY(CAST(:referral_ids AS uuid[]))",
        join="",
        cutoff_source=_ONE_CUTOFF,
        **_cte_values(),
    )
    params = {
        "cutoff": cutoff,
        "horizon": config.horizon_days,
        "persistence": config.persistence_days,
        "referral_ids": list(referral_ids),
    }
    rows = session.execute(text(sql), params).mappings().all()
    return {
        row["referral_id"]: StartCounts(
            matured=row["matured"], neutral=row["neutral"], qualified=row["qualified"]
        )
        for row in rows
    }
