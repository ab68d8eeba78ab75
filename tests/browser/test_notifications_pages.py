"""Notifications in Chromium: header count, list, mark as read with the keyboard; axe on every page."""
import re

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from participation.extensions import db
from participation.models import OutboxJob, OutboxStatus
from participation.notifications.operations import notify, register_kind, unsubscribe_token

from ..factories import PASSWORD, make_user
from .conftest import describe

pytestmark = pytest.mark.browser
register_kind("test.browser", _l("The proposal %(what)s was answered."))


def _log_in(page, email: str) -> None:
    page.goto("/account/login")
    page.get_by_label(re.compile("Adresse e-mail|E-mail address")).fill(email)
    page.get_by_label(re.compile("^(Mot de passe|Password)$")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^(Se connecter|Log in)$")).click()
    page.wait_for_url(re.compile(r"/$"))


def test_notifications_list_and_mark_read(browser_page, axe_violations):
    user = make_user("Léa", email="lea@example.org", locale="en")  # the pages below in English
    user_id = user.id
    for i in range(3):
        notify([user_id], kind="test.browser", dedupe_key=f"browser:{i}", url="/", params={"what": f"n°{i}"})
    page = browser_page
    _log_in(page, "lea@example.org")
    link = page.get_by_role("link", name=re.compile(r"Notifications \(3"))
    link.click()
    page.wait_for_url(re.compile("/notifications/$"))
    assert page.locator("h1").inner_text() == "Notifications"
    assert axe_violations(page) == [], describe(axe_violations(page))

    button = page.get_by_role("button", name=re.compile("n°2"))
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.get_by_role("link", name=re.compile(r"Notifications \(2")).wait_for()
    page.get_by_role("button", name="Mark all as read").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name=re.compile(r"Notifications \(")).count() == 0
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_unsubscribe_and_jobs_pages_are_accessible(app, browser_page, axe_violations):
    user = make_user(email="zed@example.org", platform_admin=True, locale="en")
    with app.test_request_context():
        token = unsubscribe_token(user)
    job = OutboxJob(task="participation.tasks.send_email", args={}, status=OutboxStatus.failed, attempts=5,
                    last_error="SMTPServerDisconnected: Connection unexpectedly closed")
    db.session.add(job)
    db.session.commit()
    page = browser_page
    page.goto(f"/notifications/unsubscribe/{token}")
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    _log_in(page, "zed@example.org")
    page.goto("/platform/jobs/")
    assert "SMTPServerDisconnected" in page.content()
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    db.session.execute(update(OutboxJob).values(status=OutboxStatus.done))  # nothing left for a worker to run
    db.session.commit()
