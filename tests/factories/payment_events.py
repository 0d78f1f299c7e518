"""Hand-made inputs of the payment rules: people, contracts at one price, and their verified events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from outcomes.payments.ledger import BatchLines, Ledger, compute_lines
from outcomes.payments.lines import PaymentEvent
from outcomes.payments.model import ContractTerms, PaymentModel
from outcomes.tracking.rules import BenefitDaysTier, OutcomeEventType


@dataclass(frozen=True, kw_only=True)
class Person:
    """A participant as referred: home municipality, tier and the partial-work-ability flag."""

    pseudonym: str
    home_municipality_code: str
    tier: BenefitDaysTier
    partial_work_ability: bool = False


@dataclass(frozen=True, kw_only=True)
class Claim:
    """A verified event of a person on a contract; verified at noon of its date unless told otherwise."""

    contract_id: str
    pseudonym: str
    event_id: str
    event_type: OutcomeEventType
    on: date
    episode: str
    verified_at: datetime | None = None


@dataclass(frozen=True)
class Deal:
    """A contract whose lots share one unit price (the tests' usual case)."""

    terms: ContractTerms
    price: int

    @property
    def contract_id(self) -> str:
        return self.terms.contract_id


def deal(*, contract_id: str = "C1", price: int = 240_000, ceiling: int, model: PaymentModel) -> Deal:
    """Terms and the one price of a contract."""
    return Deal(ContractTerms(contract_id=contract_id, awarded_value_cents=ceiling, model=model), price)


def payment_events(
    deals: Sequence[Deal], people: Sequence[Person], claims: Iterable[Claim]
) -> list[PaymentEvent]:
    """The claims as the rules' inputs, each with its contract's price and its person's snapshot."""
    price = {d.contract_id: d.price for d in deals}
    by_pseudonym = {p.pseudonym: p for p in people}
    out = []
    for claim in claims:
        person = by_pseudonym[claim.pseudonym]
        out.append(
            PaymentEvent(
                event_id=claim.event_id,
                event_type=claim.event_type,
                event_date=claim.on,
                episode_id=claim.episode,
                verified_at=claim.verified_at or datetime.combine(claim.on, time(12), tzinfo=UTC),
                contract_id=claim.contract_id,
                lot_id=None,
                unit_price_cents=price[claim.contract_id],
                pseudonym=person.pseudonym,
                home_municipality_code=person.home_municipality_code,
                tier=person.tier,
                partial_work_ability=person.partial_work_ability,
            )
        )
    return out


def run(
    deals: Sequence[Deal], people: Sequence[Person], claims: Iterable[Claim], ledger: Ledger | None = None
) -> BatchLines:
    """The rules over the claims: the same fold a close runs."""
    return compute_lines(
        contracts=[d.terms for d in deals], events=payment_events(deals, people, claims), ledger=ledger
    )
