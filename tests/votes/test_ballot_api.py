"""The lean ballot endpoint (votes/ballot_api.py) accepts exactly what the Flask views accept (the ballot
page's cast form and the JSON API): it casts acceptable ballots itself, answers as Flask would, and passes
everything else to Flask, which refuses with its usual message."""
from __future__ import annotations

import re
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import func, select, text, update
from werkzeug.datastructures import MultiDict

from budgets.models import Budget, VotingRule
from participation.extensions import db
from participation.models import User
from votes.models import Ballot

from ..budgets.factories import make_voter
from ..conftest import needs_postgres
from ..factories import PASSWORD, login
from .test_ballot import vote  # noqa: F401 - the fixture

pytestmark = needs_postgres


@pytest.fixture
def api_vote(app, vote):
    """test_ballot's vote, its user registered as a voter: the API's URL, the project ids, the user."""
    _commune, process, budget, user = vote
    with app.test_request_context():
        make_voter(process, user)
    projects = [p.id for p in sorted(budget.projects, key=lambda p: p.title)]
    return f"/ville/processes/bp/vote/{budget.id}/api", projects, user


@pytest.fixture
def flask_calls(app):
    """The requests that reached the Flask views of the cast (the lean endpoint answers the others itself)."""
    calls = []
    originals = {name: app.view_functions[name] for name in ("votes_api.api_cast", "votes.cast")}

    def spy(original):
        def view(**kwargs):
            calls.append(kwargs)
            return original(**kwargs)
        return view
    for name, original in originals.items():
        app.view_functions[name] = spy(original)
    yield calls
    app.view_functions.update(originals)


def _ballots() -> int:
    db.session.rollback()  # see what the endpoint committed on its own connection
    return db.session.scalar(select(func.count()).select_from(Ballot))


def _csrf_login(client, user) -> None:
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    assert client.post("/account/login", data={"email": user.email, "password": PASSWORD,
                                               "csrf_token": token}).status_code == 302


def test_an_acceptable_ballot_is_cast_without_flask(app, client, api_vote, flask_calls):
    url, (p1, p2, *_), user = api_vote
    login(client, user)
    response = client.post(url, json={"projects": [p1, p2]})
    assert response.status_code == 201 and re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", response.get_json()["receipt"])
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert flask_calls == [] and _ballots() == 1
    # The receipt checks out like any other.
    page = client.post("/ville/processes/bp/vote/check", data={"code": response.get_json()["receipt"]})
    assert "Counted" in page.get_data(as_text=True)


def test_refusals_go_to_flask_and_store_nothing(app, client, api_vote, flask_calls):
    url, (p1, p2, p3, _p4), user = api_vote
    anonymous = client.post(url, json={"projects": [p1]})
    assert anonymous.status_code == 401 and "log in" in anonymous.get_json()["error"]
    assert client.get(url, headers={"Accept": "application/json"}).status_code == 401  # the token request too
    assert client.get(url).status_code == 302  # a person is sent to the login page
    client.set_cookie("session", "forged.cookie.value")
    assert client.post(url, json={"projects": [p1]}).status_code == 401
    login(client, user)
    over = client.post(url, json={"projects": [p1, p2, p3]})
    assert over.status_code == 400 and "more than the budget" in over.get_json()["error"]
    unknown = client.post(url.replace("/bp/", "/other/"), json={"projects": [p1]})
    assert unknown.status_code == 404
    malformed = client.post(url, data="projects=1", content_type="application/x-www-form-urlencoded")
    assert malformed.status_code == 400
    not_a_list = client.post(url, json={"projects": str(p1)})
    assert not_a_list.status_code == 400 and "projects" in not_a_list.get_json()["error"]
    assert _ballots() == 0 and len(flask_calls) == 6  # every refusal was the view's


def test_what_is_not_a_json_integer_goes_to_flask(app, client, api_vote, flask_calls):
    """`true`, 3.9, "3", 2.0 and duplicates are not cast by the lean endpoint (it read `true` as project 1
    and 3.9 as 3): Flask refuses them with a 400 naming the field, and nothing is stored."""
    from .test_ballot import _not_json_integers

    url, (p1, *_), user = api_vote
    login(client, user)
    cases = _not_json_integers(p1)
    for body, field in cases:
        response = client.post(url, json=body)
        assert response.status_code == 400 and response.get_json()["field"] == field, body
    assert _ballots() == 0 and len(flask_calls) == len(cases)
    assert client.post(url, json={"projects": [p1]}).status_code == 201 and len(flask_calls) == len(cases)


def test_only_the_exact_address_is_cast(app, client, api_vote, flask_calls):
    """The endpoint's address pattern used re.match: "$" also matched before a trailing newline, so a
    ballot was cast at an address Flask answers with a 404."""
    url, (p1, *_), user = api_vote
    login(client, user)
    for suffix in ("%0A", "%0D%0A", "%00"):
        response = client.post(url + suffix, json={"projects": [p1]})
        assert response.status_code in (400, 404), suffix
    assert _ballots() == 0


def test_an_unconfirmed_account_is_refused(app, client, api_vote, flask_calls):
    url, (p1, *_), user = api_vote
    login(client, user)
    db.session.execute(update(User).where(User.id == user.id).values(confirmed_at=None))
    db.session.commit()
    response = client.post(url, json={"projects": [p1]})
    assert response.status_code == 403 and "confirm your e-mail" in response.get_json()["error"]
    assert _ballots() == 0 and len(flask_calls) == 1


def test_csrf_is_checked_like_flask_wtf(app, client, csrf, api_vote, flask_calls):
    url, (p1, *_), user = api_vote
    _csrf_login(client, user)
    token = client.get(url).get_json()["csrf_token"]
    assert client.post(url, json={"projects": [p1]}).status_code == 400  # no header
    assert client.post(url, json={"projects": [p1]}, headers={"X-CSRFToken": token[:-2] + "xx"}).status_code == 400
    assert _ballots() == 0 and flask_calls == []  # Flask-WTF refused them before the view
    assert client.post(url, json={"projects": [p1]}, headers={"X-CSRFToken": token}).status_code == 201
    assert _ballots() == 1 and flask_calls == []


def test_over_https_the_referrer_must_be_this_site(app, client, csrf, api_vote, flask_calls):
    url, (p1, *_), user = api_vote
    _csrf_login(client, user)
    token = client.get(url).get_json()["csrf_token"]
    headers = {"X-CSRFToken": token}
    https = dict(base_url="https://localhost")
    assert client.post(url, json={"projects": [p1]}, headers=headers, **https).status_code == 400
    elsewhere = {**headers, "Referer": "https://evil.example/"}
    assert client.post(url, json={"projects": [p1]}, headers=elsewhere, **https).status_code == 400
    assert _ballots() == 0
    same = {**headers, "Referer": "https://localhost/ville/processes/bp/vote/"}
    assert client.post(url, json={"projects": [p1]}, headers=same, **https).status_code == 201
    assert _ballots() == 1 and flask_calls == []


def test_a_lost_database_connection_falls_back_to_flask(app, client, api_vote, flask_calls):
    url, (p1, p2, *_), user = api_vote
    login(client, user)
    assert client.post(url, json={"projects": [p1]}).status_code == 201  # opens the endpoint's connection
    # The server ends every other session (a restart, a failover): the endpoint's idle connection dies.
    db.session.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    db.session.commit()
    db.engine.dispose()
    response = client.post(url, json={"projects": [p2]})
    assert response.status_code == 201 and len(flask_calls) == 1  # Flask's path (which pings) cast it
    assert _ballots() == 2
    assert client.post(url, json={"projects": [p1, p2]}).status_code == 201 and len(flask_calls) == 1


# ---------------------------------------------------------------- the ballot page's cast form

def _receipt_code(client, location: str) -> str:
    page = client.get(location).get_data(as_text=True)
    return re.search(r'id="receipt-code">([A-Z0-9-]+)<', page).group(1)


def _cookie_attributes(response) -> dict:
    [header] = [v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session=")]
    morsel = SimpleCookie(header)["session"]
    return {key: morsel[key] for key in morsel.keys() if key != "expires"} | {"expires": bool(morsel["expires"])}


def test_the_cast_form_is_answered_as_flask_answers_it(app, client, api_vote, flask_calls):
    url, (p1, p2, p3, p4), user = api_vote
    cast_url = url.removesuffix("api") + "cast"
    login(client, user)
    lean = client.post(cast_url, data={"project": [p1, p2]})
    assert lean.status_code == 302 and flask_calls == [] and _ballots() == 1
    first_code = _receipt_code(client, lean.location)  # the receipt page finds the code in the session
    app.config["BALLOT_API_LEAN"] = False
    try:
        flask = client.post(cast_url, data={"project": [p3, p4]})
    finally:
        app.config["BALLOT_API_LEAN"] = True
    assert flask.status_code == 302 and len(flask_calls) == 1 and _ballots() == 2
    second_code = _receipt_code(client, flask.location)
    assert lean.location == flask.location and lean.get_data() == flask.get_data()
    assert {k for k, _v in lean.headers.items()} == {k for k, _v in flask.headers.items()}
    for name in ("Content-Type", "Vary", "Content-Security-Policy", "X-Content-Type-Options"):
        assert lean.headers.get(name) == flask.headers.get(name), name
    assert _cookie_attributes(lean) == _cookie_attributes(flask)
    check = "/ville/processes/bp/vote/check"
    assert "Replaced" in client.post(check, data={"code": first_code}).get_data(as_text=True)
    assert "Counted" in client.post(check, data={"code": second_code}).get_data(as_text=True)


def test_the_forms_of_the_pages_are_read_by_the_lean_endpoint(app, client, api_vote, flask_calls):
    """The confirmation page's own cast form, as a browser sends it, for both kinds of rules."""
    url, (p1, p2, *_), user = api_vote
    base = url.removesuffix("api")
    login(client, user)
    page = client.post(base, data={"project": [p1, p2], "action": "review"}).get_data(as_text=True)
    cast_form = re.search(r'<form method="post" action="([^"]+/cast)">(.*?)</form>', page, re.S)
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', cast_form.group(2))
    response = client.post(cast_form.group(1), data=MultiDict(fields))
    assert response.status_code == 302 and flask_calls == [] and _ballots() == 1

    budget = db.session.get(Budget, int(url.split("/")[-2]))
    budget.rule, budget.total_points, budget.max_points_per_project = VotingRule.cumulative, 10, 4
    db.session.commit()
    page = client.post(base, data={f"points-{p1}": "3", f"points-{p2}": "0", "action": "review"})
    cast_form = re.search(r'<form method="post" action="([^"]+/cast)">(.*?)</form>', page.get_data(as_text=True), re.S)
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', cast_form.group(2))
    assert (f"points-{p1}", "3") in fields
    assert client.post(cast_form.group(1), data=MultiDict(fields)).status_code == 302 and flask_calls == []
    db.session.rollback()
    current = db.session.scalar(select(Ballot).where(Ballot.is_current.is_(True)))
    assert {c.project_id: c.points for c in current.choices} == {p1: 3}


def test_forms_it_does_not_read_go_to_flask(app, client, api_vote, flask_calls):
    url, (p1, p2, p3, _p4), user = api_vote
    cast_url = url.removesuffix("api") + "cast"
    assert client.post(cast_url, data={"project": [p1]}).status_code == 302  # anonymous: the login page
    login(client, user)
    over = client.post(cast_url, data={"project": [p1, p2, p3]})
    assert over.status_code == 400 and "more than the budget" in over.get_data(as_text=True)
    # Not plain ballots (a bad id, both kinds of fields, a button's field, an id beyond the database's
    # integers): Flask's view reads them its own way, and refuses these.
    for form in ({"project": ["x"]}, {"project": [p1, p2], f"points-{p3}": "1"},
                 {"project": [p1, p3], "add": p2}, {"project": [str(10 ** 12)]}):
        assert client.post(cast_url, data=form).status_code == 400, form
    assert _ballots() == 0 and len(flask_calls) == 6


def test_the_cast_form_checks_csrf_like_flask_wtf(app, client, csrf, api_vote, flask_calls):
    url, (p1, *_), user = api_vote
    cast_url = url.removesuffix("api") + "cast"
    _csrf_login(client, user)
    token = client.get(url).get_json()["csrf_token"]
    assert client.post(cast_url, data={"project": [p1]}).status_code == 400
    assert client.post(cast_url, data={"project": [p1], "csrf_token": token[:-2] + "xx"}).status_code == 400
    assert _ballots() == 0 and flask_calls == []  # Flask-WTF refused them before the view
    assert client.post(cast_url, data={"project": [p1], "csrf_token": token}).status_code == 302
    assert _ballots() == 1 and flask_calls == []


def test_an_ended_session_is_handed_to_flask_which_asks_to_log_in(app, client, api_vote, flask_calls):
    """The cookie is still signed, but its session ended (logout here, or a password change elsewhere):
    the lean endpoint casts nothing and lets Flask refuse it, exactly as Flask would have alone."""
    url, (p1, p2, *_), user = api_vote
    cast_url = url.removesuffix("api") + "cast"
    login(client, user)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.post(url, json={"projects": [p1]}).status_code == 201 and flask_calls == []
    client.post("/account/logout")
    assert copy.post(url, json={"projects": [p2]}).status_code == 401
    refused = copy.post(cast_url, data={"project": [p2]})
    assert refused.status_code == 302 and "/account/login" in refused.location
    assert _ballots() == 1 and len(flask_calls) == 2  # both went on to Flask, whose login check refused them


def test_a_host_the_platform_does_not_serve_is_refused_as_flask_refuses_it(app, client, api_vote, flask_calls):
    url, (p1, *_), user = api_vote
    login(client, user)
    for host in ("evil.example", "EVIL.example:80"):
        response = client.post(url, json={"projects": [p1]}, headers={"Host": host})
        assert response.status_code == 400 and "not served" in response.get_data(as_text=True)
        form = client.post(url.removesuffix("api") + "cast", data={"project": [p1]}, headers={"Host": host})
        assert form.status_code == 400
    assert _ballots() == 0 and flask_calls == []  # refused before any view
    assert client.post(url, json={"projects": [p1]}).status_code == 201
