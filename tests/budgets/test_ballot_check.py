"""The ballot rules: approval within the budget (with a minimum share and a cap), k-approval, points."""
from budgets.ballot_check import summarise
from budgets.models import Budget, Project, VotingRule


def _budget(rule=VotingRule.approval, **values):
    budget = Budget(id=1, amount=100, currency="EUR", rule=rule, **values)
    projects = {i: Project(id=i, budget_id=1, cost=c, title=f"P{i}", withdrawn=False)
                for i, c in enumerate([40, 30, 50, 20], start=1)}
    return budget, projects


def test_approval_within_budget(app):
    with app.test_request_context():
        budget, projects = _budget()
        ok = summarise(budget, projects, {1: 1, 2: 1, 4: 1})
        assert ok.ok and ok.total_cost == 90 and ok.left == 10 and ok.count == 3
        over = summarise(budget, projects, {1: 1, 2: 1, 3: 1})
        assert not over.ok and over.over_budget and over.left == -20
        assert "Remove projects worth at least 20" in over.errors[0].replace("\u00a0", " ")


def test_approval_minimum_share_and_cap(app):
    with app.test_request_context():
        budget, projects = _budget(min_share_percent=70, max_projects=2)
        assert not summarise(budget, projects, {4: 1}).ok  # 20 < 70
        assert summarise(budget, projects, {1: 1, 2: 1}).ok  # 70
        assert not summarise(budget, projects, {1: 1, 2: 1, 4: 1}).ok  # 3 projects > cap of 2


def test_empty_unknown_and_withdrawn(app):
    with app.test_request_context():
        budget, projects = _budget()
        assert not summarise(budget, projects, {}).ok
        assert not summarise(budget, projects, {99: 1}).ok
        projects[1].withdrawn = True
        assert not summarise(budget, projects, {1: 1}).ok
        assert not summarise(budget, projects, {2: 2}).ok  # points on an approval ballot


def test_k_approval(app):
    with app.test_request_context():
        budget, projects = _budget(VotingRule.k_approval, min_projects=2, max_projects=3)
        assert not summarise(budget, projects, {1: 1}).ok
        assert summarise(budget, projects, {1: 1, 2: 1, 3: 1}).ok  # cost is no limit here (120 > 100)
        assert not summarise(budget, projects, {1: 1, 2: 1, 3: 1, 4: 1}).ok


def test_cumulative_points(app):
    with app.test_request_context():
        budget, projects = _budget(VotingRule.cumulative, total_points=10, max_points_per_project=4)
        s = summarise(budget, projects, {1: 4, 2: 4, 3: 2})
        assert s.ok and s.points_used == 10 and s.points_left == 0
        assert not summarise(budget, projects, {1: 5}).ok  # more than 4 on one project
        assert not summarise(budget, projects, {1: 4, 2: 4, 3: 3}).ok  # 11 > 10
        assert not summarise(budget, projects, {1: 0}).ok
