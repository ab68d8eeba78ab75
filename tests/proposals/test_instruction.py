"""Instruction: statuses, public justification, feasibility and cost, duplicates, answers and their notifications."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from participation.errors import DomainError, PermissionDenied
from participation.extensions import db
from participation.models import AuditEntry, Role, utcnow
from participation.notifications.models import Notification
from participation.notifications.operations import message_for
from proposals import operations_engagement as engagement
from proposals.models import Proposal, ProposalKind, ProposalStatus
from proposals.operations_instruction import accepted_with_cost, instruct, petition_state

from ..factories import login
from .factories import make_proposal, resident, setup_commune, staff, url


def test_rejection_needs_a_public_justification():
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    reviewer = staff(commune, Role.reviewer)
    with pytest.raises(DomainError, match="justification"):
        instruct(reviewer, commune, proposal, status=ProposalStatus.rejected, answer="  ")
    assert db.session.get(Proposal, proposal.id).status == ProposalStatus.published
    instruct(reviewer, commune, proposal, status=ProposalStatus.rejected, answer="<p>Hors compétence</p>")
    assert proposal.status == ProposalStatus.rejected and proposal.answered_at is not None


def test_only_reviewers_of_the_commune_instruct():
    commune, process = setup_commune()
    other, _ = setup_commune()
    proposal = make_proposal(commune, process)
    for user, where in ((resident(commune), commune), (staff(commune, Role.moderator), commune),
                        (staff(other, Role.reviewer), other)):
        with pytest.raises(PermissionDenied):
            instruct(user, where, proposal, status=ProposalStatus.accepted)


def test_accept_with_cost_notifies_authors_and_followers(client, run_jobs):
    commune, process = setup_commune()
    author, follower, bystander = resident(commune), resident(commune), resident(commune)
    proposal = make_proposal(commune, process, author)
    engagement.follow(follower, commune, proposal)
    reviewer = staff(commune, Role.reviewer)
    login(client, reviewer)
    response = client.post(f"/{commune.slug}/admin/proposals/instruction/{proposal.id}", data={
        "status": "accepted", "feasibility": "<p>Faisable</p>", "estimated_cost": "12000",
        "answer": "<p>Retenu <script>x</script></p>", "duplicate_of_id": "None"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    proposal = db.session.get(Proposal, proposal.id)
    assert (proposal.status, proposal.estimated_cost, proposal.answer) == (
        ProposalStatus.accepted, 12000, "<p>Retenu </p>")  # the script goes with its content
    assert [p.id for p in accepted_with_cost(process.id)] == [proposal.id]
    page = client.get(url(process, str(proposal.id))).get_data(as_text=True)
    assert "Answer of the city services" in page and "12" in page and "Faisable" in page
    assert db.session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "instruction.save")) == reviewer.id
    ids = {"author": author.id, "follower": follower.id, "bystander": bystander.id}
    run_jobs()
    rows = db.session.scalars(select(Notification)).all()
    by_kind = {(n.kind, n.user_id) for n in rows}
    for who in ("author", "follower"):
        assert ("proposal.status_changed", ids[who]) in by_kind
        assert ("proposal.answered", ids[who]) in by_kind
    assert all(n.user_id != ids["bystander"] for n in rows)
    status_note = next(n for n in rows if n.kind == "proposal.status_changed")
    assert "accepted" in message_for(status_note)


def test_duplicates_link_within_the_process():
    commune, process = setup_commune()
    original, copy = make_proposal(commune, process), make_proposal(commune, process, title="Copie")
    reviewer = staff(commune, Role.reviewer)
    with pytest.raises(DomainError):
        instruct(reviewer, commune, copy, status=ProposalStatus.rejected, answer="<p>x</p>",
                 duplicate_of_id=copy.id)
    instruct(reviewer, commune, copy, status=ProposalStatus.rejected, answer="<p>Doublon</p>",
             duplicate_of_id=original.id)
    assert copy.duplicate_of.id == original.id
    with pytest.raises(DomainError, match="already marked"):
        instruct(reviewer, commune, original, status=ProposalStatus.evaluating, duplicate_of_id=copy.id)


def process_of(proposal_id):
    from participation.models import Process
    return db.session.get(Process, db.session.get(Proposal, proposal_id).process_id)


def test_petition_answer_lateness_and_signers_are_notified(client, run_jobs):
    commune, process = setup_commune()
    petition = make_proposal(commune, process, kind=ProposalKind.petition)
    petition.signature_threshold = 1
    db.session.commit()
    signer = resident(commune)
    engagement.support(signer, commune, petition)
    assert petition.threshold_reached_at is not None
    # Pretend the answer delay ran out three days ago.
    petition.threshold_reached_at -= timedelta(days=70)
    petition.answer_due_at = utcnow() - timedelta(days=3, hours=1)
    db.session.commit()
    state = petition_state(petition)
    assert state.awaiting_answer and state.days_late == 3
    page = client.get(url(process, str(petition.id))).get_data(as_text=True)
    assert "3 days late" in page and "<progress" in page
    instruct(staff(commune, Role.reviewer), commune, petition, status=ProposalStatus.accepted,
             answer="<p>La commune s'engage.</p>")
    state = petition_state(petition)
    assert not state.awaiting_answer and state.answered_late
    signer_id, petition_id = signer.id, petition.id
    run_jobs()
    assert db.session.scalar(select(Notification.id).where(
        Notification.kind == "petition.answered", Notification.user_id == signer_id))
    page = client.get(url(process_of(petition_id), str(petition_id)))
    page = page.get_data(as_text=True)
    assert "Answered 3 days late" in page and "La commune s" in page
