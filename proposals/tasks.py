"""Event handlers of the proposals package: they decide who hears about what, then notify().

Each handler takes ids, reloads what it needs and is idempotent: notify() skips a person who already
has a notification with the same dedupe key, so a retried job sends nothing twice.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from participation.events import on
from participation.extensions import db
from participation.models import Commune, Membership, Process, Role
from participation.notifications.operations import notify, register_kind
from participation.urls import external_url

from .models import Comment, Follow, Proposal, ProposalAuthor, ProposalStatus, Support

register_kind("proposal.status_changed", _l("The proposal \u201c%(title)s\u201d is now: %(status)s."))
register_kind("proposal.answered", _l("The city services answered the proposal \u201c%(title)s\u201d."))
register_kind("comment.replied", _l("%(author)s replied to your comment on \u201c%(title)s\u201d."))
register_kind("comment.on_own", _l("%(author)s commented on your proposal \u201c%(title)s\u201d."))
register_kind("comment.on_followed", _l("%(author)s commented on \u201c%(title)s\u201d, which you follow."))
register_kind("proposal.updated", _l("The proposal \u201c%(title)s\u201d that you follow was edited."))
register_kind("petition.threshold_reached",
              _l("The petition \u201c%(title)s\u201d reached its signature threshold: the commune must answer."))
register_kind("petition.answered", _l("The commune answered the petition \u201c%(title)s\u201d."))

STATUS_NAMES = {
    ProposalStatus.published: _l("published"), ProposalStatus.evaluating: _l("being evaluated"),
    ProposalStatus.accepted: _l("accepted"), ProposalStatus.rejected: _l("rejected"),
    ProposalStatus.duplicate: _l("a duplicate"), ProposalStatus.withdrawn: _l("withdrawn"),
}


def _proposal_url(proposal: Proposal) -> str:
    commune = db.session.get(Commune, proposal.commune_id)
    process = db.session.get(Process, proposal.process_id)
    return external_url("proposals.detail", commune=commune.slug, process=process.slug, proposal_id=proposal.id)


def _authors_and_followers(proposal: Proposal) -> set[int]:
    authors = db.session.scalars(select(ProposalAuthor.user_id).where(ProposalAuthor.proposal_id == proposal.id))
    followers = db.session.scalars(select(Follow.user_id).where(Follow.proposal_id == proposal.id))
    return set(authors) | set(followers)


def _send(proposal: Proposal, user_ids: set[int], kind: str, key: str, **params) -> None:
    if not user_ids:
        return
    notify(user_ids, kind=kind, dedupe_key=key, url=_proposal_url(proposal), commune_id=proposal.commune_id,
           params={"title": proposal.title, **params})


@on("proposal.status_changed")
def notify_status_changed(proposal_id: int, status: str, actor_id: int | None = None, change: str = "") -> None:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        return
    recipients = _authors_and_followers(proposal) - {actor_id}
    # The status name is a plain string param so the stored notification renders without this module.
    _send(proposal, recipients, "proposal.status_changed", f"proposal.status_changed:{proposal_id}:{status}:{change}",
          status=str(STATUS_NAMES.get(ProposalStatus(status), status)))


@on("proposal.answered")
def notify_answered(proposal_id: int) -> None:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not proposal.answer:
        return
    stamp = proposal.answered_at.isoformat() if proposal.answered_at else ""
    _send(proposal, _authors_and_followers(proposal), "proposal.answered",
          f"proposal.answered:{proposal_id}:{stamp}")


@on("comment.published")
def notify_comment(comment_id: int) -> None:
    """One notification per person per comment, never to its author: the author of the comment replied to
    hears of the reply, the proposal's authors of a comment on their proposal, its followers of a comment on
    what they follow. All share the comment's dedupe key, so the database keeps only the first (the most
    specific) for someone who is several of these, even when the job is retried."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.deleted_at is not None or comment.hidden or comment.proposal.hidden:
        return
    proposal = comment.proposal
    key = f"comment:{comment_id}"
    author = comment.author.nickname if comment.author else ""
    skip = {comment.author_id}
    if comment.parent_id is not None:
        parent = db.session.get(Comment, comment.parent_id)
        if parent is not None and parent.author_id is not None and parent.author_id not in skip:
            _send(proposal, {parent.author_id}, "comment.replied", key, author=author)
            skip.add(parent.author_id)
    authors = set(db.session.scalars(select(ProposalAuthor.user_id).where(ProposalAuthor.proposal_id == proposal.id)))
    _send(proposal, authors - skip, "comment.on_own", key, author=author)
    followers = set(db.session.scalars(select(Follow.user_id).where(Follow.proposal_id == proposal.id)))
    _send(proposal, followers - skip - authors, "comment.on_followed", key, author=author)


@on("comment.replied")
def notify_reply(comment_id: int) -> None:
    """Former event name: jobs queued before the upgrade still run (nothing publishes it any more)."""
    notify_comment(comment_id)


@on("proposal.updated")
def notify_updated(proposal_id: int, actor_id: int | None = None) -> None:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.hidden:
        return
    stamp = proposal.updated_at.isoformat() if proposal.updated_at else ""
    _send(proposal, _authors_and_followers(proposal) - {actor_id}, "proposal.updated",
          f"proposal.updated:{proposal_id}:{stamp}")


@on("petition.threshold_reached")
def notify_threshold(proposal_id: int) -> None:
    """Authors, followers, and the commune's reviewers and administrators who now owe an answer."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        return
    staff = set(db.session.scalars(select(Membership.user_id).where(
        Membership.commune_id == proposal.commune_id,
        Membership.role.in_([Role.reviewer, Role.administrator]))))
    _send(proposal, _authors_and_followers(proposal) | staff, "petition.threshold_reached",
          f"petition.threshold_reached:{proposal_id}")


@on("petition.answered")
def notify_petition_answered(proposal_id: int) -> None:
    """Everyone who signed hears the answer, not only followers."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not proposal.answer:
        return
    signers = set(db.session.scalars(select(Support.user_id).where(Support.proposal_id == proposal_id)))
    stamp = proposal.answered_at.isoformat() if proposal.answered_at else ""
    _send(proposal, _authors_and_followers(proposal) | signers, "petition.answered",
          f"petition.answered:{proposal_id}:{stamp}")
