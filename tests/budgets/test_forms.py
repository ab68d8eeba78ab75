"""Numbers typed in the staff forms: every mistake says what is wrong (never "This field is required" for a
number that was typed), "300 000" is understood, and nothing is saved."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from budgets.models import Budget, Project
from participation.extensions import db
from participation.models import PhaseKind, Role
from proposals.models import ProposalSettings

from ..factories import grant, login, make_commune, make_process, make_user
from ..html_checks import visible_text
from .factories import make_budget


@pytest.fixture
def admin_client(client):
    commune = make_commune("nombres")
    process = make_process(commune, slug="bp", active=PhaseKind.instruction)
    login(client, grant(make_user(), commune, Role.administrator))
    return client, commune, process


def _budget(amount) -> dict:
    return {"name_fr": "Ville", "amount": amount, "currency": "EUR", "rule": "approval", "district": "0"}


@pytest.mark.parametrize("amount, message", [
    ("0", "Enter at least 1."),
    ("-5", "Enter at least 1."),
    ("1000000000000", "Enter at most 2,000,000,000."),
    ("1" + "0" * 40, "Enter at most 2,000,000,000."),
    ("100000.55", "Enter a whole number, without decimals"),
    ("100000,55", "Enter a whole number, without decimals"),
    ("1e12", "Enter a number with digits only"),
    ("trois cents", "Enter a number with digits only"),
    ("", "Enter a number"),
])
def test_budget_amount_says_what_is_wrong(admin_client, amount, message):
    client, commune, process = admin_client
    response = client.post(f"/{commune.slug}/admin/budgets/{process.slug}/new", data=_budget(amount))
    text = visible_text(response.get_data(as_text=True))
    assert message in text, text[-1500:]
    assert "This field is required" not in text
    assert db.session.scalar(select(func.count(Budget.id))) == 0


def test_amounts_with_grouping_spaces_are_understood(admin_client):
    client, commune, process = admin_client
    response = client.post(f"/{commune.slug}/admin/budgets/{process.slug}/new", data=_budget("300\u202f000"))
    assert response.status_code == 302
    assert db.session.scalar(select(Budget.amount)) == 300000
    page = client.get(response.location).get_data(as_text=True)
    assert response.status_code == 302 and page


def test_the_twins_project_cost_codes_and_proposal_settings(admin_client):
    client, commune, process = admin_client
    budget = make_budget(process, costs=())
    base = f"/{commune.slug}/admin/budgets/{process.slug}"
    for cost, message in (("0", "Enter at least 1."), ("12,5", "without decimals"), ("", "Enter a number")):
        text = visible_text(client.post(f"{base}/{budget.id}/projects/new", data={
            "title": "Parc", "cost": cost, "district": "0", "theme": "0"}).get_data(as_text=True))
        assert message in text and "This field is required" not in text, cost
    assert db.session.scalar(select(func.count(Project.id))) == 0
    text = visible_text(client.post(f"{base}/codes", data={"count": "20000", "district": "0"}).get_data(as_text=True))
    assert "Enter at most 10,000." in text
    text = visible_text(client.post(f"{base}/settings", data={
        "scope": "all", "audience": "residents", "min_age": "16.5", "online_verification": "declaration"})
        .get_data(as_text=True))
    assert "without decimals" in text
    settings = f"/{commune.slug}/admin/proposals/settings/{process.slug}"
    response = client.post(settings, data={"petition_threshold": "0", "petition_days": "90",
                                           "petition_answer_days": "60", "report_threshold": "3"})
    assert response.status_code == 400 and "Enter at least 1." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ProposalSettings.id))) == 0
    response = client.post(settings, data={"petition_threshold": "1 000", "petition_days": "90",
                                           "petition_answer_days": "60", "report_threshold": "3"})
    assert response.status_code == 302
    assert db.session.scalar(select(ProposalSettings.petition_threshold)) == 1000
