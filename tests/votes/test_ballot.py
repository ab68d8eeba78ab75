"""Online ballots: casting, rules and phase checked in the transaction, supersede vs final, receipts,
the no-JavaScript ballot page, the JSON API, and the tally input."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from budgets.models import BudgetScope, VotingRule
from participation.errors import Conflict, DomainError, PermissionDenied
from participation.extensions import db
from participation.models import PhaseKind
from votes import operations as ops
from votes.models import Ballot, BallotChoice, Channel
from votes.rules import Election, Project, tally

from ..budgets.factories import make_budget, make_settings, make_voter
from ..factories import login, make_commune, make_process, make_user


@pytest.fixture
def vote(app):
    commune = make_commune("ville")
    process = make_process(commune, slug="bp", active=PhaseKind.vote)
    budget = make_budget(process, amount=100_000, costs=(40_000, 30_000, 50_000, 20_000))
    user = make_user()
    return commune, process, budget, user


def _ids(budget):
    return [p.id for p in sorted(budget.projects, key=lambda p: p.title)]


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_cast_and_supersede_keeps_history(app, vote):
    commune, process, budget, user = vote
    p1, p2, p3, p4 = _ids(budget)
    with app.test_request_context():
        voter = make_voter(process, user)
        first, code1 = ops.cast_online_ballot(user, process, budget, {p1: 1, p2: 1})
        second, code2 = ops.cast_online_ballot(user, process, budget, {p3: 1, p4: 1})
        assert code1 != code2 and re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code1)
        db.session.expire_all()
        old = db.session.get(Ballot, first.id)
        assert not old.is_current and old.superseded_by_id == second.id
        assert sorted(c.project_id for c in old.choices) == [p1, p2]  # the old ballot is kept as cast
        assert _count(Ballot, Ballot.voter_id == voter.id, Ballot.is_current.is_(True)) == 1
        assert ops.check_receipt(process, code1).status == "superseded"
        assert ops.check_receipt(process, code2.lower().replace("-", " ")).status == "counted"
        assert ops.check_receipt(process, "AAAA-BBBB-CCCC-DDDD").status == "not_found"
        assert old.receipt_hash != code1 and len(old.receipt_hash) == 64  # only a hash is stored


def test_over_budget_and_outside_phase_store_nothing(app, vote):
    commune, process, budget, user = vote
    p1, p2, p3, _p4 = _ids(budget)
    with app.test_request_context():
        make_voter(process, user)
        with pytest.raises(DomainError, match="more than the budget"):
            ops.cast_online_ballot(user, process, budget, {p1: 1, p2: 1, p3: 1})
        assert _count(Ballot) == 0 and _count(BallotChoice) == 0
        process.active_phase_override_id = process.phase_of_kind(PhaseKind.results).id  # the vote closes
        db.session.commit()
        with pytest.raises(Conflict, match="not open"):
            ops.cast_online_ballot(user, process, budget, {p1: 1})
        assert _count(Ballot) == 0


def test_final_ballots_cannot_change(app, vote):
    commune, process, budget, user = vote
    p1, p2, *_ = _ids(budget)
    make_settings(process, ballot_final=True)
    with app.test_request_context():
        make_voter(process, user)
        ops.cast_online_ballot(user, process, budget, {p1: 1})
        with pytest.raises(Conflict, match="already voted in this budget online"):
            ops.cast_online_ballot(user, process, budget, {p2: 1})
        assert _count(Ballot) == 1


def test_database_refuses_two_current_ballots(app, vote):
    commune, process, budget, user = vote
    with app.test_request_context():
        voter = make_voter(process, user)
    for n in range(2):
        db.session.add(Ballot(voter_id=voter.id, budget_id=budget.id, is_current=True, channel=Channel.online,
                              receipt_hash=f"{n:064d}"))
        if n == 0:
            db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_city_plus_one_chosen_district(app):
    commune = make_commune("districts", districts=("Centre", "Nord"))
    process = make_process(commune, slug="bp", active=PhaseKind.vote)
    centre, nord = sorted(commune.districts, key=lambda d: d.name)
    make_settings(process, scope=BudgetScope.city_plus_chosen_district)
    city = make_budget(process, name="Ville")
    b_centre = make_budget(process, district=centre, rule=VotingRule.k_approval, name="Centre")
    b_nord = make_budget(process, district=nord, rule=VotingRule.k_approval, name="Nord")
    user = make_user()
    with app.test_request_context():
        make_voter(process, user)
        ops.cast_online_ballot(user, process, city, {city.projects[0].id: 1})
        ops.cast_online_ballot(user, process, b_nord, {b_nord.projects[0].id: 1})
        with pytest.raises(PermissionDenied, match="Nord"):
            ops.cast_online_ballot(user, process, b_centre, {b_centre.projects[0].id: 1})
        voter = ops.voter_for_user(process, user)
        assert [b.name["fr"] for b in ops.votable_budgets(process, voter)] == ["Ville", "Nord"]


def test_budget_election_feeds_the_tally_rules(app, vote):
    commune, process, budget, _user = vote
    p1, p2, p3, p4 = _ids(budget)
    with app.test_request_context():
        for choice in ({p1: 1, p2: 1}, {p1: 1, p4: 1}, {p3: 1}):
            user = make_user()
            make_voter(process, user)
            ops.cast_online_ballot(user, process, budget, choice)
        changed = make_user()
        make_voter(process, changed)
        ops.cast_online_ballot(changed, process, budget, {p2: 1})
        ops.cast_online_ballot(changed, process, budget, {p1: 1, p2: 1})  # only this one counts
    data = ops.budget_election(budget)
    assert data["budget"] == 100_000 and data["vote_type"] == "approval"
    assert {p["id"] for p in data["projects"]} == {str(p) for p in (p1, p2, p3, p4)}
    assert sorted(map(sorted, data["ballots"])) == sorted(map(sorted, [
        {str(p1), str(p2)}, {str(p1), str(p4)}, {str(p3)}, {str(p1), str(p2)}]))
    election = Election(data["budget"], [Project(**p) for p in data["projects"]], data["ballots"], data["vote_type"])
    result = tally(election, "greedy")
    assert result.selected[0] == str(p1) and result.voters == 4


def test_ballot_page_without_javascript(app, client, vote):
    commune, process, budget, user = vote
    p1, p2, p3, p4 = _ids(budget)
    login(client, user)
    base = f"/{commune.slug}/processes/{process.slug}/vote"
    # Not yet a voter: the eligibility page comes first.
    response = client.get(f"{base}/{budget.id}/")
    assert response.status_code == 302 and "/eligibility" in response.location
    assert client.post(f"{base}/eligibility", data={}).status_code == 400  # the declaration is required
    response = client.post(f"{base}/eligibility?next=/%5Cevil.example/", data={"attest": "y"})
    assert response.status_code == 302 and response.location == f"{base}/"  # never off the site
    page = client.get(f"{base}/{budget.id}/").get_data(as_text=True)
    assert "<progress" in page and 'name="add"' in page
    # Add three projects, one click at a time: the server recomputes the total each time.
    page = client.post(f"{base}/{budget.id}/", data={"add": p1}).get_data(as_text=True)
    page = client.post(f"{base}/{budget.id}/", data={"project": [p1], "add": p2}).get_data(as_text=True)
    page = client.post(f"{base}/{budget.id}/", data={"project": [p1, p2], "add": p3}).get_data(as_text=True)
    assert "more than the budget" in page and "Over the budget by" in page
    response = client.post(f"{base}/{budget.id}/", data={"project": [p1, p2, p3], "action": "review"})
    assert response.status_code == 400 and "more than the budget" in response.get_data(as_text=True)
    page = client.post(f"{base}/{budget.id}/", data={"project": [p1, p2, p3], "remove": p3}).get_data(as_text=True)
    assert "Your ballot is valid" in page
    page = client.post(f"{base}/{budget.id}/", data={"project": [p1, p2], "action": "review"}).get_data(as_text=True)
    assert "Cast my ballot" in page and _count(Ballot) == 0  # confirmation step: nothing stored yet
    response = client.post(f"{base}/{budget.id}/cast", data={"project": [p1, p2]})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    code = re.search(r'id="receipt-code">([A-Z0-9-]+)<', page).group(1)
    assert client.get(response.location).get_data(as_text=True).count(code) == 0  # shown once only
    page = client.post(f"{base}/check", data={"code": code}).get_data(as_text=True)
    assert "Counted" in page and "Projet 1" not in page  # never the choices
    # The process page shows the budgets, and no running count while the vote is open.
    page = client.get(f"/{commune.slug}/processes/{process.slug}/").get_data(as_text=True)
    assert "Budget" in page and "ballot" not in re.sub(r"<[^>]+>", "", page).lower().split("budgets and projects")[-1]


def test_json_api_with_csrf_header(app, client, csrf, vote):
    commune, process, budget, user = vote
    p1, p2, p3, _ = _ids(budget)
    base = f"/{commune.slug}/processes/{process.slug}/vote/{budget.id}/api"
    with app.test_request_context():
        make_voter(process, user)
    token = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', token).group(1)
    client.post("/account/login", data={"email": user.email, "password": "correct horse battery",
                                        "csrf_token": token})
    info = client.get(base).get_json()
    assert info["budget"]["amount"] == 100_000 and len(info["projects"]) == 4
    assert client.post(base, json={"projects": [p1]}).status_code == 400  # no CSRF header
    headers = {"X-CSRFToken": info["csrf_token"]}
    over = client.post(base, json={"projects": [p1, p2, p3]}, headers=headers)
    assert over.status_code == 400 and "more than the budget" in over.get_json()["error"]
    for malformed, field in (({"projects": [10 ** 12]}, "projects[0]"), ({"points": {str(p1): 10 ** 30}}, "points"),
                             ({"projects": str(p1)}, "projects"), ([p1], "projects")):
        response = client.post(base, json=malformed, headers=headers)
        assert response.status_code == 400 and field in response.get_json()["error"], malformed
    ok = client.post(base, json={"projects": [p1, p2]}, headers=headers)
    assert ok.status_code == 201 and ok.get_json()["receipt"]
    assert _count(Ballot) == 1


def _not_json_integers(p1: int) -> list[tuple[object, str]]:
    """What Python's int() reads as a number but is not a JSON integer, and JSON integers used wrongly:
    (the body, the field the refusal must name)."""
    return [
        ({"projects": [p1 + 0.9]}, "projects[0]"), ({"projects": [str(p1)]}, "projects[0]"),
        ({"points": {str(p1): 3.5}}, f'points["{p1}"]'), ({"projects": [True]}, "projects[0]"),
        ({"projects": [p1, 3.9]}, "projects[1]"), ({"projects": [float(p1)]}, "projects[0]"),
        ({"projects": [None]}, "projects[0]"), ({"projects": [p1, p1]}, "projects[1]"),
        ({"points": {str(p1): True}}, f'points["{p1}"]'),
        ({"points": {str(p1): "3"}}, f'points["{p1}"]'), ({"points": {"\u00b9": 1}}, 'points["\u00b9"]'),
        ({"points": [p1]}, "points"), ({"projects": {str(p1): 1}}, "projects"),
    ]


@pytest.mark.parametrize("rule", [VotingRule.approval, VotingRule.cumulative])
def test_the_api_takes_json_integers_only_and_names_the_field(app, client, vote, rule):
    """`true` was read as project 1, 3.9 as 3, "3" as 3 and 3.5 points as 3. On PostgreSQL the lean
    endpoint sees these first: it must pass them to Flask, which refuses them (test_ballot_api.py)."""
    commune, process, _budget, user = vote
    budget = make_budget(process, rule=rule, name="Points", costs=(10, 20))
    p1 = _ids(budget)[0]
    with app.test_request_context():
        make_voter(process, user)
    login(client, user)
    url = f"/{commune.slug}/processes/{process.slug}/vote/{budget.id}/api"
    for body, field in _not_json_integers(p1):
        response = client.post(url, json=body)
        assert response.status_code == 400, (body, response.status_code)
        assert response.get_json()["field"] == field and field in response.get_json()["error"], body
    for raw in ("[" * 5000 + "]" * 5000, '{"projects": [1e400]}', '{"projects": [NaN]}', "not json"):
        response = client.post(url, data=raw, content_type="application/json")
        assert response.status_code == 400 and "JSON" in response.get_json()["error"] + raw, raw
    assert _count(Ballot) == 0
    good = {"projects": [p1]} if rule == VotingRule.approval else {"points": {str(p1): 3}}
    assert client.post(url, json=good).status_code == 201
    assert [(c.project_id, c.points) for c in db.session.scalars(select(BallotChoice))] == \
        [(p1, 1 if rule == VotingRule.approval else 3)]


def test_ballot_submissions_are_rate_limited(app, client, rate_limits, vote):
    commune, process, budget, user = vote
    p1 = _ids(budget)[0]
    default, app.config["BALLOT_RATE_LIMIT"] = app.config["BALLOT_RATE_LIMIT"], "3 per minute"
    try:
        with app.test_request_context():
            make_voter(process, user)
        login(client, user)
        url = f"/{commune.slug}/processes/{process.slug}/vote/{budget.id}/api"
        codes = [client.post(url, json={"projects": [p1]}).status_code for _ in range(5)]
        assert codes == [201, 201, 201, 429, 429]
    finally:
        app.config["BALLOT_RATE_LIMIT"] = default


def test_the_lean_endpoint_reads_a_form_as_the_view_does():
    """ballot_api.parse_form (the lean endpoint) and views._choices (Flask) on 3 000 random forms: each form
    the endpoint reads gives the view's choices; the pages' own forms are always read."""
    import random
    from urllib.parse import urlencode

    from werkzeug.datastructures import MultiDict

    from votes.ballot_api import parse_form
    from votes.views import _choices

    rng = random.Random(5)
    keys = ["project", "project", "points-3", "points-7", "points-12", "csrf_token", "add", "remove", "points-x"]
    values = ["1", "3", "7", "12", "0", "007", "", "-2", "x", "٣", "²", str(10 ** 10), str(2 ** 31), "4"]
    read = 0
    for _ in range(3000):
        pairs = [(rng.choice(keys), rng.choice(values)) for _ in range(rng.randint(1, 5))]
        token, choices = parse_form(urlencode(pairs).encode(), "csrf_token")
        if choices is not None:
            read += 1
            assert choices == _choices(MultiDict(pairs)), pairs
            assert token == MultiDict(pairs).get("csrf_token")  # one token field at most, or none
    assert read > 150  # the comparison did happen on many forms
    for page_form in ([("csrf_token", "t"), ("project", "3"), ("project", "12")],
                      [("csrf_token", "t"), ("points-3", "2"), ("points-7", "1")]):
        token, choices = parse_form(urlencode(page_form).encode(), "csrf_token")
        assert token == "t" and choices == _choices(MultiDict(page_form))
