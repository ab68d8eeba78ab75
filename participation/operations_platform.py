"""Platform administration: the communes of the deployment and the platform administrators."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from .errors import Conflict
from .extensions import db
from .jobs import commit
from .models import Commune, Membership, Process, Role, User
from .operations import audit
from .permissions import require_platform_admin


@dataclass
class CommuneRow:
    commune: Commune
    processes: int
    administrators: int


def communes_overview(actor: User) -> list[CommuneRow]:
    """Every commune with its number of processes and administrators, in three queries."""
    require_platform_admin(actor)
    communes = list(db.session.scalars(select(Commune).order_by(Commune.slug)))
    processes = dict(db.session.execute(select(Process.commune_id, func.count()).group_by(Process.commune_id)).all())
    admins = dict(db.session.execute(select(Membership.commune_id, func.count()).where(
        Membership.role == Role.administrator).group_by(Membership.commune_id)).all())
    return [CommuneRow(c, processes.get(c.id, 0), admins.get(c.id, 0)) for c in communes]


def platform_admins(actor: User) -> list[User]:
    require_platform_admin(actor)
    return list(db.session.scalars(select(User).where(User.is_platform_admin.is_(True)).order_by(User.nickname)))


def grant_platform_admin(actor: User, user: User) -> None:
    require_platform_admin(actor)
    if user.is_platform_admin:
        raise Conflict(_l("%(name)s is already a platform administrator.", name=user.nickname))
    if user.confirmed_at is None:
        raise Conflict(_l("%(name)s has not confirmed their e-mail address yet.", name=user.nickname))
    user.is_platform_admin = True
    audit(None, actor, "platform_admin.grant", "user", user.id)
    commit()


def revoke_platform_admin(actor: User, user: User) -> None:
    """Never the last one: the platform would have nobody left to create communes or retry jobs.
    Concurrent revocations are serialised by locking the administrators' rows (PostgreSQL), and the
    update itself re-counts them (SQLite serialises writers)."""
    require_platform_admin(actor)
    db.session.execute(select(User.id).where(User.is_platform_admin.is_(True)).order_by(User.id).with_for_update())
    others = select(func.count()).select_from(User).where(User.is_platform_admin.is_(True), User.id != user.id)
    done = db.session.execute(update(User).where(User.id == user.id, User.is_platform_admin.is_(True),
                                                 others.scalar_subquery() > 0)
                              .values(is_platform_admin=False).execution_options(synchronize_session=False))
    if not done.rowcount:
        db.session.rollback()
        if not db.session.get(User, user.id).is_platform_admin:
            raise Conflict(_l("%(name)s is not a platform administrator.", name=user.nickname))
        raise Conflict(_l("%(name)s is the last platform administrator: make someone else one first.",
                          name=user.nickname))
    audit(None, actor, "platform_admin.revoke", "user", user.id)
    commit()
    db.session.refresh(user)
