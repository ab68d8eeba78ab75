"""Threaded comments: depth 3, sanitised, edited mark, deleted ones keep their place, reply notifications."""
from __future__ import annotations

import pytest
from sqlalchemy import select

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
    assert client.post(url(process, f"{proposal.id}/comments/{parent.id}/delete")).status_code == 302
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
    assert [(n.user_id, n.dedupe_key) for n in rows] == [(author_id, f"comment.replied:{reply_id}")]
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
