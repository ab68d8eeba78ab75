"""What the results pages show for a stored result: rows in order, a translated "why" for every project,
fairness figures and the comparison with greedy. Built from the stored JSON only, so a published page
never changes when ballots or rules change later."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import format_currency, format_percent, gettext as _, ngettext

from budgets.models import Project

from .models import BudgetResult
from .operations import result_projects
from .data import rule_label, tally_command


def money(value: float | int | None, currency: str) -> str:
    if value is None:
        return ""
    if float(value).is_integer():
        return format_currency(int(value), currency, format="#,##0\u00a0¤", currency_digits=False)
    return format_currency(value, currency, format="#,##0.00\u00a0¤", currency_digits=False)


@dataclass
class Row:
    pid: str
    project: Project | None
    title: str
    votes: int
    cost: int
    why: str
    rank: int | None = None
    cumulative: int = 0  # money spent once this winner is funded
    in_greedy: bool = False


@dataclass
class ResultView:
    result: BudgetResult
    currency: str
    rule_text: str
    winners: list[Row] = field(default_factory=list)
    others: list[Row] = field(default_factory=list)
    greedy_winners: list[Row] = field(default_factory=list)
    only_rule: list[Row] = field(default_factory=list)  # funded by the rule, not by greedy
    only_greedy: list[Row] = field(default_factory=list)
    command: str = ""
    filename: str = ""
    share_text: str = ""
    cumulative: bool = False  # votes are points

    @property
    def percent_spent(self) -> str:
        return format_percent(self.result.total_cost / self.result.amount if self.result.amount else 0, "#0.#%")


def _title(project: Project | None, pid: str) -> str:
    return project.title if project is not None else _("Project %(id)s", id=pid)


def why(e: dict, result: BudgetResult, currency: str, cumulative: bool) -> str:
    """One or two sentences, in the visitor's language, saying why a project was or was not funded."""
    code, m = e.get("code"), (lambda v: money(v, currency))
    if code == "selected" and result.rule == "mes":
        price = m(e.get("price_per_supporter"))
        text = (_("Selected in round %(round)s. Its supporters paid for it together: %(paid)s of them paid "
                  "%(price)s per point given.", round=e.get("round"), paid=e.get("supporters_paid_price", 0),
                  price=price) if cumulative else
                _("Selected in round %(round)s. Its supporters paid for it together: %(paid)s of them paid "
                  "%(price)s each.", round=e.get("round"), paid=e.get("supporters_paid_price", 0), price=price))
        if e.get("supporters_paid_all"):
            text += " " + ngettext("%(num)s paid all the money they had left (less than that).",
                                   "%(num)s paid all the money they had left (less than that).",
                                   e["supporters_paid_all"])
        if e.get("supporters_without_money"):
            text += " " + ngettext("%(num)s had no money left and paid nothing.",
                                   "%(num)s had no money left and paid nothing.", e["supporters_without_money"])
        return text
    if code == "selected" and result.rule == "greedy":
        return _("Selected at rank %(rank)s by number of votes: it fit in the money left (%(left)s left "
                 "afterwards).", rank=e.get("round"), left=m(e.get("remaining_budget")))
    if code == "selected":
        return _("Selected in round %(round)s: its supporters' load was the lowest (%(load)s).",
                 round=e.get("round"), load=f"{e.get('load') or 0:.4f}")
    if code == "selected_completion":
        return _("Added by the greedy completion: with the money left after the main rule, it still fit "
                 "(%(left)s left afterwards).", left=m(e.get("remaining_budget")))
    if code == "no_support":
        return _("Nobody voted for this project.")
    if code == "exceeds_budget":
        return _("It costs more than the whole budget.")
    if code == "unaffordable":
        text = (_("It could not be afforded: when it was considered (round %(round)s), its supporters had only "
                  "%(money)s left in total, less than its cost.", round=e.get("round"),
                  money=m(e.get("supporters_money")))
                if e.get("supporters_money") is not None else _("Its supporters could not cover its cost."))
        if e.get("remaining_budget") is not None:
            text += " " + _("The greedy completion could not fit it either: only %(left)s was left.",
                            left=m(e.get("remaining_budget")))
        return text
    if code == "did_not_fit":
        return _("It did not fit: only %(left)s was left when its turn came.", left=m(e.get("remaining_budget")))
    if code == "stopped":
        return _("Not considered: the selection stopped before its turn.")
    return e.get("text", "")


def result_view(result: BudgetResult, *, filename: str = "ballots.pb") -> ResultView:
    budget = result.budget
    currency = budget.currency
    cumulative = budget.vote_type == "cumulative"
    projects = result_projects(result)
    greedy_set = set(result.greedy["selected"]) if result.greedy else set()
    view = ResultView(result, currency, rule_label(result.rule, result.completion),
                      command=tally_command(filename, result.rule, result.completion), filename=filename,
                      cumulative=cumulative)

    def row(pid: str, rank: int | None = None) -> Row:
        e = result.explanations.get(pid, {})
        return Row(pid, projects.get(pid), _title(projects.get(pid), pid), result.votes.get(pid, 0),
                   e.get("cost", projects[pid].cost if pid in projects else 0), why(e, result, currency, cumulative),
                   rank=rank, in_greedy=pid in greedy_set)

    spent = 0
    for rank, pid in enumerate(result.selected, start=1):
        r = row(pid, rank)
        spent += r.cost
        r.cumulative = spent
        view.winners.append(r)
    view.others = sorted((row(pid) for pid in result.explanations if pid not in result.selected_set),
                         key=lambda r: (-r.votes, r.cost, r.pid))
    if result.greedy:
        view.greedy_winners = [row(pid, rank) for rank, pid in enumerate(result.greedy["selected"], start=1)]
        view.only_rule = [r for r in view.winners if not r.in_greedy]
        view.only_greedy = [r for r in view.greedy_winners if r.pid not in result.selected_set]
    share = result.details.get("share_per_voter")
    if result.rule == "mes" and share is not None and result.voters:
        view.share_text = _("Each of the %(voters)s voters started with an equal share of %(share)s.",
                            voters=result.voters, share=money(share, currency))
        if result.completion in ("add1", "add1-greedy") and result.details.get("add1_iterations"):
            view.share_text += " " + _("The add1 completion raised the shares %(num)s times by one unit, as long as "
                                       "the outcome stayed within the budget.",
                                       num=result.details["add1_iterations"])
    return view


def percent(value: float | None) -> str:
    return format_percent(value or 0, "#0.#%")
