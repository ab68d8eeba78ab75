"""Greedy (skip / stop) and sequential Phragmén: hand-computed examples."""

from fractions import Fraction

import pytest

from votes.rules import Election, Project, greedy, sequential_phragmen, tally
from votes.rules.model import ElectionError


def election(budget, costs, ballots, vote_type="approval"):
    return Election(budget, [Project(k, c) for k, c in costs.items()], ballots, vote_type)


# votes: a 5, b 4, c 3, d 0
G = dict(budget=10, costs={"a": 6, "b": 5, "c": 4, "d": 1},
         ballots=[{"a", "b", "c"}, {"a", "b", "c"}, {"a", "b", "c"}, {"a", "b"}, {"a"}])


def test_greedy_skip():
    r = greedy(election(**G))
    assert r.selected == ["a", "c"] and r.total_cost == 10
    assert r.explanations["b"].code == "did_not_fit" and r.explanations["b"].remaining_budget == 4
    assert r.explanations["d"].code == "no_support"  # nobody voted for d: never selected


def test_greedy_stop():
    r = tally(election(**G), "greedy", greedy_variant="stop")
    assert r.selected == ["a"] and r.total_cost == 6
    assert r.explanations["b"].code == "did_not_fit"
    assert r.explanations["c"].code == "stopped"


def test_greedy_ties_votes_cost_id():
    e = election(5, {"x": 3, "y": 2, "10": 2, "9": 2}, [{"x", "y", "10", "9"}] * 2)
    assert greedy(e).selected == ["9", "10"]
    e2 = election(7, {"x": 3, "y": 2, "10": 2, "9": 2}, [{"x", "y", "10", "9"}] * 2)
    assert greedy(e2).selected == ["9", "10", "y"]


def test_greedy_points():
    e = election(10, {"P": 6, "Q": 4, "R": 5}, [{"P": 3, "R": 4}, {"P": 1, "Q": 2}], "cumulative")
    # points: P 4, R 4 (tie: cheaper R first), Q 2
    assert greedy(e).selected == ["R", "Q"]


def test_phragmen_hand_example():
    # times: a (4)/2 = 2, b 6/2 = 3, c 3/1 = 3 -> a at 2 (v1, v2 loads 2);
    # then b (6+2)/2 = 4, c 3 -> c at 3; then b (6+2+3)/2 = 5.5 but 7 + 6 > 10: stop.
    e = election(10, {"a": 4, "b": 6, "c": 3}, [{"a", "b"}, {"a"}, {"b", "c"}])
    r = sequential_phragmen(e)
    assert r.selected == ["a", "c"] and r.total_cost == 7
    assert r.explanations["a"].load == 2 and r.explanations["c"].load == 3
    assert r.explanations["b"].code == "did_not_fit" and r.explanations["b"].load == Fraction(11, 2)


def test_phragmen_needs_approval():
    e = election(10, {"a": 4}, [{"a": 1}], "cumulative")
    with pytest.raises(ElectionError):
        sequential_phragmen(e)


def test_unknown_rule_and_completion():
    e = election(**G)
    with pytest.raises(ValueError):
        tally(e, "borda")
    with pytest.raises(ValueError):
        tally(e, "mes", "add2")
    with pytest.raises(ValueError):
        tally(e, "greedy", "add1")
