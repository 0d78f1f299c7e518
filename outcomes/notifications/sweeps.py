"""Events the clock makes: deadline reminders and the end of a standstill, each written once."""

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session

from procurement.core import outbox


def sweep(session: Session, *, now: datetime, reminder_days: list[int]) -> int:
    """Emit the reminders and standstill ends that are due and not yet written (dedup keys)."""
    written = 0
    for days in sorted(set(reminder_days)):
        due = session.execute(
            text(
                "SELECT c.id, c.tender_deadline FROM competition c WHERE c.state = 'published'"
                " AND c.tender_deadline > :now AND c.tender_deadline <= :horizon AND NOT EXISTS ("
                "  SELECT 1 FROM outbox_event e WHERE e.subject_type = 'competition'"
                "  AND e.subject_id = c.id::text AND e.kind = 'competition.deadline_reminder'"
                "  AND e.data ->> 'days' = :d AND e.data ->> 'tender_deadline' IS NOT NULL"
                "  AND (e.data ->> 'tender_deadline')::timestamptz = c.tender_deadline)"
            ),
            {"now": now, "horizon": now + timedelta(days=days), "d": str(days)},
        ).all()
        for competition_id, deadline in due:
            # A moved deadline gets its own reminders: the key names the deadline.
            written += (
                outbox.emit(
                    session,
                    "competition.deadline_reminder",
                    subject=("competition", competition_id),
                    at=now,
                    data={"days": days, "tender_deadline": deadline},
                    dedup_key=f"reminder:{competition_id}:{days}:{deadline.isoformat()}",
                )
                is not None
            )
    ended = session.execute(
        text(
            "SELECT a.id, a.competition_id, a.standstill_ends_at FROM award_decision a"
            " JOIN competition c ON c.id = a.competition_id"
            " WHERE a.standstill_ends_at <= :now AND c.state IN ('awarded', 'concluded')"
            " AND NOT EXISTS (SELECT 1 FROM outbox_event e WHERE e.dedup_key = 'standstill:' || a.id::text)"
        ),
        {"now": now},
    ).all()
    for award_id, competition_id, ends_at in ended:
        written += (
            outbox.emit(
                session,
                "competition.standstill_ended",
                subject=("competition", competition_id),
                at=ends_at,
                dedup_key=f"standstill:{award_id}",
            )
            is not None
        )
    return written
