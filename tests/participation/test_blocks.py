"""Blocked people: what a block refuses and what it leaves, shown before they try (why and until when),
blocks that end, and the person told when blocked."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from participation import blocks
from participation.errors import PermissionDenied
from participation.extensions import db
from participation.models import CommuneBlock, PhaseKind, Role, utcnow
from participation.notifications.models import Notification
from participation.notifications.operations import message_for
from proposals import operations as ops
from proposals import operations_engagement as engagement
from proposals import operations_groups as groups
from proposals import operations_moderation as mod
from proposals.models import ProposalKind, ReportReason, ReportTarget

from ..factories import login
from ..html_checks import visible_text
from ..proposals.conftest import english  # noqa: F401 - messages of operations read in English here too
from ..proposals.factories import make_proposal, resident, setup_commune, staff, url


@pytest.fixture
def blocked_world():
    commune, process = setup_commune()
    moderator = staff(commune, Role.moderator)
    troll = resident(commune, nickname="Troll")
    own = make_proposal(commune, process, troll, title="Ma propre idée")
    other = make_proposal(commune, process, title="L'idée d'une autre")
    own_comment = engagement.add_comment(troll, commune, other, "<p>Mon commentaire</p>")
    engagement.support(troll, commune, other)
    engagement.follow(troll, commune, other)
    blocks.block_user(moderator, commune, troll, "Insultes répétées", days=7)
    return commune, process, moderator, troll, own, other, own_comment


def test_a_blocked_person_sees_why_and_until_when_instead_of_the_forms(client, blocked_world):
    commune, process, moderator, troll, own, other, own_comment = blocked_world
    login(client, troll)
    detail = client.get(url(process, str(other.id)))
    html = detail.get_data(as_text=True)
    text = visible_text(html)
    assert detail.status_code == 200
    assert "Moderators have blocked your account in this commune until" in text and "Insultes répétées" in text
    # No form they could not use: comment, reply, support, report; their own comment can still be deleted.
    assert 'class="comment-form"' not in html and 'name="parent_id"' not in html
    assert f"{other.id}/support" not in html and f"{other.id}/report" not in html
    assert f"/comments/{own_comment.id}/delete" in html and f"/comments/{own_comment.id}/edit" not in html
    listing = client.get(url(process, ""))
    assert "/proposals/new" not in listing.get_data(as_text=True)
    assert "Insultes répétées" in visible_text(listing.get_data(as_text=True))
    process_page = client.get(f"/{commune.slug}/processes/{process.slug}/").get_data(as_text=True)
    assert "/proposals/new" not in process_page and "Insultes répétées" in process_page
    for path in ("new", f"{other.id}/report", f"{other.id}/comments/{own_comment.id}/report",
                 f"{other.id}/comments/{own_comment.id}/edit"):
        page = client.get(url(process, path))
        assert page.status_code == 403, path
        assert "Insultes répétées" in page.get_data(as_text=True) and "<textarea" not in page.get_data(as_text=True)
    groups_page = client.get(f"/{commune.slug}/groups/")
    assert "Insultes répétées" in groups_page.get_data(as_text=True) and 'name="name"' not in \
        groups_page.get_data(as_text=True)
    # Someone else sees none of it.
    login(client, resident(commune))
    assert "Insultes répétées" not in client.get(url(process, str(other.id))).get_data(as_text=True)


def test_what_a_block_refuses_and_what_it_leaves(client, blocked_world):
    commune, process, moderator, troll, own, other, own_comment = blocked_world
    refused = [
        lambda: make_proposal(commune, process, troll),
        lambda: ops.edit_proposal(troll, commune, own, title="x", body="<p>x</p>"),
        lambda: engagement.add_comment(troll, commune, other, "<p>x</p>"),
        lambda: engagement.add_comment(troll, commune, other, "<p>x</p>", parent=own_comment),
        lambda: engagement.edit_comment(troll, commune, own_comment, "<p>x</p>"),
        lambda: engagement.support(troll, commune, make_proposal(commune, process)),
        lambda: engagement.support(troll, commune, make_proposal(commune, process, kind=ProposalKind.petition)),
        lambda: mod.report(troll, commune, ReportTarget.proposal, other.id, reason=ReportReason.spam),
        lambda: groups.create_group(troll, commune, "Les amis du troll"),
    ]
    for attempt in refused:
        with pytest.raises(PermissionDenied, match="until .*Insultes répétées"):
            attempt()
        db.session.rollback()
    # Still allowed: following, taking back a support, deleting one's own comment, withdrawing one's proposal.
    engagement.unfollow(troll, commune, other)
    engagement.follow(troll, commune, other)
    engagement.unsupport(troll, commune, other)
    engagement.delete_comment(troll, commune, own_comment)
    ops.withdraw_proposal(troll, commune, own)
    # Over HTTP the refusal says why too.
    login(client, troll)
    response = client.post(url(process, f"{other.id}/comments"), data={"body": "encore"})
    assert response.status_code == 403 and "Insultes répétées" in response.get_data(as_text=True)


def test_a_block_ends_on_its_date_and_can_be_renewed(blocked_world):
    commune, process, moderator, troll, own, other, own_comment = blocked_world
    block = db.session.scalar(select(CommuneBlock))
    assert block.ends_at is not None and timedelta(days=6) < block.ends_at - utcnow() <= timedelta(days=7)
    block.created_at -= timedelta(days=8)
    block.ends_at -= timedelta(days=8)
    db.session.commit()
    assert blocks.active_block(troll, commune) is None and blocks.blocks(moderator, commune) == []
    engagement.add_comment(troll, commune, other, "<p>De retour</p>")
    blocks.block_user(moderator, commune, troll, "Récidive")  # until unblocked
    assert blocks.active_block(troll, commune).ends_at is None
    with pytest.raises(PermissionDenied, match="Récidive"):
        engagement.add_comment(troll, commune, other, "<p>x</p>")


def test_the_block_duration_is_chosen_and_checked(client, blocked_world):
    commune, process, moderator, troll, own, other, own_comment = blocked_world
    someone = resident(commune, nickname="Quelqu'un")
    login(client, moderator)
    base = f"/{commune.slug}/admin/proposals/moderation"
    page = client.get(base).get_data(as_text=True)
    assert "Troll" in page and "Insultes répétées" in page
    for duration in ("", "5", "forever"):
        response = client.post(f"{base}/block", data={"nickname": "Quelqu'un", "reason": "x", "duration": duration})
        assert response.status_code == 302
        assert blocks.active_block(someone, commune) is None, duration
    assert "Choose how long the block lasts" in client.get(base).get_data(as_text=True)
    client.post(f"{base}/block", data={"nickname": "quelqu'un", "reason": "Spam", "duration": "30"})
    assert (blocks.active_block(someone, commune).ends_at - utcnow()).days == 29
    missing = client.post(f"{base}/block", data={"nickname": "personne", "reason": "x", "duration": "1"},
                          follow_redirects=True)
    assert "No account has the nickname personne" in missing.get_data(as_text=True)


def test_the_blocked_person_is_told(run_jobs, blocked_world):
    commune, process, moderator, troll, own, other, own_comment = blocked_world
    troll_id = troll.id
    blocks.unblock_user(moderator, commune, troll.id, "Excuses")
    run_jobs()
    rows = db.session.scalars(select(Notification).where(Notification.user_id == troll_id)
                              .order_by(Notification.id)).all()
    kinds = [n.kind for n in rows]
    assert "moderation.blocked_until" in kinds and "moderation.unblocked" in kinds
    blocked = next(n for n in rows if n.kind == "moderation.blocked_until")
    assert "Insultes répétées" in message_for(blocked) and "vote" in message_for(blocked)


def test_voting_is_not_moderation(app, blocked_world):
    """A block leaves the vote alone: eligibility is the process's rule."""
    commune, process, moderator, troll, own, other, own_comment = blocked_world
    from votes.operations import cast_online_ballot
    from ..budgets.factories import make_budget, make_voter
    budget = make_budget(process)
    process.active_phase_override_id = process.phase_of_kind(PhaseKind.vote).id
    db.session.commit()
    with app.test_request_context():
        make_voter(process, troll)
        ballot, receipt = cast_online_ballot(troll, process, budget, {budget.projects[0].id: 1})
        assert receipt
