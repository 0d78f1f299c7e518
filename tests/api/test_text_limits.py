"""Every text the API and the pages accept has a length limit its column holds, stated in the OpenAPI
document and in the form; text at the limit is stored, never a 500."""

import re
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import ARRAY, Connection
from sqlmodel import SQLModel

from procurement.app.models import load_all_models
from tests.api.authz_world import AuthzWorld, build_world
from tests.api.test_authorization_matrix import call, operations

TEMPLATES = Path(__file__).parents[2] / "procurement" / "app" / "web" / "templates"

# Where each string of a request body is kept: "table.column" (its length is read from the models),
# "json" (inside a JSONB document, bounded by the schema alone) or "-" (never stored as sent: a hetu is
# pseudonymised, a business id normalised to 9 characters before it is stored).
COLUMN_OF: dict[str, str] = {
    "POST /me/tokens label": "api_token.label",
    "POST /principals name": "principal.name",
    "POST /authorities name": "authority.name",
    "POST /authorities business_id": "authority.business_id",
    "POST /authorities municipality_codes[]": "authority.municipality_codes",
    "POST /authorities lead_municipality": "authority.lead_municipality",
    "POST /dps title": "dps.title",
    "POST /dps categories[]": "-",  # must name a category (category.code, 20); a longer one is refused
    "POST /dps evidence_types[].code": "evidence_type.code",
    "POST /dps evidence_types[].name": "evidence_type.name",
    "POST /rings name": "ring.name",
    "POST /dps/{dps_id}/applications categories[]": "-",  # must name a category of the DPS
    "POST /dps/{dps_id}/applications evidence[].type": "evidence.type_code",
    "POST /dps/{dps_id}/applications evidence[].sha256": "evidence.sha256",
    "POST /dps/{dps_id}/applications self_cleaning": "application.self_cleaning",
    "POST /applications/{application_id}/decision admit[]": "-",  # must name an applied category
    "POST /applications/{application_id}/decision reject[]": "-",
    "POST /applications/{application_id}/decision reason": "application.decision_reason",
    "POST /admissions/{admission_id}/exclude reason": "admission.exclusion_reason",
    "POST /applications/{application_id}/extend reason": "application.extension_reason",
    "POST /admissions/{admission_id}/lift reason": "json",  # kept in the audit record
    "POST /suppliers business_id": "-",
    "POST /suppliers name": "supplier.name",
    "POST /suppliers contact_email": "supplier.contact_email",
    "POST /suppliers/me/webhooks url": "webhook_endpoint.url",
    "POST /suppliers/me/webhooks description": "webhook_endpoint.description",
    "POST /suppliers/me/webhooks event_types[]": "-",  # must name an event kind (each at most 60)
    "POST /suppliers/me/evidence evidence[].type": "evidence.type_code",
    "POST /suppliers/me/evidence evidence[].sha256": "evidence.sha256",
    "POST /admissions/{admission_id}/suspend reason": "admission.suspension_reason",
    "POST /competitions/{competition_id}/amendments reason": "amendment.reason",
    "POST /competitions/{competition_id}/amendments changes.title": "competition.title",
    "POST /competitions/{competition_id}/amendments changes.description": "competition.description",
    "POST /competitions/{competition_id}/amendments changes.lots[].code": "lot.code",
    "POST /competitions/{competition_id}/amendments changes.lots[].municipality_codes[]": (
        "lot.municipality_codes"
    ),
    "POST /competitions/{competition_id}/amendments changes.quality_criteria[].code": "json",
    "POST /competitions/{competition_id}/amendments changes.quality_criteria[].name": "json",
    "POST /competitions/{competition_id}/questions/{question_id}/answer answer": "question.answer",
    "POST /competitions/{competition_id}/questions question": "question.question",
    "POST /competitions/{competition_id}/cancel reason": "competition.cancel_reason",
    "POST /rings/{ring_id}/liability-rates basis": "liability_rate.basis",
    "POST /competitions/{competition_id}/unsuccessful reason": "competition.unsuccessful_reason",
    "POST /competitions category": "competition.category_code",
    "POST /competitions title": "competition.title",
    "POST /competitions description": "competition.description",
    "POST /competitions lots[].code": "lot.code",
    "POST /competitions lots[].municipality_codes[]": "lot.municipality_codes",
    "POST /competitions scope.intended_effect": "competition.scope_intended_effect",
    "POST /competitions quality_criteria[].code": "json",
    "POST /competitions quality_criteria[].name": "json",
    "PUT /competitions/{competition_id} category": "competition.category_code",
    "PUT /competitions/{competition_id} title": "competition.title",
    "PUT /competitions/{competition_id} description": "competition.description",
    "PUT /competitions/{competition_id} lots[].code": "lot.code",
    "PUT /competitions/{competition_id} lots[].municipality_codes[]": "lot.municipality_codes",
    "PUT /competitions/{competition_id} scope.intended_effect": "competition.scope_intended_effect",
    "PUT /competitions/{competition_id} quality_criteria[].code": "json",
    "PUT /competitions/{competition_id} quality_criteria[].name": "json",
    "POST /competitions/{competition_id}/bids lines[].lot": "lot.code",
    "POST /competitions/{competition_id}/bids lines[].quality_answers.*": "json",
    "PUT /competitions/{competition_id}/quality-scores scores[].criterion": "quality_score.criterion",
    "POST /competitions/{competition_id}/award overrides[].reason": "json",
    "POST /competitions/{competition_id}/award appeal_instructions": "award_decision.appeal_instructions",
    "POST /participants hetu": "-",
    "POST /participants home_municipality_code": "participant.home_municipality_code",
    "POST /outcome-events/{event_id}/reject reason": "outcome_event.reason",
    "POST /contracts/{contract_id}/terminate reason": "contract.termination_reason",
    "POST /referrals/{referral_id}/end evidence_sha256": "referral.neutral_exit_evidence_sha256",
    "POST /referrals/{referral_id}/neutral-exit/reject reason": "referral.neutral_exit_rejection",
    "POST /referrals/{referral_id}/events event_type": "outcome_event.event_type",
    "POST /referrals/{referral_id}/events evidence_sha256": "outcome_event.evidence_sha256",
    "POST /referrals/{referral_id}/start evidence_sha256": "outcome_event.evidence_sha256",
    "POST /outcome-events/{event_id}/void reason": "outcome_event.reason",
    "POST /periods month": "payment_period.month",
    "POST /competitions/{competition_id}/award/withdraw reason": "award_decision.withdrawal_reason",
    "POST /award-decisions/{award_id}/rectification-requests reasons": "rectification_request.reasons",
    "POST /award-decisions/{award_id}/rectification-requests attachments[].filename": (
        "rectification_attachment.filename"
    ),
    "POST /award-decisions/{award_id}/rectification-requests attachments[].media_type": (
        "rectification_attachment.media_type"
    ),
    # Decoded and stored as bytes (at most 512 KiB), its SHA-256 beside it.
    "POST /award-decisions/{award_id}/rectification-requests attachments[].content_base64": "-",
    "POST /rectification-requests/{request_id}/decision reasons": "rectification_request.decision_reasons",
    "POST /award-decisions/{award_id}/appeals case_number": "market_court_appeal.case_number",
    "POST /appeals/{appeal_id}/resolution resolution": "market_court_appeal.resolution",
}


def _column_length(where: str) -> int | None:
    load_all_models()
    table, column = where.split(".")
    kind = SQLModel.metadata.tables[table].c[column].type
    kind = kind.item_type if isinstance(kind, ARRAY) else kind
    return getattr(kind, "length", None)


def _pattern_width(pattern: str) -> int | None:
    """The longest string an anchored pattern matches (None: unbounded or not anchored)."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return None
    width = re._parser.parse(pattern).getwidth()[1]  # type: ignore[attr-defined]
    return None if width >= 2**16 else width


def _strings(
    doc: dict[str, Any], schema: dict[str, Any], path: str, out: list[tuple[str, dict[str, Any]]]
) -> None:
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        _strings(doc, option, path, out)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        for name, sub in schema.get("properties", {}).items():
            _strings(doc, sub, f"{path}.{name}" if path else name, out)
        if isinstance(schema.get("additionalProperties"), dict):
            _strings(doc, schema["additionalProperties"], f"{path}.*", out)
    elif kind == "array":
        _strings(doc, schema["items"], f"{path}[]", out)
    elif (
        kind == "string"
        and schema.get("format") not in ("uuid", "date", "date-time")
        and "enum" not in schema
    ):
        out.append((path, schema))


def _body_strings(client: TestClient[Litestar]) -> dict[str, dict[str, Any]]:
    doc = client.get("/schema/openapi.json").json()
    found: dict[str, dict[str, Any]] = {}
    for name, op in operations(client):
        if "requestBody" not in op:
            continue
        out: list[tuple[str, dict[str, Any]]] = []
        _strings(doc, op["requestBody"]["content"]["application/json"]["schema"], "", out)
        found.update({f"{name} {path}": schema for path, schema in out})
    return found


def test_every_string_of_the_api_has_a_limit_its_column_holds(client: TestClient[Litestar]) -> None:
    strings = _body_strings(client)
    assert sorted(set(strings) - set(COLUMN_OF)) == [], "strings without a row in COLUMN_OF"
    assert sorted(set(COLUMN_OF) - set(strings)) == [], "rows of COLUMN_OF the API no longer has"
    problems = []
    for key, schema in strings.items():
        limit = schema.get("maxLength") or _pattern_width(schema.get("pattern", ""))
        if limit is None:
            problems.append(f"{key}: no maxLength in the document")
            continue
        where = COLUMN_OF[key]
        column = _column_length(where) if "." in where else None
        if column is not None and limit > column:
            problems.append(f"{key}: accepts {limit} characters, {where} holds {column}")
    assert problems == [], "\n".join(problems)


# Form fields of the pages: "template name" -> "table.column", "json" or "-" (not stored as typed).
FORM_COLUMN_OF: dict[str, str] = {
    "admissions.html reason": "admission.suspension_reason",
    "applications.html reason": "application.decision_reason",
    "applications.html reason#extend": "application.extension_reason",
    "competition.html reason": "competition.cancel_reason",
    "competition.html answer": "question.answer",
    "finance.html month": "payment_period.month",
    "referral.html reason": "outcome_event.reason",
    "run.html override": "json",
    "run.html appeal_instructions": "award_decision.appeal_instructions",
    "sign_in.html token": "-",
    "decisions.html resolution": "market_court_appeal.resolution",
    "decisions.html case_number": "market_court_appeal.case_number",
    "decisions.html reason": "award_decision.withdrawal_reason",
    "rectification.html reasons": "rectification_request.decision_reasons",
    "decision.html reasons": "rectification_request.reasons",
    "competition_form.html title": "competition.title",
    "competition_form.html description": "competition.description",
    "competition_form.html lots[%d].code": "lot.code",
    "competition_form.html scope.intended_effect": "competition.scope_intended_effect",
    "competition_form.html quality_criteria[%d].name": "json",
    "competition_form.html lots[%d].municipality_codes": "-",  # split into 3-digit codes
    "tokens.html label": "api_token.label",
    "supplier_webhooks.html url": "webhook_endpoint.url",
    "supplier_webhooks.html description": "webhook_endpoint.description",
    "register.html business_id": "-",  # normalised to its 9 characters before it is stored
    "register.html name": "supplier.name",
    "register.html contact_email": "supplier.contact_email",
    "supplier_invitation.html question": "question.question",
    "supplier_invitation.html answer-": "-",  # sealed inside the bid's ciphertext
    "amendment_form.html reason": "amendment.reason",
}
TEXT_TAG = re.compile(r"<(input|textarea)\b([^>]*)>", re.S)
NOT_TEXT = ("hidden", "radio", "checkbox", "number", "date", "datetime-local", "submit", "file")
MACRO = re.compile(r"\{\{\s*field\(\s*\"([^\"]+)\"(.*?)\)\s*\}\}", re.S)


def _form_fields() -> dict[str, int | None]:
    """Each text control of each template with its maxlength (numeric and money fields included)."""
    found: dict[str, int | None] = {}
    for template in sorted(TEMPLATES.glob("*.html")):
        source = template.read_text()
        for _, attributes in TEXT_TAG.findall(source):
            kind = re.search(r'type="([^"]+)"', attributes)
            name = re.search(r'name="([^"|{]+)', attributes)
            if (kind and kind.group(1) in NOT_TEXT) or name is None or "{{ name }}" in attributes:
                continue
            limit = re.search(r'maxlength="(\d+)"', attributes)
            key = f"{template.name} {name.group(1)}"
            if key in found and "extend" in attributes:
                key += "#extend"
            found[key] = int(limit.group(1)) if limit else None
        for call_text in MACRO.finditer(source):
            limit = re.search(r'maxlength=\\?"?(\d+)', call_text.group(0))
            if re.search(r'type="(datetime-local|date|file)"', call_text.group(0)):
                continue
            found[f"{template.name} {call_text.group(1)}"] = int(limit.group(1)) if limit else None
    return found


def test_every_text_field_of_the_pages_has_a_limit_its_column_holds() -> None:
    fields = _form_fields()
    problems = [f"{key}: no maxlength" for key, limit in fields.items() if limit is None]
    for key, where in FORM_COLUMN_OF.items():
        assert key in fields, f"{key} is no longer a field of the pages"
        column = _column_length(where) if "." in where else None
        limit = fields[key]
        if column is not None and limit is not None and limit > column:
            problems.append(f"{key}: maxlength {limit}, {where} holds {column}")
    assert problems == [], "\n".join(problems)


@pytest.fixture
def world(client: TestClient[Litestar], session: Any, settings: Any) -> AuthzWorld:
    built = build_world(client, session, settings)
    session.flush()
    return built


def _set(body: Any, path: str, value: str) -> str | None:
    """Put a value at a path of the body (through the first item of lists, the first key of maps);
    the concrete path set, or None when the body has no such place."""
    parts = re.findall(r"[^.\[\]]+|\[\]", path)
    node, concrete = body, ""
    for i, part in enumerate(parts):
        if part == "[]":
            if not isinstance(node, list) or not node:
                return None
            key: Any = 0
            concrete += "[0]"
        else:
            if not isinstance(node, dict) or not node:
                return None
            key = next(iter(node)) if part == "*" else part
            if key not in node:
                return None
            concrete += f".{key}" if concrete else str(key)
        if i == len(parts) - 1:
            node[key] = value
            return concrete
        node = node[key]
    return None


def test_text_at_its_limit_is_never_a_500_and_control_characters_are_named(
    client: TestClient[Litestar], connection: Connection, world: AuthzWorld
) -> None:
    """Each string of each body at its longest and with a NUL, as every signed-in role: never a 5xx;
    a NUL is a 422 naming the field, or a refusal before the body is read (401/403/404)."""
    import json

    doc = client.get("/schema/openapi.json").json()
    strings = _body_strings(client)
    failures = []
    for name, op in operations(client):
        for key, schema in strings.items():
            if not key.startswith(f"{name} "):
                continue
            path = key[len(name) + 1 :]
            limit = schema.get("maxLength")
            for caller in ("admin", "officer", "finance", "supplier"):
                for value, kind in (("ä" * limit if limit else None, "long"), ("x\u0000y", "nul")):
                    if value is None:
                        continue
                    savepoint = connection.begin_nested()
                    try:
                        answer = _send(client, doc, name, op, world, caller, path, value)
                    finally:
                        savepoint.rollback()
                    if answer is None:
                        continue
                    if answer[1].status_code >= 500:
                        failures.append(
                            f"{key} ({kind}) as {caller}: {answer[1].status_code} {answer[1].text[:160]}"
                        )
                    sent, answer = answer
                    if kind == "nul" and answer.status_code == 422:
                        fields = [e["field"] for e in json.loads(answer.text).get("errors") or []]
                        if sent not in fields:
                            failures.append(f"{key} (nul) as {caller}: 422 names {fields}, not {sent}")
    assert failures == [], "\n".join(failures)


def _send(
    client: TestClient[Litestar],
    doc: dict[str, Any],
    name: str,
    op: dict[str, Any],
    world: AuthzWorld,
    caller: str,
    path: str,
    value: str,
) -> Any:
    original = client.request

    def with_value(method_: str, url_: str, **kwargs: Any) -> Any:
        body = kwargs.get("json")
        sent = _set(body, path, value) if body is not None else None
        return None if sent is None else (sent, original(method_, url_, **kwargs))

    client.request = with_value  # type: ignore[method-assign]
    try:
        return call(client, doc, name, op, world.ids, world.headers[caller])
    finally:
        client.request = original  # type: ignore[method-assign]
