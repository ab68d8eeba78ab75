"""Associations and collectives (user groups) that author proposals together."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from participation.errors import Conflict, DomainError, NotFound, PermissionDenied
from participation.extensions import db
from participation.jobs import commit
from participation.models import Commune, User
from participation.permissions import get_belonging

from .models import UserGroup, UserGroupMember
from .operations import require_participant


def create_group(actor: User, commune: Commune, name: str) -> UserGroup:
    require_participant(actor, commune)
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Give the group a name."), field="name")
    if db.session.scalar(select(UserGroup.id).where(UserGroup.commune_id == commune.id,
                                                    func.lower(UserGroup.name) == name.lower())):
        raise DomainError(_l("A group of this commune already has this name."), field="name")
    group = UserGroup(commune_id=commune.id, name=name, created_by_id=actor.id)
    group.members = [actor]
    db.session.add(group)
    commit()
    return group


def get_group(commune: Commune, group_id: int) -> UserGroup:
    return get_belonging(UserGroup, group_id, lambda g: g.commune_id == commune.id, _l("No such group."))


def add_member(actor: User, commune: Commune, group: UserGroup, nickname: str) -> User:
    """Members bring in other members: the group vouches for who speaks in its name."""
    require_participant(actor, commune)
    if group.commune_id != commune.id:
        raise NotFound(_l("No such group."))
    if actor not in group.members:
        raise PermissionDenied(_l("Only members of the group can add members."))
    user = db.session.scalar(select(User).where(func.lower(User.nickname) == (nickname or "").strip().lower()))
    if user is None:
        raise DomainError(_l("No account has the nickname %(name)s.", name=nickname), field="nickname")
    if user in group.members:
        raise Conflict(_l("This person is already a member."))
    db.session.add(UserGroupMember(group_id=group.id, user_id=user.id))
    commit()
    db.session.refresh(group)
    return user


def leave_group(actor: User, commune: Commune, group: UserGroup) -> None:
    if group.commune_id != commune.id:
        raise NotFound(_l("No such group."))
    db.session.query(UserGroupMember).filter_by(group_id=group.id, user_id=actor.id).delete()
    commit()
    db.session.refresh(group)
