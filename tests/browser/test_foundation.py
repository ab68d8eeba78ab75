"""Sign-up -> confirm -> login -> language switch in Chromium, and axe-core on the main pages."""
import re

import pytest

from participation.models import PhaseKind

from ..factories import make_commune, make_process
from .conftest import describe

pytestmark = pytest.mark.browser


@pytest.fixture
def commune(app):
    commune = make_commune("mulhouse")
    make_process(commune, slug="bp-2026", active=PhaseKind.proposals)
    return commune


def test_signup_confirm_login_and_switch_language(browser_page, smtp, commune):
    page = browser_page
    page.goto("/")
    page.get_by_role("link", name=re.compile("Inscription|Sign up")).first.click()
    page.get_by_label(re.compile("Adresse e-mail|E-mail address")).fill("zoe@example.org")
    page.get_by_label(re.compile("Pseudonyme public|Public nickname")).fill("Zoé")
    page.get_by_label(re.compile("^(Mot de passe|Password)$")).fill("a very long password")
    page.get_by_label(re.compile("Répétez le mot de passe|Repeat the password")).fill("a very long password")
    page.get_by_label(re.compile("J'accepte|I accept")).check()
    page.get_by_role("button", name=re.compile("Créer mon compte|Create my account")).click()
    page.wait_for_url(re.compile("/account/login"))
    [msg] = smtp.wait_for(1)
    link = re.search(r"http://\S+/account/confirm/\S+", smtp.text_of(msg)).group(0)
    page.goto(link)
    page.wait_for_url(re.compile("/account/login"))
    page.get_by_label(re.compile("Adresse e-mail|E-mail address")).fill("zoe@example.org")
    page.get_by_label(re.compile("^(Mot de passe|Password)$")).fill("a very long password")
    page.get_by_role("button", name=re.compile("^(Se connecter|Log in)$")).click()
    page.get_by_role("link", name="Zoé").wait_for()
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("button", name="Deutsch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "de"
    page.goto("/mulhouse/processes/")
    assert page.locator("html").get_attribute("lang") == "de"  # remembered across pages
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"


def test_keyboard_skip_link_reaches_main(browser_page, commune):
    page = browser_page
    page.goto("/mulhouse/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert "skip-link" in focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


@pytest.mark.parametrize("path", ["/", "/account/signup", "/account/login", "/mulhouse/processes/",
                                  "/mulhouse/processes/bp-2026/", "/mulhouse/"])
def test_axe_no_wcag_violations(browser_page, axe_violations, commune, path):
    browser_page.goto(path)
    violations = axe_violations(browser_page)
    assert violations == [], describe(violations)


def test_axe_on_form_errors(browser_page, axe_violations, commune):
    page = browser_page
    page.goto("/account/signup")
    page.get_by_role("button", name=re.compile("Créer mon compte|Create my account")).click()
    page.wait_for_load_state()
    assert page.locator(".error").count() > 0
    violations = axe_violations(page)
    assert violations == [], describe(violations)
