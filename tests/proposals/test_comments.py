"""Threaded comments: depth 3, sanitised, edited mark, deleted ones keep their place, reply notifications."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participation.errors import Conflict, PermissionDenied
from participation.extensions import db
from participation.notifications.models import Notification
from proposals import operations_engagement as engagement
from proposals.models import Comment

from ..factories import login
from .factories import make_proposal, resident, setup_commune, url


def test_thread_depth_is_three_and_comment_count_exact():
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    alice, bob = resident(commune), resident(commune)
    one = engagement.add_comment(alice, commune, proposal, "<p>Un</p>")
    two = engagement.add_comment(bob, commune, proposal, "<p>Deux</p>", parent=one)
    three = engagement.add_comment(alice, commune, proposal, "<p>Trois</p>", parent=two)
    assert (one.depth, two.depth, three.depth) == (1, 2, 3)
    with pytest.raises(Conflict, match="3 levels"):
        engagement.add_comment(bob, commune, proposal, "<p>Quatre</p>", parent=three)
    assert proposal.comment_count == 3
    [root] = engagement.thread(proposal)
    assert root.comment.id == one.id and root.replies[0].replies[0].comment.id == three.id


def test_comments_are_sanitised():
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    c = engagement.add_comment(resident(commune), commune, proposal,
                               '<p onclick="x()">Hi <img src=x onerror=alert(1)>'
                               '<a href="javascript:alert(1)">l</a></p>')
    assert "onclick" not in c.body and "onerror" not in c.body and "javascript" not in c.body


def test_edit_shows_an_edited_mark_and_only_the_author_edits(client):
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    author, other = resident(commune), resident(commune)
    c = engagement.add_comment(author, commune, proposal, "<p>Avant</p>")
    with pytest.raises(PermissionDenied):
        engagement.edit_comment(other, commune, c, "<p>Pirate</p>")
    login(client, author)
    response = client.post(url(process, f"{proposal.id}/comments/{c.id}/edit"), data={"body": "<p>Après</p>"})
    assert response.status_code == 302
    page = client.get(url(process, str(proposal.id))).get_data(as_text=True)
    assert "Après" in page and "edited" in page


def test_deleted_comment_keeps_its_place_with_its_replies(client):
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    author, other = resident(commune), resident(commune)
    parent = engagement.add_comment(author, commune, proposal, "<p>Texte secret</p>")
    engagement.add_comment(other, commune, proposal, "<p>Une réponse</p>", parent=parent)
    login(client, author)
    asked = client.post(url(process, f"{proposal.id}/comments/{parent.id}/delete"))
    assert asked.status_code == 200 and "Texte secret" in client.get(url(process, str(proposal.id))).get_data(
        as_text=True)  # a confirmation page first, nothing deleted yet
    assert client.post(url(process, f"{proposal.id}/comments/{parent.id}/delete"),
                       data={"confirmed": "yes"}).status_code == 302
    page = client.get(url(process, str(proposal.id))).get_data(as_text=True)
    assert "Texte secret" not in page
    assert "deleted by its author" in page and "Une réponse" in page
    assert page.index("deleted by its author") < page.index("Une réponse")
    with pytest.raises(Conflict):
        engagement.add_comment(other, commune, proposal, "<p>x</p>", parent=db.session.get(Comment, parent.id))


def test_reply_notifies_the_parent_author_once(run_jobs):
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    author, replier = resident(commune), resident(commune)
    parent = engagement.add_comment(author, commune, proposal, "<p>Question ?</p>")
    engagement.add_comment(author, commune, proposal, "<p>Moi-même</p>", parent=parent)  # no self-notification
    reply = engagement.add_comment(replier, commune, proposal, "<p>Réponse</p>", parent=parent)
    author_id, reply_id = author.id, reply.id
    run_jobs()
    rows = db.session.scalars(select(Notification).where(Notification.kind == "comment.replied")).all()
    assert [(n.user_id, n.dedupe_key) for n in rows] == [(author_id, f"comment:{reply_id}")]
    assert "/proposals/" in rows[0].url


def test_comments_outside_the_phase_or_commune_are_refused(client):
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    user = resident(commune)
    process.active_phase_override_id = process.phase_of_kind("information").id
    db.session.commit()
    with pytest.raises(Conflict):
        engagement.add_comment(user, commune, proposal, "<p>x</p>")
    login(client, user)
    assert client.post(url(process, f"{proposal.id}/comments"), data={"body": "x"}).status_code == 409
    other_commune, _ = setup_commune()
    with pytest.raises(PermissionDenied):
        engagement.add_comment(user, other_commune, proposal, "<p>x</p>")
    db.session.refresh(proposal)
    assert proposal.comment_count == 0


def test_comment_over_http_and_reply(client):
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    login(client, resident(commune))
    client.post(url(process, f"{proposal.id}/comments"), data={"body": "<p>Premier</p>"})
    first = db.session.scalar(select(Comment))
    response = client.post(url(process, f"{proposal.id}/comments"),
                           data={"body": "<p>Réponse</p>", "parent_id": str(first.id)})
    assert response.status_code == 302 and "#comment-" in response.headers["Location"]
    assert db.session.scalar(select(Comment).where(Comment.parent_id == first.id)).depth == 2
    assert client.post(url(process, f"{proposal.id}/comments"), data={"body": ""}).status_code == 400  # form shown again
    assert db.session.scalar(select(Comment.id).where(Comment.body == "")) is None


def test_authors_and_followers_hear_of_new_comments_once_each(run_jobs, smtp):
    from participation.models import EmailPreference, utcnow
    commune, process = setup_commune()
    author, coauthor = resident(commune, nickname="Autrice"), resident(commune, nickname="Coautrice")
    proposal = make_proposal(commune, process, author, coauthors=["Coautrice"])
    follower, daily, never = resident(commune), resident(commune), resident(commune)
    daily.email_preference, never.email_preference = EmailPreference.daily, EmailPreference.never
    db.session.commit()
    for person in (follower, daily, never, author):  # the author follows already: still one notification
        engagement.follow(person, commune, proposal)
    first = resident(commune, nickname="Bruno")
    engagement.follow(first, commune, proposal)
    comment = engagement.add_comment(first, commune, proposal, "<p>Bonne idée</p>")
    reply = engagement.add_comment(author, commune, proposal, "<p>Merci</p>", parent=comment)
    ids = {name: user.id for name, user in (("author", author), ("coauthor", coauthor), ("follower", follower),
                                             ("daily", daily), ("never", never), ("first", first))}
    comment_id, reply_id, proposal_id = comment.id, reply.id, proposal.id
    emails = {name: user.email for name, user in (("follower", follower), ("daily", daily), ("never", never))}
    run_jobs()
    rows = db.session.scalars(select(Notification)).all()
    on_comment = {n.user_id: n.kind for n in rows if n.dedupe_key == f"comment:{comment_id}"}
    on_reply = {n.user_id: n.kind for n in rows if n.dedupe_key == f"comment:{reply_id}"}
    assert on_comment == {ids["author"]: "comment.on_own", ids["coauthor"]: "comment.on_own",
                          ids["follower"]: "comment.on_followed", ids["daily"]: "comment.on_followed",
                          ids["never"]: "comment.on_followed"}  # never the commenter
    assert on_reply == {ids["first"]: "comment.replied", ids["coauthor"]: "comment.on_own",
                        ids["follower"]: "comment.on_followed", ids["daily"]: "comment.on_followed",
                        ids["never"]: "comment.on_followed"}  # the replier (the author) hears nothing
    assert len([n for n in rows if n.kind.startswith("comment.")]) == 10
    # E-mails follow each person's preference: immediately yes, daily digest and never not now.
    recipients = [m["To"] for m in smtp.wait_for(6)]
    assert recipients.count(emails["follower"]) == 2  # one per comment
    assert emails["daily"] not in recipients and emails["never"] not in recipients
    # A comment hidden (or deleted) before its job runs notifies nobody.
    from proposals.models import Comment
    from proposals.tasks import notify_comment
    for state in ({"hidden": True}, {"deleted_at": utcnow()}):
        quiet = Comment(proposal_id=proposal_id, author_id=ids["first"], depth=1, body="<p>Pub</p>", **state)
        db.session.add(quiet)
        db.session.commit()
        notify_comment(quiet.id)
        assert not db.session.scalar(select(Notification.id).where(Notification.dedupe_key == f"comment:{quiet.id}"))


def test_a_retried_comment_job_notifies_nobody_twice(run_jobs):
    from proposals.tasks import notify_comment
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    comment = engagement.add_comment(resident(commune), commune, proposal, "<p>Salut</p>")
    comment_id = comment.id
    run_jobs()
    notify_comment(comment_id)
    notify_comment(comment_id)
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.dedupe_key == f"comment:{comment_id}")) == 1
