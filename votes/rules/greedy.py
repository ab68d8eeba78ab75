"""Greedy utilitarian rule by votes.

Projects are ranked by votes (approval count, or sum of points), ties broken as
documented in :mod:`votes.rules.model` (lower cost, then project id). Projects
nobody voted for are never selected.

* ``skip`` variant (standard): take each project in rank order if it fits in the
  remaining budget, otherwise skip it and go on;
* ``stop`` variant: stop at the first project that does not fit.

This equals pabutools' ``greedy_utilitarian_welfare(..., sat_class=Cost_Sat)``
(whose score is satisfaction / cost = number of approvals) with the same
tie-breaking, for the ``skip`` variant.
"""

from __future__ import annotations

from .model import Election, Explanation, TallyResult, tie_key

VARIANTS = ("skip", "stop")


def greedy(election: Election, variant: str = "skip") -> TallyResult:
    if variant not in VARIANTS:
        raise ValueError(f"unknown greedy variant {variant!r} (choose from skip, stop)")
    votes = election.votes()
    projects = election.projects
    key = tie_key(votes, projects)
    remaining = election.budget
    selected: list[str] = []
    expl: dict[str, Explanation] = {}
    stopped = False
    for rank, pid in enumerate(sorted(projects, key=key), start=1):
        c, v = projects[pid].cost, votes[pid]
        if v == 0:
            expl[pid] = Explanation(pid, False, "no_support", "Nobody voted for this project.", votes=0, cost=c)
        elif stopped:
            expl[pid] = Explanation(pid, False, "stopped",
                                    "Not considered: the selection stopped at a project that did not fit.",
                                    round=rank, votes=v, cost=c, remaining_budget=remaining)
        elif c <= remaining:
            remaining -= c
            selected.append(pid)
            expl[pid] = Explanation(pid, True, "selected",
                                    f"Selected at rank {rank} (remaining budget afterwards: {remaining}).",
                                    round=rank, votes=v, cost=c, remaining_budget=remaining)
        else:
            code = "exceeds_budget" if c > election.budget else "did_not_fit"
            text = (f"Its cost ({c}) exceeds the whole budget ({election.budget})." if code == "exceeds_budget"
                    else f"Did not fit: cost {c}, remaining budget {remaining}.")
            expl[pid] = Explanation(pid, False, code, text, round=rank, votes=v, cost=c, remaining_budget=remaining)
            if variant == "stop":
                stopped = True
    total = election.budget - remaining
    return TallyResult(selected, total, election.budget, "greedy", "none", election.voters,
                       explanations=expl, details={"greedy_variant": variant})
