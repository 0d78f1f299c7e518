"""What the registry's history says for a forecast: outcome rates in the category and the buyer's tier mix."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import text
from sqlmodel import Session

from outcomes.flowthrough.queries import fetch_counts
from outcomes.flowthrough.reports import cell_from_counts
from outcomes.flowthrough.rules import Dimension
from outcomes.flowthrough.steps import DEFAULT_CONFIG

# An outcome counts once an officer or a register verified it (payable and paid came after verification).
COUNTED_STATES = ("verified", "payable", "paid")
MIX_WINDOW_DAYS = 365
MIX_MIN_REFERRALS = 20

_OUTCOME_COUNTS = text(
    """
    SELECT count(*) AS trials,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM outcome_event e
               WHERE e.referral_id = r.id AND e.event_type = ANY(:types) AND e.state = ANY(:states)
                 AND e.event_date <= r.started_on + :days
           )) AS successes
    FROM referral r JOIN contract c ON c.id = r.contract_id
    WHERE c.dps_id = :dps AND r.category_code = :category AND r.started_on IS NOT NULL
      AND r.started_on + :days <= :cutoff
    """
)

_TIER_COUNTS = text(
    """
    SELECT r.tier, r.partial_work_ability, count(*) AS n
    FROM referral r JOIN contract c ON c.id = r.contract_id
    WHERE c.authority_id = :authority AND r.referred_on > :since AND r.referred_on <= :until
    GROUP BY r.tier, r.partial_work_ability
    """
)


@dataclass(frozen=True)
class Counts:
    """Matured starts and those that reached the outcome within its window."""

    successes: int
    trials: int


def outcome_counts(
    session: Session,
    *,
    dps_id: uuid.UUID,
    category_code: str,
    event_types: tuple[str, ...],
    within_days: int,
    cutoff: date,
) -> Counts:
    """Starts in the category at least ``within_days`` old, and those with a verified outcome by then."""
    row = session.execute(
        _OUTCOME_COUNTS,
        {
            "types": list(event_types),
            "states": list(COUNTED_STATES),
            "days": within_days,
            "dps": dps_id,
            "category": category_code,
            "cutoff": cutoff,
        },
    ).one()
    return Counts(successes=int(row.successes), trials=int(row.trials))


def flow_through_counts(session: Session, *, dps_id: uuid.UUID, category_code: str, cutoff: date) -> Counts:
    """The category's pooled flow-through in the DPS, counted as the register counts it."""
    rows = fetch_counts(
        session, by=(Dimension.CATEGORY,), cutoff=cutoff, dps_id=dps_id, category_code=category_code
    )
    cells = [cell_from_counts(r, config=DEFAULT_CONFIG) for r in rows]
    return Counts(successes=sum(c.qualified for c in cells), trials=sum(c.denominator for c in cells))


@dataclass(frozen=True)
class TierCounts:
    """The buyer's referrals of the last year by tier, and those with partial work ability."""

    by_tier: dict[str, int]
    partial: int

    @property
    def total(self) -> int:
        """All referrals counted."""
        return sum(self.by_tier.values())


def recent_tier_counts(session: Session, *, authority_id: uuid.UUID, today: date) -> TierCounts:
    """The buying authority's referrals of the last 365 days by benefit-days tier at referral."""
    by_tier = {"T1": 0, "T2": 0, "T3": 0, "T4": 0}
    partial = 0
    rows = session.execute(
        _TIER_COUNTS,
        {"authority": authority_id, "since": today - timedelta(days=MIX_WINDOW_DAYS), "until": today},
    ).all()
    for tier, flag, n in rows:
        by_tier[tier] += int(n)
        partial += int(n) if flag else 0
    return TierCounts(by_tier=by_tier, partial=partial)
