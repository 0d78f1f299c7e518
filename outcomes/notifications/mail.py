"""E-mail: due messages sent through the configured SMTP server; a daily digest joins a supplier's
messages of the day into one. Nothing personal or sealed is ever in them (payloads.email_text)."""

import smtplib
from collections import defaultdict
from datetime import datetime, timedelta
from email.message import EmailMessage as Mail
from email.utils import format_datetime, make_msgid

from sqlalchemy import text
from sqlmodel import Session

from procurement.core.settings import Settings

MAX_ATTEMPTS = 10

_DUE = text(
    "SELECT id, to_address, subject, body, digest, attempts FROM email_message"
    " WHERE state = 'pending' AND send_after <= :now ORDER BY supplier_id, digest, id LIMIT :n"
    " FOR UPDATE SKIP LOCKED"
)


def _smtp(settings: Settings) -> smtplib.SMTP:
    assert settings.smtp_host is not None  # noqa: S101 (checked by the caller)
    server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    if settings.smtp_starttls:
        server.starttls()
    if settings.smtp_username and settings.smtp_password:
        server.login(settings.smtp_username, settings.smtp_password.get_secret_value())
    return server


def _compose(settings: Settings, *, to: str, subject: str, body: str, now: datetime) -> Mail:
    mail = Mail()
    mail["From"], mail["To"], mail["Subject"] = settings.mail_from, to, subject
    mail["Date"], mail["Message-ID"] = format_datetime(now), make_msgid(domain="dpr")
    mail.set_content(body)
    return mail


def send_due(session: Session, *, now: datetime, settings: Settings, limit: int = 200) -> int:
    """Send what is due (digests joined per address); returns how many messages went out."""
    if settings.smtp_host is None:
        return 0  # no mail server configured: messages wait
    rows = session.execute(_DUE, {"now": now, "n": limit}).all()
    if not rows:
        return 0
    batches: dict[tuple[str, bool, int], list[tuple[int, str, str, int]]] = defaultdict(list)
    for id_, to, subject, body, digest, attempts in rows:
        batches[(to, digest, 0 if digest else id_)].append((id_, subject, body, attempts))
    sent = 0
    try:
        server = _smtp(settings)
    except (OSError, smtplib.SMTPException) as exc:
        _failed(session, [r[0] for r in rows], error=str(exc), now=now, attempts=max(r[5] for r in rows))
        return 0
    with server:
        for (to, digest, _), items in batches.items():
            subject = f"Päivän ilmoitukset / Today's notices ({len(items)})" if digest else items[0][1]
            body = "\n\n---\n\n".join(f"{s}\n\n{b}" for _, s, b, _ in items) if digest else items[0][2]
            ids = [i[0] for i in items]
            try:
                server.send_message(_compose(settings, to=to, subject=subject, body=body, now=now))
            except smtplib.SMTPException as exc:
                _failed(session, ids, error=str(exc), now=now, attempts=max(i[3] for i in items))
                continue
            session.execute(
                text(
                    "UPDATE email_message SET state = 'sent', sent_at = :now, attempts = attempts + 1"
                    " WHERE id = ANY(:ids)"
                ),
                {"now": now, "ids": ids},
            )
            sent += 1
    return sent


def _failed(session: Session, ids: list[int], *, error: str, now: datetime, attempts: int) -> None:
    state = "failed" if attempts + 1 >= MAX_ATTEMPTS else "pending"
    session.execute(
        text(
            "UPDATE email_message SET attempts = attempts + 1, last_error = :e, state = :s,"
            " send_after = :retry WHERE id = ANY(:ids)"
        ),
        {"e": error[:500], "s": state, "retry": now + timedelta(minutes=2 ** min(attempts, 6)), "ids": ids},
    )
