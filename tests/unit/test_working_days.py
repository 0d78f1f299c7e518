"""Decision deadlines in Finnish working days (Europe/Helsinki, public holidays from `holidays`)."""

from datetime import date

import pytest

from registry.rules import add_working_days, decision_due, is_working_day, next_working_day

# received on, working days, due on: why
GOLDEN = [
    (date(2026, 11, 23), 10, date(2026, 12, 7), "plain fortnight; Independence Day 6.12. is a Sunday"),
    (date(2026, 12, 18), 10, date(2027, 1, 7), "Christmas Eve, Christmas, Boxing Day, New Year and Epiphany"),
    (date(2026, 11, 27), 10, date(2026, 12, 11), "SPEC 4.1: received Friday, day 1 is Monday 30.11."),
    (date(2026, 11, 28), 10, date(2026, 12, 11), "SPEC 4.1: received Saturday, day 1 is still Monday 30.11."),
    (date(2026, 11, 29), 10, date(2026, 12, 11), "SPEC 4.1: received Sunday, day 1 is still Monday 30.11."),
    (date(2026, 12, 19), 10, date(2027, 1, 7), "received Saturday: Monday 21.12. is day 1"),
    (date(2026, 12, 24), 10, date(2027, 1, 12), "received on Christmas Eve: Monday 28.12. is day 1"),
    (date(2026, 12, 30), 10, date(2027, 1, 15), "year boundary with New Year's Day and Epiphany"),
    (date(2027, 3, 19), 10, date(2027, 4, 6), "Easter 2027: Good Friday 26.3. and Easter Monday 29.3."),
    (date(2027, 6, 18), 10, date(2027, 7, 5), "Midsummer Eve 25.6. 2027 is a holiday"),
    (date(2026, 6, 19), 10, date(2026, 7, 3), "received on Midsummer Eve: Monday 22.6. is day 1"),
    (date(2026, 12, 18), 15, date(2027, 1, 14), "extended once to 15 working days"),
]


@pytest.mark.parametrize(("received", "days", "due", "why"), GOLDEN)
def test_decision_due(received: date, days: int, due: date, why: str) -> None:
    assert decision_due(received, days) == due, why


def test_working_day_calendar() -> None:
    assert is_working_day(date(2026, 12, 23))
    assert not is_working_day(date(2026, 12, 24))  # Christmas Eve
    assert not is_working_day(date(2027, 6, 25))  # Midsummer Eve
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert is_working_day(date(2026, 12, 31))  # New Year's Eve is an ordinary working day
    assert next_working_day(date(2026, 12, 24)) == date(2026, 12, 28)
    assert add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)
    assert add_working_days(date(2026, 12, 23), 0) == date(2026, 12, 23)
