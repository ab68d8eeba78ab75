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
        instruct(reviewer, commune, copy, status=ProposalStatus.duplicate, duplicate_of_id=copy.id)
    instruct(reviewer, commune, copy, status=ProposalStatus.duplicate, answer="<p>Doublon</p>",
             duplicate_of_id=original.id)
    assert copy.duplicate_of.id == original.id
    with pytest.raises(DomainError, match="already marked"):
        instruct(reviewer, commune, original, status=ProposalStatus.duplicate, duplicate_of_id=copy.id)


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


def test_one_status_and_consistent_fields(client):
    commune, process = setup_commune()
    original, copy = make_proposal(commune, process), make_proposal(commune, process, title="Copie")
    reviewer = staff(commune, Role.reviewer)
    with pytest.raises(DomainError, match="Duplicate"):
        instruct(reviewer, commune, copy, status=ProposalStatus.accepted, duplicate_of_id=original.id)
    with pytest.raises(DomainError, match="Choose the proposal this one duplicates"):
        instruct(reviewer, commune, copy, status=ProposalStatus.duplicate)
    db.session.expire_all()
    assert db.session.get(Proposal, copy.id).status == ProposalStatus.published
    login(client, reviewer)
    response = client.post(f"/{commune.slug}/admin/proposals/instruction/{copy.id}", data={
        "status": "accepted", "duplicate_of_id": str(original.id), "answer": "", "feasibility": ""})
    assert response.status_code == 400 and "Duplicate" in response.get_data(as_text=True)
    response = client.post(f"/{commune.slug}/admin/proposals/instruction/{copy.id}", data={
        "status": "duplicate", "duplicate_of_id": str(original.id), "answer": "", "feasibility": ""})
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Proposal, copy.id)
    assert (saved.status, saved.duplicate_of_id) == (ProposalStatus.duplicate, original.id)
    page = client.get(url(process, str(copy.id))).get_data(as_text=True)
    assert "Duplicate" in page and "This proposal duplicates:" in page
    # A third proposal cannot point at a duplicate: it names the original.
    third = make_proposal(commune, process, title="Encore")
    with pytest.raises(DomainError, match="itself a duplicate"):
        instruct(reviewer, commune, third, status=ProposalStatus.duplicate, duplicate_of_id=copy.id)


def test_the_database_refuses_inconsistent_statuses():
    from sqlalchemy.exc import IntegrityError
    commune, process = setup_commune()
    original, copy = make_proposal(commune, process), make_proposal(commune, process)
    copy_id = copy.id
    for values in ({"status": ProposalStatus.accepted, "duplicate_of_id": original.id},
                   {"status": ProposalStatus.duplicate, "duplicate_of_id": copy_id},
                   {"status": ProposalStatus.rejected, "answer": ""}):
        proposal = db.session.get(Proposal, copy_id)
        for key, value in values.items():
            setattr(proposal, key, value)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_reviewers_turn_an_accepted_proposal_into_a_budget_project(client):
    from budgets.models import Project
    from ..budgets.factories import make_budget
    commune, process = setup_commune()
    proposal = make_proposal(commune, process, title="Un verger")
    reviewer = staff(commune, Role.reviewer)
    city = make_budget(process, name="Ville", costs=())
    north = make_budget(process, name="Nord", costs=())
    login(client, reviewer)
    instruct(reviewer, commune, proposal, status=ProposalStatus.accepted, estimated_cost=18000,
             answer="<p>Retenu</p>")
    page = client.get(f"/{commune.slug}/admin/proposals/instruction/{proposal.id}").get_data(as_text=True)
    assert "Make it a project of this budget" in page and f'<option value="{north.id}"' in page
    response = client.post(f"/{commune.slug}/admin/budgets/{process.slug}/from-proposal",
                           data={"budget_id": city.id, "proposal_id": proposal.id, "back": "instruction"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]  # was 403 for reviewers
    assert response.location.endswith(f"/admin/proposals/instruction/{proposal.id}")
    project = db.session.scalar(select(Project).where(Project.proposal_id == proposal.id))
    assert (project.budget_id, project.cost, project.title) == (city.id, 18000, "Un verger")
    assert db.session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "project.from_proposal")) == \
        reviewer.id
    page = client.get(f"/{commune.slug}/admin/proposals/instruction/{proposal.id}").get_data(as_text=True)
    assert "Project of the budget" in page and f'<option value="{city.id}"' not in page
    again = client.post(f"/{commune.slug}/admin/budgets/{process.slug}/from-proposal",
                        data={"budget_id": city.id, "proposal_id": proposal.id})
    assert again.status_code == 409
    # Reviewers still do not administer budgets; moderators and residents cannot do this.
    assert client.get(f"/{commune.slug}/admin/budgets/{process.slug}/").status_code == 403
    for someone in (staff(commune, Role.moderator), resident(commune)):
        login(client, someone)
        response = client.post(f"/{commune.slug}/admin/budgets/{process.slug}/from-proposal",
                               data={"budget_id": north.id, "proposal_id": proposal.id})
        assert response.status_code == 403
    for bad in ({"budget_id": "x", "proposal_id": proposal.id}, {"budget_id": north.id, "proposal_id": "99999"},
                {"budget_id": north.id}):
        login(client, reviewer)
        assert client.post(f"/{commune.slug}/admin/budgets/{process.slug}/from-proposal",
                           data=bad).status_code == 404
