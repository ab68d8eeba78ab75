"""What a ballot adds up to under its budget's rule: totals for the ballot page and the reasons a
ballot cannot be cast. Used by the page (every add/remove), the JSON API and the cast operation."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from flask_babel import format_currency, gettext as _

from .models import Budget, Project, VotingRule


@dataclass
class BallotSummary:
    rule: VotingRule
    amount: int
    currency: str
    count: int = 0
    total_cost: int = 0
    points_used: int = 0
    total_points: int = 0
    errors: list[str] = field(default_factory=list)  # the ballot cannot be cast as it is
    over_budget: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def left(self) -> int:
        return self.amount - self.total_cost

    @property
    def points_left(self) -> int:
        return self.total_points - self.points_used

    def as_dict(self) -> dict:
        return {"rule": self.rule.value, "amount": self.amount, "currency": self.currency, "count": self.count,
                "total_cost": self.total_cost, "left": self.left, "points_used": self.points_used,
                "points_left": self.points_left, "ok": self.ok, "errors": list(self.errors)}


def _money(value: int, currency: str) -> str:
    return format_currency(value, currency, format="#,##0\u00a0¤", currency_digits=False)


def summarise(budget: Budget, projects: Mapping[int, Project], choices: Mapping[int, int]) -> BallotSummary:
    """Check `choices` (project id -> points; 1 for approval) against the budget's rule."""
    s = BallotSummary(rule=budget.rule, amount=budget.amount, currency=budget.currency,
                      total_points=budget.total_points or 0)
    for pid, points in choices.items():
        project = projects.get(pid)
        if project is None or project.withdrawn or project.budget_id != budget.id:
            s.errors.append(_("One of the chosen projects is not on this ballot."))
            return s
        if points < 1:
            s.errors.append(_("Points must be positive whole numbers."))
            return s
        s.count += 1
        s.total_cost += project.cost
        s.points_used += points
    if s.count == 0:
        s.errors.append(_("Choose at least one project."))
        return s
    if budget.rule == VotingRule.cumulative:
        _check_points(budget, choices, s)
    else:
        if any(p != 1 for p in choices.values()):
            s.errors.append(_("This ballot only approves projects; points are not used."))
        if budget.rule == VotingRule.approval:
            _check_spending(budget, s)
        _check_count(budget, s)
    return s


def _check_spending(budget: Budget, s: BallotSummary) -> None:
    if s.total_cost > budget.amount:
        s.over_budget = True
        s.errors.append(_("Your choices cost %(total)s, more than the budget of %(amount)s. "
                          "Remove projects worth at least %(over)s.",
                          total=_money(s.total_cost, s.currency), amount=_money(budget.amount, s.currency),
                          over=_money(s.total_cost - budget.amount, s.currency)))
    elif budget.min_share_percent and s.total_cost < budget.min_spend:
        s.errors.append(_("Choose projects worth at least %(minimum)s (%(percent)s %% of the budget); "
                          "your choices cost %(total)s.",
                          minimum=_money(budget.min_spend, s.currency), percent=budget.min_share_percent,
                          total=_money(s.total_cost, s.currency)))


def _check_count(budget: Budget, s: BallotSummary) -> None:
    if budget.max_projects is not None and s.count > budget.max_projects:
        s.errors.append(_("Choose at most %(max)s projects; you chose %(count)s.",
                          max=budget.max_projects, count=s.count))
    if budget.min_projects and s.count < budget.min_projects:
        s.errors.append(_("Choose at least %(min)s projects; you chose %(count)s.",
                          min=budget.min_projects, count=s.count))


def _check_points(budget: Budget, choices: Mapping[int, int], s: BallotSummary) -> None:
    cap = budget.max_points_per_project or 0
    if any(points > cap for points in choices.values()):
        s.errors.append(_("Give at most %(max)s points to one project.", max=cap))
    if s.points_used > s.total_points:
        s.errors.append(_("You gave %(used)s points; you have %(total)s points to distribute.",
                          used=s.points_used, total=s.total_points))


def rule_description(budget: Budget) -> str:
    """One sentence telling the voter how this ballot works."""
    if budget.rule == VotingRule.cumulative:
        return _("Distribute up to %(total)s points among the projects, at most %(max)s points per project.",
                 total=budget.total_points, max=budget.max_points_per_project)
    if budget.rule == VotingRule.k_approval:
        if budget.min_projects:
            return _("Choose between %(min)s and %(max)s projects.", min=budget.min_projects,
                     max=budget.max_projects)
        return _("Choose up to %(max)s projects.", max=budget.max_projects)
    text = _("Choose projects whose total cost does not exceed %(amount)s.", amount=_money(budget.amount,
                                                                                           budget.currency))
    if budget.min_share_percent:
        text += " " + _("Spend at least %(percent)s %% of it.", percent=budget.min_share_percent)
    if budget.max_projects:
        text += " " + _("Choose at most %(max)s projects.", max=budget.max_projects)
    return text
