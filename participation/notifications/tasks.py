"""E-mail delivery of notifications (immediately, or as a daily digest) and the periodic checks.

Delivery guarantee, honestly: at-least-once, with at most one duplicate per sending thread per crash
(MAIL_SEND_THREADS, default 4; set it to 1 for at most one). Each message is sent, then its
`emailed_at` is committed on its own. A worker killed between the SMTP server's "250 OK" and that
commit (a window of about a millisecond per message) leaves that message unmarked, and the job,
handed out again once its lease goes stale, sends it a second time. Marking before sending would turn
this into at-most-once (a crash would lose the message instead); we prefer a rare duplicate to a
lost message. Duplicates carry the same Message-ID (`notification-<id>@host`),
so mail clients and filters can recognise them. Nothing else can duplicate: a job runs under a lease
(see participation.jobs), so two workers never send the same batch at the same time.
"""
from __future__ import annotations

import logging
import os
import smtplib
from datetime import date, datetime, timedelta, timezone
from threading import Thread
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update

from .. import mail
from ..extensions import db
from ..jobs import check_lease, commit, current_run, enqueue, periodic, task
from ..models import EmailPreference, User, utcnow
from . import handlers  # noqa: F401 - registers the event handlers and kinds
from .emails import digest_email, notification_email
from .models import Notification, NotificationDigest

log = logging.getLogger(__name__)
DIGEST_BATCH = 200  # people per digest job
DIGEST_MAX_AGE = timedelta(days=7)  # older un-e-mailed notifications are not worth a digest
DIGEST_MAX_ITEMS = 50


def _permanent(exc: smtplib.SMTPException) -> bool:
    """A refusal the server will repeat (5xx): retrying the job would not help this address."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, (smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) and exc.smtp_code >= 500


def _setting(name: str, default: int) -> int:
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name)
    return default if value is None or value == "" else int(value)


def _send_threads() -> int:
    return max(1, _setting("MAIL_SEND_THREADS", 4))


@task
def email_notifications(notification_ids: list[int]) -> None:
    """Send each notification of the batch to its person; those already e-mailed are skipped, so a
    retried or re-delivered job only sends what is left. A large batch is sent by MAIL_SEND_THREADS
    threads, each with its own SMTP session: most of a message's time is spent waiting for the SMTP
    server and the database, so the threads overlap their waits."""
    # Plain values, not ORM objects: the per-message commits must not expire (and reload) them.
    rows = [(SimpleNamespace(id=r.id, kind=r.kind, params=r.params, url=r.url),
             SimpleNamespace(id=r.user_id, email=r.email, nickname=r.nickname, locale=r.locale,
                             email_preference=r.email_preference, confirmed_at=r.confirmed_at))
            for r in db.session.execute(
                select(Notification.id, Notification.kind, Notification.params, Notification.url,
                       Notification.user_id, User.email, User.nickname, User.locale, User.email_preference,
                       User.confirmed_at)
                .join(User, User.id == Notification.user_id)
                .where(Notification.id.in_(notification_ids), Notification.emailed_at.is_(None))
                .order_by(Notification.id))]
    db.session.commit()
    threads = min(_send_threads(), max(1, len(rows) // 20))
    if threads == 1:
        _send_rows(rows, current_run())
        return
    app, run, errors = current_app._get_current_object(), current_run(), []

    def send_part(part):
        with app.app_context():
            try:
                _send_rows(part, run)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the job's thread below
                errors.append(exc)
    workers = [Thread(target=send_part, args=(rows[i::threads],), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]  # the job is retried; every message sent so far is marked


def _send_rows(rows: list, run) -> None:
    # Each mark is its own transaction on its own connection: one round trip, durable at once.
    with mail.connection() as out, \
            db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as marks:
        for notification, user in rows:
            check_lease(run)
            if user.email_preference != EmailPreference.immediately or user.confirmed_at is None:
                continue  # changed their mind since: a daily digest, or nothing, will do
            try:
                out.send(notification_email(user, notification))
            except smtplib.SMTPException as exc:
                if not _permanent(exc):
                    raise  # the job is retried later; what was sent is already marked
                log.warning("notification %s to user %s refused: %s", notification.id, user.id, exc)
                continue
            marks.execute(update(Notification).where(Notification.id == notification.id).values(emailed_at=utcnow()))


def local_today(now: datetime | None = None) -> date:
    tz = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Paris"))
    return (now or utcnow()).replace(tzinfo=timezone.utc).astimezone(tz).date()


def _pending_filter(since: datetime):
    return (Notification.emailed_at.is_(None), Notification.read_at.is_(None), Notification.created_at >= since)


def schedule_digests(now: datetime | None = None) -> int:
    """Queue today's digests: one job per DIGEST_BATCH people whose preference is daily and who have
    notifications not yet e-mailed nor read. Idempotent: run it from cron as often as you like."""
    now = now or utcnow()
    day = local_today(now)
    sent_today = select(NotificationDigest.user_id).where(NotificationDigest.day == day)
    user_ids = sorted(db.session.scalars(
        select(Notification.user_id).distinct().join(User, User.id == Notification.user_id).where(
            User.email_preference == EmailPreference.daily, User.confirmed_at.is_not(None),
            Notification.user_id.not_in(sent_today), *_pending_filter(now - DIGEST_MAX_AGE))))
    jobs = 0
    for start in range(0, len(user_ids), DIGEST_BATCH):
        batch = user_ids[start:start + DIGEST_BATCH]
        if enqueue(send_digests, dedupe_key=f"digest:{day.isoformat()}:{batch[0]}-{batch[-1]}",
                   user_ids=batch, day=day.isoformat()) is not None:
            jobs += 1
    commit()
    return jobs


@task
def send_digests(user_ids: list[int], day: str) -> None:
    """One e-mail per person listing their pending notifications; at most one digest per (person, day)."""
    the_day = date.fromisoformat(day)
    done = set(db.session.scalars(select(NotificationDigest.user_id).where(
        NotificationDigest.user_id.in_(user_ids), NotificationDigest.day == the_day)))
    with mail.connection() as out:
        for user_id in user_ids:
            if user_id in done:
                continue
            check_lease()
            user = db.session.get(User, user_id)
            if user is None or user.email_preference != EmailPreference.daily or user.confirmed_at is None:
                continue
            pending = list(db.session.scalars(select(Notification).where(
                Notification.user_id == user_id, *_pending_filter(utcnow() - DIGEST_MAX_AGE))
                .order_by(Notification.created_at.desc(), Notification.id.desc())))
            if not pending:
                continue
            out.send(digest_email(user, pending[:DIGEST_MAX_ITEMS], the_day, total=len(pending)))
            db.session.execute(update(Notification).where(Notification.id.in_([n.id for n in pending]))
                               .values(emailed_at=utcnow()).execution_options(synchronize_session=False))
            db.session.add(NotificationDigest(user_id=user_id, day=the_day, count=len(pending)))
            db.session.commit()


@periodic(600)
def digests_when_due() -> None:
    """Workers send the day's digests once the local clock passes DIGEST_HOUR (default 18:00)."""
    tz = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Paris"))
    if datetime.now(tz).hour >= _setting("DIGEST_HOUR", 18):
        schedule_digests()


@periodic(60)
def tick_phases() -> None:
    from .phases import tick
    tick()
