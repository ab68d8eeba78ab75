"""Sequential Phragmén for approval ballots (exact, with Fractions).

Voters earn virtual money continuously at the same rate (their "load" is the
money they have spent so far). A project ``j`` can be bought at time
``t_j = (cost_j + sum of its supporters' loads) / number of supporters``; the
project with the smallest ``t_j`` is bought (ties: see
:mod:`votes.rules.model`) and all its supporters' loads become ``t_j``.
Projects costing more than the budget and projects nobody supports are never
considered. The rule **stops** as soon as the next project to buy does not fit in
the remaining budget (like pabutools ``sequential_phragmen``: if several projects
are tied for the smallest time and any of them does not fit, it stops).
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from .model import APPROVAL, Election, ElectionError, Explanation, TallyResult, tie_key


def sequential_phragmen(election: Election) -> TallyResult:
    if election.vote_type != APPROVAL:
        raise ElectionError("sequential Phragmén needs approval ballots")
    votes = election.votes()
    projects = election.projects
    key = tie_key(votes, projects)
    budget = election.budget
    agg: Counter = Counter()
    for b, w in zip(election.ballots, election.weights):
        if b:
            agg[b] += w
    groups = list(agg.items())  # (frozenset, weight)
    load = [Fraction(0)] * len(groups)
    supporters: dict[str, list[int]] = {pid: [] for pid in projects}
    for g, (b, _) in enumerate(groups):
        for pid in b:
            supporters[pid].append(g)
    active = {pid for pid in projects if votes[pid] > 0 and projects[pid].cost <= budget}
    load_sum = {pid: Fraction(0) for pid in active}  # sum of weighted loads of supporters
    selected: list[str] = []
    expl: dict[str, Explanation] = {}
    spent = 0
    stop_reason = None
    while active:
        times = {pid: (projects[pid].cost + load_sum[pid]) / votes[pid] for pid in active}
        tmin = min(times.values())
        tied = sorted((pid for pid in active if times[pid] == tmin), key=key)
        if any(spent + projects[pid].cost > budget for pid in tied):
            stop_reason = (tied, tmin)
            break
        pid = tied[0]
        selected.append(pid)
        spent += projects[pid].cost
        active.discard(pid)
        expl[pid] = Explanation(pid, True, "selected",
                                f"Bought in round {len(selected)} at time (load) {float(tmin):.4f}.",
                                round=len(selected), votes=votes[pid], cost=projects[pid].cost, load=tmin,
                                remaining_budget=budget - spent)
        for g in supporters[pid]:
            b, w = groups[g]
            delta = (tmin - load[g]) * w
            if delta:
                for q in b:
                    if q in load_sum:
                        load_sum[q] += delta
            load[g] = tmin
    remaining = budget - spent
    for pid, p in projects.items():
        if pid in expl:
            continue
        v = votes[pid]
        if v == 0:
            expl[pid] = Explanation(pid, False, "no_support", "Nobody voted for this project.", votes=0, cost=p.cost)
        elif p.cost > budget:
            expl[pid] = Explanation(pid, False, "exceeds_budget",
                                    f"Its cost ({p.cost}) exceeds the whole budget ({budget}).", votes=v, cost=p.cost)
        elif stop_reason and pid in stop_reason[0]:
            expl[pid] = Explanation(pid, False, "did_not_fit",
                                    f"It was next (time {float(stop_reason[1]):.4f}) but did not fit: "
                                    f"cost {p.cost}, remaining budget {remaining}; the rule stopped.",
                                    votes=v, cost=p.cost, remaining_budget=remaining, load=stop_reason[1])
        else:
            expl[pid] = Explanation(pid, False, "stopped",
                                    "Not bought before the rule stopped.", votes=v, cost=p.cost,
                                    remaining_budget=remaining)
    return TallyResult(selected, spent, budget, "phragmen", "none", election.voters, explanations=expl)
