"""The lean ballot endpoint (votes/ballot_api.py) accepts exactly what the Flask view accepts: it casts
acceptable ballots itself and passes everything else to Flask, which refuses with its usual message."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text, update

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
    """How many requests reached the Flask view (the lean endpoint answers the others itself)."""
    calls = []
    original = app.view_functions["votes_api.api_cast"]

    def spy(**kwargs):
        calls.append(kwargs)
        return original(**kwargs)
    app.view_functions["votes_api.api_cast"] = spy
    yield calls
    app.view_functions["votes_api.api_cast"] = original


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
