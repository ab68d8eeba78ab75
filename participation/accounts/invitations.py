"""Roles are offered, not imposed: a commune administrator invites an e-mail address, the person answers
from their own account. The administrator's answer is the same whether the address has an account or
not, so the roles page reveals nothing about who is registered."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..errors import Conflict, DomainError, NotFound, PermissionDenied
from ..extensions import db
from ..jobs import commit, enqueue
from ..models import Commune, Membership, Role, User, utcnow
from ..operations import audit
from ..permissions import get_belonging, require_role
from .models import InvitationStatus, RoleInvitation
from .operations import normalise_email


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="role-invitation")


def _max_age() -> int:
    return int(current_app.config["INVITATION_MAX_AGE"])


def invitation_token(invitation: RoleInvitation) -> str:
    return _serializer().dumps(invitation.id)


def invite(actor: User, commune: Commune, email: str, role: Role) -> RoleInvitation:
    """Offer `role` in `commune` to whoever reads `email`'s mailbox. Asking again renews the pending
    invitation (and sends it again) rather than piling up copies."""
    from .. import tasks

    require_role(actor, commune, Role.administrator)
    email, now = normalise_email(email), utcnow()
    invitation = db.session.scalar(select(RoleInvitation).where(
        RoleInvitation.commune_id == commune.id, RoleInvitation.email == email, RoleInvitation.role == role,
        RoleInvitation.status == InvitationStatus.pending))
    if invitation is None:
        invitation = RoleInvitation(commune_id=commune.id, email=email, role=role)
        db.session.add(invitation)
    invitation.invited_by_id, invitation.created_at = actor.id, now
    invitation.expires_at = now + timedelta(seconds=_max_age())
    db.session.flush()
    audit(commune, actor, "role.invite", "invitation", invitation.id, params={"role": role.value})
    enqueue(tasks.send_role_invitation, invitation_id=invitation.id)
    commit()
    return invitation


def pending(actor: User, commune: Commune) -> list[RoleInvitation]:
    require_role(actor, commune, Role.administrator)
    return list(db.session.scalars(
        select(RoleInvitation).where(RoleInvitation.commune_id == commune.id,
                                     RoleInvitation.status == InvitationStatus.pending)
        .options(joinedload(RoleInvitation.invited_by))
        .order_by(RoleInvitation.created_at.desc(), RoleInvitation.id.desc())))


def withdraw(actor: User, commune: Commune, invitation_id: int) -> RoleInvitation:
    require_role(actor, commune, Role.administrator)
    invitation = get_belonging(RoleInvitation, invitation_id, lambda i: i.commune_id == commune.id,
                               _l("No such invitation."))
    if invitation.status != InvitationStatus.pending:
        raise Conflict(_l("This invitation has already been answered or withdrawn."))
    invitation.status, invitation.answered_at = InvitationStatus.withdrawn, utcnow()
    audit(commune, actor, "role.invitation_withdraw", "invitation", invitation.id,
          params={"role": invitation.role.value})
    commit()
    return invitation


def invitation_for(token: str) -> RoleInvitation:
    """The invitation a link names, still waiting for its answer; else a message saying why not."""
    try:
        invitation_id = _serializer().loads(token, max_age=_max_age())
    except SignatureExpired:
        raise DomainError(_l("This invitation has expired. Ask the commune's administrators for a new one."))
    except BadSignature:
        raise DomainError(_l("This invitation link is not valid."))
    invitation = db.session.get(RoleInvitation, invitation_id) if isinstance(invitation_id, int) else None
    if invitation is None:
        raise NotFound(_l("This invitation link is not valid."))
    if invitation.status == InvitationStatus.withdrawn:
        raise Conflict(_l("This invitation has been withdrawn."))
    if invitation.status != InvitationStatus.pending:
        raise Conflict(_l("This invitation has already been answered."))
    if not invitation.is_open():
        raise Conflict(_l("This invitation has expired. Ask the commune's administrators for a new one."))
    return invitation


def _addressed_to(user: User, invitation: RoleInvitation) -> None:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_l("Please log in first."))
    if user.email != invitation.email:
        raise PermissionDenied(_l("This invitation was sent to another e-mail address: log in with the account "
                                  "of that address to answer it."))


def accept(user: User, token: str) -> RoleInvitation:
    """The person takes the role, if whoever offered it may still give it."""
    invitation = invitation_for(token)
    _addressed_to(user, invitation)
    commune = invitation.commune
    inviter = invitation.invited_by
    if inviter is None or not inviter.has_role(commune, Role.administrator):
        raise Conflict(_l("The person who invited you can no longer give this role. Ask the commune's "
                          "administrators for a new invitation."))
    exists = db.session.scalar(select(Membership.id).where(
        Membership.user_id == user.id, Membership.commune_id == commune.id, Membership.role == invitation.role))
    if not exists:
        db.session.add(Membership(user_id=user.id, commune_id=commune.id, role=invitation.role))
    _answer(user, invitation, InvitationStatus.accepted)
    audit(commune, user, "role.accept", "user", user.id,
          params={"role": invitation.role.value, "inviter": inviter.nickname})
    commit()
    return invitation


def decline(user: User, token: str) -> RoleInvitation:
    invitation = invitation_for(token)
    _addressed_to(user, invitation)
    _answer(user, invitation, InvitationStatus.declined)
    audit(invitation.commune, user, "role.decline", "user", user.id, params={"role": invitation.role.value})
    commit()
    return invitation


def _answer(user: User, invitation: RoleInvitation, status: InvitationStatus) -> None:
    invitation.status, invitation.answered_by_id, invitation.answered_at = status, user.id, utcnow()
