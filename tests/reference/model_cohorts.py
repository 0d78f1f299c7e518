"""The reference model's flow-through settlement: quarterly cohorts, release and malus, bonus per fee."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING

from tests.reference.model_types import COUNTED, NEXT_STEPS, STANDING, TARGET, Event, Line, half_up

if TYPE_CHECKING:
    from tests.reference.model import Model


def settle(self: Model, contract: int, cutoff: date, period: tuple[int, int]) -> None:
    """Settle every settleable cohort of a contract's unsettled standing starts."""
    starts = []
    for name, event in self.events.items():
        referral = self.referrals[event.ref]
        if event.kind != "service_start" or referral.contract != contract or name in self.settled:
            continue
        kinds = [line.kind for line in self.lines if line.event == name]
        if event.state in STANDING and ("start_fee" in kinds or "start_fee_withheld" in kinds):
            starts.append(event)
    for cohort in plan(self, contract, starts, cutoff):
        settle_cohort(self, contract, cohort, cutoff, period)


def plan(self: Model, contract: int, starts: list[Event], cutoff: date) -> list[list[Event]]:
    """Settleable cohorts: quarters of starts, small matured ones carried forward into the next."""
    quarters: dict[tuple[int, int], list[Event]] = defaultdict(list)
    for event in starts:
        quarters[(event.on.year, (event.on.month - 1) // 3)].append(event)
    closed = contract in self.closed
    ready, pending = [], []
    for quarter in sorted(quarters):
        members = quarters[quarter]
        if max(e.on for e in members) + timedelta(days=125) > cutoff:
            if pending and closed:
                ready.append(pending)
            return ready
        pending = pending + members
        if len(pending) >= 20:
            ready.append(pending)
            pending = []
    if pending and closed:
        ready.append(pending)
    return ready


def verdict(self: Model, ref: int, ft_cutoff: date) -> str:
    """A start's flow-through at the cut-off: neutral, qualified or not qualified."""
    referral = self.referrals[ref]
    start = referral.start
    assert start is not None
    window_end = start + timedelta(days=90)
    if (
        referral.end_reason == "neutral_exit"
        and referral.exit_verified
        and referral.ended_on is not None
        and referral.ended_on <= window_end
    ):
        return "neutral"
    for event in self.events.values():
        if (
            event.ref == ref
            and event.kind in NEXT_STEPS
            and event.state in COUNTED
            and referral.referred <= event.on
            and start < event.on <= window_end
            and (ft_cutoff - event.on).days + 1 >= 30
        ):
            return "qualified"
    return "not_qualified"


def settle_cohort(self, contract: int, cohort: list[Event], cutoff: date, period: tuple[int, int]) -> None:
    ft_cutoff = cutoff - timedelta(days=35)
    verdicts = [verdict(self, e.ref, ft_cutoff) for e in cohort]
    counted = [v for v in verdicts if v != "neutral"]
    if not counted:
        return
    ft = Fraction(counted.count("qualified"), len(counted))
    ratio = min(Fraction(1), ft / TARGET)
    rate = (
        min(Fraction(1, 10), Fraction(1, 10) * (ft - TARGET) / (1 - TARGET)) if ft > TARGET else Fraction(0)
    )
    for event in cohort:
        withheld = sum(
            line.amount
            for line in self.lines
            if line.event == event.name and line.kind == "start_fee_withheld"
        )
        release = half_up(withheld * ratio)
        common = {
            "period": period,
            "contract": contract,
            "person": self.person(event.ref),
            "ref": event.ref,
            "event": event.name,
        }
        self.add(
            Line(
                **common,
                kind="withhold_release",
                component="withhold_release",
                status="payable",
                amount=release,
                unpaid=0,
                committed=0,
            )
        )
        self.add(
            Line(
                **common,
                kind="malus",
                component="malus",
                status="not_payable",
                amount=0,
                unpaid=withheld - release,
                committed=release - withheld,
            )
        )
    refs = {e.ref for e in cohort}
    fees = [
        line
        for line in self.lines
        if line.kind == "outcome"
        and line.ref in refs
        and not line.corrected
        and self.events[line.event].state in STANDING
    ]
    if rate > 0:
        for fee in fees:
            self.bonus(fee.event, fee.ref, fee.amount, rate, period)
    for event in cohort:
        self.settled[event.name] = (ratio, rate)
