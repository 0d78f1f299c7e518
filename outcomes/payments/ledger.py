"""The payment rules folded over a batch of events: one computation for the close and for the tests.

A close's worker processes call ``run_events`` and turn each event's lines into COPY rows; the tests
call ``compute_lines``, which runs the same fold on a copy of the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from outcomes.payments.lines import OutcomeKey, PaymentEvent, PaymentLine, order_key
from outcomes.payments.model import ContractTerms, PaymentRuleError
from outcomes.payments.rules import EventLines, compute_event_lines


@dataclass
class Ledger:
    """Running totals the caps and the once-only rule need; a close rebuilds it from stored lines."""

    paid_keys: set[OutcomeKey] = field(default_factory=set)  # keys held by a standing paid claim
    claims: dict[OutcomeKey, int] = field(default_factory=dict)  # paid claims ever, reversed ones included
    participant_cents: dict[tuple[str, str], int] = field(default_factory=dict)  # (contract, pseudonym)
    contract_cents: dict[str, int] = field(default_factory=dict)

    def copy(self) -> Ledger:
        """An independent copy, so a computation never changes its caller's ledger."""
        return Ledger(
            paid_keys=set(self.paid_keys),
            claims=dict(self.claims),
            participant_cents=dict(self.participant_cents),
            contract_cents=dict(self.contract_cents),
        )


def run_events(
    *, contracts: Mapping[str, ContractTerms], events: Iterable[PaymentEvent], ledger: Ledger
) -> Iterator[tuple[PaymentEvent, EventLines]]:
    """Each event's lines in the rules' order (first verified first), updating ``ledger`` as it goes."""
    paid, claims = ledger.paid_keys, ledger.claims
    per_participant, per_contract = ledger.participant_cents, ledger.contract_cents
    for event in sorted(events, key=order_key):
        pair = (event.contract_id, event.pseudonym)
        result = compute_event_lines(
            contract=contracts[event.contract_id],
            event=event,
            participant_committed_cents=per_participant.get(pair, 0),
            contract_committed_cents=per_contract.get(event.contract_id, 0),
            paid_keys=paid,
            claims=claims,
        )
        if result.committed_cents:
            per_participant[pair] = per_participant.get(pair, 0) + result.committed_cents
            per_contract[event.contract_id] = per_contract.get(event.contract_id, 0) + result.committed_cents
        if result.paid_key is not None:
            paid.add(result.paid_key)
            claims[result.paid_key] = claims.get(result.paid_key, 0) + 1
        yield event, result


@dataclass(frozen=True, kw_only=True)
class BatchLines:
    """Lines of a batch of events and the ledger after them."""

    lines: tuple[PaymentLine, ...]
    ledger: Ledger


def compute_lines(
    *, contracts: Iterable[ContractTerms], events: Iterable[PaymentEvent], ledger: Ledger | None = None
) -> BatchLines:
    """Lines for many events in the rules' order, whatever the input order; leaves ``ledger`` as it was."""
    by_contract: dict[str, ContractTerms] = {}
    for terms in contracts:
        if terms.contract_id in by_contract:
            raise PaymentRuleError(f"contract {terms.contract_id} is given twice")
        by_contract[terms.contract_id] = terms
    events = list(events)
    if len({e.event_id for e in events}) != len(events):
        raise PaymentRuleError("event ids must be unique")
    running = Ledger() if ledger is None else ledger.copy()
    lines = [
        line
        for _, result in run_events(contracts=by_contract, events=events, ledger=running)
        for line in result.lines
    ]
    return BatchLines(lines=tuple(lines), ledger=running)
