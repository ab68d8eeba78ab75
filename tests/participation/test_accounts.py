import re

from participation.accounts import operations as accounts
from participation.extensions import db
from participation.models import EmailPreference, User

from ..factories import PASSWORD, login, make_user


def _signup(client, **overrides):
    data = {"email": "alice@example.org", "nickname": "Alice", "password": "a long password 1",
            "confirm": "a long password 1", "locale": "en", "accept": "y"}
    data.update(overrides)
    return client.post("/account/signup", data=data)


def test_signup_sends_confirmation_through_smtp_and_confirm_enables_login(client, smtp, run_jobs):
    response = _signup(client)
    assert response.status_code == 302
    run_jobs()
    [msg] = smtp.wait_for(1)
    assert msg["To"] == "alice@example.org"
    assert msg.get_body(("html",)) is not None
    link = re.search(r"http://\S+/account/confirm/\S+", smtp.text_of(msg)).group(0)
    user = db.session.scalar(db.select(User).where(User.email == "alice@example.org"))
    assert user.confirmed_at is None and user.password_hash != "a long password 1"
    assert user.password_hash.startswith("scrypt:")
    # Unconfirmed: a correct password is not enough.
    r = client.post("/account/login", data={"email": "alice@example.org", "password": "a long password 1"})
    assert r.status_code == 400 and "confirm" in r.get_data(as_text=True)
    assert client.get(link.replace("http://localhost", "")).status_code == 302
    r = client.post("/account/login", data={"email": "alice@example.org", "password": "a long password 1"})
    assert r.status_code == 302
    assert client.get("/account/").status_code == 200


def test_signup_with_existing_email_reveals_nothing_and_warns_the_owner(client, smtp, run_jobs):
    make_user("Bob", email="bob@example.org")
    first = _signup(client, email="BOB@example.org", nickname="Bobby")
    assert first.status_code == 302
    fresh = _signup(client, email="new@example.org", nickname="Newbie")
    assert fresh.status_code == 302
    assert client.get(first.location).get_data(as_text=True)  # same redirect target, same flash
    assert first.location == fresh.location
    run_jobs()
    messages = smtp.wait_for(2)
    by_rcpt = {m["To"]: m for m in messages}
    assert "already" in smtp.text_of(by_rcpt["bob@example.org"]).lower() or "déjà" in smtp.text_of(by_rcpt["bob@example.org"])
    assert db.session.scalar(db.select(db.func.count(User.id))) == 2


def test_login_messages_do_not_enumerate_users(client):
    make_user("Carol", email="carol@example.org")
    wrong_pw = client.post("/account/login", data={"email": "carol@example.org", "password": "nope nope nope"})
    unknown = client.post("/account/login", data={"email": "nobody@example.org", "password": "nope nope nope"})
    assert wrong_pw.status_code == unknown.status_code == 400
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(wrong_pw) == strip(unknown)


def test_reset_request_same_answer_for_known_and_unknown(client, smtp, run_jobs):
    make_user("Dan", email="dan@example.org")
    known = client.post("/account/reset", data={"email": "dan@example.org"})
    unknown = client.post("/account/reset", data={"email": "ghost@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location
    run_jobs()
    [msg] = smtp.wait_for(1)
    assert msg["To"] == "dan@example.org"
    path = re.search(r"/account/reset/\S+", smtp.text_of(msg)).group(0)
    r = client.post(path, data={"password": "brand new password", "confirm": "brand new password"})
    assert r.status_code == 302
    assert accounts.authenticate("dan@example.org", "brand new password").email == "dan@example.org"
    # Single use: the link dies with the old password.
    assert client.post(path, data={"password": "another password!", "confirm": "another password!"}).status_code == 400


def test_tampered_or_expired_tokens_are_refused(app, client):
    user = make_user()
    token = accounts.confirmation_token(user)
    assert client.get(f"/account/confirm/{token}x").status_code == 400
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
    try:
        assert client.get(f"/account/confirm/{token}").status_code == 400
    finally:
        app.config["CONFIRM_TOKEN_MAX_AGE"] = 3 * 24 * 3600


def test_bad_signup_input_saves_nothing(client):
    cases = [
        {"email": "not-an-email"},
        {"email": ("x" * 250) + "@example.org"},
        {"nickname": "n" * 41},
        {"password": "short", "confirm": "short"},
        {"confirm": "different password"},
        {"locale": "xx"},
        {"accept": ""},
        {"nickname": "<script>alert(1)</script>"},
    ]
    for case in cases:
        r = _signup(client, **case)
        assert r.status_code == 400, case
        assert 'class="error"' in r.get_data(as_text=True) and "aria-describedby" in r.get_data(as_text=True), case
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_nickname_must_be_unique_case_insensitively(client):
    make_user("Eve")
    r = _signup(client, nickname="eve")
    assert r.status_code == 400
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_account_settings_and_logout(client):
    user = make_user("Frank", locale="fr")
    login(client, user)
    r = client.post("/account/", data={"nickname": "Franky", "locale": "de", "email_preference": "daily"})
    assert r.status_code == 302
    user = db.session.get(User, user.id)
    assert (user.nickname, user.locale, user.email_preference) == ("Franky", "de", EmailPreference.daily)
    assert client.get("/account/").headers.get("Content-Language", "de")
    assert client.post("/account/logout").status_code == 302
    assert client.get("/account/").status_code == 302  # back to login


def test_email_never_shown_publicly(client):
    from participation.models import Role
    from ..factories import grant, make_commune
    commune = make_commune("ville")
    grant(make_user("Grace", email="grace.secret@example.org"), commune, Role.resident)
    for url in ["/", "/ville/", "/ville/processes/"]:
        assert "grace.secret" not in client.get(url).get_data(as_text=True)


def test_login_is_rate_limited(client, rate_limits):
    make_user("Heidi", email="heidi@example.org")
    codes = [client.post("/account/login", data={"email": "heidi@example.org", "password": "wrong one!!"}).status_code
             for _ in range(12)]
    assert codes[:10] == [400] * 10
    assert codes[-1] == 429
    assert PASSWORD  # the right password is also refused while limited
    assert client.post("/account/login", data={"email": "heidi@example.org", "password": PASSWORD}).status_code == 429
