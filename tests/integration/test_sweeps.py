"""The clock's events: deadline reminders 3 and 1 days before T, once each (again for a moved deadline),
and the end of a standstill once, dated when it ended."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from outcomes.notifications.sweeps import sweep
from procurement.core import outbox
from procurement.core.clock import utc_now
from tests.factories.minicompetition import move_deadline, publish_competition


def _reminders(session: Session, competition_id: str) -> list[int]:
    events = outbox.events_of(
        session, subject=("competition", competition_id), upto=outbox.Cursor(2**62, 2**62)
    )
    return [e.data["days"] for e in events if e.kind == "competition.deadline_reminder"]


def test_reminders_go_once_per_day_mark_and_again_for_a_moved_deadline(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=2)
    now = utc_now()
    assert sweep(session, now=now, reminder_days=[3, 1]) == 0  # the deadline is 10+ days away
    move_deadline(session, cw.competition_id, from_now=timedelta(days=2))
    assert sweep(session, now=now, reminder_days=[3, 1]) == 1
    assert sweep(session, now=now, reminder_days=[3, 1]) == 0
    assert _reminders(session, cw.competition_id) == [3]
    move_deadline(session, cw.competition_id, from_now=timedelta(hours=20))
    assert sweep(session, now=now, reminder_days=[3, 1]) == 2  # a new deadline: both marks are due
    assert sorted(_reminders(session, cw.competition_id)) == [1, 3, 3]
    move_deadline(session, cw.competition_id, from_now=timedelta(hours=-1))
    assert sweep(session, now=now, reminder_days=[3, 1]) == 0  # past the deadline: no reminder


def test_the_standstill_end_is_announced_once_at_its_moment(session: Session) -> None:
    from tests.factories.outcomes import make_outcome_world

    competition_id = make_outcome_world(session, suppliers=1).awarded.competition.id
    ends = session.execute(
        text("SELECT standstill_ends_at FROM award_decision WHERE competition_id = :c"), {"c": competition_id}
    ).scalar_one()
    assert sweep(session, now=ends - timedelta(seconds=1), reminder_days=[]) == 0
    assert sweep(session, now=ends + timedelta(days=1), reminder_days=[]) == 1
    assert sweep(session, now=ends + timedelta(days=2), reminder_days=[]) == 0
    events = outbox.events_of(
        session, subject=("competition", competition_id), upto=outbox.Cursor(2**62, 2**62)
    )
    ended = [e for e in events if e.kind == "competition.standstill_ended"]
    assert [e.at for e in ended] == [ends]
