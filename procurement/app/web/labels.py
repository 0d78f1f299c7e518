"""Names for the codes that reach pages as data: states, event types, components, categories, reasons.

Each code maps to an English label (the msgid), translated through the catalog like any other message,
so neither language ever shows a raw code such as `service_start` or `partially_admitted`.
`tests/web/test_labels.py` checks that every value of the domain's enums has a label here.
"""

from procurement.app.web.messages import N_

STATES = {
    # competition, DPS
    "draft": N_("draft"),
    "published": N_("published"),
    "closed": N_("closed"),
    "opened": N_("opened"),
    "evaluated": N_("evaluated"),
    "awarded": N_("awarded"),
    "concluded": N_("concluded"),
    "contracted": N_("concluded"),
    "unsuccessful": N_("unsuccessful"),
    "cancelled": N_("cancelled"),
    # bid
    "submitted": N_("submitted"),
    "needs_confirmation": N_("needs confirmation"),
    "withdrawn": N_("withdrawn"),
    "eligible": N_("eligible"),
    "ineligible": N_("ineligible"),
    # evaluation run
    "optimal": N_("optimal"),
    "infeasible": N_("infeasible"),
    "not_solved": N_("not solved"),
    # application and admission
    "pending": N_("pending"),
    "received": N_("received"),
    "extended": N_("extended"),
    "admitted": N_("admitted"),
    "partially_admitted": N_("partially admitted"),
    "rejected": N_("rejected"),
    "active": N_("active"),
    "suspended": N_("suspended"),
    "excluded": N_("excluded"),
    "admit": N_("admit"),
    "reject": N_("reject"),
    # award decision, contract
    "issued": N_("issued"),
    "delivered": N_("delivered"),
    "final": N_("final"),
    "completed": N_("completed"),
    "terminated": N_("terminated"),
    # referral
    "referred": N_("referred"),
    "started": N_("started"),
    "ended": N_("ended"),
    # outcome event
    "reported": N_("reported"),
    "verified": N_("verified"),
    "payable": N_("payable"),
    "paid": N_("paid"),
    "voided": N_("voided"),
    "awaiting_clawback": N_("awaiting clawback"),
    "clawed_back": N_("clawed back"),
    # payment period and line
    "open": N_("open"),
    "approved": N_("approved"),
    "exported": N_("exported"),
    "withheld": N_("withheld"),
    "not_payable": N_("not payable"),
}

EVENT_TYPES = {
    "service_start": N_("Service start"),
    "employment_start": N_("Job start"),
    "self_employment_start": N_("Self-employment start"),
    "employed_3_months": N_("Employed 3 months"),
    "employed_6_months": N_("Employed 6 months"),
    "studies_started": N_("Studies started (with a study right)"),
    "qualification_completed": N_("Qualification (part) completed"),
    "job_or_studies_within_180_days": N_("Job or further studies within 180 days"),
    "next_service_step": N_("Next service step"),
    "step_up_held_30_days": N_("Step up held 30 days"),
    "second_step_or_category_entry": N_("Second step or entry to category 1 or 2"),
}

COMPONENTS = {
    "start": N_("Start fee"),
    "outcome_a": N_("Outcome fee A"),
    "outcome_b": N_("Outcome fee B"),
    "outcome_c": N_("Outcome fee C"),
    # period lines and line kinds
    "start_fee": N_("Start fee"),
    "start_fee_withheld": N_("Start fee, withheld part"),
    "outcome": N_("Outcome fee"),
    "ineligible": N_("Not payable"),
    "withhold_release": N_("Release of withheld start fees"),
    "malus": N_("Malus (withheld and kept)"),
    "bonus": N_("Flow-through bonus"),
    "clawback": N_("Clawback"),
    "correction": N_("Correction"),
}

# The economic forecast's rates (outcomes/economics): what is measured and where the rate comes from.
MEASURES = {
    "outcome_a": N_("outcome A"),
    "outcome_b": N_("outcome B"),
    "outcome_c": N_("outcome C"),
    "flow_through": N_("flow-through"),
    "job_start": N_("job start"),
    "employed_3_months": N_("employed 3 months"),
    "employed_6_months": N_("employed 6 months"),
}

RATE_SOURCES = {
    "stated": N_("stated"),
    "assumption": N_("assumption"),
    "track_record": N_("track record"),
}

CATEGORIES = {
    "EMPLOYMENT": N_("Direct employment"),
    "COMPETENCE": N_("Growth of competence, knowledge and skills"),
    "INCLUSION": N_("Growth of inclusion and minimising social risks"),
}

TARGET_GROUPS = {
    "general": N_("everyone"),
    "long_term_unemployed": N_("long-term unemployed"),
    "youth": N_("young people under 25"),
    "over_55": N_("people over 55"),
    "immigrants": N_("immigrants and foreign-language speakers"),
    "partial_work_ability": N_("people partially able to work"),
}

NEUTRAL_EXITS = {
    "moved_away": N_("moved away"),
    "death": N_("death"),
    "pension": N_("pension"),
    "long_sickness": N_("long sickness"),
    "parental_leave": N_("parental leave"),
    "conscript_service": N_("conscript or civil service"),
}

END_REASONS = {
    "completed": N_("completed"),
    "interrupted": N_("interrupted"),
    "neutral_exit": N_("neutral exit"),
}

RUNGS = {
    "rehabilitative_work_activity": N_("rehabilitative work activity"),
    "work_trial": N_("work trial"),
    "training": N_("training"),
    "pay_subsidised_work": N_("pay-subsidised work"),
    "open_labour_market": N_("open labour market"),
}

REGISTERS = {
    "tulorekisteri": N_("Incomes Register"),
    "koski": N_("KOSKI study register"),
    "kela": N_("Kela"),
    "ytj": N_("Business Information System (YTJ)"),
    "client_system": N_("client information system"),
}

RATINGS = {
    "above_target": N_("above the target"),
    "at_target": N_("near the target"),
    "below_target": N_("below the target"),
    "not_enough_data": N_("not enough data"),
}

PAYMENT_REASONS = {
    "already paid": N_("already paid"),
    "participant cap": N_("participant cap reached"),
    "contract value ceiling": N_("contract value ceiling reached"),
    "flow-through below target": N_("flow-through below the target"),
}

TERMS = {
    "title": N_("title"),
    "description": N_("description"),
    "lots": N_("lots"),
    "budget_cents": N_("budget"),
    "weights": N_("award criteria weights"),
    "quality_criteria": N_("quality sub-criteria"),
    "allocation_rules": N_("allocation rules"),
    "payment_model": N_("payment model"),
    "qa_deadline": N_("question deadline"),
    "tender_deadline": N_("tender deadline"),
}

FORMATS = {
    "csv-fi": N_("CSV for Finnish Excel"),
    "csv-rfc4180": N_("CSV (RFC 4180, for systems)"),
    "xlsx": N_("Excel workbook (XLSX)"),
    "parquet": N_("Parquet (for data systems)"),
}

ROLES = {
    "officer": N_("officer"),
    "finance": N_("finance"),
    "supplier": N_("supplier"),
    "admin": N_("admin"),
}

# Labels the service gives the tokens it makes (a token the principal makes carries its own words).
TOKEN_LABELS = {
    "self-registration": N_("made at registration"),
    "restored by the operator": N_("made by the operator to restore access"),
    "demo": N_("demo"),
}

DELIVERIES = {
    "pending": N_("waiting"),
    "delivering": N_("being sent"),
    "delivered": N_("delivered"),
    "failed": N_("failed"),
}

KINDS = {
    "state": STATES,
    "delivery": DELIVERIES,
    "token": TOKEN_LABELS,
    "event": EVENT_TYPES,
    "component": COMPONENTS,
    "measure": MEASURES,
    "rate_source": RATE_SOURCES,
    "category": CATEGORIES,
    "target_group": TARGET_GROUPS,
    "neutral": NEUTRAL_EXITS,
    "end_reason": END_REASONS,
    "rung": RUNGS,
    "register": REGISTERS,
    "rating": RATINGS,
    "payment_reason": PAYMENT_REASONS,
    "role": ROLES,
    "term": TERMS,
    "format": FORMATS,
}


def label(kind: str, code: str | None) -> str:
    """The English label of a code (the catalog's msgid); an unknown code is shown as it is."""
    if code is None:
        return "–"
    return KINDS[kind].get(code, code)
