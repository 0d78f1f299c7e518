"""The attacker of public statistics: subtraction within a table and differencing two public cut-offs
recover no hidden figure; one day's difference cannot even be asked."""

from datetime import date, timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from outcomes.flowthrough.disclosure import last_closed_month_end
from procurement.core.clock import helsinki_today, utc_now
from procurement.core.settings import Settings
from tests.factories.outcomes import Step, make_outcome_world, run_referral

M2 = last_closed_month_end(helsinki_today(utc_now()))
M1 = M2.replace(day=1) - timedelta(days=1)


def _start(
    session: Session, ow: object, settings: Settings, *, n: int, on: date, supplier: int, job: bool
) -> None:
    steps = (Step(event_type="employment_start", on=on + timedelta(days=15)),) if job else ()
    run_referral(
        session, ow, settings=settings, n=n, referred=on, started=on, supplier=supplier, steps=steps, today=M2
    )  # type: ignore[arg-type]


def _table(client: TestClient[Litestar], dps_id: str, cutoff: date, *by: str) -> dict[str, dict[str, object]]:
    query = "&".join(f"by={b}" for b in by)
    answer = client.get(f"/dps/{dps_id}/flow-through?{query}&cutoff={cutoff.isoformat()}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return {c["label"]: c for c in [*body["cells"], *body["totals"]]}


def test_subtraction_and_differencing_recover_nothing(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    # Supplier 1: seven starts on one day, matured long before M1, five with a job. Supplier 2: ten, eight
    # with a job. One more start of supplier 1 (no job) matures between M1 and M2.
    for i in range(7):
        _start(session, ow, settings, n=300 + i, on=M1 - timedelta(days=200), supplier=0, job=i < 5)
    for i in range(10):
        _start(session, ow, settings, n=320 + i, on=M1 - timedelta(days=210), supplier=1, job=i < 8)
    _start(session, ow, settings, n=340, on=M2 - timedelta(days=95), supplier=0, job=False)
    # Supplier 2 also has three starts in another municipality: a small cell of the 2-D table.
    for i in range(3):
        run_referral(
            session,
            ow,
            settings=settings,
            n=350 + i,
            referred=M1 - timedelta(days=210),
            started=M1 - timedelta(days=210),
            supplier=1,
            lot="PH",
            municipality="098",
            today=M2,
        )
    dps = str(ow.world.dps.id)
    first, second = _table(client, dps, M1, "supplier"), _table(client, dps, M2, "supplier")
    one, two = "Valmentaja 1 Oy", "Valmentaja 2 Oy"
    assert (first[one]["denominator"], first[one]["qualified"]) == (7, 5)

    # Differencing: at M2 supplier 1 has one start more. Shown at both cut-offs, M2 − M1 would be that
    # one person's outcome: so it is not shown at M2, nor anything it could be derived from.
    for label in (one, "total"):
        if first[label]["denominator"] is not None and second[label]["denominator"] is not None:
            change = int(second[label]["denominator"]) - int(first[label]["denominator"])  # type: ignore[call-overload]
            assert change == 0 or change >= 5, (label, change)
    assert second[one]["suppressed"] is True
    assert second["total"]["denominator"] is None or second[two]["denominator"] is None

    # Subtraction in a 2-D table: the small cell (supplier 2, 098) is hidden, and neither its row total
    # nor its column total minus the shown cells gives it back.
    grid = _table(client, dps, M2, "supplier", "municipality")
    small = next(
        c for c in grid.values() if c["key"] == {"supplier": str(ow.suppliers[1].id), "municipality": "098"}
    )
    assert (small["suppressed"], small["starts"], small["neutral"]) == (True, None, None)
    row = next(c for c in grid.values() if c["key"] == {"supplier": str(ow.suppliers[1].id)})
    column = next(c for c in grid.values() if c["key"] == {"municipality": "098"})
    row_cells = [
        c for c in grid.values() if c["key"].get("supplier") == str(ow.suppliers[1].id) and not c["total"]
    ]
    column_cells = [c for c in grid.values() if c["key"].get("municipality") == "098" and not c["total"]]
    for margin, cells in ((row, row_cells), (column, column_cells)):
        others = [c for c in cells if c is not small]
        derivable = margin["denominator"] is not None and all(c["denominator"] is not None for c in others)
        assert not derivable, margin["label"]

    # The attack of old, two days one apart, is refused.
    refused = client.get(f"/dps/{dps}/flow-through?by=supplier&cutoff={(M2 - timedelta(days=1)).isoformat()}")
    assert refused.status_code == 422
