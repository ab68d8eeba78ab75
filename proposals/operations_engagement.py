"""Supports (and petition signatures), follows and threaded comments."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from participation.errors import Conflict, DomainError, NotFound, PermissionDenied
from participation.events import publish
from participation.extensions import db
from participation.html import clean_html
from participation.jobs import commit
from participation.models import Action, Commune, Process, User, utcnow
from participation.permissions import get_belonging, require_confirmed, require_phase, require_same_commune

from .models import MAX_COMMENT_DEPTH, Comment, Follow, Proposal, ProposalStatus, Support
from .operations import require_participant, settings_for

OPEN_STATUSES = (ProposalStatus.published, ProposalStatus.evaluating)


# ---------------------------------------------------------------- supports and signatures

def _process_of(proposal: Proposal) -> Process:
    return db.session.get(Process, proposal.process_id)


def support(actor: User, commune: Commune, proposal: Proposal) -> None:
    """Support an idea or sign a petition. The unique constraint makes a second click a no-op conflict,
    and the counter moves in SQL in the same transaction, so it stays exact under concurrent clicks."""
    require_participant(actor, commune)
    require_same_commune(proposal.commune_id, commune)
    process = _process_of(proposal)
    require_phase(process, Action.sign if proposal.is_petition else Action.support)
    if proposal.hidden or proposal.status not in OPEN_STATUSES:
        raise Conflict(_l("This proposal cannot be supported."))
    now = utcnow()
    if proposal.is_petition and proposal.signature_deadline and proposal.signature_deadline < now:
        raise Conflict(_l("The signature period of this petition is over."))
    try:
        with db.session.begin_nested():
            db.session.add(Support(proposal_id=proposal.id, user_id=actor.id))
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_l("You already support this proposal."))
    db.session.execute(update(Proposal).where(Proposal.id == proposal.id)
                       .values(support_count=Proposal.support_count + 1)
                       .execution_options(synchronize_session=False))
    if proposal.is_petition:
        _check_threshold(proposal, process, now)
    commit()
    db.session.refresh(proposal)


def _check_threshold(proposal: Proposal, process: Process, now) -> None:
    """The first signature that reaches the threshold in time starts the commune's answer delay, once."""
    days = settings_for(process).petition_answer_days
    reached = db.session.execute(
        update(Proposal).where(
            Proposal.id == proposal.id, Proposal.threshold_reached_at.is_(None),
            Proposal.support_count >= Proposal.signature_threshold,
            Proposal.signature_deadline >= now)
        .values(threshold_reached_at=now, answer_due_at=now + timedelta(days=days))
        .execution_options(synchronize_session=False))
    if reached.rowcount:
        publish("petition.threshold_reached", dedupe_key=f"petition.threshold:{proposal.id}",
                proposal_id=proposal.id)


def unsupport(actor: User, commune: Commune, proposal: Proposal) -> None:
    require_confirmed(actor)  # taking one's support back is allowed even while blocked
    require_same_commune(proposal.commune_id, commune)
    require_phase(_process_of(proposal), Action.sign if proposal.is_petition else Action.support)
    gone = db.session.execute(delete(Support).where(
        Support.proposal_id == proposal.id, Support.user_id == actor.id))
    if gone.rowcount:
        db.session.execute(update(Proposal).where(Proposal.id == proposal.id)
                           .values(support_count=Proposal.support_count - 1)
                           .execution_options(synchronize_session=False))
    commit()
    db.session.refresh(proposal)


def has_supported(user: User | None, proposal: Proposal) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(db.session.scalar(select(Support.id).where(
        Support.proposal_id == proposal.id, Support.user_id == user.id)))


# ---------------------------------------------------------------- follows

def _follow(proposal: Proposal, user: User) -> None:
    if db.session.scalar(select(Follow.id).where(Follow.proposal_id == proposal.id, Follow.user_id == user.id)):
        return
    try:
        with db.session.begin_nested():
            db.session.add(Follow(proposal_id=proposal.id, user_id=user.id))
    except IntegrityError:  # a concurrent twin: following twice means following
        pass


def follow(actor: User, commune: Commune, proposal: Proposal) -> None:
    require_confirmed(actor)
    require_same_commune(proposal.commune_id, commune)
    _follow(proposal, actor)
    commit()


def unfollow(actor: User, commune: Commune, proposal: Proposal) -> None:
    require_confirmed(actor)
    require_same_commune(proposal.commune_id, commune)
    db.session.execute(delete(Follow).where(Follow.proposal_id == proposal.id, Follow.user_id == actor.id))
    commit()


def is_following(user: User | None, proposal: Proposal) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(db.session.scalar(select(Follow.id).where(
        Follow.proposal_id == proposal.id, Follow.user_id == user.id)))


# ---------------------------------------------------------------- comments

def _comment_checks(actor: User, commune: Commune, proposal: Proposal, *, blocked_may: bool = False) -> None:
    if blocked_may:
        require_confirmed(actor)
    else:
        require_participant(actor, commune)
    require_same_commune(proposal.commune_id, commune)
    require_phase(_process_of(proposal), Action.comment)
    if proposal.hidden:
        raise Conflict(_l("This proposal is hidden pending moderation."))


def add_comment(actor: User, commune: Commune, proposal: Proposal, body: str,
                parent: Comment | None = None) -> Comment:
    _comment_checks(actor, commune, proposal)
    body = clean_html(body)
    if not body:
        raise DomainError(_l("Write something first."), field="body")
    depth = 1
    if parent is not None:
        if parent.proposal_id != proposal.id:
            raise NotFound(_l("No such comment."))
        if parent.deleted_at is not None or parent.hidden:
            raise Conflict(_l("You cannot reply to this comment."))
        if parent.depth >= MAX_COMMENT_DEPTH:
            raise Conflict(_l("Replies go %(n)s levels deep at most.", n=MAX_COMMENT_DEPTH))
        depth = parent.depth + 1
    comment = Comment(proposal_id=proposal.id, parent_id=parent.id if parent else None, author_id=actor.id,
                      depth=depth, body=body)
    db.session.add(comment)
    db.session.execute(update(Proposal).where(Proposal.id == proposal.id)
                       .values(comment_count=Proposal.comment_count + 1)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    # The replied-to author, the proposal's authors and its followers hear of it (tasks.notify_comment).
    publish("comment.published", dedupe_key=f"comment.published:{comment.id}", comment_id=comment.id)
    commit()
    db.session.refresh(proposal)
    return comment


def _own_comment(actor: User, commune: Commune, comment: Comment, *, deleting: bool = False) -> Proposal:
    """A blocked person may still delete what they wrote, not change it."""
    proposal = comment.proposal
    _comment_checks(actor, commune, proposal, blocked_may=deleting)
    if comment.author_id != actor.id:
        raise PermissionDenied(_l("Only its author can change a comment."))
    if comment.deleted_at is not None:
        raise Conflict(_l("This comment was deleted."))
    if comment.hidden:
        raise Conflict(_l("This comment is hidden pending moderation."))
    return proposal


def edit_comment(actor: User, commune: Commune, comment: Comment, body: str) -> Comment:
    _own_comment(actor, commune, comment)
    body = clean_html(body)
    if not body:
        raise DomainError(_l("Write something first."), field="body")
    if body != comment.body:
        comment.body = body
        comment.edited_at = utcnow()
    commit()
    return comment


def delete_comment(actor: User, commune: Commune, comment: Comment) -> Comment:
    """The comment keeps its place so replies still make sense; only its words go."""
    _own_comment(actor, commune, comment, deleting=True)
    comment.body = ""
    comment.deleted_at = utcnow()
    commit()
    return comment


def get_comment(proposal: Proposal, comment_id: int) -> Comment:
    return get_belonging(Comment, comment_id, lambda c: c.proposal_id == proposal.id, _l("No such comment."))


@dataclass
class ThreadNode:
    comment: Comment
    replies: list[ThreadNode] = field(default_factory=list)


def thread(proposal: Proposal) -> list[ThreadNode]:
    """All comments of a proposal as a tree, oldest first, in two queries."""
    comments = db.session.scalars(select(Comment).where(Comment.proposal_id == proposal.id)
                                  .options(selectinload(Comment.author))
                                  .order_by(Comment.created_at, Comment.id)).all()
    nodes = {c.id: ThreadNode(c) for c in comments}
    roots: list[ThreadNode] = []
    for c in comments:
        parent = nodes.get(c.parent_id) if c.parent_id else None
        (parent.replies if parent else roots).append(nodes[c.id])
    return roots
