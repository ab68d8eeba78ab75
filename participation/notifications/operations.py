"""notify(): the one entry point other packages call to tell people about an event; plus what a person
does with their notifications (read them, unsubscribe from e-mails)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Iterable

from flask import current_app
from flask_babel import format_datetime, get_locale, lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import DateTime, Integer, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from ..errors import DomainError
from ..extensions import db
from ..jobs import check_lease, commit, enqueue
from ..models import EmailPreference, User, translate, utcnow
from ..permissions import get_belonging
from .models import Notification

BATCH = 500  # people per transaction and per e-mail job when fanning out
# kind -> message; params fill the placeholders. Packages add their kinds with register_kind().
KINDS: dict[str, object] = {}
# param name -> {stored value -> translatable label}, e.g. "channel": {"paper": _l("on paper")}.
PARAM_LABELS: dict[str, dict[str, object]] = {}


def register_kind(kind: str, message) -> None:
    """`message` is a lazy_gettext string with %(name)s placeholders filled from the notification's params."""
    KINDS[kind] = message


def register_labels(param: str, labels: dict[str, object]) -> None:
    """Stored values of a param shown through translatable labels (stored plain, rendered per reader)."""
    PARAM_LABELS.setdefault(param, {}).update(labels)


def _render_param(name: str, value):
    """Params are stored as JSON and rendered in the reader's language:
    a {lang: text} dict is translated, an ISO date-time under `time` or `*_at` is formatted, known values
    of a labelled param are translated."""
    if isinstance(value, dict):
        return translate(value, str(get_locale() or ""), None)
    if isinstance(value, str) and (name == "time" or name.endswith("_at")):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        return format_datetime(moment, "medium")
    labels = PARAM_LABELS.get(name)
    if labels and isinstance(value, str) and value in labels:
        return str(labels[value])
    return value


def message_for(notification: Notification) -> str:
    template = KINDS.get(notification.kind)
    if template is None:
        return notification.kind
    params = {k: _render_param(k, v) for k, v in (notification.params or {}).items()}
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


def absolute_url(url: str) -> str:
    """Notification links may be stored as paths; e-mails need the full address."""
    if not url or "://" in url:
        return url
    return current_app.config["BASE_URL"].rstrip("/") + "/" + url.lstrip("/")


_COLUMNS = "user_id, commune_id, kind, params, url, dedupe_key, created_at"
_INSERT = {
    # One parameter for all the ids: a multi-row VALUES list costs more to build and parse than to run.
    "postgresql": f"INSERT INTO notifications ({_COLUMNS}) "
                  "SELECT u, :commune_id, :kind, :params, :url, :dedupe_key, :created_at FROM unnest(:ids) AS u "
                  "ON CONFLICT (user_id, dedupe_key) DO NOTHING RETURNING id, user_id",
    "sqlite": f"INSERT INTO notifications ({_COLUMNS}) "
              "SELECT value, :commune_id, :kind, :params, :url, :dedupe_key, :created_at FROM json_each(:ids) "
              "WHERE true ON CONFLICT (user_id, dedupe_key) DO NOTHING RETURNING id, user_id",
}


def _insert_new(user_ids: list[int], **values) -> list[tuple[int, int]]:
    """Bulk insert, skipping people who already have this notification (even a concurrent twin).
    Returns (notification id, user id) of the rows actually created."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in _INSERT:  # pragma: no cover - PostgreSQL and SQLite are the supported databases
        raise RuntimeError(f"unsupported database {dialect}")
    ids = bindparam("ids", user_ids, type_=ARRAY(Integer)) if dialect == "postgresql" else \
        bindparam("ids", json.dumps(user_ids))
    stmt = text(_INSERT[dialect]).bindparams(
        ids, bindparam("params", type_=Notification.__table__.c.params.type),
        bindparam("created_at", type_=DateTime()))
    return [tuple(r) for r in db.session.execute(stmt, values).all()]


def notify(user_ids: Iterable[int], *, kind: str, dedupe_key: str, url: str = "", commune_id: int | None = None,
           params: dict | None = None) -> int:
    """Create one notification per person (skipping ones they already have) and queue the e-mails of
    those who want them immediately: one e-mail job per batch of BATCH people.

    Meant to run inside a job (an event handler). Each batch is one transaction holding both the
    notifications and their e-mail job, so a crash between batches loses nothing: the retried job
    skips the people already notified. Returns how many notifications were created."""
    from . import tasks

    ids = sorted({int(u) for u in user_ids if u is not None})
    created = 0
    now = utcnow()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        new = _insert_new(chunk, commune_id=commune_id, kind=kind, params=params or {}, url=url,
                          dedupe_key=dedupe_key, created_at=now)
        if new:
            immediate = set(db.session.scalars(select(User.id).where(
                User.id.in_([uid for _, uid in new]), User.email_preference == EmailPreference.immediately,
                User.confirmed_at.is_not(None))))
            to_mail = sorted(nid for nid, uid in new if uid in immediate)
            if to_mail:
                enqueue(tasks.email_notifications, dedupe_key=f"mail:{to_mail[0]}-{to_mail[-1]}",
                        notification_ids=to_mail)
        created += len(new)
        check_lease()  # a long fan-out stops if another worker took it over (it will finish it)
        commit()
    return created


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def recent(user: User, *, page: int = 1, per_page: int = 30) -> tuple[list[Notification], bool]:
    """A page of the person's notifications, newest first, and whether an older page exists."""
    rows = list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((max(page, 1) - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one notification (or all of them) read. Only the person's own: others are not found."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    count = db.session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    commit()
    return count


def open_notification(user: User, notification_id: int) -> Notification:
    notification = get_belonging(Notification, notification_id, lambda n: n.user_id == user.id,
                                 _l("No such notification."))
    if notification.read_at is None:
        notification.read_at = utcnow()
        commit()
    return notification


def _unsubscribe_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe-account")


def unsubscribe_token(user: User) -> str:
    """The account's id, signed and dated: no address in it (the token sits in mail headers and server
    logs), valid UNSUBSCRIBE_TOKEN_MAX_AGE (a link in an e-mail of last year still works, not forever)."""
    return _unsubscribe_serializer().dumps(user.id)


def user_for_unsubscribe(token: str) -> User:
    try:
        user_id = _unsubscribe_serializer().loads(token, max_age=current_app.config["UNSUBSCRIBE_TOKEN_MAX_AGE"])
    except SignatureExpired:
        raise DomainError(_l("This unsubscribe link has expired. Use the link of a more recent e-mail, or "
                             "change your e-mail preferences on your account page."))
    except BadSignature:
        raise DomainError(_l("This unsubscribe link is not valid."))
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise DomainError(_l("This unsubscribe link is not valid."))
    return user


def unsubscribe(token: str) -> User:
    """One click in an e-mail: no more notification e-mails (in-app notifications remain)."""
    user = user_for_unsubscribe(token)
    if user.email_preference != EmailPreference.never:
        user.email_preference = EmailPreference.never
        commit()
    return user
