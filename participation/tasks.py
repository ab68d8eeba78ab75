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


LEGACY_FETCH_TIMEOUT = 10


@task
def import_legacy_image(owner: str, owner_id: int, url: str) -> None:
    """An image that was a typed address before migration 0004 (a commune's logo, a process's image, or
    one of a budget project's images): download it over http(s), run it through the image pipeline and
    attach it, unless it was replaced since. A failure is retried, then listed for platform
    administrators with the address, so they can upload the image by hand."""
    import logging
    from urllib.parse import urljoin
    from urllib.request import Request, urlopen

    from flask import current_app, url_for

    from . import images
    from .links import is_local_path, is_web_url
    from .models import Commune, Process
    from .operations import LOGO_SIDE, PROCESS_IMAGE_SIDE

    if owner == "project":
        from budgets.models import Project
        target = db.session.get(Project, owner_id)
        if target is None or not any(i.get("src") == url for i in target.images or []):
            return
    else:
        target = db.session.get(Commune if owner == "logo" else Process, owner_id)
        if target is None or (target.logo if owner == "logo" else target.image) is not None:
            return
    address = url.strip()
    if is_local_path(address):
        address = urljoin(current_app.config["BASE_URL"], address)
    if not is_web_url(address):
        logging.getLogger(__name__).warning("legacy image %s %s: %r is not an http(s) address, not imported",
                                            owner, owner_id, url)
        return
    request = Request(address, headers={"User-Agent": "participation-platform", "Accept": "image/*"})
    with urlopen(request, timeout=LEGACY_FETCH_TIMEOUT) as response:  # noqa: S310 - http(s) checked above
        data = response.read(images.MAX_BYTES + 1)
    kind, side = {"logo": ("logos", LOGO_SIDE), "process": ("processes", PROCESS_IMAGE_SIDE),
                  "project": ("projects", PROCESS_IMAGE_SIDE)}[owner]
    commune_id = target.id if owner == "logo" else target.commune_id
    with images.files_kept_on_commit() as written:
        image = images.add(data, commune_id=commune_id, kind=kind, field="image", max_side=side, written=written)
        if owner == "logo":
            target.logo = image
        elif owner == "process":
            target.image = image
        else:
            db.session.flush()
            commune = db.session.get(Commune, commune_id)
            with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
                local = url_for("communes.image", commune=commune.slug, filename=image.filename)
            target.images = [dict(i, src=local) if i.get("src") == url else i for i in target.images]
        db.session.commit()
