"""Sessions end for real: logout ends the session it is called from (a copied cookie dies with it), a
password change or reset and "sign out everywhere" end all of an account's sessions, remember-me
cookies included. Checked on every request, the ballot submissions included."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from participation.accounts import operations as accounts
from participation.extensions import db
from participation.models import User
from votes.models import Ballot

from ..factories import PASSWORD, login, make_user
from ..votes.test_ballot import vote  # noqa: F401 - the fixture api_vote builds on
from ..votes.test_ballot_api import api_vote  # noqa: F401 - the fixture

REMEMBER = "remember_token"


def _copy(app, source, *names):
    """A second browser holding copies of `source`'s cookies (what a thief would replay)."""
    other = app.test_client()
    for name in names or ("session",):
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        other.set_cookie(name, cookie.value)
    return other


def _signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


def _login_remembered(client, user, password=PASSWORD):
    r = client.post("/account/login", data={"email": user.email, "password": password, "remember": "y"})
    assert r.status_code == 302
    assert client.get_cookie(REMEMBER) is not None


def test_logout_ends_the_session_it_is_called_from_even_copied(app, client):
    user = make_user()
    login(client, user)
    thief = _copy(app, client)
    assert _signed_in(thief)  # the copy works while the session lives
    other_device = app.test_client()
    login(other_device, user)
    assert client.post("/account/logout").status_code == 302
    assert not _signed_in(client)
    assert not _signed_in(thief)
    assert _signed_in(other_device)  # logging out here does not log out the phone


def test_a_remembered_session_ends_at_logout_too(app, client):
    user = make_user()
    _login_remembered(client, user)
    only_remember = _copy(app, client, REMEMBER)
    assert _signed_in(only_remember)  # the one-year cookie alone opens the account
    client.post("/account/logout")
    assert not _signed_in(_copy(app, only_remember, REMEMBER))


def test_a_password_reset_ends_every_session_and_remember_cookie(app, client, smtp, run_jobs):
    user = make_user(email="dora@example.org")
    _login_remembered(client, user)
    session_copy = _copy(app, client)
    remember_copy = app.test_client()
    remember_copy.set_cookie(REMEMBER, client.get_cookie(REMEMBER).value)
    assert _signed_in(session_copy) and _signed_in(remember_copy)

    anonymous = app.test_client()
    assert anonymous.post("/account/reset", data={"email": "dora@example.org"}).status_code == 302
    run_jobs()
    [msg] = smtp.wait_for(1)
    path = re.search(r"/account/reset/\S+", smtp.text_of(msg)).group(0)
    assert anonymous.post(path, data={"password": "a brand new password", "confirm": "a brand new password"}
                          ).status_code == 302
    for browser in (client, session_copy, remember_copy):
        assert not _signed_in(browser)
    assert not _signed_in(_copy(app, client, REMEMBER))
    assert anonymous.post("/account/login", data={"email": "dora@example.org", "password": "a brand new password"}
                          ).status_code == 302
    assert _signed_in(anonymous)


def test_changing_the_password_asks_for_the_current_one_and_ends_the_other_sessions(app, client):
    user = make_user()
    _login_remembered(client, user)
    copies = [_copy(app, client), _copy(app, client, REMEMBER)]
    other_device = app.test_client()
    login(other_device, user)

    wrong = client.post("/account/password", data={"current": "not my password", "password": "another long one",
                                                   "confirm": "another long one"})
    assert wrong.status_code == 400 and "current password" in wrong.get_data(as_text=True).lower()
    assert all(_signed_in(c) for c in (*copies, other_device))  # a refused change ends nothing

    r = client.post("/account/password", data={"current": PASSWORD, "password": "another long one",
                                               "confirm": "another long one"})
    assert r.status_code == 302
    assert _signed_in(client)  # this browser goes on, with a fresh session
    assert not any(_signed_in(c) for c in (*copies, other_device))
    assert client.get_cookie(REMEMBER) is not None
    assert _signed_in(_copy(app, client, REMEMBER))  # this browser's new remember cookie works
    fresh = app.test_client()
    assert fresh.post("/account/login", data={"email": user.email, "password": PASSWORD}).status_code == 400
    login(fresh, user, "another long one")


def test_sign_out_everywhere(app, client):
    user = make_user()
    login(client, user)
    other_device = app.test_client()
    _login_remembered(other_device, user)
    remember_copy = _copy(app, other_device, REMEMBER)
    page = client.get("/account/").get_data(as_text=True)
    assert "/account/sessions/end" in page and "2" in page  # two active sessions shown
    r = client.post("/account/sessions/end")
    assert r.status_code == 302 and "/account/login" in r.location
    assert not any(_signed_in(c) for c in (client, other_device, remember_copy))


def test_sessions_from_before_the_session_check_are_not_honoured(app, client):
    """A cookie naming only an account id (what Flask-Login stored before) no longer opens it."""
    user = make_user()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert not _signed_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:made-up-key"
    assert not _signed_in(client)


def test_an_expired_session_is_refused(app, client):
    from participation.accounts.models import AccountSession
    from participation.models import utcnow

    user = make_user()
    login(client, user)
    db.session.execute(db.update(AccountSession).values(expires_at=utcnow()))
    db.session.commit()
    assert not _signed_in(client)


def _ballots() -> int:
    db.session.rollback()  # see what the lean endpoint (PostgreSQL) committed on its own connection
    return db.session.scalar(select(func.count()).select_from(Ballot))


@pytest.mark.parametrize("kind", ["cast", "api"])
def test_a_copied_cookie_cannot_cast_a_ballot_after_logout(app, client, api_vote, kind):
    """On PostgreSQL the lean endpoint (votes/ballot_api.py) takes these submissions: it must refuse a
    stale session as Flask does (hand it to Flask, which asks to log in)."""
    url, (p1, p2, *_), user = api_vote
    base = url.removesuffix("api")
    login(client, user)
    thief = _copy(app, client)

    def submit(browser, projects):
        if kind == "cast":
            return browser.post(base + "cast", data={"project": projects})
        return browser.post(base + "api", json={"projects": projects})

    assert submit(thief, [p1]).status_code in (201, 302) and _ballots() == 1  # works while the session lives
    client.post("/account/logout")
    refused = submit(thief, [p2])
    assert _ballots() == 1
    if kind == "cast":
        assert refused.status_code == 302 and "/account/login" in refused.location
    else:
        assert refused.status_code == 401
    assert accounts.authenticate(user.email, PASSWORD).id == user.id  # the account itself is fine


def test_guessing_the_current_password_is_rate_limited(client, rate_limits):
    login(client, make_user())
    codes = [client.post("/account/password", data={"current": f"guess number {i}", "password": "another long one",
                                                     "confirm": "another long one"}).status_code for i in range(11)]
    assert codes[:10] == [400] * 10 and codes[-1] == 429


def test_an_account_is_equal_to_itself_whatever_session_it_came_with(app):
    """Flask-Login compares users by get_id(), which now names the session too: comparisons (a member of a
    group, the author of a comment) must still be about the account."""
    user = make_user()
    other_copy = db.session.get(User, user.id)
    other_copy.session_key = "k" * 43
    assert user == other_copy and not (user != other_copy) and user in [other_copy]
    assert user != make_user() and User(nickname="a") != User(nickname="a")
    assert len({user, other_copy}) == 1
