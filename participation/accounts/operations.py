"""Account operations. Messages never reveal whether an e-mail address has an account."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import DomainError
from ..extensions import db
from ..jobs import commit, enqueue
from ..models import EmailPreference, User, utcnow
from . import sessions

# A constant hash checked when the e-mail is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not a real password")


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def signup(email: str, nickname: str, password: str, locale: str = "fr") -> User | None:
    """Create an account and send the confirmation link. Returns None when the address is taken:
    the owner gets an e-mail instead and the visitor sees the same message as a real sign-up."""
    from .. import tasks

    email, nickname = normalise_email(email), nickname.strip()
    if db.session.scalar(select(User.id).where(func.lower(User.nickname) == nickname.lower())):
        raise DomainError(_l("This nickname is already taken."), field="nickname")
    # Hashed whether or not the address is known: the hash is most of the time this takes, and a
    # difference would tell a stranger which addresses have an account. One job either way.
    password_hash = generate_password_hash(password)
    existing = find_by_email(email)
    if existing is not None:
        enqueue(tasks.send_account_exists, user_id=existing.id)
        commit()
        return None
    user = User(email=email, nickname=nickname, password_hash=password_hash,
                locale=locale, email_preference=EmailPreference.immediately)
    db.session.add(user)
    db.session.flush()
    enqueue(tasks.send_confirmation, user_id=user.id)
    commit()
    return user


def confirmation_token(user: User) -> str:
    return _serializer("confirm").dumps({"id": user.id, "email": user.email})


def confirm(token: str) -> User:
    try:
        data = _serializer("confirm").loads(token, max_age=current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    except SignatureExpired:
        raise DomainError(_l("This confirmation link has expired. Ask for a new one."))
    except BadSignature:
        raise DomainError(_l("This confirmation link is not valid."))
    user = db.session.get(User, data.get("id"))
    if user is None or user.email != data.get("email"):
        raise DomainError(_l("This confirmation link is not valid."))
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()
        commit()
    return user


def resend_confirmation(email: str) -> None:
    """Queued whoever asks: the job looks the address up (answers and timings alike reveal nothing)."""
    from .. import tasks

    enqueue(tasks.send_confirmation, email=normalise_email(email))
    commit()


def authenticate(email: str, password: str) -> User:
    user = find_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise DomainError(_l("E-mail address or password incorrect."))
    if not check_password_hash(user.password_hash, password):
        raise DomainError(_l("E-mail address or password incorrect."))
    if user.confirmed_at is None:
        # Only said after a correct password, so it reveals nothing to a stranger.
        raise DomainError(_l("Please confirm your e-mail address first: we sent you a link."), field="unconfirmed")
    return user


def reset_token(user: User) -> str:
    # The password hash's tail makes the link single-use: it changes with the password.
    return _serializer("reset").dumps({"id": user.id, "h": user.password_hash[-16:]})


def request_reset(email: str) -> None:
    """Queued whoever asks: the job looks the address up and sends nothing for an unknown one."""
    from .. import tasks

    enqueue(tasks.send_password_reset, email=normalise_email(email))
    commit()


def user_for_reset(token: str) -> User:
    try:
        data = _serializer("reset").loads(token, max_age=current_app.config["RESET_TOKEN_MAX_AGE"])
    except SignatureExpired:
        raise DomainError(_l("This link has expired. Ask for a new one."))
    except BadSignature:
        raise DomainError(_l("This link is not valid."))
    user = db.session.get(User, data.get("id"))
    if user is None or user.password_hash[-16:] != data.get("h"):
        raise DomainError(_l("This link has already been used or is not valid."))
    return user


def _set_password(user: User, password: str) -> None:
    """A new password ends every session of the account (whoever held one) and tells the owner."""
    from .. import tasks

    user.password_hash = generate_password_hash(password)
    sessions.end_all(user)
    enqueue(tasks.send_password_changed, user_id=user.id)


def reset_password(token: str, password: str) -> User:
    user = user_for_reset(token)
    _set_password(user, password)
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()  # the link reached the mailbox: the address is confirmed
    commit()
    return user


def change_password(user: User, current: str, password: str) -> None:
    """From the account page: the current password first (a borrowed, signed-in browser is not enough)."""
    if not check_password_hash(user.password_hash, current):
        raise DomainError(_l("Your current password is not correct."), field="current")
    _set_password(user, password)
    commit()


def end_all_sessions(user: User) -> int:
    """"Sign out everywhere": every browser signed in to this account, this one included."""
    ended = sessions.end_all(user)
    commit()
    return ended


def update_account(user: User, *, nickname: str, locale: str, email_preference: str) -> User:
    nickname = nickname.strip()
    clash = db.session.scalar(select(User.id).where(func.lower(User.nickname) == nickname.lower()))
    if clash and clash != user.id:
        raise DomainError(_l("This nickname is already taken."), field="nickname")
    user.nickname, user.locale = nickname, locale
    user.email_preference = EmailPreference(email_preference)
    commit()
    return user


def create_user(email: str, nickname: str, password: str, *, confirmed: bool = True,
                platform_admin: bool = False, locale: str | None = "fr") -> User:
    """For the command line and the demo: no e-mail round trip."""
    user = User(email=normalise_email(email), nickname=nickname, password_hash=generate_password_hash(password),
                locale=locale, confirmed_at=utcnow() if confirmed else None, is_platform_admin=platform_admin)
    db.session.add(user)
    db.session.flush()
    return user
