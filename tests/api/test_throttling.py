"""Repeated failures are slowed down (429 with Retry-After); honest traffic never is."""

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from procurement.core.throttle import Throttle
from tests.api.test_evaluation import evaluate, open_competition, score_all
from tests.factories.core import bearer, make_token


class FakeClock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_repeated_authentication_failures_from_one_client_wait(
    client: TestClient[Litestar], session: Session
) -> None:
    clock = FakeClock()
    client.app.state.auth_throttle = Throttle(allowed=10, window_s=60, clock=clock)
    good = bearer(make_token(session, role="admin"))
    statuses = [client.get("/me", headers=bearer(f"dpr_guess{i}")).status_code for i in range(10)]
    assert statuses == [401] * 10
    refused = client.get("/me", headers=bearer("dpr_guess10"))
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "60")
    assert refused.headers["content-type"] == "application/problem+json"
    # While it waits, that client's every try is refused unseen, a right guess too (it learns nothing).
    assert client.get("/me", headers=good).status_code == 429
    # Anonymous public reads are not authentication: they go on.
    assert client.get("/competitions").status_code == 200
    clock.now += 30
    assert client.get("/me", headers=good).headers["retry-after"] == "30"
    clock.now += 31
    assert client.get("/me", headers=good).status_code == 200


def test_honest_traffic_is_never_slowed(client: TestClient[Litestar], session: Session) -> None:
    good = bearer(make_token(session, role="admin"))
    assert {client.get("/me", headers=good).status_code for _ in range(200)} == {200}


def test_sign_in_failures_count_and_wait_too(client: TestClient[Litestar], session: Session) -> None:
    from tests.web.helpers import csrf_of

    client.app.state.auth_throttle = Throttle(allowed=3, window_s=60, clock=FakeClock())
    page = client.get("/ui/sign-in")
    csrf = csrf_of(page.text)
    statuses = [
        client.post("/ui/sign-in", data={"token": f"dpr_guess{i}", "_csrf": csrf}).status_code
        for i in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    assert client.get("/me", headers=bearer("dpr_x")).status_code == 429  # the API shares the count


def test_repeated_price_to_win_questions_wait(client: TestClient[Litestar], session: Session) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    run = evaluate(client, o)
    # A bidder reads its price to win once the award decision is issued.
    awarded = client.post(
        f"/competitions/{o.competition_id}/award",
        json={"evaluation_run_id": run["id"], "overrides": []},
        headers=o.officer,
    )
    assert awarded.status_code == 200, awarded.text
    clock = FakeClock()
    client.app.state.price_to_win_throttle = Throttle(allowed=5, window_s=60, clock=clock)
    url = f"/evaluation-runs/{run['id']}/price-to-win"
    mine = {"bid_id": o.bid_ids[3], "lot_id": o.lot_ids["LAHTI"]}
    answers = [client.get(url, params=mine, headers=o.officer).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    # Another principal asks on its own count: the bidder (after the award) is not throttled.
    assert client.get(url, params=mine, headers=o.bidders[3].headers).status_code == 200
    clock.now += 61
    assert client.post(url, json=mine, headers=o.officer).status_code == 200
