"""A platform administrator's journey in Chromium: the header's entry, the home with the communes, a new
commune, its administration, the jobs page and back; axe-core on each page."""
from __future__ import annotations

import re

import pytest

from participation.models import OutboxJob, OutboxStatus
from participation.extensions import db

from ..factories import make_commune, make_process, make_user
from .conftest import describe
from .test_proposals_flow import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def platform(app):
    make_process(make_commune("mulhouse"))
    admin = make_user("Racine", platform_admin=True)
    db.session.add(OutboxJob(task="participation.tasks.send_email", args={}, status=OutboxStatus.failed, attempts=5,
                             last_error="SMTP refused"))
    db.session.commit()
    return admin.email


def _clean(page, axe_violations):
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_home_communes_jobs(platform, new_page, axe_violations):
    page = new_page()
    log_in(page, platform)
    page.locator("header a[href='/platform/']").click()
    page.wait_for_url(re.compile(r"/platform/$"))
    _clean(page, axe_violations)
    assert "Mulhouse" in page.locator("main").inner_text()
    page.locator("main a[href='/communes/new']").first.click()
    page.wait_for_url(re.compile(r"/communes/new$"))
    page.fill("#slug", "colmar")
    page.fill("#name_fr", "Colmar")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/colmar/$"))
    page.goto("/platform/")
    assert "Colmar" in page.locator("main").inner_text()
    page.locator("main a[href='/colmar/admin/']").click()
    page.wait_for_url(re.compile(r"/colmar/admin/$"))
    _clean(page, axe_violations)
    page.goto("/platform/")
    page.locator("main nav a[href='/platform/jobs/']").click()
    page.wait_for_url(re.compile(r"/platform/jobs/$"))
    assert "SMTP refused" in page.locator("main").inner_text()
    _clean(page, axe_violations)
    page.locator("main nav a[href='/platform/audit']").click()
    page.wait_for_url(re.compile(r"/platform/audit$"))
    _clean(page, axe_violations)
    # Removing oneself, the last platform administrator, is not offered.
    page.goto("/platform/")
    assert page.locator("main form[action*='/revoke']").count() == 0
