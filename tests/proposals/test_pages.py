"""Smaller pages and events: groups, settings, edit notifications, hidden images, demo seeding."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from participation.errors import Conflict
from participation.extensions import db
from participation.models import Role
from participation.notifications.models import Notification
from proposals import operations as ops
from proposals import operations_engagement as engagement
from proposals import operations_moderation as mod
from proposals.models import ProposalSettings, ReportTarget

from ..factories import PASSWORD, login
from .factories import make_proposal, png_bytes, resident, setup_commune, staff, url


def test_edit_and_withdraw_notify_followers_but_not_the_actor(run_jobs):
    commune, process = setup_commune()
    author, follower = resident(commune), resident(commune)
    proposal = make_proposal(commune, process, author)
    engagement.follow(follower, commune, proposal)
    ops.edit_proposal(author, commune, proposal, title="Mieux dit", body="<p>Plus clair</p>")
    ops.withdraw_proposal(author, commune, proposal)
    ids = (author.id, follower.id)
    run_jobs()
    rows = {(n.kind, n.user_id) for n in db.session.scalars(select(Notification))}
    assert rows == {("proposal.updated", ids[1]), ("proposal.status_changed", ids[1])}


def test_editing_outside_the_proposals_phase_is_refused():
    commune, process = setup_commune()
    author = resident(commune)
    proposal = make_proposal(commune, process, author)
    process.active_phase_override_id = process.phase_of_kind("vote").id
    db.session.commit()
    with pytest.raises(Conflict):
        ops.edit_proposal(author, commune, proposal, title="Tard", body="<p>x</p>")


def test_images_of_hidden_proposals_are_not_served(client):
    commune, process = setup_commune()
    proposal = make_proposal(commune, process, uploads=[png_bytes()])
    name = proposal.images[0].filename
    assert client.get(url(process, f"images/{name}")).status_code == 200
    assert client.get(url(process, "images/..%2F..%2Fsecret_key")).status_code == 404
    assert client.get(url(process, "images/%00.png")).status_code == 400  # a NUL byte never reaches PostgreSQL
    moderator = staff(commune, Role.moderator)
    mod.set_hidden(moderator, commune, ReportTarget.proposal, proposal.id, True, "test")
    assert client.get(url(process, f"images/{name}")).status_code == 404
    login(client, moderator)
    assert client.get(url(process, f"images/{name}")).status_code == 200


def test_group_pages(client):
    commune, _ = setup_commune()
    alice = resident(commune, nickname="Alice")
    resident(commune, nickname="Bob")
    login(client, alice)
    response = client.post(f"/{commune.slug}/groups/", data={"name": "Collectif Rebberg"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "Collectif Rebberg" in page.get_data(as_text=True)
    client.post(response.headers["Location"], data={"nickname": "bob"})
    assert "Bob" in client.get(response.headers["Location"]).get_data(as_text=True)
    again = client.post(response.headers["Location"], data={"nickname": "bob"})
    assert again.status_code == 409 and "already a member" in again.get_data(as_text=True)


def test_settings_page_for_administrators(client):
    commune, process = setup_commune()
    login(client, staff(commune, Role.moderator))
    assert client.get(f"/{commune.slug}/admin/proposals/settings/{process.slug}").status_code == 403
    login(client, staff(commune, Role.administrator))
    assert client.get(f"/{commune.slug}/admin/").status_code == 200
    assert client.get(f"/{commune.slug}/admin/proposals/settings").status_code == 200
    response = client.post(f"/{commune.slug}/admin/proposals/settings/{process.slug}", data={
        "petitions_enabled": "y", "petition_threshold": "250", "petition_days": "60", "petition_answer_days": "30",
        "report_threshold": "5"})
    assert response.status_code == 302
    row = db.session.scalar(select(ProposalSettings))
    assert (row.petition_threshold, row.report_threshold, row.petition_answer_days) == (250, 5, 30)


def test_demo_seeder_is_idempotent(app):
    from participation.demo import seed
    from proposals.models import Comment, Proposal
    seed()
    seed()
    assert db.session.scalar(select(func.count(Proposal.id))) == 10  # 5 per demo commune
    assert db.session.scalar(select(func.max(Comment.depth))) == 3


def test_posts_without_csrf_token_change_nothing(client, csrf):
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    user = resident(commune)
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/account/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert client.post(url(process, f"{proposal.id}/support")).status_code == 400
    assert client.post(url(process, f"{proposal.id}/comments"), data={"body": "x"}).status_code == 400
    db.session.refresh(proposal)
    assert (proposal.support_count, proposal.comment_count) == (0, 0)
    detail = client.get(url(process, str(proposal.id))).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', detail).group(1)
    assert client.post(url(process, f"{proposal.id}/support"), data={"csrf_token": token}).status_code == 302
    db.session.refresh(proposal)
    assert proposal.support_count == 1
