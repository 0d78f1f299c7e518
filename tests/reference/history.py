"""Event histories of a ring's EMPLOYMENT contracts: what happens, to whom and when; and a random generator.

A history is the input of both the real close (``harness``) and the reference model (``model``). Every
action carries the moment it happens; the generator only produces actions the services accept, and gives
every verification its own moment, so that "first verified, first paid" never needs a tie-break.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

LOTS = {"LAHTI": "398", "PH": "098"}  # lot code -> the home municipality its participants have here
TIERS = ("T1", "T2", "T3", "T4")
MONTHS = 12  # the history's months: January to December of YEAR, each closed early the next month
YEAR = 2025


@dataclass(frozen=True)
class ContractSpec:
    """An EMPLOYMENT contract: its two lots' unit prices, its value ceiling and its participant cap."""

    prices: dict[str, int]
    ceiling: int
    participant_cap_bp: int = 12_000  # × P × the participant's multiplier (lower caps bind more often)


@dataclass(frozen=True)
class PersonSpec:
    """A participant: the tier and flag recorded at each referral, and the lot that serves their home."""

    n: int
    tier: str
    partial: bool
    lot: str


@dataclass(frozen=True)
class Action:
    """Something that happens at a moment."""

    at: datetime


@dataclass(frozen=True)
class Refer(Action):
    ref: int
    person: int
    contract: int


@dataclass(frozen=True)
class Start(Action):
    ref: int
    on: date  # the start event is named "s<ref>"


@dataclass(frozen=True)
class Report(Action):
    event: str
    ref: int
    kind: str
    on: date


@dataclass(frozen=True)
class Verify(Action):
    event: str


@dataclass(frozen=True)
class Reject(Action):
    event: str


@dataclass(frozen=True)
class Void(Action):
    event: str


@dataclass(frozen=True)
class End(Action):
    ref: int
    reason: str  # completed · interrupted · neutral_exit
    on: date


@dataclass(frozen=True)
class VerifyExit(Action):
    ref: int


@dataclass(frozen=True)
class Close(Action):
    year: int
    month: int  # closed and approved at ``at``


@dataclass(frozen=True)
class Export(Action):
    year: int
    month: int  # the period's export confirmed: its events paid, its clawbacks done


@dataclass(frozen=True)
class Complete(Action):
    contract: int


@dataclass
class History:
    """Contracts, people and the actions in time order."""

    contracts: list[ContractSpec]
    people: list[PersonSpec]
    actions: list[Action] = field(default_factory=list)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def plus_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class _Clock:
    """Distinct moments: each action on a day gets its own second, so no two verifications tie."""

    def __init__(self) -> None:
        self.used: set[datetime] = set()

    def at(self, day: date, rng: random.Random, after: datetime | None = None) -> datetime:
        moment = datetime.combine(day, time(7), tzinfo=UTC) + timedelta(seconds=rng.randrange(36_000))
        if after is not None and moment <= after:
            moment = after + timedelta(seconds=rng.randint(1, 600))
        while moment in self.used:
            moment += timedelta(seconds=1)
        self.used.add(moment)
        return moment


@dataclass
class _Referral:
    ref: int
    person: PersonSpec
    contract: int
    referred: date
    start: date
    events: list[tuple[str, str, date]] = field(default_factory=list)  # standing claims: (event, kind, date)
    claimed: int = 0  # claims reported at all, whatever became of them
    free_from: date = date(YEAR, 1, 1)  # the next referral of the person may come after this day
    started_at: datetime = datetime(YEAR, 1, 1, tzinfo=UTC)


def generate(rng: random.Random, *, big: bool | None = None) -> History:
    """A random history: 2–3 contracts, up to ~30 people, a year of events and monthly closes."""
    big = rng.random() < 0.25 if big is None else big
    contracts = [
        ContractSpec(
            prices={"LAHTI": rng.randrange(150_000, 300_001, 7), "PH": rng.randrange(150_000, 300_001, 11)},
            ceiling=rng.choice((rng.randrange(300_000, 2_000_000), 100_000_000)),
            participant_cap_bp=rng.choice((12_000, 12_000, 6_000, 4_500)),
        )
        for _ in range(rng.randint(2, 3))
    ]
    count = rng.randint(21, 28) if big else rng.randint(3, 14)
    people = [
        PersonSpec(n=i, tier=rng.choice(TIERS), partial=rng.random() < 0.2, lot=rng.choice(tuple(LOTS)))
        for i in range(count)
    ]
    history = History(contracts=contracts, people=people)
    clock = _Clock()
    counter = iter(range(10**6))
    refs = iter(range(10**6))
    # A big history crowds one contract in one quarter so a cohort reaches 20 starts.
    quarter = rng.choice((1, 2))
    # Most often 60 % find a job; sometimes 90 %, so that cohorts beat the target and earn a bonus.
    job_rate = rng.choice((0.6, 0.9, 0.95))
    for person in people:
        first_day = date(YEAR, 3 * (quarter - 1) + 1, 1) + timedelta(days=rng.randrange(85)) if big else None
        contract = 0 if big else None
        _person_history(rng, history, clock, counter, refs, person, contract, first_day, job_rate)
    for month in range(1, MONTHS + 1):
        close_day = month_end(YEAR, month) + timedelta(days=rng.randint(2, 6))
        closed = clock.at(close_day, rng)
        history.actions.append(Close(at=closed, year=YEAR, month=month))
        # Confirmed the same day or up to a fortnight later: a void between is a correction, not a clawback.
        exported = clock.at(close_day + timedelta(days=rng.choice((0, 0, 3, 14))), rng, after=closed)
        history.actions.append(Export(at=exported, year=YEAR, month=month))
    for index in range(len(contracts)):
        if rng.random() < 0.3:
            # After the contract's last referral (an ended contract takes no new one).
            referred = [a.at.date() for a in history.actions if isinstance(a, Refer) and a.contract == index]
            ends = max(referred, default=date(YEAR, 1, 1)) + timedelta(days=rng.randint(1, 60))
            if ends <= date(YEAR, 12, 31):
                history.actions.append(Complete(at=clock.at(ends, rng), contract=index))
    history.actions.sort(key=lambda a: a.at)
    return history


def _person_history(
    rng: random.Random,
    history: History,
    clock: _Clock,
    counter: object,
    refs: object,
    person: PersonSpec,
    contract: int | None,
    first_day: date | None,
    job_rate: float,
) -> None:
    """One or two referrals of a person in turn, on random contracts (the second after the first ends)."""
    day = first_day or date(YEAR, 1, 1) + timedelta(days=rng.randrange(250))
    if contract is None and len(history.contracts) > 1 and rng.random() < 0.25:
        _same_job_twice(rng, history, clock, counter, refs, person, day)
        return
    for _ in range(1 if rng.random() < 0.7 else 2):
        chosen = contract if contract is not None else rng.randrange(len(history.contracts))
        referral = _referral(rng, history, clock, counter, refs, person, chosen, day, job_rate)
        day = referral.free_from + timedelta(days=rng.randint(1, 10))
        if day > date(YEAR, 11, 15):
            return


def _same_job_twice(
    rng: random.Random,
    history: History,
    clock: _Clock,
    counter: object,
    refs: object,
    person: PersonSpec,
    day: date,
) -> None:
    """A referral completed early and the next one on another contract both claim the same job."""
    acts = history.actions
    first, second = rng.sample(range(len(history.contracts)), 2)
    earlier = _begin(rng, acts, clock, refs, person, first, day)
    ended = earlier.start + timedelta(days=rng.randint(1, 5))
    acts.append(
        End(at=clock.at(ended, rng, after=earlier.started_at), ref=earlier.ref, reason="completed", on=ended)
    )
    later = _begin(rng, acts, clock, refs, person, second, ended + timedelta(days=rng.randint(1, 5)))
    job = later.start + timedelta(days=rng.randint(3, 60))
    _claim(rng, acts, clock, counter, earlier, "employment_start", job)
    claimed = _claim(rng, acts, clock, counter, later, "employment_start", job)
    if claimed is not None:
        _sustainment(rng, acts, clock, counter, later, claimed)


def _begin(
    rng: random.Random,
    acts: list[Action],
    clock: _Clock,
    refs: object,
    person: PersonSpec,
    contract: int,
    day: date,
) -> _Referral:
    """Refer and start; the officer verifies the start (or, rarely, rejects it, or later voids it)."""
    ref = next(refs)  # type: ignore[call-overload]
    start = day + timedelta(days=rng.randint(0, 5))
    referred = clock.at(day, rng)
    started = clock.at(start, rng, after=referred)
    acts.append(Refer(at=referred, ref=ref, person=person.n, contract=contract))
    acts.append(Start(at=started, ref=ref, on=start))
    roll = rng.random()
    decided = clock.at(start + timedelta(days=rng.randint(0, 40)), rng, after=started)
    if roll < 0.05:
        acts.append(Reject(at=decided, event=f"s{ref}"))
    else:
        acts.append(Verify(at=decided, event=f"s{ref}"))
        if roll > 0.95:
            voided = clock.at(decided.date() + timedelta(days=rng.randint(1, 200)), rng, after=decided)
            acts.append(Void(at=voided, event=f"s{ref}"))
    return _Referral(ref=ref, person=person, contract=contract, referred=day, start=start, started_at=started)


def _referral(
    rng: random.Random,
    history: History,
    clock: _Clock,
    counter: object,
    refs: object,
    person: PersonSpec,
    contract: int,
    day: date,
    job_rate: float,
) -> _Referral:
    acts = history.actions
    referral = _begin(rng, acts, clock, refs, person, contract, day)
    last = referral.start
    if rng.random() < job_rate:
        job = _claim(
            rng,
            acts,
            clock,
            counter,
            referral,
            "employment_start",
            referral.start + timedelta(days=rng.randint(5, 100)),
        )
        if job is not None:
            _sustainment(rng, acts, clock, counter, referral, job)
    if rng.random() < 0.2:
        _claim(
            rng,
            acts,
            clock,
            counter,
            referral,
            "studies_started",
            referral.start + timedelta(days=rng.randint(1, 90)),
        )
    last = max([last, *(d for _, _, d in referral.events)])
    _end(rng, acts, clock, referral, last)
    return referral


def _claim(
    rng: random.Random,
    acts: list[Action],
    clock: _Clock,
    counter: object,
    referral: _Referral,
    kind: str,
    on: date,
) -> tuple[str, date, datetime] | None:
    """A supplier's claim, then the officer's decision (verified mostly, sometimes later, rarely rejected)."""
    if on > date(YEAR, 12, 31):
        return None
    event = f"e{next(counter)}"  # type: ignore[call-overload]
    reported = clock.at(on + timedelta(days=rng.randint(0, 10)), rng, after=referral.started_at)
    acts.append(Report(at=reported, event=event, ref=referral.ref, kind=kind, on=on))
    referral.claimed += 1
    if rng.random() < 0.05:
        acts.append(
            Reject(at=clock.at(reported.date() + timedelta(days=1), rng, after=reported), event=event)
        )
        return None
    verified = clock.at(reported.date() + timedelta(days=rng.randint(1, 45)), rng, after=reported)
    acts.append(Verify(at=verified, event=event))
    referral.events.append((event, kind, on))
    if rng.random() < 0.1:
        # Voided: before payment, after the close or after the export, as the moment falls.
        voided = clock.at(verified.date() + timedelta(days=rng.randint(1, 120)), rng, after=verified)
        acts.append(Void(at=voided, event=event))
        if kind == "employment_start" and rng.random() < 0.6:
            # The correct claim of the same job, made again after the void (and the clawback, if paid).
            again = clock.at(voided.date() + timedelta(days=rng.randint(40, 80)), rng, after=voided)
            if again.date() <= date(YEAR, 12, 31):
                redo = f"e{next(counter)}"  # type: ignore[call-overload]
                acts.append(Report(at=again, event=redo, ref=referral.ref, kind=kind, on=on))
                redone = clock.at(again.date() + timedelta(days=rng.randint(1, 10)), rng, after=again)
                acts.append(Verify(at=redone, event=redo))
                referral.events.append((redo, kind, on))
        return None  # a voided job start sustains nothing
    return event, on, verified


def _sustainment(
    rng: random.Random,
    acts: list[Action],
    clock: _Clock,
    counter: object,
    referral: _Referral,
    job: tuple[str, date, datetime],
) -> None:
    """3 and 6 months employed, each inside its window and reported after the job start is verified."""
    _, job_day, verified = job
    for kind, months, probability in (("employed_3_months", 3, 0.5), ("employed_6_months", 6, 0.4)):
        if rng.random() >= probability:
            return
        on = plus_months(job_day, months) + timedelta(days=rng.randint(0, 20))
        if on > date(YEAR, 12, 31):
            return
        event = f"e{next(counter)}"  # type: ignore[call-overload]
        reported = clock.at(max(on, verified.date() + timedelta(days=1)), rng, after=verified)
        if reported.date() > date(YEAR, 12, 31):
            return
        acts.append(Report(at=reported, event=event, ref=referral.ref, kind=kind, on=on))
        checked = clock.at(reported.date() + timedelta(days=rng.randint(0, 30)), rng, after=reported)
        acts.append(Verify(at=checked, event=event))
        referral.events.append((event, kind, on))


def _end(rng: random.Random, acts: list[Action], clock: _Clock, referral: _Referral, last: date) -> None:
    """Completed after its last event, or a neutral exit (reported in time, verified or not), or left open."""
    roll = rng.random()
    if roll < 0.12 and not referral.claimed:
        on = referral.start + timedelta(days=rng.randint(1, 80))
        reported = clock.at(on + timedelta(days=rng.randint(0, 25)), rng, after=referral.started_at)
        acts.append(End(at=reported, ref=referral.ref, reason="neutral_exit", on=on))
        if rng.random() < 0.6:
            checked = clock.at(reported.date() + timedelta(days=rng.randint(0, 30)), rng, after=reported)
            acts.append(VerifyExit(at=checked, ref=referral.ref))
        referral.free_from = reported.date()
    elif roll < 0.7:
        on = max(last, referral.start) + timedelta(days=rng.randint(0, 10))
        # After every report of the referral: a completed referral may still get its outcomes afterwards.
        reported = clock.at(on + timedelta(days=rng.randint(0, 5)), rng, after=referral.started_at)
        acts.append(End(at=reported, ref=referral.ref, reason="completed", on=on))
        referral.free_from = reported.date()
    else:
        referral.free_from = date(YEAR + 1, 1, 1)
