"""Fairness figures of an outcome.

* ``share_with_funded``: fraction of voters (with a non-empty ballot) who voted
  for at least one funded project;
* ``mean_funded_share``: mean over voters (with a non-empty ballot) of
  ``cost of the funded projects they voted for / cost of all projects they voted
  for`` (for cumulative ballots, projects with positive points count; points are
  not used as weights);
* ``voters_with_ballot``: the number of voters counted (empty ballots excluded);
* ``share_budget_spent``: total cost of the outcome / budget.

All figures are exact fractions returned as floats (and ``*_exact`` strings).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterable

from .model import Election


def fairness(election: Election, selected: Iterable[str]) -> dict:
    funded = set(selected)
    cost = {pid: p.cost for pid, p in election.projects.items()}
    n = 0
    with_funded = 0
    share_sum = Fraction(0)
    for b, w in zip(election.ballots, election.weights):
        if not b:
            continue
        n += w
        tot = sum(cost[p] for p in b)
        got = sum(cost[p] for p in b if p in funded)
        if got:
            with_funded += w
        share_sum += Fraction(got * w, tot)
    a = Fraction(with_funded, n) if n else Fraction(0)
    m = share_sum / n if n else Fraction(0)
    spent = sum(cost[p] for p in funded)
    s = Fraction(spent, election.budget) if election.budget else Fraction(0)
    return {
        "voters_with_ballot": n,
        "share_with_funded": float(a),
        "share_with_funded_exact": str(a),
        "mean_funded_share": float(m),
        "mean_funded_share_exact": str(m),
        "share_budget_spent": float(s),
    }
