"""Signed-in sessions, kept server-side so that they can end.

Flask's session cookie and Flask-Login's remember-me cookie are signed, not stored: on their own they
stay valid for as long as they are signed for (a month, a year), wherever they are copied to. So each
sign-in creates an `AccountSession` row and both cookies carry "<account id>:<random key>"
(`User.get_id()`); every request checks that the row still exists (the login manager's loader here, and
the lean ballot endpoint in the same SQL statement as the cast). Logout deletes this browser's row; a
password change or reset and "sign out everywhere" delete all of the account's rows.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete, func, select

from ..extensions import db
from ..jobs import commit
from ..models import User, utcnow
from .models import AccountSession

REMEMBER_FOR = timedelta(days=365)  # Flask-Login's default REMEMBER_COOKIE_DURATION


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_id(ident: object) -> tuple[int, str] | None:
    """(account id, session key) from a cookie's "<id>:<key>", or None for anything else."""
    if not isinstance(ident, str):
        return None
    account, _, key = ident.partition(":")
    if not (account.isascii() and account.isdigit() and len(account) <= 12 and 20 <= len(key) <= 100):
        return None
    return int(account), key


def load_user(ident: str) -> User | None:
    """Flask-Login's user loader: the account, if the session its cookie names is still open."""
    parsed = parse_id(ident)
    if parsed is None:
        return None
    account, key = parsed
    user = db.session.scalar(
        select(User).join(AccountSession, AccountSession.user_id == User.id)
        .where(User.id == account, AccountSession.key_hash == key_hash(key), AccountSession.expires_at > utcnow()))
    if user is not None:
        user.session_key = key
    return user


def _lifetime(remember: bool) -> timedelta:
    """As long as the cookie that will carry the key can be replayed: Flask reads a session cookie for
    PERMANENT_SESSION_LIFETIME, Flask-Login a remember-me cookie for REMEMBER_COOKIE_DURATION."""
    if not remember:
        return current_app.permanent_session_lifetime
    duration = current_app.config.get("REMEMBER_COOKIE_DURATION", REMEMBER_FOR)
    return duration if isinstance(duration, timedelta) else timedelta(seconds=int(duration))


def open_session(user: User, *, remember: bool = False) -> str:
    """Record a new session of `user` and return its key (the cookies' part of the secret)."""
    key = secrets.token_urlsafe(32)
    db.session.add(AccountSession(user_id=user.id, key_hash=key_hash(key), expires_at=utcnow() + _lifetime(remember)))
    commit()
    return key


def sign_in(user: User, *, remember: bool = False) -> None:
    """Open a session and hand it to Flask-Login (session cookie, and remember-me cookie if asked)."""
    user.session_key = open_session(user, remember=remember)
    login_user(user, remember=remember)


def sign_out() -> None:
    """End the session of this request (and so every copy of its cookies), then forget it here."""
    key = getattr(current_user, "session_key", None) if current_user.is_authenticated else None
    if key:
        db.session.execute(delete(AccountSession).where(AccountSession.key_hash == key_hash(key)))
        commit()
    logout_user()


def end_all(user: User) -> int:
    """Delete every session of the account, in the caller's transaction (it commits)."""
    return db.session.execute(delete(AccountSession).where(AccountSession.user_id == user.id)).rowcount


def count_open(user: User) -> int:
    return db.session.scalar(select(func.count(AccountSession.id)).where(
        AccountSession.user_id == user.id, AccountSession.expires_at > utcnow())) or 0


def prune_expired() -> int:
    deleted = db.session.execute(delete(AccountSession).where(AccountSession.expires_at <= utcnow())).rowcount
    db.session.commit()
    return deleted


def open_sessions(user_ids: list[int]) -> list[str]:
    """Sessions for many accounts at once, as signing each in would open them (benchmarks and load tests
    build their session cookies from these): the cookie ids "<id>:<key>", in the order given."""
    keys = [secrets.token_urlsafe(32) for _ in user_ids]
    expires = utcnow() + _lifetime(False)
    if user_ids:
        db.session.execute(AccountSession.__table__.insert(), [
            {"user_id": uid, "key_hash": key_hash(key), "created_at": utcnow(), "expires_at": expires}
            for uid, key in zip(user_ids, keys)])
    db.session.commit()
    return [f"{uid}:{key}" for uid, key in zip(user_ids, keys)]
