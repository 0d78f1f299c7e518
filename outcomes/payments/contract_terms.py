"""The paying authority's contracts as the payment rules see them: terms, booking and snapshot."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from sqlmodel import Session, col, select

from minicompetition.award.models import Contract, ContractLot
from outcomes.payments.model import ContractTerms, PaymentModel, default_payment_model
from outcomes.payments.period_rules import cost_centre_of, terms_key, vat_code_of
from outcomes.payments.rows import LineContext
from outcomes.payments.trace import model_data
from outcomes.tracking.rules import EVENT_COMPONENTS, BenefitDaysTier, Category, PaymentComponent
from registry.models import Supplier

_INT_FIELDS = tuple(
    f.name for f in fields(PaymentModel) if f.name not in ("category", "shares_bp", "tier_multipliers_bp")
)


def payment_model_of(data: Mapping[str, Any], *, category: str) -> PaymentModel:
    """The contract's payment model (JSON copied at contracting) as the rules' dataclass, with defaults."""
    base = default_payment_model(category=Category(category))
    shares = tuple((PaymentComponent(c["code"]), int(c["share_bp"])) for c in data.get("components", []))
    tiers = tuple(
        (BenefitDaysTier(t), int(v)) for t, v in sorted(dict(data.get("tier_multipliers_bp", {})).items())
    )
    overrides: dict[str, Any] = {
        name: data[name] if name == "rule_version" else int(data[name])
        for name in _INT_FIELDS
        if name in data
    }
    return replace(
        base,
        shares_bp=shares or base.shares_bp,
        tier_multipliers_bp=tiers or base.tier_multipliers_bp,
        **overrides,
    )


@dataclass(frozen=True, kw_only=True)
class ContractSetup:
    """One contract of the paying authority, ready for the rules."""

    contract: Contract
    model: PaymentModel
    # unit price -> terms; a contract whose lots share one price has one terms keyed by its id.
    terms_by_price: Mapping[int, ContractTerms]
    lot_prices: Mapping[str, int]  # lot id -> unit price
    business_id: str
    supplier_name: str

    @property
    def paying_event_types(self) -> tuple[str, ...]:
        """Event types that earn a component with a positive share in this contract."""
        components = EVENT_COMPONENTS[Category(self.contract.category_code)]
        return tuple(
            sorted(
                kind.value
                for kind, component in components.items()
                if component is not None and (self.model.share_bp(component) or 0) > 0
            )
        )

    def context(self, *, period_id: uuid.UUID, lot_id: str | None) -> LineContext:
        """Where a line of this contract is stored and how finance books it."""
        return LineContext(
            period_id=str(period_id),
            contract_id=str(self.contract.id),
            supplier_id=str(self.contract.supplier_id),
            lot_id=lot_id,
            vat_code=vat_code_of(self.contract.payment_model),
            cost_centre=cost_centre_of(self.contract.payment_model, category=self.contract.category_code),
        )


def load_contracts(session: Session, *, authority_id: uuid.UUID) -> dict[str, ContractSetup]:
    """Every contract the authority pays, keyed by contract id."""
    contracts = session.exec(
        select(Contract).where(Contract.authority_id == authority_id).order_by(col(Contract.id))
    ).all()
    if not contracts:
        return {}
    ids = [c.id for c in contracts]
    lots: dict[uuid.UUID, list[ContractLot]] = {}
    for lot in session.exec(select(ContractLot).where(col(ContractLot.contract_id).in_(ids))):
        lots.setdefault(lot.contract_id, []).append(lot)
    suppliers = {
        s.id: s
        for s in session.exec(
            select(Supplier).where(col(Supplier.id).in_({c.supplier_id for c in contracts}))
        )
    }
    out: dict[str, ContractSetup] = {}
    for contract in contracts:
        model = payment_model_of(contract.payment_model, category=contract.category_code)
        own = lots.get(contract.id, [])
        prices = sorted({lot.unit_price_cents for lot in own})
        uniform = len(prices) <= 1
        terms = {}
        for price in prices:
            key = terms_key(contract_id=str(contract.id), unit_price_cents=price, uniform_price=uniform)
            # Lots at different prices each keep within their own awarded value (volume × price).
            awarded = (
                contract.value_ceiling_cents
                if uniform
                else sum(lot.volume * lot.unit_price_cents for lot in own if lot.unit_price_cents == price)
            )
            terms[price] = ContractTerms(
                contract_id=key, unit_price_cents=price, awarded_value_cents=awarded, model=model
            )
        supplier = suppliers[contract.supplier_id]
        out[str(contract.id)] = ContractSetup(
            contract=contract,
            model=model,
            terms_by_price=terms,
            lot_prices={str(lot.lot_id): lot.unit_price_cents for lot in own},
            business_id=supplier.business_id,
            supplier_name=supplier.name,
        )
    return out


def terms_index(setups: Mapping[str, ContractSetup]) -> dict[tuple[str, int], str]:
    """(contract id, unit price) -> terms key, for rebuilding running totals from stored lines."""
    return {
        (contract_id, price): terms.contract_id
        for contract_id, setup in setups.items()
        for price, terms in setup.terms_by_price.items()
    }


def snapshot(setups: Mapping[str, ContractSetup], *, authority: Mapping[str, str]) -> dict[str, Any]:
    """Names and terms as at closing: re-exports stay identical, and traces rebuild from the terms."""
    return {
        "authority": dict(authority),
        "terms": {
            terms.contract_id: {
                "unit_price_cents": terms.unit_price_cents,
                "awarded_value_cents": terms.awarded_value_cents,
                "model": model_data(terms.model),
            }
            for s in setups.values()
            for terms in s.terms_by_price.values()
        },
        "contracts": {
            contract_id: {
                "supplier_id": str(s.contract.supplier_id),
                "supplier_business_id": s.business_id,
                "supplier_name": s.supplier_name,
                "competition_id": str(s.contract.competition_id),
                "category": s.contract.category_code,
            }
            for contract_id, s in sorted(setups.items())
        },
    }


def snapshot_terms(frozen: Mapping[str, Any], *, terms_key: str) -> ContractTerms:
    """The terms a closed period computed with, read back from its snapshot."""
    data = frozen["terms"][terms_key]
    model = payment_model_of(data["model"], category=data["model"]["category"])
    return ContractTerms(
        contract_id=terms_key,
        unit_price_cents=data["unit_price_cents"],
        awarded_value_cents=data["awarded_value_cents"],
        model=model,
    )
