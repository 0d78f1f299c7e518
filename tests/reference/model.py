"""A plain, slow reference model of SPEC 4.5–4.6 over a history: what every period's lines must be.

Written apart from the product on purpose: it shares nothing with it but the history it reads. Its
state is a list of events, referrals and the lines written so far; every total is summed afresh from
those lines when needed. Amounts are exact fractions rounded half away from zero, once per amount.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

from tests.reference.history import (
    Close,
    Complete,
    End,
    Export,
    History,
    Refer,
    Reject,
    Report,
    Start,
    Verify,
    VerifyExit,
    Void,
    month_end,
)

SHARE = {
    "service_start": 3000,
    "employment_start": 1500,
    "employed_3_months": 2500,
    "employed_6_months": 3000,
}
COMPONENT = {
    "service_start": "start",
    "employment_start": "outcome_a",
    "employed_3_months": "outcome_b",
    "employed_6_months": "outcome_c",
}
MULTIPLIER = {"T1": 7500, "T2": 10_000, "T3": 12_000, "T4": 14_000}
NEXT_STEPS = ("employment_start", "self_employment_start", "studies_started", "next_service_step")
STANDING = ("payable", "paid")
COUNTED = ("verified", "payable", "paid")
TARGET = Fraction(8, 10)


def half_up(x: Fraction) -> int:
    """Round an exact amount to whole cents, halves away from zero."""
    if x < 0:
        return -half_up(-x)
    return math.floor(x + Fraction(1, 2))


@dataclass
class Event:
    name: str
    ref: int
    kind: str
    on: date
    episode: date
    state: str = "reported"
    verified_at: datetime | None = None


@dataclass
class Referral:
    ref: int
    person: int
    contract: int
    referred: date
    start: date | None = None
    end_reason: str | None = None
    ended_on: date | None = None
    exit_verified: bool = False


@dataclass
class Line:
    period: tuple[int, int]
    contract: int
    person: int
    ref: int
    event: str
    kind: str
    component: str
    status: str
    amount: int
    unpaid: int
    committed: int
    key: tuple[int, str, date] | None = None
    corrected: bool = False


@dataclass
class Model:
    """The reference model's state while it reads a history."""

    history: History
    events: dict[str, Event] = field(default_factory=dict)
    referrals: dict[int, Referral] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    closed: set[int] = field(default_factory=set)  # completed contracts
    settled: dict[str, tuple[Fraction, Fraction]] = field(default_factory=dict)  # start event -> ratio, rate

    # --- reading the history ---------------------------------------------------------------------

    def run(self) -> Model:
        for action in self.history.actions:
            self.apply(action)
        return self

    def apply(self, action: object) -> None:
        if isinstance(action, Refer):
            self.referrals[action.ref] = Referral(
                action.ref, action.person, action.contract, action.at.date()
            )
        elif isinstance(action, Start):
            self.referrals[action.ref].start = action.on
            self.events[f"s{action.ref}"] = Event(
                f"s{action.ref}", action.ref, "service_start", action.on, action.on
            )
        elif isinstance(action, Report):
            self.events[action.event] = Event(
                action.event,
                action.ref,
                action.kind,
                action.on,
                self.episode(action.ref, action.kind, action.on),
            )
        elif isinstance(action, Verify):
            self.events[action.event].state, self.events[action.event].verified_at = "verified", action.at
        elif isinstance(action, Reject):
            self.events[action.event].state = "rejected"
        elif isinstance(action, Void):
            event = self.events[action.event]
            event.state = "awaiting_clawback" if event.state == "paid" else "voided"
        elif isinstance(action, End):
            referral = self.referrals[action.ref]
            referral.end_reason, referral.ended_on = action.reason, action.on
        elif isinstance(action, VerifyExit):
            self.referrals[action.ref].exit_verified = True
        elif isinstance(action, Complete):
            self.closed.add(action.contract)
        elif isinstance(action, Close):
            self.close(action.year, action.month)
        elif isinstance(action, Export):
            self.export((action.year, action.month))

    def episode(self, ref: int, kind: str, on: date) -> date:
        """A sustainment outcome belongs to its referral's latest verified job start; others to their date."""
        if kind not in ("employed_3_months", "employed_6_months"):
            return on
        jobs = [
            e
            for e in self.events.values()
            if e.ref == ref and e.kind == "employment_start" and e.state in COUNTED and e.on <= on
        ]
        return max(jobs, key=lambda e: e.on).episode

    # --- helpers over the state ------------------------------------------------------------------

    def person(self, ref: int) -> int:
        return self.referrals[ref].person

    def price(self, ref: int) -> int:
        referral = self.referrals[ref]
        lot = self.history.people[referral.person].lot
        return self.history.contracts[referral.contract].prices[lot]

    def multiplier(self, ref: int) -> int:
        spec = self.history.people[self.person(ref)]
        return min(MULTIPLIER[spec.tier] + (2000 if spec.partial else 0), 18_000)

    def committed(self, contract: int, person: int | None = None) -> int:
        return sum(
            line.committed
            for line in self.lines
            if line.contract == contract and (person is None or line.person == person)
        )

    def add(self, line: Line) -> None:
        if line.amount or line.unpaid:
            self.lines.append(line)

    # --- a close ---------------------------------------------------------------------------------

    def close(self, year: int, month: int) -> None:
        cutoff = month_end(year, month)
        period = (year, month)
        moving = [
            e for e in self.events.values() if e.state == "verified" and e.on <= cutoff and e.kind in SHARE
        ]
        for event in sorted(moving, key=lambda e: (e.verified_at, e.on)):
            event.state = "payable"
            self.event_lines(event, period)
        self.corrections(period)
        for contract in range(len(self.history.contracts)):
            self.settle(contract, cutoff, period)

    def event_lines(self, event: Event, period: tuple[int, int]) -> None:
        ref, referral = event.ref, self.referrals[event.ref]
        contract, person = referral.contract, referral.person
        price, mult = self.price(ref), self.multiplier(ref)
        gross = half_up(Fraction(price * SHARE[event.kind] * mult, 10**8))
        cap = half_up(Fraction(price * self.history.contracts[contract].participant_cap_bp * mult, 10**8))
        component = COMPONENT[event.kind]
        key = None if component == "start" else (person, component, event.episode)
        held = key is not None and any(
            line.kind == "outcome"
            and line.key == key
            and not line.corrected
            and self.events[line.event].state in STANDING
            for line in self.lines
        )
        person_room = max(0, cap - self.committed(contract, person))
        contract_room = max(0, self.history.contracts[contract].ceiling - self.committed(contract))
        after_person = 0 if held else min(gross, person_room)
        allowed = min(after_person, contract_room)
        common = {"period": period, "contract": contract, "person": person, "ref": ref, "event": event.name}
        if allowed and component == "start":
            # 90 / 10 by largest remainder: floors, a leftover cent to the larger remainder (paid on a tie).
            to_pay, to_hold = Fraction(allowed * 9, 10), Fraction(allowed, 10)
            paid, withheld = math.floor(to_pay), math.floor(to_hold)
            if paid + withheld < allowed:
                if to_pay - paid >= to_hold - withheld:
                    paid += 1
                else:
                    withheld += 1
            self.add(
                Line(
                    **common,
                    kind="start_fee",
                    component=component,
                    status="payable",
                    amount=paid,
                    unpaid=0,
                    committed=paid,
                )
            )
            self.add(
                Line(
                    **common,
                    kind="start_fee_withheld",
                    component=component,
                    status="withheld",
                    amount=withheld,
                    unpaid=0,
                    committed=withheld,
                )
            )
        elif allowed:
            self.add(
                Line(
                    **common,
                    kind="outcome",
                    component=component,
                    status="payable",
                    amount=allowed,
                    unpaid=0,
                    committed=allowed,
                    key=key,
                )
            )
        refused = gross if held else gross - after_person
        self.add(
            Line(
                **common,
                kind="ineligible",
                component=component,
                status="not_payable",
                amount=0,
                unpaid=refused,
                committed=0,
            )
        )
        self.add(
            Line(
                **common,
                kind="ineligible",
                component=component,
                status="not_payable",
                amount=0,
                unpaid=after_person - allowed,
                committed=0,
            )
        )
        start = f"s{ref}"
        if component != "start" and allowed and start in self.settled and self.settled[start][1] > 0:
            self.bonus(event.name, ref, allowed, self.settled[start][1], period)

    def bonus(self, event: str, ref: int, fee: int, rate: Fraction, period: tuple[int, int]) -> None:
        referral = self.referrals[ref]
        contract, person = referral.contract, referral.person
        value = half_up(fee * rate)
        cap_bp = self.history.contracts[contract].participant_cap_bp
        cap = half_up(Fraction(self.price(ref) * cap_bp * self.multiplier(ref), 10**8))
        after_person = min(value, max(0, cap - self.committed(contract, person)))
        allowed = min(
            after_person, max(0, self.history.contracts[contract].ceiling - self.committed(contract))
        )
        common = {
            "period": period,
            "contract": contract,
            "person": person,
            "ref": ref,
            "event": event,
            "component": "bonus",
        }
        self.add(Line(**common, kind="bonus", status="payable", amount=allowed, unpaid=0, committed=allowed))
        self.add(
            Line(
                **common,
                kind="ineligible",
                status="not_payable",
                amount=0,
                unpaid=value - allowed,
                committed=0,
            )
        )

    def corrections(self, period: tuple[int, int]) -> None:
        for line in list(self.lines):
            state = self.events[line.event].state
            if (
                line.corrected
                or state not in ("voided", "awaiting_clawback")
                or line.kind not in ("start_fee", "start_fee_withheld", "outcome", "bonus")
                or line.amount == 0
            ):
                continue
            line.corrected = True
            kind = "clawback" if state == "awaiting_clawback" else "correction"
            if line.kind == "start_fee_withheld" and line.event in self.settled:
                taken = half_up(
                    line.amount * self.settled[line.event][0]
                )  # only what the settlement released
                status, amount, committed = "payable", -taken, -taken
            else:
                status, amount, committed = line.status, -line.amount, -line.committed
            self.lines.append(
                Line(
                    period=period,
                    contract=line.contract,
                    person=line.person,
                    ref=line.ref,
                    event=line.event,
                    kind=kind,
                    component=line.component,
                    status=status,
                    amount=amount,
                    unpaid=0,
                    committed=committed,
                )
            )

    def export(self, period: tuple[int, int]) -> None:
        for line in self.lines:
            if line.period != period:
                continue
            event = self.events[line.event]
            if (
                line.kind in ("start_fee", "start_fee_withheld", "outcome")
                and line.amount > 0
                and event.state == "payable"
            ):
                event.state = "paid"
            if line.kind == "clawback" and event.state == "awaiting_clawback":
                event.state = "clawed_back"

    # --- the flow-through settlement -------------------------------------------------------------

    def settle(self, contract: int, cutoff: date, period: tuple[int, int]) -> None:
        starts = []
        for name, event in self.events.items():
            referral = self.referrals[event.ref]
            if event.kind != "service_start" or referral.contract != contract or name in self.settled:
                continue
            kinds = [line.kind for line in self.lines if line.event == name]
            if event.state in STANDING and ("start_fee" in kinds or "start_fee_withheld" in kinds):
                starts.append(event)
        for cohort in self.plan(contract, starts, cutoff):
            self.settle_cohort(contract, cohort, cutoff, period)

    def plan(self, contract: int, starts: list[Event], cutoff: date) -> list[list[Event]]:
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

    def verdict(self, ref: int, ft_cutoff: date) -> str:
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

    def settle_cohort(
        self, contract: int, cohort: list[Event], cutoff: date, period: tuple[int, int]
    ) -> None:
        ft_cutoff = cutoff - timedelta(days=35)
        verdicts = [self.verdict(e.ref, ft_cutoff) for e in cohort]
        counted = [v for v in verdicts if v != "neutral"]
        if not counted:
            return
        ft = Fraction(counted.count("qualified"), len(counted))
        ratio = min(Fraction(1), ft / TARGET)
        rate = (
            min(Fraction(1, 10), Fraction(1, 10) * (ft - TARGET) / (1 - TARGET))
            if ft > TARGET
            else Fraction(0)
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


def expected_lines(history: History) -> dict[tuple[int, int, str, str, tuple[int, int]], tuple[int, int]]:
    """(person, contract, component, kind, period) -> (Σ amount, Σ unpaid) of the model's lines."""
    totals: dict[tuple[int, int, str, str, tuple[int, int]], tuple[int, int]] = {}
    for line in Model(history).run().lines:
        key = (line.person, line.contract, line.component, line.kind, line.period)
        amount, unpaid = totals.get(key, (0, 0))
        totals[key] = (amount + line.amount, unpaid + line.unpaid)
    return totals


def expected_states(history: History) -> dict[str, str]:
    """Each event's state at the end of the history."""
    return {name: event.state for name, event in Model(history).run().events.items()}
