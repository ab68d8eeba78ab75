"""Supports, petition signatures and follows: uniqueness, exact counters, phases, thresholds."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation import blocks
from participation.errors import Conflict, PermissionDenied
from participation.extensions import db
from participation.models import Role, utcnow
from participation.notifications.models import Notification
from proposals import operations as ops
from proposals import operations_engagement as engagement
from proposals.models import Follow, Proposal, ProposalKind, Support

from ..conftest import needs_postgres
from ..factories import login, make_process
from .factories import make_proposal, resident, setup_commune, staff, url


def test_one_support_per_person_and_exact_counter():
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    people = [resident(commune) for _ in range(3)]
    for person in people:
        engagement.support(person, commune, proposal)
    with pytest.raises(Conflict, match="already"):
        engagement.support(people[0], commune, proposal)
    assert proposal.support_count == 3
    engagement.unsupport(people[1], commune, proposal)
    engagement.unsupport(people[1], commune, proposal)  # twice: no effect the second time
    assert proposal.support_count == 2
    assert db.session.scalar(select(func.count(Support.id))) == 2


def test_supports_only_in_the_phase_that_allows_them():
    commune, _ = setup_commune()
    for phase in ("information", "instruction", "vote", "results"):
        process = make_process(commune, active=phase)
        proposal = Proposal(commune_id=commune.id, process_id=process.id, title="T", body="B")
        db.session.add(proposal)
        db.session.commit()
        with pytest.raises(Conflict, match="phase"):
            engagement.support(resident(commune), commune, proposal)
        db.session.refresh(proposal)
        assert proposal.support_count == 0


def test_support_over_http_and_outside_phase_changes_nothing(client):
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    user = resident(commune)
    login(client, user)
    assert client.post(url(process, f"{proposal.id}/support")).status_code == 302
    assert client.post(url(process, f"{proposal.id}/support")).status_code == 409
    db.session.refresh(proposal)
    assert proposal.support_count == 1
    process.active_phase_override_id = process.phase_of_kind("vote").id
    db.session.commit()
    assert client.post(url(process, f"{proposal.id}/support"), data={"undo": "1"}).status_code == 409
    db.session.refresh(proposal)
    assert proposal.support_count == 1


def test_blocked_people_cannot_support():
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    user, moderator = resident(commune), staff(commune, Role.moderator)
    blocks.block_user(moderator, commune, user, "Spam répété")
    with pytest.raises(PermissionDenied, match="blocked"):
        engagement.support(user, commune, proposal)
    other_commune, other_process = setup_commune()
    engagement.support(user, other_commune, make_proposal(other_commune, other_process))  # only that commune


def test_rate_limit_on_supports(client, rate_limits, app):
    commune, process = setup_commune()
    login(client, resident(commune))
    old = app.config.get("PROPOSALS_ACTION_RATE_LIMIT")
    app.config["PROPOSALS_ACTION_RATE_LIMIT"] = "2 per minute"
    try:
        codes = [client.post(url(process, f"{make_proposal(commune, process).id}/support")).status_code
                 for _ in range(3)]
    finally:
        app.config["PROPOSALS_ACTION_RATE_LIMIT"] = old
    assert codes == [302, 302, 429]


def test_follow_and_unfollow(client):
    commune, process = setup_commune()
    author = resident(commune)
    proposal = make_proposal(commune, process, author)
    assert engagement.is_following(author, proposal)  # authors follow their proposals
    user = resident(commune)
    login(client, user)
    client.post(url(process, f"{proposal.id}/follow"))
    client.post(url(process, f"{proposal.id}/follow"))
    assert db.session.scalar(select(func.count(Follow.id)).where(Follow.user_id == user.id)) == 1
    client.post(url(process, f"{proposal.id}/follow"), data={"undo": "1"})
    assert not engagement.is_following(user, proposal)


def test_petition_threshold_in_time_starts_the_answer_delay(run_jobs):
    commune, process = setup_commune()
    ops.save_settings(staff(commune, Role.administrator), commune, process, petition_threshold=2,
                      petition_answer_days=30)
    reviewer = staff(commune, Role.reviewer)
    author = resident(commune)
    petition = make_proposal(commune, process, author, kind=ProposalKind.petition)
    assert petition.signature_threshold == 2 and petition.signature_deadline > utcnow()
    engagement.support(resident(commune), commune, petition)
    assert petition.threshold_reached_at is None
    engagement.support(resident(commune), commune, petition)
    engagement.support(resident(commune), commune, petition)  # past the threshold: no second event
    assert petition.threshold_reached_at is not None
    assert petition.answer_due_at - petition.threshold_reached_at == timedelta(days=30)
    author_id, reviewer_id = author.id, reviewer.id
    run_jobs()
    notified = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "petition.threshold_reached")))
    assert {author_id, reviewer_id} <= notified
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == "petition.threshold_reached", Notification.user_id == author_id)) == 1


def test_petition_signatures_after_the_deadline_are_refused():
    commune, process = setup_commune()
    petition = make_proposal(commune, process, kind=ProposalKind.petition)
    petition.signature_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(Conflict, match="over"):
        engagement.support(resident(commune), commune, petition)


def test_a_closed_petition_offers_no_sign_button(client):
    """Like a blocked person, someone should not learn only after clicking that signing is over."""
    commune, process = setup_commune()
    petition = make_proposal(commune, process, kind=ProposalKind.petition)
    login(client, resident(commune))
    assert f"{petition.id}/support" in client.get(url(process, str(petition.id))).get_data(as_text=True)
    petition.signature_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = client.get(url(process, str(petition.id))).get_data(as_text=True)
    assert f"{petition.id}/support" not in page and "The signature period of this petition is over." in page


def test_petitions_can_be_disabled():
    commune, process = setup_commune()
    ops.save_settings(staff(commune, Role.administrator), commune, process, petitions_enabled=False)
    with pytest.raises(Exception, match="not open"):
        make_proposal(commune, process, kind=ProposalKind.petition)


@needs_postgres
def test_concurrent_supports_keep_the_counter_exact(app):
    """People click at once, each twice, from separate connections: one support each, an exact count.
    14 threads per round stay within the connection pool (5 + 10 overflow); three rounds."""
    from participation.models import Commune, User

    commune, process = setup_commune()
    people = [resident(commune).id for _ in range(7)]
    commune_id = commune.id
    for _round in range(3):
        proposal_id = make_proposal(commune, process).id
        barrier = threading.Barrier(len(people) * 2, timeout=20)
        outcomes: list[str] = []

        def click(user_id: int) -> None:
            with app.app_context():
                try:
                    user, c = db.session.get(User, user_id), db.session.get(Commune, commune_id)
                    p = db.session.get(Proposal, proposal_id)
                    db.session.commit()  # give the connection back while waiting for the others
                    barrier.wait()
                    engagement.support(user, c, p)
                    outcomes.append("ok")
                except Conflict:
                    outcomes.append("dup")
                except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                    outcomes.append(repr(exc))
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=click, args=(uid,)) for uid in people for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(outcomes) == ["dup"] * len(people) + ["ok"] * len(people), outcomes
        db.session.expire_all()
        assert db.session.get(Proposal, proposal_id).support_count == len(people)
        assert db.session.scalar(select(func.count(Support.id)).where(
            Support.proposal_id == proposal_id)) == len(people)
