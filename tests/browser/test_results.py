"""Results in Chromium: the administrator computes with a chosen rule and publishes, the public page shows
winners, the why and the digest of the file it offers; axe-core reports no WCAG 2.1 AA violation on the
public results page, the results administration and the Pabulib import form (with an error shown)."""
import hashlib
import re

import pytest

from participation.models import PhaseKind, Role

from ..budgets.factories import make_budget
from ..factories import PASSWORD, grant, make_commune, make_process, make_user
from ..votes.results.helpers import cast, close_vote
from .conftest import describe

pytestmark = pytest.mark.browser


@pytest.fixture
def closed(app):
    commune = make_commune("mulhouse")
    process = make_process(commune, slug="bp-2026", active=PhaseKind.vote)
    budget = make_budget(process, amount=100, costs=(50, 30, 50, 20), name="Ville")
    p1, p2, p3, p4 = (p.id for p in sorted(budget.projects, key=lambda p: p.title))
    cast(process, budget, [[p1, p3]] * 6 + [[p2, p4]] * 4)
    close_vote(process)
    admin = grant(make_user("Maire"), commune, Role.administrator)
    return commune.slug, process.slug, budget.id, admin.email, admin.nickname


def _login(page, email, nickname):
    page.goto("/account/login")
    page.get_by_label(re.compile("Adresse e-mail|E-mail address")).fill(email)
    page.get_by_label(re.compile("^(Mot de passe|Password)$")).fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.get_by_role("link", name=nickname).wait_for()


def _no_violations(page, axe_violations):
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_compute_publish_and_public_page(browser_page, new_page, axe_violations, closed):
    slug, process, budget_id, email, nickname = closed
    page = browser_page
    _login(page, email, nickname)
    page.goto(f"/{slug}/admin/results/{process}/")
    page.locator(f"#b{budget_id}-rule").select_option("mes")
    page.locator(f"#b{budget_id}-completion").select_option("add1")
    page.locator("form.results-compute button[type=submit]").click()
    page.locator("form[action$='/publish'] button").wait_for()  # computed inline (or by the worker)
    _no_violations(page, axe_violations)
    page.locator("form[action$='/publish'] button").click()
    page.locator(".flash.success").wait_for()

    visitor = new_page()
    visitor.goto(f"/{slug}/processes/{process}/")
    visitor.locator(f"a[href$='/processes/{process}/results/']").last.click()
    visitor.locator(f"#budget-{budget_id}").wait_for()
    text = visitor.locator("main").inner_text()
    for title in ("Projet 1", "Projet 2", "Projet 3", "Projet 4"):
        assert title in text
    assert len(re.findall(r"Selected in round|Sélectionné au tour", text)) == 3
    digest = visitor.locator("code.digest").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    with visitor.expect_download() as info:
        visitor.locator(f"a[href$='/results/{budget_id}.pb']").click()
    assert hashlib.sha256(open(info.value.path(), "rb").read()).hexdigest() == digest
    assert visitor.locator("meter").count() >= 4
    _no_violations(visitor, axe_violations)


def test_import_form_shows_the_error(browser_page, axe_violations, closed, tmp_path):
    slug, process, _budget_id, email, nickname = closed
    page = browser_page
    _login(page, email, nickname)
    page.goto(f"/{slug}/admin/results/{process}/import")
    _no_violations(page, axe_violations)
    bad = tmp_path / "bad.pb"
    bad.write_text("META\nkey;value\nbudget;100\nPROJECTS\nproject_id;cost\n1;ten\n", encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(bad))
    page.locator("main form button[type=submit]").click()
    page.locator(".error-summary").wait_for()
    assert re.search(r"(Line|Ligne) 6\s?: cost of project '1' is not a number", page.locator("main").inner_text())
    _no_violations(page, axe_violations)
