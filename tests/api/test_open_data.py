"""The open data over HTTP: the change feed by cursor, releases, records, packages, bulk months, caching."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from minicompetition.publication.projector import project
from procurement.core.clock import to_helsinki, utc_now
from tests.factories.minicompetition import publish_competition

PREFIX = "ocds-dpr000"


def _project(session: Session) -> None:
    while project(session, prefix=PREFIX, now=utc_now()):
        pass


def test_feed_lists_public_changes_in_commit_order_with_their_releases(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=2)
    # Nothing is projected yet: the feed shows only what has its release.
    assert client.get("/feed").json()["items"] == []
    _project(session)
    page = client.get("/feed").json()
    assert [i["type"] for i in page["items"]] == ["competition.published"]
    item = page["items"][0]
    ocid = f"{PREFIX}-{cw.competition_id}"
    assert item["ocid"] == ocid and item["tags"] == ["tender"]
    assert item["release_url"] == f"http://127.0.0.1:8000/ocds/releases/{item['id']}"
    # Polling from `next` gives nothing until the next change; then exactly that change.
    assert client.get("/feed", params={"after": page["next"]}).json() == {"items": [], "next": page["next"]}
    amended = client.post(
        f"/competitions/{cw.competition_id}/amendments",
        json={"reason": "Selvennys.", "changes": {"description": "Uusi kuvaus."}},
        headers=cw.officer,
    )
    assert amended.status_code == 200, amended.text
    _project(session)
    later = client.get("/feed", params={"after": page["next"]}).json()
    assert [i["type"] for i in later["items"]] == ["competition.amended"]
    assert client.get("/feed", params={"after": "nonsense"}).status_code == 422


def test_releases_records_packages_and_months(client: TestClient[Litestar], session: Session) -> None:
    cw = publish_competition(client, session, bidders=2)
    client.post(
        f"/competitions/{cw.competition_id}/amendments",
        json={"reason": "Selvennys.", "changes": {"budget_cents": 9_000_000}},
        headers=cw.officer,
    )
    _project(session)
    ocid = f"{PREFIX}-{cw.competition_id}"
    package = client.get("/ocds/releases", params={"ocid": ocid})
    assert package.status_code == 200
    body = package.json()
    assert body["version"] == "1.1" and body["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert body["publicationPolicy"] == "http://127.0.0.1:8000/ocds/policy"
    assert [r["tag"] for r in body["releases"]] == [["tender"], ["tenderAmendment"]]
    assert [r["tender"]["value"]["amount"] for r in body["releases"]] != [90000, 90000]
    assert body["releases"][1]["tender"]["value"] == {"amount": 90000, "currency": "EUR"}
    # ETag and Last-Modified; the same ETag back gives 304 without a body.
    etag = package.headers["etag"]
    assert package.headers["last-modified"].endswith("GMT")
    again = client.get("/ocds/releases", params={"ocid": ocid}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    one = client.get(f"/ocds/releases/{body['releases'][0]['id']}").json()
    assert [r["id"] for r in one["releases"]] == [body["releases"][0]["id"]]
    record = client.get(f"/ocds/records/{ocid}").json()["records"][0]
    assert record["compiledRelease"]["tender"]["value"]["amount"] == 90000
    assert [r["tag"] for r in record["releases"]] == [["tender"], ["tenderAmendment"]]
    assert client.get(f"/ocds/records/{PREFIX}-nothing").status_code == 404
    # Packages by cursor: a page, then 204 at the end with the cursor to keep.
    first = client.get("/ocds/packages", params={"limit": 1})
    assert first.status_code == 200 and len(first.json()["releases"]) == 1
    nxt = first.headers["x-next-cursor"]
    assert 'rel="next"' in first.headers["link"]
    second = client.get("/ocds/packages", params={"after": nxt, "limit": 10})
    assert [r["tag"] for r in second.json()["releases"]][-1] == ["tenderAmendment"]
    end = client.get("/ocds/packages", params={"after": second.headers["x-next-cursor"]})
    assert end.status_code == 204
    month = to_helsinki(utc_now()).strftime("%Y-%m")
    index = client.get("/ocds/bulk").json()
    assert [m["month"] for m in index] == [month] and index[0]["releases"] == 2
    assert len(client.get(f"/ocds/bulk/{month}").json()["releases"]) == 2
    assert client.get("/ocds/bulk/2026-13").status_code == 422
    other = to_helsinki(utc_now() - timedelta(days=40)).strftime("%Y-%m")
    assert client.get(f"/ocds/bulk/{other}").status_code == 404
    assert "Never published" in client.get("/ocds/policy").text


def test_bid_counts_appear_only_once_the_bids_are_opened(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=2)
    _project(session)
    ocid = f"{PREFIX}-{cw.competition_id}"
    releases = client.get("/ocds/releases", params={"ocid": ocid}).json()["releases"]
    assert all("bids" not in r and "numberOfTenderers" not in r["tender"] for r in releases)
