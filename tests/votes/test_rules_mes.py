"""Method of Equal Shares: hand-computed examples, completions, official Wieliczka outcome."""

from fractions import Fraction
from pathlib import Path

from votes import pabulib
from votes.rules import Election, Project, equal_shares, fairness, tally

DATA = Path(__file__).parent / "data"
WIELICZKA = DATA / "poland_wieliczka_2023_green-budget.pb"


def election(budget, costs, ballots, vote_type="approval"):
    return Election(budget, [Project(k, c) for k, c in costs.items()], ballots, vote_type)


# budget 100, 4 voters (share 25): c (30, all four), a (60, v1-v3), b (40, v4)
ABC = dict(budget=100, costs={"a": 60, "b": 40, "c": 30},
           ballots=[{"a", "c"}, {"a", "c"}, {"a", "c"}, {"b", "c"}])


def test_plain_mes_hand_example():
    e = election(**ABC)
    r = tally(e, "mes", "none")
    # round 1: c (rho 1/4: each pays 7.5); then a: 3 x 17.5 = 52.5 < 60 and b: 17.5 < 40
    assert r.selected == ["c"]
    assert r.total_cost == 30
    ex = r.explanations["c"]
    assert ex.selected and ex.rho == Fraction(1, 4) and ex.price_per_supporter == Fraction(15, 2)
    assert ex.supporters_paid_price == 4 and ex.supporters_paid_all == 0
    assert r.explanations["a"].code == "unaffordable"
    assert r.explanations["a"].supporters_money == 52.5
    assert r.explanations["b"].code == "unaffordable"


def test_add1_hand_example():
    # share 25+k: {c, a} once 3 x (share - 7.5) >= 60 (k >= 3); b joins (cost 130 > 100) once
    # share - 7.5 >= 40, i.e. k = 23: the outcome of k = 22 is kept.
    r = tally(election(**ABC), "mes", "add1")
    assert r.selected == ["c", "a"]
    assert r.total_cost == 90
    assert r.details["add1_iterations"] == 22
    assert r.details["add1_stop"] == "infeasible"
    assert r.details["share_per_voter"] == 47


def test_greedy_completion_hand_example():
    r = tally(election(**ABC), "mes", "greedy")
    assert r.selected == ["c", "a"]  # a (3 votes) fits the remaining 70; b (40) not in the remaining 10
    assert r.explanations["a"].code == "selected_completion"
    assert r.explanations["b"].code == "unaffordable"
    assert r.explanations["b"].remaining_budget == 10
    r2 = tally(election(**ABC), "mes", "add1-greedy")
    assert r2.selected == ["c", "a"] and r2.total_cost == 90


def test_rich_and_poor_supporters():
    # budget 40, share 10. Round 1: Z (rho 1/3), v1-v3 pay 7. Round 2: W (cost 12, v3 and v4):
    # v3 has 3 < 6, pays all; v4 pays 9 (rho 3/4). Y (16; v1, v2 have 6) is unaffordable.
    e = election(40, {"Y": 16, "Z": 21, "W": 12}, [{"Y", "Z"}, {"Y", "Z"}, {"Z", "W"}, {"W"}])
    r = equal_shares(e)
    assert r.selected == ["Z", "W"] and r.total_cost == 33
    w = r.explanations["W"]
    assert w.rho == Fraction(3, 4) and w.supporters_paid_all == 1 and w.supporters_paid_price == 1
    assert r.explanations["Y"].code == "unaffordable"


def test_ties_on_rho_follow_votes_then_cost_then_id():
    # equal budgets, Cost_Sat: rho = 1 / number of supporters; D (18) and A (30) tie -> cheaper D first.
    e = election(66, {"A": 30, "B": 12, "C": 24, "D": 18},
                 [{"A", "B", "D"}, {"A", "B", "C", "D"}, {"A", "C", "D"}])
    r = equal_shares(e)
    assert r.selected == ["D", "A", "B"] and r.total_cost == 60
    # same costs: id order (numeric ids numerically)
    e2 = election(20, {"10": 5, "9": 5, "x": 5}, [{"10", "9", "x"}] * 2)
    assert equal_shares(e2).selected == ["9", "10", "x"]


def test_points_ballots_hand_example():
    # budget 10, share 5. P (6): v1 3 points, v2 1 point -> rho 6/4 = 3/2, v1 pays 4.5, v2 1.5.
    # Q (4): v2 2 points -> rho 2, but after round 1 v2 has 3.5 < 4.
    e = election(10, {"P": 6, "Q": 4}, [{"P": 3}, {"P": 1, "Q": 2}], "cumulative")
    r = equal_shares(e)
    assert r.selected == ["P"] and r.explanations["P"].rho == Fraction(3, 2)
    assert equal_shares(e, "greedy").selected == ["P", "Q"]


def test_project_above_budget_never_selected():
    e = election(10, {"big": 11, "s": 5}, [{"big", "s"}] * 5)
    for comp in ("none", "add1", "greedy", "add1-greedy"):
        r = equal_shares(e, comp)
        assert "big" not in r.selected
        assert r.explanations["big"].code == "exceeds_budget"
    assert equal_shares(e, "add1").selected == ["s"]


def test_empty_elections():
    assert equal_shares(election(100, {}, [])).selected == []
    e = election(100, {"a": 10}, [])
    for comp in ("none", "add1", "greedy", "add1-greedy"):
        r = equal_shares(e, comp)
        assert r.selected == [] and r.total_cost == 0 and r.voters == 0
    assert r.explanations["a"].code == "no_support"


def test_wieliczka_official_outcome_add1():
    e = pabulib.read(WIELICZKA)
    r = tally(e, "mes", "add1")
    official = _official(WIELICZKA)
    assert len(official) == 30
    assert set(r.selected) == official
    assert r.total_cost == sum(e.projects[p].cost for p in official) == 995079
    assert r.details["add1_stop"] == "infeasible"
    f = fairness(e, r.selected)
    assert 0 < f["share_with_funded"] <= 1 and 0 < f["mean_funded_share"] <= 1


def _official(path):
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    start, end = lines.index("PROJECTS"), lines.index("VOTES")
    header = lines[start + 1].split(";")
    i, s = header.index("project_id"), header.index("selected")
    return {row.split(";")[i] for row in lines[start + 2:end] if row.split(";")[s] == "1"}


def test_fairness_definition():
    e = election(100, {"a": 60, "b": 40, "c": 30}, [{"a", "c"}, {"b"}, set()])
    f = fairness(e, ["c"])
    assert f["voters_with_ballot"] == 2
    assert f["share_with_funded"] == 0.5
    # voter 1: 30 / 90 funded; voter 2: 0 / 40 -> mean 1/6
    assert f["mean_funded_share_exact"] == "1/6"


def test_dense_and_sparse_exact_sums_agree(monkeypatch):
    # small elections use a dense (groups x projects) matrix for exact sums, large ones the
    # sparse path: both must give the same outcomes and explanations (approval and points)
    import random

    from votes.rules import mes_engine as mes_module

    rng = random.Random(11)
    orig = mes_module._Prepared.__init__

    def sparse_init(self, election):
        orig(self, election)
        self.dense = None

    for _ in range(40):
        ids = [str(i) for i in range(rng.randint(1, 8))]
        projects = [Project(i, rng.randint(1, 8) * 5) for i in ids]
        if rng.random() < 0.5:
            ballots = [frozenset(rng.sample(ids, rng.randint(0, len(ids)))) for _ in range(rng.randint(1, 30))]
            e = Election(rng.randint(0, 120), projects, ballots)
        else:
            ballots = [{p: rng.randint(1, 4) for p in rng.sample(ids, rng.randint(1, len(ids)))}
                       for _ in range(rng.randint(1, 30))]
            e = Election(rng.randint(0, 120), projects, ballots, "cumulative")
        for completion in ("none", "add1"):
            monkeypatch.setattr(mes_module._Prepared, "__init__", orig)
            a = equal_shares(e, completion)
            monkeypatch.setattr(mes_module._Prepared, "__init__", sparse_init)
            b = equal_shares(e, completion)
            assert a.selected == b.selected and a.details == b.details
            assert {k: vars(v) for k, v in a.explanations.items()} == {k: vars(v) for k, v in b.explanations.items()}
