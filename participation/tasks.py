"""Jobs of the participation package: account e-mails. Each takes ids and rebuilds what it needs."""
from __future__ import annotations

from flask import render_template
from flask_babel import force_locale, gettext as _, lazy_gettext as _l

from . import mail
from .extensions import db
from .jobs import periodic, task
from .models import User
from .urls import external_url


def send_templated(user: User, template: str, subject: str, **context) -> None:
    """Render `emails/<template>.txt` and `.html` in the user's language and send them."""
    text = render_template(f"emails/{template}.txt", user=user, **context)
    html = render_template(f"emails/{template}.html", user=user, **context)
    mail.send(mail.build_message(user.email, subject, text, html, headers=context.get("headers")))


@task
def send_email(to: str, subject: str, text: str, html: str | None = None) -> None:
    mail.send(mail.build_message(to, subject, text, html))


def _account(user_id: int | None, email: str | None) -> User | None:
    """The account a job is about: by id, or by the address someone typed (None when there is none)."""
    from .accounts.operations import find_by_email

    return db.session.get(User, user_id) if user_id is not None else find_by_email(email or "")


def _mail_account(user: User, template: str, subject, endpoint: str, **values) -> None:
    """`template` in the account's language, with `subject` (a lazy string) and a link to `endpoint`."""
    with force_locale(user.locale or "fr"):
        send_templated(user, template, str(subject), link=external_url(endpoint, **values))


@task
def send_confirmation(user_id: int | None = None, email: str | None = None) -> None:
    from .accounts.operations import confirmation_token

    user = _account(user_id, email)
    if user is not None and user.confirmed_at is None:
        _mail_account(user, "confirm", _l("Confirm your e-mail address"), "accounts.confirm",
                      token=confirmation_token(user))


@task
def send_password_reset(user_id: int | None = None, email: str | None = None) -> None:
    from .accounts.operations import reset_token

    user = _account(user_id, email)
    if user is not None:
        _mail_account(user, "reset", _l("Reset your password"), "accounts.reset", token=reset_token(user))


@task
def send_account_exists(user_id: int) -> None:
    user = db.session.get(User, user_id)
    if user is not None:
        _mail_account(user, "account_exists", _l("You already have an account"), "accounts.reset_request")


@task
def send_password_changed(user_id: int) -> None:
    """The owner hears of every password change: a stranger's change (and its sessions ended) is then
    noticed at once."""
    user = db.session.get(User, user_id)
    if user is not None:
        _mail_account(user, "password_changed", _l("Your password has been changed"), "accounts.reset_request")


@periodic(3600)
def prune_sessions() -> int:
    """Forget sessions whose cookies can no longer be read anyway."""
    from .accounts.sessions import prune_expired

    return prune_expired()


@task
def send_role_invitation(invitation_id: int) -> None:
    """In the language of the account the address belongs to, else the commune's."""
    from .accounts.invitations import invitation_token
    from .accounts.models import InvitationStatus, RoleInvitation
    from .accounts.operations import find_by_email
    from .forms import ROLE_NAMES

    invitation = db.session.get(RoleInvitation, invitation_id)
    if invitation is None or invitation.status != InvitationStatus.pending:
        return
    user, commune = find_by_email(invitation.email), invitation.commune
    lang = (user.locale if user else None) or commune.default_language or "fr"
    with force_locale(lang):
        link = external_url("accounts.invitation", token=invitation_token(invitation))
        context = {"user": user, "lang": lang, "link": link, "commune_name": commune.title(lang),
                   "role_name": str(ROLE_NAMES[invitation.role]), "expires_at": invitation.expires_at,
                   "inviter": invitation.invited_by.nickname if invitation.invited_by else ""}
        subject = _("Invitation to take part in running %(commune)s", commune=commune.title(lang))
        text = render_template("emails/invitation.txt", **context)
        html = render_template("emails/invitation.html", **context)
    mail.send(mail.build_message(invitation.email, subject, text, html))
