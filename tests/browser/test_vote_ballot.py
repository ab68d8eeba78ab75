"""The vote in Chromium: a resident verified by the census builds a ballot over the budget, gets a clear
error, fixes it, casts it, gets a receipt and checks it; a reviewer entering a paper ballot for the same
person is refused. axe-core reports no WCAG 2.1 AA violation on the ballot pages."""
import re

import pytest

from budgets.models import Verification
from budgets.operations_eligibility import import_census
from participation.models import PhaseKind, Role

from ..budgets.factories import make_budget, make_settings
from ..factories import PASSWORD, grant, make_commune, make_process, make_user
from .conftest import describe

pytestmark = pytest.mark.browser


@pytest.fixture
def vote(app):
    commune = make_commune("mulhouse")
    process = make_process(commune, slug="bp-2026", active=PhaseKind.vote)
    make_settings(process, online_verification=Verification.census)
    budget = make_budget(process, amount=100_000, costs=(40_000, 30_000, 50_000, 20_000), name="Ville")
    admin = grant(make_user(), commune, Role.administrator)
    with app.test_request_context():
        import_census(admin, commune, process, "Anne Martin;1980;3 rue de l'Église\n")
    resident = grant(make_user("Anne"), commune, Role.resident)
    reviewer = grant(make_user("Agent"), commune, Role.reviewer)
    projects = {p.title: p.id for p in budget.projects}
    return commune, process, budget, projects, resident, reviewer


def _login(page, user):
    page.goto("/account/login")
    page.get_by_label(re.compile("Adresse e-mail|E-mail address")).fill(user.email)
    page.get_by_label(re.compile("^(Mot de passe|Password)$")).fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.get_by_role("link", name=user.nickname).wait_for()


def _no_violations(page, axe_violations):
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_resident_votes_and_reviewer_is_refused(browser_page, new_page, axe_violations, vote):
    commune, process, budget, projects, resident, reviewer = vote
    page = browser_page
    _login(page, resident)
    page.goto(f"/{commune.slug}/processes/{process.slug}/vote/")
    page.locator(f"a[href$='/vote/eligibility']").first.click()
    page.locator("#name").fill("Anne Martin")
    page.locator("#year_of_birth").fill("1980")
    page.locator("#address").fill("3 rue de l'Eglise")
    page.locator("main form button[type=submit]").click()
    page.locator(f"a[href$='/vote/{budget.id}/']").first.click()
    page.locator("#ballot-summary").wait_for()
    _no_violations(page, axe_violations)

    # Three projects (40 000 + 30 000 + 50 000) exceed the 100 000 budget: the script asks the server.
    for title in ("Projet 1", "Projet 2", "Projet 3"):
        page.locator(f"button[name=add][value='{projects[title]}']").click()
        page.locator(f"button[name=remove][value='{projects[title]}']").wait_for()
    assert page.locator("#budget-progress").get_attribute("value") == "100000"
    assert "120" in page.locator("#ballot-summary").inner_text().replace("\u202f", "").replace(" ", "")
    page.locator("button[name=action][value=review]").click()
    error = page.locator("#ballot-error")
    error.wait_for()
    assert re.search(r"20[\s\u202f\u00a0.,]?000", error.inner_text())  # how much to remove
    _no_violations(page, axe_violations)

    # Fix it: remove the 50 000 project, review, confirm, cast.
    page.locator(f"button[name=remove][value='{projects['Projet 3']}']").click()
    page.locator(f"button[name=add][value='{projects['Projet 3']}']").wait_for()
    page.locator("button[name=action][value=review]").click()
    page.locator("form[action$='/cast'] button[type=submit]").wait_for()
    _no_violations(page, axe_violations)
    page.locator("form[action$='/cast'] button[type=submit]").click()
    code = page.locator("#receipt-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
    _no_violations(page, axe_violations)

    # Check the receipt: counted, and the page does not show the choices.
    page.locator("a[href$='/vote/check']").first.click()
    page.locator("#code").fill(code)
    page.locator("main form button[type=submit]").click()
    result = page.locator("#receipt-result")
    result.wait_for()
    assert "Projet" not in result.inner_text()
    assert "success" in result.get_attribute("class")
    _no_violations(page, axe_violations)

    # A reviewer at a stand enters a paper ballot for the same person: refused, naming the channel.
    staff = new_page()
    _login(staff, reviewer)
    staff.goto(f"/{commune.slug}/admin/vote/{process.slug}/paper/{budget.id}")
    _no_violations(staff, axe_violations)
    staff.locator("#name").fill("MARTIN Anne")
    staff.locator("#year_of_birth").fill("1980")
    staff.locator("#address").fill("3, rue de l'église")
    staff.locator(f"#project-{projects['Projet 4']}").check()
    staff.locator("main form button[type=submit]").click()
    refusal = staff.locator("#paper-error")
    refusal.wait_for()
    assert re.search(r"online|en ligne", refusal.inner_text(), re.I)
    _no_violations(staff, axe_violations)


def test_axe_on_budget_and_vote_pages(browser_page, axe_violations, vote):
    commune, process, budget, projects, resident, reviewer = vote
    page = browser_page
    _login(page, resident)
    base = f"/{commune.slug}/processes/{process.slug}"
    for path in (f"{base}/", f"{base}/budgets/", f"{base}/budgets/{budget.id}/",
                 f"{base}/budgets/projects/{projects['Projet 1']}", f"{base}/vote/", f"{base}/vote/eligibility",
                 f"{base}/vote/check"):
        page.goto(path)
        violations = axe_violations(page)
        assert violations == [], f"{path}: {describe(violations)}"
