"""The award decision's pages through the test client: the bidder files a request, the officer decides."""

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from tests.api.test_award_remedies import _awarded
from tests.factories.minicompetition import count
from tests.web.helpers import csrf_of, sign_in


def test_bidder_files_with_an_attachment_and_the_officer_dismisses(
    app: Litestar, client: TestClient[Litestar], session: Session
) -> None:
    o, decision = _awarded(client, session)
    bidder = o.bidders[3]
    with TestClient(app) as browser:
        csrf = sign_in(browser, bidder.token)
        page = browser.get(f"/ui/decisions/{decision['id']}")
        assert page.status_code == 200, page.text
        assert "Your lines: scores, rank, allocation and reason" in page.text or "Tarjousrivisi" in page.text
        doc = next(d for d in decision["documents"] if d["lang"] == "fi")
        pdf = browser.get(f"/ui/decision-documents/{doc['id']}/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        filed = browser.post(
            f"/ui/decisions/{decision['id']}/rectification-requests",
            data={"_csrf": csrf, "reasons": "Laatupisteet on laskettu väärin."},
            files={"attachment": ("muistio.txt", b"Muistio pisteytyksesta", "text/plain")},
            follow_redirects=False,
        )
        assert filed.status_code == 303, filed.text
        assert count(session, "rectification_attachment") == 1
    with TestClient(app) as officer:
        sign_in(officer, o.world.lead_officer)
        queue = officer.get("/ui/rectification-requests")
        assert queue.status_code == 200 and bidder.supplier.name in queue.text
        request_url = filed.headers["location"]
        detail = officer.get(request_url)
        assert "muistio.txt" in detail.text
        download = officer.get(f"{request_url}/attachments/1")
        assert (download.content, download.headers["content-disposition"]) == (
            b"Muistio pisteytyksesta",
            "attachment",
        )
        decided = officer.post(
            f"{request_url}/decision",
            data={"_csrf": csrf_of(detail.text), "outcome": "dismissed", "reasons": "Pisteytys oli oikea."},
            follow_redirects=False,
        )
        assert decided.status_code == 303, decided.text
        listing = officer.get(f"/ui/competitions/{o.competition_id}/decisions")
        assert listing.status_code == 200
        assert "hylätty" in listing.text or "dismissed" in listing.text
