"""The account page (settings, password, sessions), the roles page and an invitation, in Chromium with
axe-core: an administrator invites, the invited person signs in from the e-mail's link and accepts."""
import re

import pytest

from participation.models import Role

from ..factories import PASSWORD, grant, make_commune, make_user
from .conftest import describe

pytestmark = pytest.mark.browser


def _log_in(page, email: str, path: str = "/account/login") -> None:
    page.goto(path)
    page.get_by_label(re.compile("Adresse e-mail|E-mail address")).fill(email)
    page.get_by_label(re.compile("^(Mot de passe|Password)$")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^(Se connecter|Log in)$")).click()
    page.wait_for_load_state()


def test_account_roles_and_invitation_pages(app, browser_page, new_page, axe_violations, smtp):
    commune = make_commune("mulhouse")
    grant(make_user("Adèle", email="adele@example.org"), commune, Role.administrator)
    make_user("Bruno", email="bruno@example.org")

    page = browser_page
    _log_in(page, "adele@example.org")
    page.goto("/account/")
    page.get_by_label(re.compile("Mot de passe actuel")).fill("not my password")
    page.get_by_label("Nouveau mot de passe", exact=True).fill("another long password")
    page.get_by_label(re.compile("Répétez le nouveau mot de passe")).fill("another long password")
    page.get_by_role("button", name="Modifier mon mot de passe").click()
    page.wait_for_load_state()
    assert page.locator("#current-error").count() == 1
    assert page.get_by_role("button", name="Me déconnecter partout").count() == 1
    violations = axe_violations(page)
    assert violations == [], describe(violations)

    page.goto("/mulhouse/admin/roles")
    page.get_by_label(re.compile("Adresse e-mail de la personne")).fill("bruno@example.org")
    page.get_by_label(re.compile("^Rôle$")).select_option("moderator")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    page.wait_for_load_state()
    assert page.get_by_role("cell", name="bruno@example.org", exact=True).count() == 1
    violations = axe_violations(page)
    assert violations == [], describe(violations)

    [msg] = smtp.wait_for(1)
    link = re.search(r"http://\S+/account/invitations/\S+", smtp.text_of(msg)).group(0)
    bruno = new_page()
    bruno.goto(link)
    bruno.get_by_role("link", name="Se connecter").last.click()
    bruno.get_by_label(re.compile("Adresse e-mail")).fill("bruno@example.org")
    bruno.get_by_label(re.compile("^Mot de passe$")).fill(PASSWORD)
    bruno.get_by_role("button", name=re.compile("^Se connecter$")).click()
    bruno.wait_for_url(re.compile("/account/invitations/"))
    violations = axe_violations(bruno)
    assert violations == [], describe(violations)
    bruno.get_by_role("button", name="Accepter le rôle").click()
    bruno.wait_for_url(re.compile("/mulhouse/$"))
    assert bruno.get_by_role("link", name=re.compile("Administration")).count() == 1
