"""Cross-checks against pabutools (test-only dependency) on the shared files and on
seeded random elections (ties included: pabutools is given our tie-breaking rule)."""

import random
from pathlib import Path

import pytest

pabutools = pytest.importorskip("pabutools")

from pabutools.election import (  # noqa: E402
    ApprovalBallot,
    ApprovalProfile,
    Cost_Sat,
    CumulativeBallot,
    CumulativeProfile,
    Instance,
    parse_pabulib,
)
from pabutools.election import Project as PProject  # noqa: E402
from pabutools.election.satisfaction import Additive_Cardinal_Sat  # noqa: E402
from pabutools.rules import (  # noqa: E402
    greedy_utilitarian_welfare,
    method_of_equal_shares,
    sequential_phragmen,
)
from pabutools.tiebreaking import TieBreakingRule  # noqa: E402

from votes import pabulib  # noqa: E402
from votes.rules import Election, Project, natural_key, tally  # noqa: E402

DATA = Path(__file__).parent / "data"
FILES = sorted(DATA.glob("*.pb"))


def to_pabutools(e: Election, supported_only: bool = False):
    votes = e.votes()
    inst = Instance(budget_limit=e.budget)
    pp = {}
    for pid, p in e.projects.items():
        if supported_only and votes[pid] == 0:
            continue
        pp[pid] = PProject(pid, p.cost)
        inst.add(pp[pid])
    if e.vote_type == "approval":
        prof = ApprovalProfile(instance=inst)
        for b, w in zip(e.ballots, e.weights):
            for _ in range(w):
                prof.append(ApprovalBallot({pp[x] for x in b}))
    else:
        prof = CumulativeProfile(instance=inst)
        for b, w in zip(e.ballots, e.weights):
            for _ in range(w):
                prof.append(CumulativeBallot({pp[x]: v for x, v in b.items()}))
    tie = TieBreakingRule(lambda inst_, prof_, p: (-votes[p.name], p.cost, natural_key(p.name)))
    return inst, prof, tie


def names(alloc):
    return [p.name for p in alloc]


def random_election(rng: random.Random, vote_type="approval") -> Election:
    m = rng.randint(1, 10)
    n = rng.randint(1, 25)
    small = rng.random() < 0.5  # small cost range: many ties
    costs = {str(rng.randint(1, 40) if rng.random() < 0.8 else f"p{i}"): 0 for i in range(m)}
    projects = [Project(pid, rng.randint(1, 6) * 5 if small else rng.randint(1, 100)) for pid in costs]
    total = sum(p.cost for p in projects)
    budget = rng.randint(0, total + 10)
    ids = [p.id for p in projects]
    ballots = []
    for _ in range(n):
        k = rng.randint(0, len(ids))
        chosen = rng.sample(ids, k)
        if vote_type == "approval":
            ballots.append(frozenset(chosen))
        else:
            ballots.append({pid: rng.randint(1, 4) for pid in chosen})
    return Election(budget, projects, ballots, vote_type)


SEEDS = range(220)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_files_mes_greedy_phragmen(path):
    e = pabulib.read(path)
    inst, prof = parse_pabulib(str(path))
    votes = e.votes()
    tie = TieBreakingRule(lambda i, pr, p: (-votes[p.name], p.cost, natural_key(p.name)))
    assert names(method_of_equal_shares(inst, prof, sat_class=Cost_Sat, tie_breaking=tie)) == tally(e, "mes").selected
    assert names(greedy_utilitarian_welfare(inst, prof, sat_class=Cost_Sat, tie_breaking=tie)) == tally(e, "greedy").selected
    inst2, prof2, tie2 = to_pabutools(e, supported_only=True)
    assert sorted(names(sequential_phragmen(inst2, prof2, tie_breaking=tie2))) == sorted(tally(e, "phragmen").selected)


def test_random_mes_matches_pabutools():
    rng = random.Random(12345)
    for _ in SEEDS:
        e = random_election(rng)
        inst, prof, tie = to_pabutools(e)
        expected = names(method_of_equal_shares(inst, prof, sat_class=Cost_Sat, tie_breaking=tie))
        assert tally(e, "mes").selected == expected, e


def test_random_mes_points_matches_pabutools():
    rng = random.Random(777)
    for _ in range(120):
        e = random_election(rng, "cumulative")
        inst, prof, tie = to_pabutools(e)
        expected = names(method_of_equal_shares(inst, prof, sat_class=Additive_Cardinal_Sat, tie_breaking=tie))
        assert tally(e, "mes").selected == expected, e


def test_random_greedy_matches_pabutools():
    rng = random.Random(2024)
    for _ in SEEDS:
        e = random_election(rng)
        inst, prof, tie = to_pabutools(e, supported_only=True)
        # pabutools' additive greedy ranks by satisfaction / cost: with Cost_Sat that is the approval count
        expected = names(greedy_utilitarian_welfare(inst, prof, sat_class=Cost_Sat, tie_breaking=tie))
        assert tally(e, "greedy").selected == expected, e


def test_random_phragmen_matches_pabutools():
    rng = random.Random(99)
    for _ in SEEDS:
        e = random_election(rng)
        inst, prof, tie = to_pabutools(e, supported_only=True)
        expected = names(sequential_phragmen(inst, prof, tie_breaking=tie))
        got = tally(e, "phragmen").selected
        assert sorted(got, key=natural_key) == sorted(expected, key=natural_key), e


def test_random_add1_matches_reference_loop():
    """add1 = re-run pabutools' plain MES with the budget raised by n per step (share + 1),
    keep the last outcome whose cost fits the real budget."""
    rng = random.Random(4242)
    checked = 0
    while checked < 60:
        e = random_election(rng)
        n = e.voters
        if n == 0 or e.budget == 0:
            continue
        checked += 1
        inst, prof, tie = to_pabutools(e)
        supported = {pid for pid, v in e.votes().items() if v > 0}
        prev = names(method_of_equal_shares(inst, prof, sat_class=Cost_Sat, tie_breaking=tie))
        k = 0
        while set(prev) != supported:
            k += 1
            inst.budget_limit = e.budget + k * n
            out = names(method_of_equal_shares(inst, prof, sat_class=Cost_Sat, tie_breaking=tie))
            if sum(e.projects[p].cost for p in out) > e.budget:
                break
            prev = out
        assert tally(e, "mes", "add1").selected == prev, e
