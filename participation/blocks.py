"""Blocked people: moderators bar a person from publishing in one commune, for a time or until unblocked.

What a block means, action by action (the README's role matrix says the same):
- refused while blocked: proposing, editing a proposal, commenting, replying, editing a comment,
  supporting an idea, signing a petition, reporting content, creating a group, adding group members;
- still allowed: reading, following, withdrawing one's own proposal or support, deleting one's own
  comment, leaving a group, and voting: who may vote is set by the process's eligibility rules, which
  moderation does not override.
Pages show a blocked person why and until when instead of the forms they may not use.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import format_datetime, lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from .errors import Conflict, DomainError, NotFound, PermissionDenied
from .events import publish
from .extensions import db
from .jobs import commit
from .models import Commune, CommuneBlock, Role, User, utcnow
from .operations import audit, require_reason
from .permissions import require_role

# Durations moderators choose from, in days (None: until a moderator unblocks).
DURATIONS: dict[str, int | None] = {"1": 1, "7": 7, "30": 30, "365": 365, "indefinite": None}


class Blocked(PermissionDenied):
    """Refused because moderators blocked the person; carries the block so pages can say why and until when."""

    def __init__(self, block: CommuneBlock):
        if block.ends_at is None:
            message = _l("Moderators have blocked your account in this commune: %(reason)s", reason=block.reason)
        else:
            message = _l("Moderators have blocked your account in this commune until %(until)s: %(reason)s",
                         until=format_datetime(block.ends_at, "medium"), reason=block.reason)
        super().__init__(message)
        self.block = block


def active_block(user: User | None, commune: Commune, now: datetime | None = None) -> CommuneBlock | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(CommuneBlock).where(
        CommuneBlock.commune_id == commune.id, CommuneBlock.user_id == user.id,
        or_(CommuneBlock.ends_at.is_(None), CommuneBlock.ends_at > (now or utcnow()))))


def require_not_blocked(user: User, commune: Commune) -> None:
    block = active_block(user, commune)
    if block is not None:
        raise Blocked(block)


def block_user(actor: User, commune: Commune, user: User, reason: str, days: int | None = None) -> CommuneBlock:
    """Block `user` for `days` (None: until unblocked). Blocking again replaces the previous block."""
    require_role(actor, commune, Role.moderator)
    reason = require_reason(reason)
    if days is not None and not 1 <= days <= 3650:
        raise DomainError(_l("Choose how long the block lasts."), field="days")
    if user.id == actor.id:
        raise DomainError(_l("You cannot block yourself."))
    if user.has_role(commune, Role.moderator) or user.is_platform_admin:
        raise Conflict(_l("Staff of the commune cannot be blocked; ask an administrator to revoke the role."))
    now = utcnow()
    block = db.session.scalar(select(CommuneBlock).where(
        CommuneBlock.commune_id == commune.id, CommuneBlock.user_id == user.id))
    if block is None:
        block = CommuneBlock(commune_id=commune.id, user_id=user.id)
        db.session.add(block)
    block.reason, block.created_by_id, block.created_at = reason, actor.id, now
    block.ends_at = now + timedelta(days=days) if days is not None else None
    db.session.flush()
    until = block.ends_at.isoformat() if block.ends_at else None
    entry = audit(commune, actor, "moderation.block", "user", user.id, reason, params={"until": until})
    db.session.flush()
    publish("moderation.blocked", dedupe_key=f"moderation.blocked:{entry.id}", user_id=user.id,
            commune_id=commune.id, reason=reason, until=until, entry_id=entry.id)
    commit()
    return block


def unblock_user(actor: User, commune: Commune, user_id: int, reason: str) -> None:
    require_role(actor, commune, Role.moderator)
    reason = require_reason(reason)
    block = active_block(db.session.get(User, user_id), commune)
    if block is None:
        raise NotFound(_l("This person is not blocked."))
    db.session.delete(block)
    entry = audit(commune, actor, "moderation.unblock", "user", user_id, reason)
    db.session.flush()
    publish("moderation.unblocked", dedupe_key=f"moderation.unblocked:{entry.id}", user_id=user_id,
            commune_id=commune.id, entry_id=entry.id)
    commit()


def blocks(actor: User, commune: Commune) -> list[CommuneBlock]:
    """The blocks in force (ended ones stay in the audit log)."""
    require_role(actor, commune, Role.moderator)
    return list(db.session.scalars(
        select(CommuneBlock).where(CommuneBlock.commune_id == commune.id,
                                   or_(CommuneBlock.ends_at.is_(None), CommuneBlock.ends_at > utcnow()))
        .options(selectinload(CommuneBlock.user)).order_by(CommuneBlock.created_at)))
