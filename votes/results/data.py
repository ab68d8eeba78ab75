"""From the database to the plain data the tally engine takes, and the small vocabulary of tally rules
shared by the results operations, the Pabulib import/export and the pages."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from budgets.models import Budget, VotingRule
from participation.extensions import db
from participation.models import Action, PhaseKind, Process, utcnow
from votes.rules import Election, Project

from .models import TALLY_COMPLETIONS, TALLY_RULES, TallySettings

RULE_LABELS = {
    "mes": _l("Method of Equal Shares"),
    "greedy": _l("Greedy (most votes first, while the money lasts)"),
    "phragmen": _l("Sequential Phragmén"),
}
COMPLETION_LABELS = {
    "none": _l("no completion"),
    "add1": _l("add1 completion (shares raised by 1 until the budget is used)"),
    "greedy": _l("greedy completion of the leftover"),
    "add1-greedy": _l("add1, then greedy completion"),
}
# Pabulib's META "rule" values and ours, both ways.
_FROM_PABULIB = {
    "equalshares": ("mes", "none"), "equalshares/add1": ("mes", "add1"), "mes": ("mes", "none"),
    "equalshares/greedy": ("mes", "greedy"), "equalshares/add1/greedy": ("mes", "add1-greedy"),
    "equalshares/add1-greedy": ("mes", "add1-greedy"), "greedy": ("greedy", "none"),
    "seqphragmen": ("phragmen", "none"), "phragmen": ("phragmen", "none"),
}
_TO_PABULIB = {("mes", "none"): "equalshares", ("mes", "add1"): "equalshares/add1",
               ("mes", "greedy"): "equalshares/greedy", ("mes", "add1-greedy"): "equalshares/add1/greedy",
               ("greedy", "none"): "greedy", ("phragmen", "none"): "seqphragmen"}


def default_tally(budget: Budget) -> tuple[str, str]:
    """MES with the add1 completion for approval ballots (the Pabulib convention); plain MES for points."""
    return ("mes", "none") if budget.rule == VotingRule.cumulative else ("mes", "add1")


def tally_settings(budget: Budget) -> tuple[str, str]:
    settings = db.session.get(TallySettings, budget.id)
    if settings is None:
        return default_tally(budget)
    return settings.rule, settings.completion


def check_tally(rule: str, completion: str) -> tuple[str, str]:
    """Normalise a (rule, completion) pair; completions only apply to MES."""
    if rule not in TALLY_RULES:
        raise ValueError(f"unknown tally rule {rule!r}")
    if completion not in TALLY_COMPLETIONS:
        raise ValueError(f"unknown completion {completion!r}")
    return rule, completion if rule == "mes" else "none"


def from_pabulib_rule(value: str | None) -> tuple[str, str] | None:
    return _FROM_PABULIB.get((value or "").strip().lower())


def to_pabulib_rule(rule: str, completion: str) -> str:
    return _TO_PABULIB.get((rule, completion), rule)


def rule_label(rule: str, completion: str = "none") -> str:
    label = str(RULE_LABELS.get(rule, rule))
    if rule == "mes" and completion != "none":
        return f"{label}, {COMPLETION_LABELS.get(completion, completion)}"
    return label


def tally_command(filename: str, rule: str, completion: str) -> str:
    """The exact command that recomputes a published result from its downloaded file."""
    command = f"participation tally {filename} --rule {rule}"
    if rule == "mes":
        command += f" --completion {completion}"
    return command


def election_of(budget: Budget) -> Election:
    """The budget's current ballots (both channels) as an Election; withdrawn projects are left out."""
    from votes.operations import budget_election  # the ballots' owner decides what counts

    data = budget_election(budget)
    return Election(data["budget"], [Project(p["id"], p["cost"], p["name"]) for p in data["projects"]],
                    data["ballots"], data["vote_type"])


def vote_phase_end(process: Process) -> datetime | None:
    phase = process.phase_of_kind(PhaseKind.vote)
    return phase.ends_at if phase is not None else None


def vote_closed(process: Process, now: datetime | None = None) -> bool:
    """No ballot can be cast any more, now or later: no vote phase, or it is over."""
    now = now or utcnow()
    if process.allows(Action.vote, now):
        return False
    phase = process.phase_of_kind(PhaseKind.vote)
    if phase is None or phase.ends_at <= now:
        return True
    active = process.active_phase(now)  # an administrator may have moved the process past the vote
    return active is not None and active.position > phase.position
