"""Moderation: reports, automatic hiding after N reports, the moderators' queue, hiding and blocking.

Moderators hide and unhide content and block people; they never edit what others wrote. Every
moderator action leaves an audit entry (who, what, when, why).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from participation.errors import Conflict, DomainError, NotFound
from participation.extensions import db
from participation.jobs import commit
from participation.models import Commune, Process, Role, User, utcnow
from participation.operations import audit
from participation.permissions import require_role, require_same_commune

from .models import Comment, CommuneBlock, Proposal, Report, ReportReason, ReportTarget
from .operations import require_participant, settings_for

MAX_REASON = 2000


def _target(commune: Commune, target_type: ReportTarget, target_id: int) -> Proposal | Comment:
    model = Proposal if target_type == ReportTarget.proposal else Comment
    obj = db.session.get(model, target_id)
    if obj is None:
        raise NotFound(_l("No such content."))
    proposal = obj if isinstance(obj, Proposal) else obj.proposal
    require_same_commune(proposal.commune_id, commune)
    return obj


def _proposal_of(obj: Proposal | Comment) -> Proposal:
    return obj if isinstance(obj, Proposal) else obj.proposal


def report(actor: User, commune: Commune, target_type: ReportTarget, target_id: int, *,
           reason: ReportReason, text: str = "") -> Report:
    """One report per person per content; the N-th unresolved one hides the content until a moderator looks."""
    require_participant(actor, commune)
    target_type = ReportTarget(target_type)
    obj = _target(commune, target_type, target_id)
    if isinstance(obj, Comment) and obj.deleted_at is not None:
        raise Conflict(_l("This comment was deleted."))
    if reason == ReportReason.other and not (text or "").strip():
        raise DomainError(_l("Please say what the problem is."), field="text")
    entry = Report(commune_id=commune.id, target_type=target_type, target_id=obj.id, reporter_id=actor.id,
                   reason=ReportReason(reason), text=(text or "").strip()[:MAX_REASON])
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_l("You already reported this."))
    model = type(obj)
    db.session.execute(update(model).where(model.id == obj.id)
                       .values(report_count=model.report_count + 1).execution_options(synchronize_session=False))
    threshold = settings_for(db.session.get(Process, _proposal_of(obj).process_id)).report_threshold
    hidden = db.session.execute(update(model).where(model.id == obj.id, model.report_count >= threshold,
                                                    model.hidden.is_(False))
                                .values(hidden=True).execution_options(synchronize_session=False))
    if hidden.rowcount:
        audit(commune, None, "moderation.auto_hide", target_type.value, obj.id,
              reason=str(_l("%(n)s reports", n=threshold)))
    commit()
    db.session.refresh(obj)
    return entry


@dataclass
class QueueItem:
    target_type: ReportTarget
    target: Proposal | Comment
    reports: list[Report]

    @property
    def proposal(self) -> Proposal:
        return _proposal_of(self.target)


def queue(actor: User, commune: Commune) -> list[QueueItem]:
    """Content with unresolved reports, or hidden, most reported first."""
    require_role(actor, commune, Role.moderator)
    reports = db.session.scalars(select(Report).where(Report.commune_id == commune.id, Report.resolved_at.is_(None))
                                 .options(selectinload(Report.reporter)).order_by(Report.created_at)).all()
    grouped: dict[tuple[ReportTarget, int], list[Report]] = {}
    for r in reports:
        grouped.setdefault((r.target_type, r.target_id), []).append(r)
    hidden_proposals = db.session.scalars(select(Proposal.id).where(
        Proposal.commune_id == commune.id, Proposal.hidden.is_(True))).all()
    hidden_comments = db.session.scalars(select(Comment.id).join(Proposal, Proposal.id == Comment.proposal_id).where(
        Proposal.commune_id == commune.id, Comment.hidden.is_(True))).all()
    for pid in hidden_proposals:
        grouped.setdefault((ReportTarget.proposal, pid), [])
    for cid in hidden_comments:
        grouped.setdefault((ReportTarget.comment, cid), [])
    proposals = {p.id: p for p in db.session.scalars(select(Proposal).where(Proposal.id.in_(
        [i for t, i in grouped if t == ReportTarget.proposal])))}
    comments = {c.id: c for c in db.session.scalars(select(Comment).where(Comment.id.in_(
        [i for t, i in grouped if t == ReportTarget.comment])).options(
        selectinload(Comment.author), selectinload(Comment.proposal)))}
    items = []
    for (kind, target_id), rs in grouped.items():
        target = (proposals if kind == ReportTarget.proposal else comments).get(target_id)
        if target is not None:
            items.append(QueueItem(kind, target, rs))
    items.sort(key=lambda item: (-len(item.reports), item.target_type.value, item.target.id))
    return items


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why: the audit log keeps the reason."), field="reason")
    return reason[:MAX_REASON]


def _resolve_reports(actor: User, target_type: ReportTarget, target_id: int) -> None:
    db.session.execute(update(Report).where(
        Report.target_type == target_type, Report.target_id == target_id, Report.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=actor.id))


def set_hidden(actor: User, commune: Commune, target_type: ReportTarget, target_id: int, hidden: bool,
               reason: str) -> Proposal | Comment:
    """Hide or restore content; either way the pending reports are settled and the counter starts afresh."""
    require_role(actor, commune, Role.moderator)
    target_type = ReportTarget(target_type)
    reason = _require_reason(reason)
    obj = _target(commune, target_type, target_id)
    obj.hidden = hidden
    obj.report_count = 0
    _resolve_reports(actor, target_type, obj.id)
    audit(commune, actor, "moderation.hide" if hidden else "moderation.unhide", target_type.value, obj.id, reason)
    commit()
    return obj


def dismiss_reports(actor: User, commune: Commune, target_type: ReportTarget, target_id: int,
                    reason: str) -> None:
    require_role(actor, commune, Role.moderator)
    target_type = ReportTarget(target_type)
    reason = _require_reason(reason)
    obj = _target(commune, target_type, target_id)
    obj.report_count = 0
    _resolve_reports(actor, target_type, obj.id)
    audit(commune, actor, "moderation.dismiss", target_type.value, obj.id, reason)
    commit()


def block_user(actor: User, commune: Commune, user: User, reason: str) -> CommuneBlock:
    require_role(actor, commune, Role.moderator)
    reason = _require_reason(reason)
    if user.id == actor.id:
        raise DomainError(_l("You cannot block yourself."))
    if user.has_role(commune, Role.moderator) or user.is_platform_admin:
        raise Conflict(_l("Staff of the commune cannot be blocked; ask an administrator to revoke the role."))
    existing = db.session.scalar(select(CommuneBlock).where(
        CommuneBlock.commune_id == commune.id, CommuneBlock.user_id == user.id))
    if existing is not None:
        return existing
    block = CommuneBlock(commune_id=commune.id, user_id=user.id, reason=reason, created_by_id=actor.id)
    db.session.add(block)
    db.session.flush()
    audit(commune, actor, "moderation.block", "user", user.id, reason)
    commit()
    return block


def unblock_user(actor: User, commune: Commune, user_id: int, reason: str) -> None:
    require_role(actor, commune, Role.moderator)
    reason = _require_reason(reason)
    block = db.session.scalar(select(CommuneBlock).where(
        CommuneBlock.commune_id == commune.id, CommuneBlock.user_id == user_id))
    if block is None:
        raise NotFound(_l("This person is not blocked."))
    db.session.delete(block)
    audit(commune, actor, "moderation.unblock", "user", user_id, reason)
    commit()


def blocks(actor: User, commune: Commune) -> list[CommuneBlock]:
    require_role(actor, commune, Role.moderator)
    return list(db.session.scalars(select(CommuneBlock).where(CommuneBlock.commune_id == commune.id)
                                   .options(selectinload(CommuneBlock.user)).order_by(CommuneBlock.created_at)))


def pending_count(commune: Commune) -> int:
    return db.session.scalar(select(func.count(func.distinct(Report.target_id))).where(
        Report.commune_id == commune.id, Report.resolved_at.is_(None))) or 0
