"""Method of Equal Shares (MES), exact, vectorised.

Definition (same as pabutools ``method_of_equal_shares(..., sat_class=Cost_Sat)``
for approval ballots; utility = points for cumulative ballots, like
pabutools' ``Additive_Cumulative_Sat``):

* every voter gets an equal share ``budget / n`` of virtual money (``n`` voters);
* a project ``j`` is *affordable* at price ``rho`` if its supporters can pay it,
  each supporter ``i`` paying ``min(money_i, rho * u_ij)`` where the utility
  ``u_ij`` is the project's cost (approval) or the points ``i`` gave to ``j``
  (cumulative);
* in each round the affordable project with the smallest ``rho`` is bought (ties:
  see :mod:`votes.rules.model`), its supporters pay, and the rule stops when no
  project is affordable any more (supporters' total money below its cost).

Exactness: money is scaled by ``n`` so that every voter's initial share is an
integer; prices are :class:`fractions.Fraction`. Floats (numpy) are used only as a
prefilter: each float quantity carries a rigorous error bound, every decision whose
float interval is not conclusive (affordability, argmin of rho, which supporter
pays all of their money) is re-done with exact rational arithmetic. The money of a
voter who never had to pay all of it is ``share - sum(price_s * v_is)`` over the
bought projects ``s`` the voter supports, so exact sums over many voters are
computed from integer counts, not per-voter fractions.

Completions (``completion`` argument of :func:`equal_shares`):

* ``none``: plain MES;
* ``add1``: the Pabulib / equalshares.net convention: MES is re-run from scratch
  with every voter's initial share raised by 1 currency unit (the virtual budget
  grows by ``n``) each time; it **stops** as soon as (a) the outcome costs more
  than the real budget: the previous outcome is kept; or (b) every project is
  selected. It does *not* stop at the first exhaustive outcome (pabutools'
  ``voter_budget_increment=1`` does, and on Wieliczka 2023 that gives 31 projects,
  not the official 30). Safety nets: ``max_iterations`` re-runs, and a share so
  large that every supported project is affordable; the result's ``details`` say
  which stop applied.
* ``greedy``: plain MES, then the remaining real budget is filled by the greedy
  rule (by votes, skipping projects that do not fit) among unselected projects;
* ``add1-greedy``: ``add1`` then ``greedy``.
"""

from __future__ import annotations

from fractions import Fraction

from .mes_engine import _Prepared, _Run
from .model import Election, Explanation, TallyResult, tie_key

def _is_exhaustive(prep: _Prepared, sel: list[int], budget: int) -> bool:
    spent = sum(prep.cost[j] for j in sel)
    s = set(sel)
    return all(j in s or prep.cost[j] + spent > budget for j in range(prep.P))


def greedy_fill(election: Election, selected: list[str], votes=None) -> tuple[list[str], dict[str, int]]:
    """Greedy completion: add unselected supported projects by votes while they fit.

    Returns (added ids, {id: remaining budget when it did not fit}).
    """
    votes = votes if votes is not None else election.votes()
    key = tie_key(votes, election.projects)
    remaining = election.budget - sum(election.projects[q].cost for q in selected)
    chosen = set(selected)
    added, skipped = [], {}
    for pid in sorted((q for q in election.projects if q not in chosen and votes[q] > 0), key=key):
        c = election.projects[pid].cost
        if c <= remaining:
            added.append(pid)
            remaining -= c
        else:
            skipped[pid] = remaining
    return added, skipped


COMPLETIONS = ("none", "add1", "greedy", "add1-greedy")


def equal_shares(
    election: Election, completion: str = "none", *, step: int = 1, max_iterations: int = 10_000
) -> TallyResult:
    """Run MES (with an optional completion) and return a result with explanations.

    ``step`` is the add1 increment of each voter's share in currency units (1 for
    the Pabulib convention); ``max_iterations`` bounds the number of add1 re-runs
    (``details["add1_stop"] == "max_iterations"`` tells the cap was hit: the
    result is then the last feasible outcome found, not the convention's one).
    ``details["add1_iterations"]`` is the increment count of the kept outcome.
    """
    if completion not in COMPLETIONS:
        raise ValueError(f"unknown completion {completion!r} (choose from {', '.join(COMPLETIONS)})")
    prep = _Prepared(election)
    n, budget = prep.n, election.budget
    details: dict = {"add1_iterations": 0}
    if n == 0 or prep.P == 0:
        run = None
        sel_idx: list[int] = []
    else:
        run = _Run(prep, budget)
        sel_idx = run.run()
        if completion in ("add1", "add1-greedy"):
            k = 0
            all_supported_cost = sum(prep.cost)
            while True:
                if len(sel_idx) == prep.P:
                    details["add1_stop"] = "all_selected"
                    break
                if k >= max_iterations:
                    details["add1_stop"] = "max_iterations"
                    break
                k += 1
                share = budget + k * step * n  # scaled by n: (budget / n + k * step) * n
                if share > all_supported_cost * n + n:  # cannot happen before infeasibility; safety net
                    details["add1_stop"] = "cap"
                    break
                new_run = _Run(prep, share)
                new_sel = new_run.run()
                if sum(prep.cost[j] for j in new_sel) > budget:
                    details["add1_stop"] = "infeasible"
                    k -= 1
                    break
                run, sel_idx = new_run, new_sel
            details["add1_iterations"] = k
            details["add1_step"] = step
    selected = [prep.ids[j] for j in sel_idx]
    share = Fraction(run.B0, n) if run is not None else (Fraction(budget, n) if n else Fraction(0))
    details["share_per_voter"] = float(share)
    details["share_per_voter_exact"] = f"{share.numerator}/{share.denominator}"
    votes = prep.votes
    expl: dict[str, Explanation] = {}
    for r_i, j in enumerate(sel_idx):
        pid = prep.ids[j]
        rec = run.records[j]
        expl[pid] = Explanation(
            pid, True, "selected",
            f"Selected in round {rec['round']}: each supporter paid {float(rec['pi'] / n):.2f} per vote "
            f"unit ({rec['paid_price']} paid this price, {rec['paid_all']} paid all their remaining money).",
            round=rec["round"], votes=votes[pid], cost=election.projects[pid].cost,
            rho=rec["rho"] / n, price_per_supporter=rec["pi"] / n,
            supporters_paid_all=rec["paid_all"], supporters_paid_price=rec["paid_price"],
            supporters_without_money=rec["no_money"],
        )
    if completion in ("greedy", "add1-greedy"):
        added, skipped = greedy_fill(election, selected, votes)
        remaining = budget - sum(election.projects[q].cost for q in selected)
        for pid in added:
            remaining -= election.projects[pid].cost
            expl[pid] = Explanation(
                pid, True, "selected_completion",
                f"Selected by the greedy completion (remaining budget afterwards: {remaining}).",
                round=len(selected) + 1, votes=votes[pid], cost=election.projects[pid].cost,
                remaining_budget=remaining,
            )
            selected.append(pid)
    else:
        skipped = {}
    _explain_rejected(election, prep, run, expl, skipped, votes)
    total = sum(election.projects[q].cost for q in selected)
    return TallyResult(selected, total, budget, "mes", completion, n, explanations=expl, details=details)


def _explain_rejected(election, prep, run, expl, skipped, votes):
    budget = election.budget
    for pid, proj in election.projects.items():
        if pid in expl:
            continue
        v = votes[pid]
        if v == 0:
            e = Explanation(pid, False, "no_support", "Nobody voted for this project.", votes=0, cost=proj.cost)
        elif proj.cost > budget:
            e = Explanation(pid, False, "exceeds_budget",
                            f"Its cost ({proj.cost}) exceeds the whole budget ({budget}).", votes=v, cost=proj.cost)
        else:
            j = prep.ids.index(pid)
            rec = run.records.get(j, {}) if run is not None else {}
            money = rec.get("money")
            text = (
                f"When it was considered (round {rec.get('round')}), its supporters had only "
                f"{money:.2f} left, less than its cost ({proj.cost})."
                if money is not None else "Its supporters could not cover its cost."
            )
            if pid in skipped:
                text += f" The greedy completion could not fit it either (remaining budget {skipped[pid]})."
            e = Explanation(pid, False, "unaffordable", text, round=rec.get("round"), votes=v, cost=proj.cost,
                            supporters_money=money, remaining_budget=skipped.get(pid))
        expl[pid] = e
