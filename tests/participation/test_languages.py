"""The language switcher changes the visit, not the account; and every string of a page comes from one
catalog (messages flashed before a redirect are in the language of the page that shows them)."""
from __future__ import annotations

import re

from participation.extensions import db
from participation.models import User

from ..factories import PASSWORD, make_user


def _lang(html: str) -> str:
    return re.search(r'<html lang="([a-z]+)"', html).group(1)


def _flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash [a-z]+">(.*?)</p>', html, re.S)


def _login(client, user):
    return client.post("/account/login", data={"email": user.email, "password": PASSWORD})


def test_the_switcher_changes_the_visit_not_the_saved_language(client):
    user = make_user(locale="fr")
    user_id = user.id
    _login(client, user)
    response = client.post("/lang", data={"lang": "de", "next": "/account/"})
    assert response.status_code == 302
    page = client.get("/account/").get_data(as_text=True)
    assert _lang(page) == "de"
    assert 'value="fr" selected' in page or 'selected value="fr"' in page  # the account's own setting, unchanged
    db.session.expire_all()
    assert db.session.get(User, user_id).locale == "fr"
    client.post("/account/logout")
    _login(client, db.session.get(User, user_id))
    assert _lang(client.get("/").get_data(as_text=True)) == "fr"  # a new visit: the account's language


def test_the_account_page_changes_the_saved_language_and_says_so_in_it(client):
    user = make_user("Frank", locale="fr")
    _login(client, user)
    client.get("/")  # the welcome flash goes
    response = client.post("/account/", data={"nickname": "Frank", "locale": "de", "email_preference": "daily"})
    page = client.get(response.location).get_data(as_text=True)
    assert _lang(page) == "de" and _flashes(page) == ["Ihre Einstellungen wurden gespeichert."]


def test_the_signup_confirmation_is_in_one_language(client):
    for lang, expected in (("fr", "Merci"), ("de", "Vielen Dank")):
        response = client.post("/account/signup", headers={"Accept-Language": lang}, data={
            "email": f"{lang}@example.org", "nickname": f"Person {lang}", "password": "a long password 1",
            "confirm": "a long password 1", "locale": lang, "accept": "y"})
        assert response.status_code == 302
        page = client.get(response.location, headers={"Accept-Language": lang}).get_data(as_text=True)
        [message] = _flashes(page)
        assert _lang(page) == lang and message.startswith(expected), message
        assert "If the address is valid" not in message and "e-mail in a few minutes" not in message, message


def test_reset_and_confirmation_requests_answer_in_the_pages_language(client):
    for path in ("/account/reset", "/account/confirm"):
        response = client.post(path, data={"email": "x@example.org"}, headers={"Accept-Language": "de"})
        page = client.get(response.location, headers={"Accept-Language": "de"}).get_data(as_text=True)
        [message] = _flashes(page)
        assert _lang(page) == "de" and "If the address is valid" not in message, (path, message)


def test_the_welcome_is_in_the_language_of_the_page_after_login(client):
    """A visitor browsing in English signs in to an account set to German: the next page is German, and so is
    its welcome message."""
    user = make_user("Greta", locale="de")
    response = _login(client, user)
    page = client.get(response.location).get_data(as_text=True)
    assert _lang(page) == "de" and _flashes(page) == ["Willkommen, Greta."]


def test_the_goodbye_is_in_the_language_of_the_page_after_logout(client):
    user = make_user("Greta", locale="de")
    _login(client, user)
    client.get("/")
    response = client.post("/account/logout")
    page = client.get(response.location).get_data(as_text=True)
    assert _lang(page) == "de" and _flashes(page) == ["Sie sind abgemeldet."]
