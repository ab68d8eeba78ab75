"""Budgets and projects: administration, projects from accepted proposals, public pages, demo data."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from budgets import operations as ops
from budgets.models import Budget, BudgetScope, Project, VotingRule
from participation.errors import Conflict, DomainError, PermissionDenied
from participation.extensions import db
from participation.models import PhaseKind, Role, UploadedImage

from ..factories import grant, login, make_commune, make_process, make_user
from ..proposals.factories import png_bytes
from .factories import make_budget, make_settings, make_voter


@pytest.fixture
def admin_setup(app):
    commune = make_commune("budgets")
    process = make_process(commune, slug="bp", active=PhaseKind.instruction)
    admin = grant(make_user(), commune, Role.administrator)
    return commune, process, admin


def test_save_budget_checks_role_and_rule(app, admin_setup):
    commune, process, admin = admin_setup
    resident = grant(make_user(), commune, Role.resident)
    with app.test_request_context():
        with pytest.raises(PermissionDenied):
            ops.save_budget(resident, commune, process, name={"fr": "B"}, description={}, amount=1000,
                            currency="EUR", rule=VotingRule.approval)
        with pytest.raises(DomainError, match="maximum number"):
            ops.save_budget(admin, commune, process, name={"fr": "B"}, description={}, amount=1000,
                            currency="EUR", rule=VotingRule.k_approval)
        budget = ops.save_budget(admin, commune, process, name={"fr": "Ville", "en": " "},
                                 description={"fr": "<p onclick='x()'>Texte</p><script>x</script>"}, amount=300000,
                                 currency="eur", rule=VotingRule.approval, min_share_percent=70, max_projects=15)
        assert budget.name == {"fr": "Ville"} and budget.currency == "EUR" and budget.min_spend == 210000
        assert "onclick" not in budget.description["fr"] and "<script" not in budget.description["fr"]
        other = make_commune("other")
        with pytest.raises(PermissionDenied):
            ops.save_budget(admin, other, process, name={"fr": "B"}, description={}, amount=1,
                            currency="EUR", rule=VotingRule.approval)


def test_rule_and_amount_frozen_once_ballots_exist(app, admin_setup):
    commune, process, admin = admin_setup
    budget = make_budget(process)
    for phase in process.phases:  # open the vote
        if phase.kind == PhaseKind.vote:
            process.active_phase_override_id = phase.id
    db.session.commit()
    user = make_user()
    with app.test_request_context():
        make_voter(process, user)
        from votes.operations import cast_online_ballot
        cast_online_ballot(user, process, budget, {budget.projects[0].id: 1})
        with pytest.raises(Conflict):
            ops.save_budget(admin, commune, process, name={"fr": "B"}, description={}, amount=1,
                            currency="EUR", rule=VotingRule.approval, budget=budget)
        with pytest.raises(Conflict):
            ops.delete_budget(admin, commune, budget)
        with pytest.raises(Conflict):
            ops.save_vote_settings(admin, commune, process, scope=BudgetScope.city_plus_chosen_district,
                                   audience=ops.Audience.residents, min_age=None,
                                   online_verification=ops.Verification.declaration, ballot_final=False,
                                   show_running_counts=True)


def test_project_from_accepted_proposal(app, admin_setup):
    from proposals.models import Proposal, ProposalStatus
    commune, process, admin = admin_setup
    budget = make_budget(process, costs=())
    proposal = Proposal(commune_id=commune.id, process_id=process.id, title="Un banc", body="<p>Au parc</p>",
                        status=ProposalStatus.evaluating, estimated_cost=None, address="Parc", latitude=47.7,
                        longitude=7.3)
    db.session.add(proposal)
    db.session.commit()
    with app.test_request_context():
        with pytest.raises(Conflict, match="accepted"):
            ops.project_from_proposal(admin, budget, proposal)
        proposal.status = ProposalStatus.accepted
        db.session.commit()
        with pytest.raises(Conflict, match="no cost"):
            ops.project_from_proposal(admin, budget, proposal)
        proposal.estimated_cost = 4500
        db.session.commit()
        assert [p.id for p in ops.accepted_proposals(process)] == [proposal.id]
        project = ops.project_from_proposal(admin, budget, proposal)
        assert (project.title, project.cost, project.proposal_id, project.address) == ("Un banc", 4500, proposal.id,
                                                                                      "Parc")
        assert ops.accepted_proposals(process) == []
        with pytest.raises(Conflict, match="already"):
            ops.project_from_proposal(admin, budget, proposal)


def test_admin_pages(app, client, admin_setup):
    commune, process, admin = admin_setup
    login(client, admin)
    base = f"/{commune.slug}/admin/budgets/{process.slug}"
    assert "Budgets and projects" in client.get(f"/{commune.slug}/admin/").get_data(as_text=True)
    response = client.post(f"{base}/new", data={"name_fr": "Ville", "amount": "300000", "currency": "EUR",
                                                "rule": "approval", "district": "0", "min_share_percent": "70"})
    assert response.status_code == 302
    budget = db.session.scalar(select(Budget))
    response = client.post(f"{base}/{budget.id}/projects/new", data={
        "title": "Forêt urbaine", "description": "<p>60 arbres</p>", "cost": "85000", "district": "0", "theme": "0",
        "images": f"/{commune.slug}/images/old.png | Des arbres\n{app.config['BASE_URL']}/static/a.png | Un plan",
        "new_images": [(io.BytesIO(png_bytes()), "photo.png")], "latitude": "47.75", "longitude": "7.34"},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    project = db.session.scalar(select(Project))
    uploaded = db.session.scalar(select(UploadedImage))
    assert uploaded.kind == "projects" and uploaded.commune_id == commune.id
    assert project.images == [{"src": f"/{commune.slug}/images/old.png", "alt": "Des arbres"},
                              {"src": "/static/a.png", "alt": "Un plan"},
                              {"src": f"/{commune.slug}/images/{uploaded.filename}", "alt": "Forêt urbaine"}]
    assert project.latitude == 47.75
    assert client.get(project.images[2]["src"]).status_code == 200
    for typed, message in (("javascript:alert(1)", "addresses of this site"), ("//evil.example/x.png", "addresses of this site"),
                           ("/\\evil.example/x.png", "addresses of this site"),
                           ("https://example.org/a.jpg | Des arbres", "upload field")):
        bad = client.post(f"{base}/{budget.id}/projects/new", data={"title": "X", "cost": "5", "district": "0",
                                                                      "theme": "0", "images": typed})
        assert bad.status_code in (200, 400) and message in bad.get_data(as_text=True), typed
    huge = client.post(f"{base}/{budget.id}/projects/new", data={
        "title": "X", "cost": "5", "district": "0", "theme": "0",
        "new_images": [(io.BytesIO(b"x" * (10 * 1024 * 1024)), "huge.png")]}, content_type="multipart/form-data")
    assert "at most 5 MB" in huge.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Project.id))) == 1
    assert db.session.scalar(select(func.count(UploadedImage.id))) == 1
    response = client.post(f"{base}/settings", data={"scope": "city_plus_chosen_district", "audience": "residents",
                                                     "min_age": "16", "online_verification": "code"})
    assert response.status_code == 302
    assert ops.vote_settings(process).min_age == 16
    page = client.post(f"{base}/codes", data={"count": "5", "district": "0"}).get_data(as_text=True)
    assert page.count("<code>") == 5
    census = client.post(f"{base}/census", data={"file": (__import__("io").BytesIO(
        "Anne Martin;1980;3 rue Haute\n".encode()), "census.csv")}, content_type="multipart/form-data")
    assert census.status_code == 302
    for path in ("/", f"/{budget.id}/projects", f"/{budget.id}/edit", "/settings", "/census", "/codes"):
        assert client.get(base + path).status_code == 200, path
    client.post("/account/logout")
    login(client, make_user())
    assert client.get(base + "/").status_code == 403


def test_public_pages_and_running_counts(app, client):
    commune = make_commune("public")
    process = make_process(commune, slug="bp", active=PhaseKind.vote)
    budget = make_budget(process, name="Ville")
    user = make_user()
    with app.test_request_context():
        make_voter(process, user)
        from votes.operations import cast_online_ballot
        cast_online_ballot(user, process, budget, {budget.projects[0].id: 1})
    base = f"/{commune.slug}/processes/{process.slug}"
    page = client.get(f"{base}/budgets/").get_data(as_text=True)
    assert "Ville" in page and "1 ballot" not in page  # hidden while the vote is open
    make_settings(process, show_running_counts=True)
    assert "1 ballot" in client.get(f"{base}/budgets/").get_data(as_text=True)
    assert "Projet 1" in client.get(f"{base}/budgets/{budget.id}/").get_data(as_text=True)
    assert "Projet 1" in client.get(f"{base}/budgets/projects/{budget.projects[0].id}").get_data(as_text=True)
    assert "Budgets and projects" in client.get(f"{base}/").get_data(as_text=True)
    assert client.get(f"{base}/budgets/999/").status_code == 404


def test_demo_seeds_budgets(app):
    from participation.demo import seed
    seed()
    seed()  # idempotent
    budgets = db.session.scalars(select(Budget).order_by(Budget.id)).all()
    city = budgets[0]
    assert city.amount == 300000 and city.rule == VotingRule.approval
    assert any(b.rule == VotingRule.k_approval and b.district_id for b in budgets)
    assert any(b.rule == VotingRule.cumulative for b in budgets)
    assert len(budgets) == 4
