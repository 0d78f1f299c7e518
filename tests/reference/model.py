"""A plain, slow reference model of SPEC 4.5–4.6 over a history: what every period's lines must be.

Written apart from the product on purpose: it shares nothing with it but the history it reads. Its
state is a list of events, referrals and the lines written so far; every total is summed afresh from
those lines when needed. Amounts are exact fractions rounded half away from zero, once per amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

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
from tests.reference.model_cohorts import settle
from tests.reference.model_types import (
    COMPONENT,
    COUNTED,
    MULTIPLIER,
    SHARE,
    STANDING,
    Event,
    Line,
    Referral,
    half_up,
    ninety_ten,
)


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

    def line_maker(self, period: tuple[int, int], ref: int, event: str, component: str) -> Any:
        """A maker of this event's lines: kind, status, amount, unpaid, committed (and a key)."""
        referral = self.referrals[ref]

        def make(kind: str, status: str, amount: int, unpaid: int, committed: int, key: Any = None) -> Line:
            where = {"period": period, "contract": referral.contract, "person": referral.person}
            what = {"kind": kind, "component": component, "status": status}
            money = {"amount": amount, "unpaid": unpaid, "committed": committed}
            return Line(**where, ref=ref, event=event, **what, **money, key=key)

        return make

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
            settle(self, contract, cutoff, period)

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
        line = self.line_maker(period, ref, event.name, component)
        if allowed and component == "start":
            paid, withheld = ninety_ten(allowed)
            self.add(line("start_fee", "payable", paid, 0, paid))
            self.add(line("start_fee_withheld", "withheld", withheld, 0, withheld))
        elif allowed:
            self.add(line("outcome", "payable", allowed, 0, allowed, key=key))
        self.add(line("ineligible", "not_payable", 0, gross if held else gross - after_person, 0))
        self.add(line("ineligible", "not_payable", 0, after_person - allowed, 0))
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
        line = self.line_maker(period, ref, event, "bonus")
        self.add(line("bonus", "payable", allowed, 0, allowed))
        self.add(line("ineligible", "not_payable", 0, value - allowed, 0))

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
