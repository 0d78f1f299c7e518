"""A public table's counts at many month ends from one pass over the starts (ADR 0006).

# Each start's verdict at a cut-off C changes at most at three dates, fixed by the data: it counts as a
# start from its start, as matured (and, with a verified exit in the window, as neutral) from start +
# horizon, and as qualified from max(start + horizon, first qualifying step + persistence − 1). The
# persistence part follows from the rule "held for the persistence days by the cut-off, measured up to
# min(end, cut-off)": a step ending on or after step + persistence − 1 qualifies from that day on, a
# shorter one never. So the counts at every month end are running sums of what each month adds, and the
# cost is one pass over the starts, not starts × month ends. tests/integration/test_flowthrough_series.py
# holds this equal to queries.fetch_series (the cut-off by cut-off aggregate) on generated histories.
"""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from outcomes.flowthrough.disclosure import TOTAL, Counts, Position
from outcomes.flowthrough.queries import _KEY_SQL, _cte_values
from outcomes.flowthrough.rules import Dimension
from outcomes.flowthrough.steps import DEFAULT_CONFIG, FlowThroughConfig

_MONTH_END = "(date_trunc('month', {d}) + interval '1 month' - interval '1 day')::date"

_SERIES = """
WITH s AS (
    SELECT r.id, r.referred_on, r.started_on, r.current_rung, r.lot_id, r.home_municipality_code,
           r.target_groups, k.id AS contract_id, k.supplier_id, k.category_code,
           COALESCE(r.end_reason = 'neutral_exit' AND r.neutral_exit_state = 'verified'
                    AND r.ended_on <= r.started_on + CAST(:horizon AS integer), false) AS neutral
    FROM referral r JOIN contract k ON k.id = r.contract_id
    WHERE r.started_on IS NOT NULL AND r.started_on <= CAST(:last AS date) AND k.dps_id = :dps_id
),
t AS (
    -- The first day a step of this start has persisted (queries.qualifying without the cut-off).
    SELECT s.*, {start_m} AS start_m, {mature_m} AS mature_m, (
        SELECT min(e.event_date + (CAST(:persistence AS integer) - 1))
        FROM outcome_event e
        WHERE e.referral_id = s.id
          AND e.state IN ({counted})
          AND e.event_type IN ({next_steps})
          AND NOT e.pre_dates_referral
          AND e.event_date >= s.referred_on
          AND e.event_date > s.started_on
          AND e.event_date <= s.started_on + CAST(:horizon AS integer)
          AND CASE WHEN e.rung IS NOT NULL AND s.current_rung IS NOT NULL
                   THEN array_position({ladder}, e.rung::text)
                        > array_position({ladder}, s.current_rung::text)
                   ELSE e.event_type NOT IN ({rung_required}) END
          AND (e.end_date IS NULL OR e.end_date >= e.event_date + (CAST(:persistence AS integer) - 1))
    ) AS step_persisted_on
    FROM s
),
d AS (
    -- What each month end adds, per position of the table.
    SELECT GROUPING({used}) AS g, {key_cols}, v.m,
           sum(v.ds) AS ds, sum(v.dm) AS dm, sum(v.dn) AS dn, sum(v.dq) AS dq
    FROM t {unnest}
    CROSS JOIN LATERAL (VALUES
        (t.start_m, 1, 0, 0, 0),
        (t.mature_m, 0, 1, t.neutral::int, 0),
        (CASE WHEN NOT t.neutral AND t.step_persisted_on IS NOT NULL
              THEN {qualify_m} END, 0, 0, 0, 1)
    ) AS v(m, ds, dm, dn, dq)
    WHERE v.m IS NOT NULL AND v.m <= CAST(:last AS date)
    GROUP BY GROUPING SETS ({sets})
)
SELECT * FROM d ORDER BY d.m
"""


def _sql(by: tuple[Dimension, ...], sets: list[tuple[int, ...]]) -> str:
    """The statement for some of a table's groupings (sets of indexes into ``by``, which is not empty)."""
    keys = [_KEY_SQL[d].replace("c.", "t.") for d in by]
    used = sorted({i for s in sets for i in s})
    return _SERIES.format(
        **_cte_values(),
        start_m=_MONTH_END.format(d="s.started_on"),
        mature_m=_MONTH_END.format(d="s.started_on + CAST(:horizon AS integer)"),
        qualify_m=_MONTH_END.format(
            d="greatest(t.step_persisted_on, t.started_on + CAST(:horizon AS integer))"
        ),
        used=", ".join(keys[i] for i in used) or "1",
        key_cols=", ".join(f"{keys[i] if i in used else 'NULL::text'} AS k{i}" for i in range(len(by))),
        unnest=(
            "CROSS JOIN LATERAL unnest(t.target_groups) AS tg(target_group)"
            if any(by[i] is Dimension.TARGET_GROUP for i in used)
            else ""
        ),
        sets=", ".join("(" + ", ".join([*(keys[i] for i in s), "v.m"]) + ")" for s in sets),
    )


def _groupings(by: tuple[Dimension, ...]) -> list[tuple[int, ...]]:
    """The table's groupings in the order the old assembly wrote them: cells, total, then the margins."""
    return [(0, 1), (), (0,), (1,)] if len(by) == 2 else [(0,), ()]


def month_series(
    session: Session,
    *,
    dps_id: uuid.UUID,
    by: tuple[Dimension, ...],
    cutoffs: Sequence[date],
    config: FlowThroughConfig = DEFAULT_CONFIG,
) -> dict[date, dict[Position, Counts]]:
    """Every position's counts (cells, margins, total) at each of the given month ends."""
    tables: dict[date, dict[Position, Counts]] = {c: {} for c in cutoffs}
    if not cutoffs:
        return tables
    groupings = _groupings(by)
    found: dict[tuple[int, ...], dict[date, dict[Position, Counts]]] = {
        g: {c: {} for c in cutoffs} for g in groupings
    }
    # A participant in several target groups counts in each of their groups' cells but once in the
    # groupings without the target group: those cannot share the unnested rows.
    with_tg = [g for g in groupings if any(by[i] is Dimension.TARGET_GROUP for i in g)]
    batches = [b for b in ([g for g in groupings if g not in with_tg], with_tg) if b]
    params: dict[str, Any] = {
        "last": max(cutoffs),
        "horizon": config.horizon_days,
        "persistence": config.persistence_days,
        "dps_id": dps_id,
    }
    wanted = sorted(cutoffs)
    for batch in batches:
        used = sorted({i for g in batch for i in g})
        running: dict[tuple[tuple[int, ...], Position], list[int]] = {}
        rows = session.execute(text(_sql(by, batch)), params).mappings().all()
        at = 0
        for cutoff in wanted:  # rows come by month: add each month's part, then read the sums off
            while at < len(rows) and rows[at]["m"] <= cutoff:
                row = rows[at]
                grouping = _grouping_of(row["g"], used, batch)
                sums = running.setdefault((grouping, _position(row, by, grouping)), [0, 0, 0, 0])
                for i, name in enumerate(("ds", "dm", "dn", "dq")):
                    sums[i] += int(row[name])
                at += 1
            for (grouping, position), (starts, matured, neutral, qualified) in running.items():
                if starts:
                    found[grouping][cutoff][position] = Counts(starts, matured, neutral, qualified)
    for grouping in groupings:  # later groupings overwrite earlier ones at a shared position, as before
        for cutoff in wanted:
            tables[cutoff].update(found[grouping][cutoff])
    return tables


def _grouping_of(g: int, used: list[int], batch: list[tuple[int, ...]]) -> tuple[int, ...]:
    """The grouping of a result row from GROUPING()'s bits over the keys used (a set bit: not grouped)."""
    n = len(used)
    present = tuple(i for j, i in enumerate(used) if not (g >> (n - 1 - j)) & 1)
    if present not in batch:
        raise AssertionError(f"unexpected grouping {present}")
    return present


def _position(row: Any, by: tuple[Dimension, ...], grouping: tuple[int, ...]) -> Position:
    """A row's place in the table, as the table's assembly always placed it."""
    if grouping == ():
        return TOTAL
    if len(by) == 2 and grouping == (0, 1):
        return (row["k0"], row["k1"])
    if len(by) == 2:
        key = row[f"k{grouping[0]}"]
        return (key, None) if grouping == (0,) else (None, key)
    return (row["k0"], None)
