"""The public record of remedies: a withdrawn award shows as cancelled, rectification without the bidder."""

import json

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from minicompetition.publication import packages
from minicompetition.publication.projector import project
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.api.test_award_remedies import REASONS, _awarded
from tests.api.test_evaluation import evaluate
from tests.ocds_offline import validate

PREFIX = "ocds-dpr000"


def test_rectification_and_withdrawal_are_public_without_the_bidder(
    client: TestClient[Litestar], session: Session
) -> None:
    o, decision = _awarded(client, session)
    d = o.bidders[3]  # the losing bidder asks for rectification
    request = client.post(
        f"/award-decisions/{decision['id']}/rectification-requests",
        json={"reasons": REASONS},
        headers=d.headers,
    ).json()
    upheld = client.post(
        f"/rectification-requests/{request['id']}/decision",
        json={"outcome": "upheld", "reasons": "Laatupisteytyksessä oli virhe; vertailu tehdään uudelleen."},
        headers=o.officer,
    )
    assert upheld.status_code == 200, upheld.text
    run = evaluate(client, o)
    again = client.post(
        f"/competitions/{o.competition_id}/award", json={"evaluation_run_id": run["id"]}, headers=o.officer
    )
    assert again.status_code == 200
    while project(session, prefix=PREFIX, now=utc_now()):
        pass
    ocid = f"{PREFIX}-{o.competition_id}"
    rows = packages.releases_of(session, ocid)
    settings = Settings()
    package = packages.release_package(rows, settings, uri="http://test/remedies").body
    result = validate(package)
    assert result["validation_errors"] == [] and result["additional_closed_codelist_values"] == {}
    last = package["releases"][-1]
    statuses = sorted({a["id"].rsplit("-", 2)[0]: a["status"] for a in last["awards"]}.items())
    assert sorted(s for _, s in statuses) == ["cancelled", "pending"]
    notes = [
        (x["id"], x["description"]) for x in last["tender"]["documents"] if x["documentType"] == "complaints"
    ]
    assert notes == [
        ("rectification-1", "A bidder requested the rectification of the award decision."),
        (
            "rectification-decision-1",
            "A request for rectification was upheld: the award decision was withdrawn.",
        ),
    ]
    text = json.dumps(package, ensure_ascii=False)
    assert d.supplier.business_id not in text and d.supplier.name not in text and REASONS not in text
