"""Moderation: reports, automatic hiding after N reports, the moderators' queue and its handled tab.

Moderators hide and restore content and block people (participation/blocks.py); they never edit what
others wrote. Every moderator action leaves an audit entry (who, what, when, why).

`report_count` counts the reports not yet handled, so content that is hidden while `report_count > 0`
was hidden automatically and awaits a moderator; once a moderator decides, the count starts afresh.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_date, lazy_gettext as _l
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from participation.errors import Conflict, DomainError, NotFound
from participation.extensions import db
from participation.jobs import commit
from participation.models import AuditEntry, Commune, Process, Role, User, utcnow
from participation.operations import MAX_REASON, audit, require_reason
from participation.permissions import require_role, require_same_commune

from .models import Comment, Proposal, ProposalAuthor, Report, ReportReason, ReportTarget
from .operations import require_participant, settings_for



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
    if obj.hidden:
        raise Conflict(_l("This content is already hidden: moderators have it in hand."))
    earlier = my_report(actor, target_type, obj.id)
    if earlier is not None:
        raise Conflict(_l("You already reported this on %(date)s.", date=format_date(earlier.created_at)))
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
        audit(commune, None, "moderation.auto_hide", target_type.value, obj.id, params={"reports": threshold})
    commit()
    db.session.refresh(obj)
    return entry


def my_report(user: User | None, target_type: ReportTarget, target_id: int) -> Report | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Report).where(Report.target_type == ReportTarget(target_type),
                                                  Report.target_id == target_id, Report.reporter_id == user.id))


def reported_by(user: User | None, proposal: Proposal) -> set[tuple[str, int]]:
    """What this person reported on a proposal's page (the proposal and its comments), in one query."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    comment_ids = select(Comment.id).where(Comment.proposal_id == proposal.id)
    rows = db.session.execute(select(Report.target_type, Report.target_id).where(
        Report.reporter_id == user.id,
        ((Report.target_type == ReportTarget.proposal) & (Report.target_id == proposal.id))
        | ((Report.target_type == ReportTarget.comment) & Report.target_id.in_(comment_ids))))
    return {(t.value, i) for t, i in rows}


@dataclass
class QueueItem:
    target_type: ReportTarget
    target: Proposal | Comment
    reports: list[Report]
    decision: AuditEntry | None = None  # the latest moderator decision (handled tab)

    @property
    def proposal(self) -> Proposal:
        return _proposal_of(self.target)

    @property
    def awaiting_review(self) -> bool:
        """Hidden automatically by reports, no moderator has decided yet."""
        return self.target.hidden and self.target.report_count > 0


def _load_targets(keys: list[tuple[ReportTarget, int]]) -> dict[tuple[ReportTarget, int], Proposal | Comment]:
    proposal_ids = [i for t, i in keys if t == ReportTarget.proposal]
    comment_ids = [i for t, i in keys if t == ReportTarget.comment]
    found: dict[tuple[ReportTarget, int], Proposal | Comment] = {}
    if proposal_ids:
        for p in db.session.scalars(select(Proposal).where(Proposal.id.in_(proposal_ids)).options(
                selectinload(Proposal.author_links).selectinload(ProposalAuthor.user),
                selectinload(Proposal.process))):
            found[(ReportTarget.proposal, p.id)] = p
    if comment_ids:
        for c in db.session.scalars(select(Comment).where(Comment.id.in_(comment_ids)).options(
                selectinload(Comment.author), selectinload(Comment.proposal).selectinload(Proposal.process))):
            found[(ReportTarget.comment, c.id)] = c
    return found


def queue(actor: User, commune: Commune) -> list[QueueItem]:
    """Content with reports no moderator has handled yet, most reported first."""
    require_role(actor, commune, Role.moderator)
    reports = db.session.scalars(select(Report).where(Report.commune_id == commune.id, Report.resolved_at.is_(None))
                                 .options(selectinload(Report.reporter)).order_by(Report.created_at)).all()
    grouped: dict[tuple[ReportTarget, int], list[Report]] = {}
    for r in reports:
        grouped.setdefault((r.target_type, r.target_id), []).append(r)
    targets = _load_targets(list(grouped))
    items = [QueueItem(key[0], targets[key], rs) for key, rs in grouped.items() if key in targets]
    items.sort(key=lambda item: (-len(item.reports), item.target_type.value, item.target.id))
    return items


HANDLED_PER_PAGE = 20
DECISIONS = ("moderation.hide", "moderation.unhide", "moderation.dismiss")


def handled(actor: User, commune: Commune, page: int = 1) -> tuple[list[QueueItem], bool]:
    """Content whose reports moderators handled, latest decision first, with that decision; and whether
    an older page exists. A constant number of queries per page."""
    require_role(actor, commune, Role.moderator)
    page = max(1, page)
    pending = func.sum(case((Report.resolved_at.is_(None), 1), else_=0))
    latest = func.max(Report.resolved_at)
    keys = db.session.execute(
        select(Report.target_type, Report.target_id).where(Report.commune_id == commune.id)
        .group_by(Report.target_type, Report.target_id).having(pending == 0)
        .order_by(latest.desc(), Report.target_type, Report.target_id.desc())
        .offset((page - 1) * HANDLED_PER_PAGE).limit(HANDLED_PER_PAGE + 1)).all()
    has_next = len(keys) > HANDLED_PER_PAGE
    keys = [(ReportTarget(t), i) for t, i in keys[:HANDLED_PER_PAGE]]
    if not keys:
        return [], False
    targets = _load_targets(keys)
    reports: dict[tuple[ReportTarget, int], list[Report]] = {}
    wanted = or_(*[(Report.target_type == t) & (Report.target_id == i) for t, i in keys])
    for r in db.session.scalars(select(Report).where(Report.commune_id == commune.id, wanted)
                                .options(selectinload(Report.reporter)).order_by(Report.created_at)):
        reports.setdefault((r.target_type, r.target_id), []).append(r)
    decisions: dict[tuple[str, int], AuditEntry] = {}
    for entry in db.session.scalars(select(AuditEntry).where(
            AuditEntry.commune_id == commune.id, AuditEntry.action.in_(DECISIONS),
            or_(*[(AuditEntry.target_type == t.value) & (AuditEntry.target_id == i) for t, i in keys]))
            .options(selectinload(AuditEntry.actor)).order_by(AuditEntry.created_at, AuditEntry.id)):
        decisions[(entry.target_type, entry.target_id)] = entry  # the last one wins
    items = [QueueItem(key[0], targets[key], reports.get(key, []), decisions.get((key[0].value, key[1])))
             for key in keys if key in targets]
    return items, has_next


def _resolve_reports(actor: User, target_type: ReportTarget, target_id: int) -> None:
    db.session.execute(update(Report).where(
        Report.target_type == target_type, Report.target_id == target_id, Report.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=actor.id))


def set_hidden(actor: User, commune: Commune, target_type: ReportTarget, target_id: int, hidden: bool,
               reason: str) -> Proposal | Comment:
    """Hide or restore content; either way the pending reports are settled and the counter starts afresh."""
    require_role(actor, commune, Role.moderator)
    target_type = ReportTarget(target_type)
    reason = require_reason(reason)
    obj = _target(commune, target_type, target_id)
    obj.hidden = hidden
    obj.report_count = 0
    _resolve_reports(actor, target_type, obj.id)
    audit(commune, actor, "moderation.hide" if hidden else "moderation.unhide", target_type.value, obj.id, reason)
    commit()
    return obj


def dismiss_reports(actor: User, commune: Commune, target_type: ReportTarget, target_id: int,
                    reason: str) -> None:
    """The reports are unfounded: they are settled, and content they had hidden automatically comes back
    (content a moderator hid stays hidden: restoring it is its own decision)."""
    require_role(actor, commune, Role.moderator)
    target_type = ReportTarget(target_type)
    reason = require_reason(reason)
    obj = _target(commune, target_type, target_id)
    restored = obj.hidden and obj.report_count > 0
    if restored:
        obj.hidden = False
    obj.report_count = 0
    _resolve_reports(actor, target_type, obj.id)
    audit(commune, actor, "moderation.dismiss", target_type.value, obj.id, reason, params={"restored": restored})
    commit()
