"""A moderator's journey in Chromium: a resident reports (nothing preselected), the moderator hides one item and
dismisses the reports of another from the queue, finds both in the handled tab, blocks the author (who then
sees why and until when instead of the forms) and reads it all in words in the audit log; axe-core on each
page. Selectors use ids and form actions, so the test holds in every language."""
from __future__ import annotations

import re

import pytest

from participation.extensions import db
from participation.models import PhaseKind, Role
from proposals import operations as ops
from proposals import operations_engagement as engagement

from ..factories import grant, make_commune, make_process, make_user
from .conftest import describe
from .test_proposals_flow import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(app):
    commune = make_commune("mulhouse")
    process = make_process(commune, slug="bp-2026", active=PhaseKind.proposals)
    ops.ensure_default_themes(commune)
    db.session.commit()
    people = {name: grant(make_user(name), commune, role) for name, role in (
        ("Alice", Role.resident), ("Bruno", Role.resident), ("Chloé", Role.resident), ("Marie", Role.moderator))}
    spam = ops.submit_proposal(people["Bruno"], commune, process, title="Montres pas chères",
                               body="<p>Achetez mes montres</p>")
    idea = ops.submit_proposal(people["Alice"], commune, process, title="Un verger", body="<p>Des arbres</p>")
    comment = engagement.add_comment(people["Bruno"], commune, idea, "<p>Nul</p>")
    return {"emails": {n: u.email for n, u in people.items()}, "spam": spam.id, "idea": idea.id,
            "comment": comment.id, "bruno": people["Bruno"].id}


def _clean(page, axe_violations):
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_report_queue_hide_dismiss_handled_block_and_audit(world, new_page, axe_violations):
    base = "/mulhouse/processes/bp-2026/proposals/"
    chloe = new_page()
    log_in(chloe, world["emails"]["Chloé"])
    for path, reason in ((f"{world['spam']}/report", "#reason-0"),
                         (f"{world['idea']}/comments/{world['comment']}/report", "#reason-1")):
        chloe.goto(base + path)
        assert chloe.locator("input[name=reason]:checked").count() == 0  # nothing preselected
        _clean(chloe, axe_violations)
        chloe.check(reason)
        chloe.fill("#text", "À voir")
        chloe.locator("main form button[type=submit]").click()
        chloe.wait_for_url(re.compile(r"/proposals/\d+"))
    chloe.goto(base + f"{world['spam']}/report")
    assert chloe.locator("input[name=reason]").count() == 0  # already reported: told, no form
    assert chloe.locator("main .notice").count() == 1

    marie = new_page()
    log_in(marie, world["emails"]["Marie"])
    marie.goto("/mulhouse/admin/proposals/moderation")
    _clean(marie, axe_violations)
    marie.fill(f"#hide-proposal-{world['spam']}", "Publicité")
    marie.locator(f"form:has(#hide-proposal-{world['spam']}) button").click()
    marie.wait_for_load_state()
    marie.fill(f"#dismiss-comment-{world['comment']}", "Critique, pas insulte")
    marie.locator(f"form:has(#dismiss-comment-{world['comment']}) button").click()
    marie.wait_for_load_state()
    assert marie.locator(".moderation-item").count() == 0  # both handled: the queue is empty

    marie.goto("/mulhouse/admin/proposals/moderation/handled")
    assert marie.locator(".moderation-item").count() == 2
    assert "Publicité" in marie.locator("main").inner_text()
    _clean(marie, axe_violations)
    key = f"proposal-{world['spam']}-{world['bruno']}"
    marie.fill(f"#block-{key}", "Spam répété")
    marie.select_option(f"#duration-{key}", "7")
    marie.locator(f"form:has(#block-{key}) button").click()
    marie.wait_for_url(re.compile(r"/moderation/handled$"))
    marie.goto("/mulhouse/admin/proposals/moderation")
    assert "Spam répété" in marie.locator("#blocked ~ table").inner_text()

    bruno = new_page()
    log_in(bruno, world["emails"]["Bruno"])
    bruno.goto(base + str(world["idea"]))
    assert "Spam répété" in bruno.locator("main .blocked").first.inner_text()
    assert bruno.locator("form.comment-form").count() == 0 and bruno.locator("form[action$='/support']").count() == 0
    _clean(bruno, axe_violations)

    marie.goto("/mulhouse/admin/audit")
    log = marie.locator("table.audit-log").inner_text()
    assert "Marie" in log and "Montres pas chères" in log and "Bruno" in log and "Spam répété" in log
    assert "moderation." not in log and "user #" not in log
    _clean(marie, axe_violations)
    marie.select_option("#action", "moderation.block")
    marie.locator("form.audit-filters button").click()
    marie.wait_for_load_state()
    assert marie.locator("table.audit-log tbody tr").count() == 1
    _clean(marie, axe_violations)
