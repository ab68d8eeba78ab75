"""The PostgreSQL cast function says what `budgets.ballot_check.summarise` says, and a refusal stores nothing."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from budgets.ballot_check import summarise
from budgets.models import VotingRule
from participation.extensions import db
from participation.models import PhaseKind, utcnow
from votes import cast_function
from votes.models import Ballot, BallotChoice
from votes.operations import project_map

from ..budgets.factories import make_budget, make_settings, make_voter
from ..conftest import needs_postgres
from ..factories import make_commune, make_process, make_user

pytestmark = needs_postgres


def _call(budget, voter, choices):
    """The function's outcome, rolled back whatever it is (the comparison must not change the data)."""
    conn = db.session.connection()
    row = conn.exec_driver_sql(cast_function.CALL_SQL, cast_function.CastRequest(
        budget.id, choices, "online", f"parity-{random.random()}", utcnow(), voter_id=voter.id).arguments()).one()
    db.session.rollback()
    return row.outcome


RULES = [
    dict(rule=VotingRule.approval),
    dict(rule=VotingRule.approval, min_share_percent=70),
    dict(rule=VotingRule.approval, max_projects=2, min_projects=1),
    dict(rule=VotingRule.k_approval, min_projects=2, max_projects=3),
    dict(rule=VotingRule.cumulative, total_points=7, max_points_per_project=3),
]


@pytest.mark.parametrize("rule", RULES, ids=[str(r) for r in RULES])
def test_function_and_python_agree_on_the_rule(app, rule):
    commune = make_commune()
    process = make_process(commune, active=PhaseKind.vote)
    make_settings(process)
    budget = make_budget(process, amount=100_000, costs=(10_000, 25_000, 30_000, 45_000, 60_000), **rule)
    voter = make_voter(process, make_user())
    projects = project_map(budget)
    ids = sorted(projects)
    rng = random.Random(str(rule))
    seen = {True: 0, False: 0}
    for _ in range(120):
        chosen = rng.sample(ids, rng.randint(0, len(ids)))
        if rng.random() < 0.1:
            chosen.append(999_999)  # not on this ballot
        points = {pid: (rng.randint(0, 4) if budget.rule == VotingRule.cumulative or rng.random() < 0.05 else 1)
                  for pid in chosen}
        expected = summarise(budget, projects, points).ok
        outcome = _call(budget, voter, points)
        assert (outcome == "ok") == expected, (points, outcome)
        seen[expected] += 1
    assert seen[True] and seen[False]  # both verdicts were exercised
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.budget_id == budget.id)) == 0


def test_refusals_store_nothing_and_success_stores_the_choices(app):
    commune = make_commune()
    process = make_process(commune, active=PhaseKind.vote)
    make_settings(process, ballot_final=True)
    budget = make_budget(process)
    voter = make_voter(process, make_user())
    first, second = sorted(project_map(budget))[:2]

    def call(choices, **kw):
        cast = cast_function.CastRequest(budget.id, choices, "online", f"h-{random.random()}", utcnow(),
                                         voter_id=voter.id, **kw)
        row = db.session.connection().exec_driver_sql(cast_function.CALL_SQL, cast.arguments()).one()
        db.session.commit()
        return row

    assert call({first: 1}, commune_slug="elsewhere", process_slug=process.slug).outcome == "no_budget"
    assert call({first: 1, second: 1, 10 ** 6: 1}).outcome == "rule"
    ok = call({first: 1})
    assert ok.outcome == "ok" and ok.voter_id == voter.id
    again = call({second: 1})
    assert again.outcome == "already_voted" and again.previous_channel == "online"
    ballots = db.session.scalars(select(Ballot).where(Ballot.budget_id == budget.id)).all()
    assert [b.id for b in ballots] == [ok.ballot_id] and ballots[0].is_current
    assert db.session.scalars(select(BallotChoice.project_id).where(BallotChoice.ballot_id == ok.ballot_id)).all() \
        == [first]


def test_the_migrated_function_is_the_models_function(app):
    """Deployments get the function from migration 0002, tests and benchmarks from create_all."""
    from ..participation.test_migrations import migrated_database

    definition = "SELECT pg_get_functiondef('cast_ballot'::regproc)"
    mine = db.session.connection().exec_driver_sql(definition).scalar_one()
    with migrated_database() as conn:
        assert conn.exec_driver_sql(definition).scalar_one() == mine
