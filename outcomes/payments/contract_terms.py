"""The paying authority's contracts as the payment rules see them: terms, booking and snapshot."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from sqlmodel import Session, col, select

from minicompetition.award.models import Contract, ContractLot
from outcomes.payments.model import ContractTerms, PaymentModel, default_payment_model
from outcomes.payments.period_rules import cost_centre_of, vat_code_of
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
    # One ceiling for the whole contract, whatever its lots' prices (each event carries its lot's price).
    terms: ContractTerms
    lot_ids: tuple[str, ...]
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
        supplier = suppliers[contract.supplier_id]
        out[str(contract.id)] = ContractSetup(
            contract=contract,
            model=model,
            terms=ContractTerms(
                contract_id=str(contract.id), awarded_value_cents=contract.value_ceiling_cents, model=model
            ),
            lot_ids=tuple(sorted(str(lot.lot_id) for lot in lots.get(contract.id, []))),
            business_id=supplier.business_id,
            supplier_name=supplier.name,
        )
    return out


def snapshot(setups: Mapping[str, ContractSetup], *, authority: Mapping[str, str]) -> dict[str, Any]:
    """Names and terms as at closing: re-exports stay identical, and traces rebuild from the terms."""
    return {
        "authority": dict(authority),
        "terms": {
            contract_id: {
                "awarded_value_cents": s.terms.awarded_value_cents,
                "model": model_data(s.terms.model),
            }
            for contract_id, s in sorted(setups.items())
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
    # Periods closed before rule version 2026.1 keyed a contract's terms by "<contract>@<price>" when its
    # lots' prices differed; the key the line's trace names finds them either way.
    data = frozen["terms"][terms_key]
    model = payment_model_of(data["model"], category=data["model"]["category"])
    return ContractTerms(contract_id=terms_key, awarded_value_cents=data["awarded_value_cents"], model=model)
