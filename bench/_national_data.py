"""The national bench's data set: the structure through the product's models, the bulk by COPY (issue 22)."""

# Imported by bench/national.py (run that); its docstring says what is built and what is not.

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import text
from sqlmodel import Session

from migrations.runner import upgrade_head
from minicompetition.tender.models import Invitation
from outcomes.tracking.events import episode_id
from procurement.core.auth import create_principal, issue_token
from procurement.core.clock import helsinki_today, utc_now
from procurement.core.db import make_engine
from procurement.ring.models import Authority, Dps, DpsCategory, EvidenceType, Ring, RingMembership
from tests.factories.outcomes import make_awarded, make_contract
from tests.factories.registry import admit, business_id, make_supplier

SEED = 22
FULL = {"authorities": 45, "rings": 10, "suppliers": 3000, "competitions": 20_000, "referrals": 1_500_000}
YEARS = 5
CATEGORIES = ("EMPLOYMENT", "COMPETENCE", "INCLUSION")
PLAN = {
    "EMPLOYMENT": ("employment_start", "employed_3_months", "employed_6_months"),
    "COMPETENCE": ("qualification_completed", "job_or_studies_within_180_days"),
    "INCLUSION": ("step_up_held_30_days", "second_step_or_category_entry"),
}
SUSTAINMENT = {"employed_3_months", "employed_6_months"}
COPY_CHUNK = 50_000
GIB = 1024**3
console = Console(stderr=True)


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def sizes(scale: float) -> dict[str, int]:
    out = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    out["authorities"], out["rings"] = FULL["authorities"], FULL["rings"]  # the country has them all
    out["suppliers"] = max(out["suppliers"], 6 * out["rings"])
    out["competitions"] = max(out["competitions"], 2 * out["authorities"])
    return out


# --- the structure, through the product's models -----------------------------------------------------


def build_structure(engine: Any, n: dict[str, int], bar: Progress) -> dict[str, Any]:
    rng = random.Random(SEED)
    now = utc_now()
    with Session(engine, expire_on_commit=False) as session:
        admin = create_principal(session, role="admin", name="bench admin", now=now)
        authorities = [
            Authority(
                name=f"Työllisyysalue {i + 1:02d}",
                business_id=business_id(5000 + i),
                kind="employment_area" if i % 3 else "municipality",
                municipality_codes=[f"{(i * 7) % 1000:03d}", f"{(i * 7 + 1) % 1000:03d}"],
                lead_municipality=f"{(i * 7) % 1000:03d}",
                created_at=now,
            )
            for i in range(n["authorities"])
        ]
        session.add_all(authorities)
        session.flush()
        rings, dpss = [], []
        for r in range(n["rings"]):
            members = authorities[r :: n["rings"]]
            ring = Ring(name=f"Hankintarengas {r + 1}", lead_authority_id=members[0].id, created_at=now)
            session.add(ring)
            session.flush()
            for a in members:
                session.add(RingMembership(ring_id=ring.id, authority_id=a.id, valid_from=date(2021, 1, 1)))
            dps = Dps(
                ring_id=ring.id,
                title=f"Työllisyyspalvelut {r + 1}",
                valid_from=date(2021, 1, 1),
                valid_until=date(2031, 12, 31),
                state="published",
                created_by=admin.id,
                created_at=now,
                published_at=now,
            )
            session.add(dps)
            session.flush()
            session.add_all(DpsCategory(dps_id=dps.id, category_code=c) for c in CATEGORIES)
            session.add_all(
                EvidenceType(dps_id=dps.id, code=c, name=c.title(), max_age_days=365)
                for c in ("TAX_DEBT", "TRADE_REGISTER")
            )
            rings.append((ring, members))
            dpss.append(dps)
        session.flush()
        task = bar.add_task("suppliers and admissions", total=n["suppliers"])
        suppliers: list[list[Any]] = [[] for _ in rings]
        tokens: dict[str, str] = {}
        for s in range(n["suppliers"]):
            r = s % n["rings"]
            supplier, token = make_supplier(
                session, business_id=business_id(10_000 + s), name=f"Palvelu {s:04d} Oy"
            )
            admit(session, dps=dpss[r], supplier=supplier, categories=CATEGORIES)
            suppliers[r].append(supplier)
            if s == 0:
                tokens["supplier"] = token
            bar.advance(task)
        session.commit()
        task = bar.add_task("competitions, awards, contracts", total=n["competitions"])
        contracts: list[tuple[str, str, str, str]] = []  # contract, lot, category, authority
        start = now - timedelta(days=365 * YEARS)
        for c in range(n["competitions"]):
            r = c % n["rings"]
            ring, members = rings[r]
            authority = members[(c // n["rings"]) % len(members)]
            category = CATEGORIES[c % 3]
            world = _World(lead_id=authority.id, dps=dpss[r])
            lots = (("ALL", tuple(authority.municipality_codes), "general", 1_000_000),)
            awarded = make_awarded(session, world=world, created_by=admin.id, category=category, lots=lots)
            created = start + timedelta(days=rng.uniform(0, 365 * YEARS - 90))
            awarded.competition.created_at = created
            for supplier in rng.sample(suppliers[r], 3):
                contract = make_contract(session, awarded=awarded, supplier=supplier)
                contract.concluded_at = created + timedelta(days=75)
                session.add(
                    Invitation(
                        competition_id=awarded.competition.id,
                        supplier_id=supplier.id,
                        business_id=supplier.business_id,
                        supplier_name=supplier.name,
                        invited_at=created + timedelta(days=10),
                    )
                )
                contracts.append(
                    (
                        str(contract.id),
                        str(awarded.lots["ALL"].id),
                        category,
                        str(authority.id),
                        str(supplier.id),
                    )
                )
            if c % 200 == 199:
                session.commit()
            bar.advance(task)
        biggest = rings[0][1][0]
        for role in ("officer", "finance"):
            who = create_principal(session, role=role, name=f"bench {role}", now=now, authority_id=biggest.id)
            tokens[role] = issue_token(session, principal_id=who.id, now=now)
        tokens["admin"] = issue_token(session, principal_id=admin.id, now=now)
        session.commit()
        return {
            "tokens": tokens,
            "contracts": contracts,
            "authority": str(biggest.id),
            "officer_id": None,
            "dps": str(dpss[0].id),
            "authorities": [str(a.id) for a in authorities],
        }


class _World:
    """What the award factory reads of a ring world: the buying authority and the DPS."""

    def __init__(self, *, lead_id: uuid.UUID, dps: Dps) -> None:
        self.lead_id, self.dps = lead_id, dps


# --- participants, referrals and events, COPY-loaded ----------------------------------------------------


def months_back(today: date, k: int) -> date:
    first = today.replace(day=1)
    for _ in range(k):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def rows(n: dict[str, int], setup: dict[str, Any], today: date) -> Iterator[tuple[str, str, str, list[str]]]:
    """(participant row, registration row, referral row, event rows) for every referral."""
    rng = random.Random(SEED + 1)
    open_from = months_back(today, 2)  # events from here on are still verified (two periods to close)
    oldest = today - timedelta(days=365 * YEARS)
    officer = setup["officer_id"]
    for i in range(n["referrals"]):
        contract_id, lot_id, category, authority, supplier = rng.choice(setup["contracts"])
        scope = f"{authority}\t{supplier}"
        pid, rid = (str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(2))
        pseudonym = hashlib.sha256(f"national|{SEED}|{i}".encode()).hexdigest()
        municipality, tier = f"{rng.randrange(1000):03d}", rng.choice(("T1", "T2", "T3", "T4"))
        partial = "t" if rng.random() < 0.05 else "f"
        referred = oldest + timedelta(days=int(rng.random() ** 0.8 * (365 * YEARS - 30)))
        at = datetime.combine(referred, datetime.min.time(), tzinfo=UTC) + timedelta(
            seconds=rng.randrange(86_400)
        )
        started = referred + timedelta(days=rng.randrange(1, 14))
        ended = started + timedelta(days=rng.randrange(180, 400))
        state, end_cols = ("ended", f"{ended}\tcompleted") if ended < today else ("started", "\\N\t\\N")
        person = f"{pid}\t{pseudonym}\t{municipality}\t{{}}\t{tier}\t{partial}\t{at.isoformat()}\t{at.isoformat()}\n"
        registration = f"{pid}\t{authority}\t{at.isoformat()}\t{at.isoformat()}\n"
        referral = (
            f"{rid}\t{pid}\t{contract_id}\t{lot_id}\t{category}\t{state}\t{referred}\t{at.isoformat()}\t{officer}\t"
            f"{municipality}\t{{}}\t{tier}\t{partial}\t{started}\t{end_cols}\t{scope}\n"
        )
        events, day, job_day = [], started, None
        for kind in ("service_start", *PLAN[category]):
            if day >= today:
                break
            episode_day = job_day if kind in SUSTAINMENT and job_day else day
            if kind == "employment_start":
                job_day = day
            recorded = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
                days=rng.randrange(0, 3), seconds=rng.randrange(86_400)
            )
            stamp = min(recorded, datetime.combine(today, datetime.min.time(), tzinfo=UTC)).isoformat()
            event_state = "verified" if day >= open_from else "paid"
            eid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            events.append(
                f"{eid}\t{rid}\t{pid}\t{kind}\t{day}\t{episode_day}\t"
                f"{episode_id(pseudonym=pseudonym, episode_start=episode_day)}\tf\t{event_state}\tregister\t"
                f"tulorekisteri\t{officer}\t{stamp}\t{officer}\t{stamp}\t{scope}\n"
            )
            day += timedelta(days=rng.randrange(20, 120))
        yield person, registration, referral, events


def load(url: str, n: dict[str, int], setup: dict[str, Any], bar: Progress) -> int:
    today = helsinki_today(utc_now())
    task = bar.add_task("participants, referrals, events (COPY)", total=n["referrals"])
    count = 0
    tables = {
        "participant": "id, pseudonym, home_municipality_code, target_groups, tier, partial_work_ability,"
        " created_at, updated_at",
        "participant_registration": "participant_id, authority_id, first_at, last_at",
        "referral": "id, participant_id, contract_id, lot_id, category_code, state, referred_on, referred_at,"
        " referred_by, home_municipality_code, target_groups, tier, partial_work_ability, started_on,"
        " ended_on, end_reason, authority_id, supplier_id",
        "outcome_event": "id, referral_id, participant_id, event_type, event_date, episode_start, episode_id,"
        " pre_dates_referral, state, source, source_register, recorded_by, recorded_at, decided_by, decided_at,"
        " authority_id, supplier_id",
    }
    with psycopg.connect(plain(url)) as conn:
        buffers: dict[str, list[str]] = {t: [] for t in tables}

        def flush() -> None:
            for table, columns in tables.items():  # parents first: the foreign keys hold row by row
                if buffers[table]:
                    with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
                        out.write("".join(buffers[table]))
                    buffers[table].clear()
            conn.commit()

        for i, (person, registration, referral, events) in enumerate(rows(n, setup, today)):
            buffers["participant"].append(person)
            buffers["participant_registration"].append(registration)
            buffers["referral"].append(referral)
            buffers["outcome_event"].extend(events)
            count += len(events)
            if i % COPY_CHUNK == COPY_CHUNK - 1:
                flush()
                bar.advance(task, COPY_CHUNK)
        flush()
        bar.update(task, completed=n["referrals"])
        conn.execute("ANALYZE")
        conn.commit()
    return count


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def build(url: str, folder: Path, scale: float) -> dict[str, Any]:
    marker = folder / "built.json"
    if marker.exists():
        cached: dict[str, Any] = json.loads(marker.read_text())
        if cached.get("scale") == scale:
            console.print(f"using the data set built in {folder} (scale {scale})")
            # A deployment migrates its database: a set built with an older head gets the newer
            # migrations (and their backfills) before it is measured.
            started = time.perf_counter()
            upgrade_head(url)
            console.print(f"migrated to the head in {time.perf_counter() - started:.1f} s")
            return cached
        raise SystemExit(f"{folder} holds scale {cached.get('scale')}; pass another --data-dir")
    n = sizes(scale)
    console.print(f"building scale {scale}: " + ", ".join(f"{k} {v:,}" for k, v in n.items()))
    upgrade_head(url)
    engine = make_engine(url)
    started = time.perf_counter()
    with progress() as bar:
        setup = build_structure(engine, n, bar)
        with engine.connect() as conn:
            setup["officer_id"] = str(
                conn.execute(text("SELECT id FROM principal WHERE name = 'bench officer'")).scalar_one()
            )
        setup["events"] = load(url, n, setup, bar)
    engine.dispose()
    setup.update(scale=scale, sizes=n, build_s=round(time.perf_counter() - started, 1))
    del setup["contracts"]
    marker.write_text(json.dumps(setup))
    return setup
