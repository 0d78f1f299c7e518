"""A supplier's system talking to the dynamic procurement ring's API, from registration to its result.

It registers the supplier, applies to a DPS with its evidence, waits for the admission, waits for an
invitation, bids with an Idempotency-Key (retrying a 503 or a lost answer with the same key, so the bid is
stored once), checks its receipt against its own copy of the bid, and waits for its result.

    pip install httpx
    python examples/supplier_client.py --base-url http://127.0.0.1:8000 --dps <DPS id> \\
        --business-id 0737546-2 --name "Valmennus Oy" --email tarjoukset@valmennus.fi \\
        --category EMPLOYMENT --price 2450.00

Each step prints one line. The API token is shown once at registration: keep it (--token-file) — a
supplier that loses every token needs an operator's help.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

RETRYABLE = {502, 503, 504}
HELSINKI = ZoneInfo("Europe/Helsinki")


class ApiError(RuntimeError):
    """The API refused a request; the message is the problem document's title and detail."""

    def __init__(self, response: httpx.Response) -> None:
        try:
            problem = response.json()
            text = f"{problem.get('title')}: {problem.get('detail')}"
            fields = [f"{e['field']}: {e['message']}" for e in problem.get("errors") or []]
            if fields:
                text += " (" + "; ".join(fields) + ")"
        except ValueError:
            text = response.text[:300]
        super().__init__(
            f"{response.request.method} {response.request.url.path} → {response.status_code} {text}"
        )
        self.status = response.status_code


def say(line: str) -> None:
    print(line, flush=True)


def ok(response: httpx.Response, *expected: int) -> Any:
    """The JSON of an expected answer, else an ApiError carrying the problem."""
    if response.status_code not in (expected or (200,)):
        raise ApiError(response)
    return response.json()


def every(api: httpx.Client, path: str, **params: str) -> Iterator[dict[str, Any]]:
    """Every row of a list, page by page: each page's X-Next-Cursor is the next request's `after`."""
    while True:
        response = api.get(path, params=params)
        yield from ok(response)
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            return
        params = {**params, "after": cursor}


def register(api: httpx.Client, *, business_id: str, name: str, email: str) -> str:
    """Register the supplier; the answer holds its API token, shown this once."""
    body = {"business_id": business_id, "name": name, "contact_email": email}
    registered = ok(api.post("/suppliers", json=body), 201)
    say(f"registered {registered['supplier']['business_id']} {registered['supplier']['name']}")
    token: str = registered["token"]
    return token


def evidence_for(api: httpx.Client, dps_id: str, documents: dict[str, Path]) -> list[dict[str, str]]:
    """One piece of evidence per type the DPS asks for: dates and the SHA-256 of the document's bytes."""
    dps = ok(api.get(f"/dps/{dps_id}"))
    today = datetime.now(HELSINKI).date()  # the service counts days in Finland
    items = []
    for kind in dps["evidence_types"]:
        document = documents.get(kind["code"])
        content = document.read_bytes() if document else f"{kind['code']} placeholder document".encode()
        items.append(
            {
                "type": kind["code"],
                "issued_on": (today - timedelta(days=1)).isoformat(),
                "valid_until": (today + timedelta(days=min(60, kind["max_age_days"]))).isoformat(),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
        )
    return items


def apply(api: httpx.Client, *, dps_id: str, categories: list[str], evidence: list[dict[str, str]]) -> str:
    """Apply to the DPS; the decision is due within the working days the answer states."""
    body = {"categories": categories, "evidence": evidence}
    application = ok(api.post(f"/dps/{dps_id}/applications", json=body), 201)
    say(f"applied: application {application['id']}, decision due {application['due_on']}")
    return str(application["id"])


def wait(what: str, probe: Callable[[], Any], *, timeout_s: float, poll_s: float) -> Any:
    """Call `probe` until it returns something other than None."""
    give_up = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > give_up:
            raise TimeoutError(f"gave up waiting for {what} after {timeout_s:.0f} s")
        time.sleep(poll_s)


def wait_for_admission(
    api: httpx.Client, application_id: str, *, timeout_s: float, poll_s: float
) -> list[str]:
    """The categories admitted, once the lead authority has decided."""
    say("waiting for the admission decision")

    def decided() -> list[str] | None:
        application = ok(api.get(f"/applications/{application_id}"))
        if application["state"] in ("submitted", "extended"):
            return None
        admitted = [c["code"] for c in application["categories"] if c["decision"] == "admitted"]
        if not admitted:
            raise RuntimeError(
                f"the application was {application['state']}: {application['decision_reason']}"
            )
        return admitted

    admitted: list[str] = wait("the decision", decided, timeout_s=timeout_s, poll_s=poll_s)
    say(f"admitted in {', '.join(admitted)}")
    return admitted


def wait_for_invitation(api: httpx.Client, *, timeout_s: float, poll_s: float) -> dict[str, Any]:
    """The first competition open for bids that the supplier is invited to, in full."""

    def invited() -> dict[str, Any] | None:
        for item in every(api, "/inbox"):
            if item["competition"]["state"] == "published" and item["my_bid"] is None:
                detail: dict[str, Any] = ok(api.get(f"/inbox/{item['competition']['id']}"))
                return detail["competition"]
        return None

    competition: dict[str, Any] = wait("an invitation", invited, timeout_s=timeout_s, poll_s=poll_s)
    deadline = competition["tender_deadline_local"]
    say(f'invited to {competition["id"]} "{competition["title"]}", deadline {deadline}')
    return competition


def bid_lines(competition: dict[str, Any], *, price_cents: int, flow_through_bp: int) -> list[dict[str, Any]]:
    """A line for every lot: our price (never above the lot's maximum), capacity for its whole demand, and
    an answer to every announced quality sub-criterion (a bid without them is refused)."""
    answers = {
        c["code"]: f"Our approach to {c['name']}: see the attached method description."
        for c in competition["quality_criteria"]
    }
    return [
        {
            "lot": lot["code"],
            "unit_price_cents": min(price_cents, lot["max_unit_price_cents"] or price_cents),
            "capacity": lot["demand"],
            "committed_flow_through_bp": flow_through_bp,
            "quality_answers": answers,
        }
        for lot in competition["lots"]
    ]


def canonical_sha256(competition_id: str, lines: list[dict[str, Any]]) -> str:
    """The receipt's SHA-256 recomputed from our own copy: keys sorted, no spaces, UTF-8, lines by lot."""
    body = {
        "competition_id": competition_id,
        "lines": [
            {k: line[k] for k in ("lot", "unit_price_cents", "capacity", "committed_flow_through_bp")}
            | {"quality_answers": dict(line.get("quality_answers", {}))}
            for line in sorted(lines, key=lambda x: x["lot"])
        ],
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def submit_bid(
    api: httpx.Client,
    competition_id: str,
    lines: list[dict[str, Any]],
    *,
    key: str,
    attempts: int = 6,
) -> dict[str, Any]:
    """Submit with an Idempotency-Key and retry on 503 (or a lost answer) with the same key and body.

    201 is a new receipt; 200 (Idempotent-Replayed: true) is the receipt of an earlier attempt that was
    stored although its answer never arrived. Either way the bid is stored once.
    """
    headers = {"Idempotency-Key": key}
    for attempt in range(1, attempts + 1):
        try:
            response = api.post(
                f"/competitions/{competition_id}/bids", json={"lines": lines}, headers=headers
            )
        except httpx.TransportError as exc:  # the answer was lost: the bid may or may not be stored
            why, wait_s = f"no answer ({type(exc).__name__})", 2.0
        else:
            if response.status_code in (200, 201):
                receipt: dict[str, Any] = response.json()
                replayed = response.headers.get("Idempotent-Replayed") == "true"
                say(
                    f"receipt{' (replayed)' if replayed else ''}: bid {receipt['bid_id']} version "
                    f"{receipt['version']} sha256 {receipt['sha256']} received {receipt['received_at']}"
                )
                return receipt
            if response.status_code not in RETRYABLE:
                raise ApiError(response)
            why, wait_s = (
                f"{response.status_code} {response.json().get('title', '')}".strip(),
                float(response.headers.get("Retry-After", "2")),
            )
        if attempt == attempts:
            raise RuntimeError(f"the bid was not accepted after {attempts} attempts ({why})")
        say(f"bid attempt {attempt}: {why}; retrying in {wait_s:g} s with the same Idempotency-Key {key}")
        time.sleep(wait_s)
    raise AssertionError("unreachable")


def check_receipt(api: httpx.Client, receipt: dict[str, Any], expected_sha256: str) -> None:
    """The receipt names exactly what we sent, and the server keeps that version as our current one."""
    if receipt["sha256"] != expected_sha256:
        raise RuntimeError(f"receipt sha256 {receipt['sha256']} is not our bid's {expected_sha256}")
    bid = ok(api.get(f"/bids/{receipt['bid_id']}"))
    current = next(v for v in bid["versions"] if v["version"] == bid["current_version"])
    if (current["version"], current["sha256"]) != (receipt["version"], receipt["sha256"]):
        raise RuntimeError(f"the server's current version is {current}, not our receipt")
    version, state, sealed = current["version"], bid["state"], bid["sealed"]
    say(f"receipt checked: bid {bid['id']} is {state}, version {version}, sealed {sealed}")


def wait_for_result(
    api: httpx.Client, competition_id: str, *, timeout_s: float, poll_s: float
) -> dict[str, Any]:
    """Our own lines of the competition's result, once the award decision is issued."""
    say("waiting for the award decision")

    def awarded() -> dict[str, Any] | None:
        response = api.get(f"/competitions/{competition_id}/my-result")
        if response.status_code == 404:  # not evaluated yet
            return None
        result: dict[str, Any] = ok(response)
        return result if result["award_issued"] else None

    result: dict[str, Any] = wait("the award", awarded, timeout_s=timeout_s, poll_s=poll_s)
    for line in result["lines"]:
        say(
            f"result: lot {line['lot']} rank {line['rank']}, awarded {line['awarded']} participants at "
            f"{Decimal(line['unit_price_cents']) / 100} EUR"
            + (f" ({line['reason']})" if line["reason"] else "")
        )
    return result


def run(args: argparse.Namespace) -> int:
    """Every step, in order."""
    with httpx.Client(base_url=args.base_url, timeout=30) as public:
        token = args.token or register(public, business_id=args.business_id, name=args.name, email=args.email)
        if args.token_file:
            args.token_file.write_text(token)
            args.token_file.chmod(0o600)
        documents = dict(arg.split("=", 1) for arg in args.evidence)
        evidence = evidence_for(public, args.dps, {k: Path(v) for k, v in documents.items()})
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=args.base_url, headers=auth, timeout=30) as api:
        application = apply(api, dps_id=args.dps, categories=args.category, evidence=evidence)
        wait_for_admission(api, application, timeout_s=args.timeout, poll_s=args.poll)
        competition = wait_for_invitation(api, timeout_s=args.timeout, poll_s=args.poll)
        lines = bid_lines(
            competition, price_cents=round(Decimal(args.price) * 100), flow_through_bp=args.flow_through
        )
        # One key per submission, kept until it is answered: a retry must send the same key and body.
        key = f"bid-{competition['id']}-{uuid.uuid4()}"
        receipt = submit_bid(api, competition["id"], lines, key=key)
        check_receipt(api, receipt, canonical_sha256(competition["id"], lines))
        wait_for_result(api, competition["id"], timeout_s=args.timeout, poll_s=args.poll)
    say("done")
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--dps", required=True, help="the DPS to apply to (GET /dps lists them)")
    parser.add_argument("--business-id", help="Y-tunnus, e.g. 0737546-2 (to register)")
    parser.add_argument("--name", help="the supplier's name (to register)")
    parser.add_argument("--email", help="contact e-mail (to register)")
    parser.add_argument("--token", help="an API token of an already registered supplier")
    parser.add_argument("--token-file", type=Path, help="write the new token here (mode 0600)")
    parser.add_argument("--category", action="append", default=[], help="category to apply for (repeatable)")
    parser.add_argument(
        "--evidence", action="append", default=[], help="TYPE=path of a document (repeatable)"
    )
    parser.add_argument("--price", default="2450.00", help="unit price per participant in euros")
    parser.add_argument("--flow-through", type=int, default=8000, help="committed flow-through, basis points")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for each decision")
    parser.add_argument("--poll", type=float, default=10, help="seconds between polls")
    args = parser.parse_args(argv)
    if not args.token and not (args.business_id and args.name and args.email):
        parser.error("give --token, or --business-id, --name and --email to register")
    args.category = args.category or ["EMPLOYMENT"]
    return args


if __name__ == "__main__":
    try:
        sys.exit(run(parse(sys.argv[1:])))
    except (ApiError, RuntimeError, TimeoutError) as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        sys.exit(1)
