"""Staff pages show words, never the codes stored behind them ("approval", "declaration", "moderator")."""
from __future__ import annotations

import re

from participation.models import PhaseKind, Role
from budgets.models import Verification, VotingRule

from ..budgets.factories import make_budget, make_settings
from ..factories import grant, login, make_commune, make_process, make_user
from ..html_checks import visible_text


def _cells(html: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


def test_budgets_page_names_rules_and_verification(client):
    commune = make_commune("mots")
    process = make_process(commune, slug="bp", active=PhaseKind.instruction)
    make_settings(process, online_verification=Verification.declaration)
    make_budget(process, name="Ville", rule=VotingRule.approval)
    make_budget(process, name="Points", rule=VotingRule.cumulative)
    login(client, grant(make_user(), commune, Role.administrator))
    html = client.get(f"/{commune.slug}/admin/budgets/{process.slug}/").get_data(as_text=True)
    text = visible_text(html)
    assert "Declaration: the person attests they may vote" in text
    assert "Approval within the budget" in text and "Cumulative points" in text
    for code in ("declaration", "approval", "cumulative"):
        assert code not in _cells(html) and not re.search(rf":\s*{code}\b", text), code


def test_roles_page_names_roles(client):
    commune = make_commune("roles")
    admin = grant(make_user("Adèle"), commune, Role.administrator)
    grant(make_user("Marie"), commune, Role.moderator)
    grant(make_user("Rémi"), commune, Role.reviewer)
    login(client, admin)
    cells = _cells(client.get(f"/{commune.slug}/admin/roles").get_data(as_text=True))
    assert "Moderator" in cells and "Reviewer (city staff)" in cells and "Administrator" in cells
    assert not {"moderator", "reviewer", "administrator"} & set(cells)


def test_results_history_names_the_rules(app, client):
    from votes.results.operations import compute_result
    from ..votes.results.helpers import cast, close_vote
    commune = make_commune("regles")
    process = make_process(commune, slug="bp", active=PhaseKind.vote)
    budget = make_budget(process, amount=100, costs=(50, 30, 50, 20), name="Ville")
    ids = sorted(p.id for p in budget.projects)
    with app.test_request_context():
        cast(process, budget, [[ids[0], ids[2]]] * 3 + [[ids[1], ids[3]]] * 2)
    close_vote(process)
    first, second = compute_result(budget.id), compute_result(budget.id, rule="greedy", completion="none")
    assert first.id != second.id
    login(client, grant(make_user(), commune, Role.administrator))
    html = client.get(f"/{commune.slug}/admin/results/{process.slug}/").get_data(as_text=True)
    cells = _cells(html)
    assert any(cell.startswith("Method of Equal Shares") for cell in cells), cells
    assert not {"mes add1", "mes none", "greedy none", "mes", "greedy"} & set(cells)
