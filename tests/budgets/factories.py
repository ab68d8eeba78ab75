"""Factories for budgets, projects, vote settings and voters."""
from __future__ import annotations

import secrets

from budgets.models import Audience, Budget, BudgetScope, Project, Verification, VoteSettings, VotingRule
from participation.extensions import db

__all__ = ["make_budget", "make_project", "make_settings", "make_voter"]


def make_settings(process, **values) -> VoteSettings:
    settings = db.session.get(VoteSettings, process.id)
    if settings is None:
        settings = VoteSettings(process_id=process.id, salt=secrets.token_hex(16), scope=BudgetScope.all,
                                audience=Audience.residents_and_users, online_verification=Verification.declaration,
                                ballot_final=False, show_running_counts=False)
        db.session.add(settings)
    for key, value in values.items():
        setattr(settings, key, value)
    db.session.commit()
    return settings


def make_budget(process, *, amount: int = 100_000, rule: VotingRule | str = VotingRule.approval, district=None,
                costs=(40_000, 30_000, 50_000, 20_000), name: str = "Budget", **rule_values) -> Budget:
    rule = VotingRule(rule)
    if rule == VotingRule.cumulative:
        rule_values.setdefault("total_points", 10)
        rule_values.setdefault("max_points_per_project", 4)
    if rule == VotingRule.k_approval:
        rule_values.setdefault("max_projects", 2)
    budget = Budget(commune_id=process.commune_id, process_id=process.id, name={"fr": name, "en": name},
                    amount=amount, currency="EUR", rule=rule, district_id=district.id if district else None,
                    **rule_values)
    db.session.add(budget)
    db.session.flush()
    for i, cost in enumerate(costs, start=1):
        db.session.add(Project(commune_id=process.commune_id, budget_id=budget.id, title=f"Projet {i}", cost=cost))
    db.session.commit()
    return budget


def make_project(budget, *, cost: int = 10_000, title: str = "Projet") -> Project:
    project = Project(commune_id=budget.commune_id, budget_id=budget.id, title=title, cost=cost)
    db.session.add(project)
    db.session.commit()
    return project


def make_voter(process, user, **kwargs):
    """Register `user` as an online voter by declaration (the process's default)."""
    from votes.operations_voters import register_online_voter
    from participation.models import Commune
    commune = db.session.get(Commune, process.commune_id)
    kwargs.setdefault("attest", True)
    return register_online_voter(user, commune, process, **kwargs)
