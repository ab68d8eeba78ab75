"""Tally benchmarks: prints figures (not a test).

    python benchmarks/tally.py                      # Wieliczka + 1 000 000 synthetic voters
    python benchmarks/tally.py --voters 100000      # smaller synthetic election
    python benchmarks/tally.py --with-pabutools-completion   # also pabutools MES + add1 (slow, ~minutes)

Peak memory is the process's peak RSS (resource.getrusage), printed after each step.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from votes import pabulib  # noqa: E402
from votes.rules import Election, Project, tally  # noqa: E402

WIELICZKA_CANDIDATES = [
    os.path.join(ROOT, "tests", "votes", "data", "poland_wieliczka_2023_green-budget.pb"),
    os.path.join(os.path.dirname(ROOT), "shared", "pabulib", "poland_wieliczka_2023_green-budget.pb"),
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def synthetic(voters: int, projects: int = 200, seed: int = 2024) -> Election:
    """Seeded approval election: each voter approves 1-10 projects, Zipf-like popularity."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, projects + 1) ** 0.8
    pop /= pop.sum()
    costs = rng.integers(5, 400, size=projects) * 1000
    budget = int(costs.sum() // 5)
    sizes = rng.integers(1, 11, size=voters)
    ballots = []
    ids = [str(i + 1) for i in range(projects)]
    chunk = 100_000
    for start in range(0, voters, chunk):
        sz = sizes[start:start + chunk]
        # draw with replacement then deduplicate: realistic skew, 1..10 distinct approvals
        draws = rng.choice(projects, size=(len(sz), 10), p=pop)
        for row, k in zip(draws.tolist(), sz.tolist()):
            ballots.append(frozenset(ids[x] for x in row[:k]))
    projs = [Project(ids[i], int(costs[i]), f"Project {i + 1}") for i in range(projects)]
    return Election(budget, projs, ballots, "approval", validate=False)


def timed(label, fn, repeat=1):
    best = None
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    print(f"{label}: {best:.3f} s (best of {repeat}); peak RSS {peak_rss_mb():.0f} MB", flush=True)
    return out


def bench_wieliczka(with_completion: bool):
    path = next((p for p in WIELICZKA_CANDIDATES if os.path.exists(p)), None)
    if path is None:
        print("Wieliczka file not found; skipped")
        return
    e = timed("Wieliczka: read .pb", lambda: pabulib.read(path))
    r = timed("Wieliczka: MES (no completion)", lambda: tally(e, "mes", "none"), repeat=3)
    r = timed("Wieliczka: MES + add1", lambda: tally(e, "mes", "add1"), repeat=3)
    print(f"  selected {len(r.selected)} projects, total cost {r.total_cost}, "
          f"{r.details['add1_iterations']} increments, stop: {r.details.get('add1_stop')}")
    timed("Wieliczka: greedy", lambda: tally(e, "greedy"), repeat=3)
    timed("Wieliczka: sequential Phragmen", lambda: tally(e, "phragmen"), repeat=1)
    try:
        from pabutools.election import Cost_Sat, parse_pabulib
        from pabutools.rules import method_of_equal_shares
    except ImportError:
        print("pabutools not installed: comparison skipped")
        return
    inst, prof = parse_pabulib(path)
    timed("Wieliczka: pabutools MES (Cost_Sat, no completion)",
          lambda: method_of_equal_shares(inst, prof, sat_class=Cost_Sat))
    if with_completion:
        out = timed("Wieliczka: pabutools MES + voter_budget_increment=1",
                    lambda: method_of_equal_shares(inst, prof, sat_class=Cost_Sat, voter_budget_increment=1))
        print(f"  pabutools selected {len(out)} projects, total cost {sum(p.cost for p in out)} "
              "(pabutools also stops at the first exhaustive outcome)")
    else:
        print("  (pabutools MES with completion not measured: pass --with-pabutools-completion)")


def bench_synthetic(voters: int, projects: int, add1: bool):
    e = timed(f"synthetic {voters} voters x {projects} projects: generate", lambda: synthetic(voters, projects))
    r = timed("synthetic: MES (no completion)", lambda: tally(e, "mes", "none"))
    print(f"  selected {len(r.selected)} projects, total cost {r.total_cost} of {r.budget}")
    timed("synthetic: greedy", lambda: tally(e, "greedy"))
    if add1:
        r = timed("synthetic: MES + add1", lambda: tally(e, "mes", "add1"))
        print(f"  {r.details['add1_iterations']} increments, stop: {r.details.get('add1_stop')}")


def bench_pabutools_synthetic(voters: int, projects: int):
    """The same kind of synthetic election for both engines, at a size pabutools finishes in minutes."""
    try:
        from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance
        from pabutools.election import Project as PabuProject
        from pabutools.rules import method_of_equal_shares
    except ImportError:
        print("pabutools not installed: comparison skipped")
        return
    e = synthetic(voters, projects)
    ours = timed(f"synthetic {voters} voters: our MES", lambda: tally(e, "mes", "none"))
    by_id = {p.id: PabuProject(p.id, p.cost) for p in e.projects.values()}
    inst = Instance(by_id.values(), budget_limit=e.budget)
    profile = ApprovalProfile([ApprovalBallot(by_id[i] for i in ballot) for ballot in e.ballots], instance=inst)
    theirs = timed(f"synthetic {voters} voters: pabutools MES (Cost_Sat)",
                   lambda: method_of_equal_shares(inst, profile, sat_class=Cost_Sat))
    same = sorted(ours.selected) == sorted(p.name for p in theirs)
    print(f"  same selection: {same} ({len(ours.selected)} projects)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voters", type=int, default=1_000_000)
    ap.add_argument("--projects", type=int, default=200)
    ap.add_argument("--skip-wieliczka", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--synthetic-add1", action="store_true", help="also time MES + add1 on the synthetic election")
    ap.add_argument("--with-pabutools-completion", action="store_true")
    ap.add_argument("--pabutools-voters", type=int, default=20_000,
                    help="size of the synthetic election run by both engines (0: skip)")
    a = ap.parse_args(argv)
    if not a.skip_wieliczka:
        bench_wieliczka(a.with_pabutools_completion)
    if not a.skip_synthetic:
        bench_synthetic(a.voters, a.projects, a.synthetic_add1)
    if a.pabutools_voters:
        bench_pabutools_synthetic(a.pabutools_voters, a.projects)


if __name__ == "__main__":
    main()
