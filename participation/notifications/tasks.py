"""E-mail delivery of notifications."""
from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select

from .. import mail
from ..extensions import db
from ..jobs import task
from ..models import User, utcnow
from .models import Notification
from .operations import message_for


@task
def email_notifications(user_ids: list[int], notification_key: str) -> None:
    """Send each person their notification; one already e-mailed is skipped, so a retry sends no duplicate."""
    rows = db.session.execute(select(Notification, User).join(User, User.id == Notification.user_id).where(
        Notification.user_id.in_(user_ids), Notification.dedupe_key == notification_key,
        Notification.emailed_at.is_(None))).all()
    for notification, user in rows:
        with force_locale(user.locale or "fr"):
            text = message_for(notification)
            body = f"{text}\n\n{notification.url}\n" if notification.url else f"{text}\n"
            mail.send(mail.build_message(user.email, text[:150], body))
        notification.emailed_at = utcnow()
        db.session.commit()  # per message: a crash after this point never re-sends this one
