"""Election validation, the pure-import guarantee, and the exact fallback paths of MES."""

import random
import subprocess
import sys

import pytest

from votes.rules import Election, ElectionError, Project, tally
from votes.rules import mes_engine as mes_module


def test_rules_do_not_import_flask_or_sqlalchemy():
    code = (
        "import sys, votes.rules, votes.pabulib, votes.cli\n"
        "bad = [m for m in ('flask', 'sqlalchemy') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "assert 'pabutools' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("cost", [0, -5])
def test_non_positive_cost(cost):
    with pytest.raises(ElectionError, match="non-positive cost"):
        Election(10, [Project("a", cost)], [{"a"}])


def test_non_integer_cost_and_budget():
    with pytest.raises(ElectionError):
        Election(10, [Project("a", 2.5)], [{"a"}])
    with pytest.raises(ElectionError):
        Election(-1, [Project("a", 2)], [{"a"}])


def test_unknown_project_in_ballot_names_the_ballot():
    with pytest.raises(ElectionError, match=r"unknown project id 'zz' in ballot 2"):
        Election(10, [Project("a", 2)], [{"a"}, {"zz"}])


def test_unsupported_vote_types():
    for vt in ("ordinal", "scoring"):
        with pytest.raises(ElectionError, match="unsupported vote_type"):
            Election(10, [Project("a", 2)], [], vt)


def test_bad_points():
    with pytest.raises(ElectionError):
        Election(10, [Project("a", 2)], [{"a": 0}], "cumulative")


def test_duplicate_project_ids():
    with pytest.raises(ElectionError, match="duplicate project id"):
        Election(10, [Project("a", 2), Project("a", 3)], [])


def test_project_above_budget_allowed():
    e = Election(10, [Project("a", 20), Project("b", 3)], [{"a", "b"}])
    for rule in ("greedy", "mes", "phragmen"):
        assert tally(e, rule).selected == ["b"]


def test_empty_election_all_rules():
    for e in (Election(10, [], []), Election(10, [Project("a", 2)], []), Election(0, [Project("a", 2)], [{"a"}])):
        for rule in ("greedy", "mes", "phragmen"):
            r = tally(e, rule)
            assert r.selected == [] and r.total_cost == 0


def test_weights_equal_expanded():
    a = Election(30, [Project("a", 10), Project("b", 20)], [{"a"}, {"a"}, {"b"}])
    b = Election(30, [Project("a", 10), Project("b", 20)], [{"a"}, {"b"}], weights=[2, 1])
    assert a == b
    for rule in ("greedy", "mes", "phragmen"):
        assert tally(a, rule).selected == tally(b, rule).selected


def test_exact_fallback_paths_agree(monkeypatch):
    """Pretend floats are very inexact: every decision then goes through the exact paths."""
    rng = random.Random(5)
    elections = []
    for _ in range(40):
        ids = [str(i) for i in range(rng.randint(1, 8))]
        projects = [Project(i, rng.randint(1, 8) * 5) for i in ids]
        ballots = [frozenset(rng.sample(ids, rng.randint(0, len(ids)))) for _ in range(rng.randint(1, 30))]
        elections.append(Election(rng.randint(0, 120), projects, ballots))
    expected = [(tally(e, "mes").selected, tally(e, "mes", "add1").selected) for e in elections]
    monkeypatch.setattr(mes_module, "_U", 1e-4)
    got = [(tally(e, "mes").selected, tally(e, "mes", "add1").selected) for e in elections]
    assert got == expected


def test_full_exact_evaluation_matches(monkeypatch):
    rng = random.Random(8)
    orig = mes_module._Run.exact_eval
    monkeypatch.setattr(mes_module._Run, "exact_eval", lambda self, fe, full=False: orig(self, fe, True))
    for _ in range(40):
        ids = [str(i) for i in range(rng.randint(1, 8))]
        projects = [Project(i, rng.randint(1, 8) * 5) for i in ids]
        ballots = [frozenset(rng.sample(ids, rng.randint(0, len(ids)))) for _ in range(rng.randint(1, 30))]
        e = Election(rng.randint(0, 120), projects, ballots)
        monkeypatch.setattr(mes_module._Run, "exact_eval", lambda self, fe, full=False: orig(self, fe, True))
        a = tally(e, "mes", "add1").selected
        monkeypatch.setattr(mes_module._Run, "exact_eval", orig)
        assert a == tally(e, "mes", "add1").selected
