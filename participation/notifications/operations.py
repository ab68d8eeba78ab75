"""notify(): the one entry point other packages call to tell people about an event."""
from __future__ import annotations

from typing import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..jobs import commit, enqueue
from ..models import EmailPreference, User, utcnow
from .models import Notification

BATCH = 500
# kind -> message; params fill the placeholders. Packages add their kinds with register_kind().
KINDS: dict[str, object] = {}


def register_kind(kind: str, message) -> None:
    KINDS[kind] = message


def message_for(notification: Notification) -> str:
    template = KINDS.get(notification.kind)
    if template is None:
        return notification.kind
    try:
        return str(template) % notification.params
    except (KeyError, TypeError, ValueError):
        return str(template)


def notify(user_ids: Iterable[int], *, kind: str, dedupe_key: str, url: str = "", commune_id: int | None = None,
           params: dict | None = None) -> int:
    """Create one notification per person (skipping ones they already have) and queue the e-mails of
    those who want them immediately, in batches. Meant to run inside a job; commits per batch."""
    from . import tasks

    ids = sorted(set(user_ids))
    created = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        have = set(db.session.scalars(select(Notification.user_id).where(
            Notification.user_id.in_(chunk), Notification.dedupe_key == dedupe_key)))
        fresh = [uid for uid in chunk if uid not in have]
        db.session.add_all(Notification(user_id=uid, commune_id=commune_id, kind=kind, params=params or {},
                                        url=url, dedupe_key=dedupe_key) for uid in fresh)
        immediate = list(db.session.scalars(select(User.id).where(
            User.id.in_(fresh), User.email_preference == EmailPreference.immediately,
            User.confirmed_at.is_not(None))))
        if immediate:
            enqueue(tasks.email_notifications, dedupe_key=f"mail:{dedupe_key}:{start}",
                    user_ids=immediate, notification_key=dedupe_key)
        created += len(fresh)
        commit()
    return created


def unread_count(user: User) -> int:
    from sqlalchemy import func
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(user: User, notification_id: int | None = None) -> None:
    query = select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    for n in db.session.scalars(query):
        n.read_at = utcnow()
    commit()


register_kind("test", _l("Test notification %(what)s"))
