"""Paper ballots at a stand: identification, refusal of a person who already voted, channel and operator
recorded, results count both channels; turnout statistics and their CSV export."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from budgets.models import VotingRule
from participation.errors import Conflict, DomainError, PermissionDenied
from participation.extensions import db
from participation.models import PhaseKind, Role
from votes import operations as ops
from votes.models import Ballot, Channel

from ..budgets.factories import make_budget, make_settings, make_voter
from ..factories import grant, login, make_commune, make_process, make_user


@pytest.fixture
def stand(app):
    commune = make_commune("stand")
    process = make_process(commune, slug="bp", active=PhaseKind.vote)
    reviewer = grant(make_user(), commune, Role.reviewer)
    budget = make_budget(process)
    return commune, process, reviewer, budget


def test_paper_ballot_recorded_and_duplicate_refused(app, stand):
    from votes.operations_paper import cast_paper_ballot
    commune, process, reviewer, budget = stand
    p1, p2 = budget.projects[0].id, budget.projects[1].id
    with app.test_request_context():
        ballot, code = cast_paper_ballot(reviewer, commune, budget, {p1: 1}, name="Léa Weber", year_of_birth=1990,
                                         address="5 rue du Sauvage")
        assert ballot.channel == Channel.paper and ballot.operator_id == reviewer.id and code
        with pytest.raises(Conflict, match="already voted in this budget on paper at a stand on"):
            cast_paper_ballot(reviewer, commune, budget, {p2: 1}, name="lea weber", year_of_birth=1990,
                              address="5, Rue du Sauvage")
        with pytest.raises(PermissionDenied):
            cast_paper_ballot(make_user(), commune, budget, {p1: 1}, name="X Y", year_of_birth=1990, address="Z")
        # Over the budget on paper: refused, nothing stored.
        with pytest.raises(Exception, match="more than the budget"):
            cast_paper_ballot(reviewer, commune, budget, {p.id: 1 for p in budget.projects}, name="Paul Klee",
                              year_of_birth=1979, address="1 rue Bâle")
        assert db.session.scalar(select(db.func.count()).select_from(Ballot)) == 1
        online = make_user()
        make_voter(process, online)
        ops.cast_online_ballot(online, process, budget, {p1: 1, p2: 1})
    data = ops.budget_election(budget)
    assert len(data["ballots"]) == 2  # both channels count


def test_paper_entry_page(app, client, stand):
    commune, process, reviewer, budget = stand
    p1 = budget.projects[0].id
    url = f"/{commune.slug}/admin/vote/{process.slug}/paper/{budget.id}"
    resident = make_user()
    login(client, resident)
    assert client.get(url).status_code == 403
    client.post("/account/logout")
    login(client, reviewer)
    assert "Record the paper ballot" in client.get(url).get_data(as_text=True)
    person = {"name": "Marc Lévy", "year_of_birth": "1962", "address": "8 avenue Kennedy", "project": [p1]}
    response = client.post(url, data=person)
    assert response.status_code == 302
    assert "Receipt code to give to the person" in client.get(url).get_data(as_text=True)
    refused = client.post(url, data=person)
    assert refused.status_code == 409 and "This person has already voted in this budget on paper at a stand" \
        in refused.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Ballot)) == 1


def test_cumulative_paper_ballot(app, stand):
    from votes.operations_paper import cast_paper_ballot
    commune, process, reviewer, _budget = stand
    budget = make_budget(process, rule=VotingRule.cumulative, name="Points")
    a, b = budget.projects[0].id, budget.projects[1].id
    with app.test_request_context():
        # A number no database integer holds is refused with the rule's message, on either database.
        with pytest.raises(DomainError, match="at most 4 points"):
            cast_paper_ballot(reviewer, commune, budget, {a: 10 ** 12}, name="Ida Ott", year_of_birth=1950,
                              address="2 rue Haute")
        cast_paper_ballot(reviewer, commune, budget, {a: 4, b: 3}, name="Ida Ott", year_of_birth=1950,
                          address="2 rue Haute")
    assert ops.budget_election(budget)["ballots"] == [{str(a): 4, str(b): 3}]


def test_turnout_statistics_and_csv(app, client, stand):
    from votes.operations_paper import cast_paper_ballot
    commune, process, reviewer, budget = stand
    make_settings(process, min_age=16)
    p1 = budget.projects[0].id
    with app.test_request_context():
        cast_paper_ballot(reviewer, commune, budget, {p1: 1}, name="Ana Roth", year_of_birth=2000, address="1 rue A")
        user = make_user()
        make_voter(process, user, year_of_birth=1950)
        ops.cast_online_ballot(user, process, budget, {p1: 1})
        ops.cast_online_ballot(user, process, budget, {p1: 1})  # a change: still one voter, one current ballot
    login(client, reviewer)
    page = client.get(f"/{commune.slug}/admin/vote/{process.slug}/statistics").get_data(as_text=True)
    assert "2 people have voted" in page and "Per age bracket" in page
    rows = list(csv.reader(io.StringIO(client.get(
        f"/{commune.slug}/admin/vote/{process.slug}/statistics.csv").get_data(as_text=True))))
    assert ["voters", "all", "2", "", ""] in rows
    assert ["budget", "Budget", "2", "1", "1"] in rows
    assert ["channel", "paper", "1", "", ""] in rows and ["channel", "online", "1", "", ""] in rows
    assert ["age", "25-34", "1", "", ""] in rows and ["age", "65+", "1", "", ""] in rows
    day_rows = [r for r in rows if r[0] == "day"]
    assert len(day_rows) == 1 and day_rows[0][2:] == ["3", "2", "1"]  # three ballots cast, one on paper
