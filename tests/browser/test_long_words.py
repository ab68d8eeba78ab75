"""One 3 000-character word in a title, a body, a comment, a report, a project or a reason wraps: no page is
wider than the window, on a 375 px phone or a desktop (measured in Chromium)."""
from __future__ import annotations

import pytest

from participation import blocks
from participation.extensions import db
from participation.models import PhaseKind, Role
from proposals import operations as ops
from proposals import operations_engagement as engagement
from proposals import operations_moderation as mod
from proposals.models import ReportReason, ReportTarget
from votes.results.operations import compute_result, publish_result

from ..budgets.factories import make_budget
from ..factories import grant, make_commune, make_process, make_user
from ..votes.results.helpers import cast, close_vote
from .test_proposals_flow import log_in

pytestmark = pytest.mark.browser
WORD = "Anticonstitutionnellement" * 120  # 3 000 characters, no break opportunity


@pytest.fixture
def wordy(app):
    commune = make_commune("mulhouse")
    process = make_process(commune, slug="bp-2026", active=PhaseKind.proposals)
    ops.ensure_default_themes(commune)
    moderator = grant(make_user("Marie"), commune, Role.moderator)
    author = grant(make_user("Auteur"), commune, Role.resident)
    proposal = ops.submit_proposal(author, commune, process, title=WORD[:200], body=f"<p>{WORD}</p>")
    comment = engagement.add_comment(author, commune, proposal, f"<p>{WORD}</p>")
    reporter = grant(make_user("Rapporteur"), commune, Role.resident)
    mod.report(reporter, commune, ReportTarget.comment, comment.id, reason=ReportReason.other, text=WORD[:2000])
    mod.report(reporter, commune, ReportTarget.proposal, proposal.id, reason=ReportReason.spam, text=WORD[:2000])
    blocks.block_user(moderator, commune, reporter, WORD[:2000], days=1)  # a long reason in the audit log
    voted = make_process(commune, slug="vote", active=PhaseKind.vote)
    budget = make_budget(voted, amount=100, costs=(50, 30), name="Ville")
    budget.projects[0].title = WORD[:200]
    db.session.commit()
    ids = [p.id for p in budget.projects]
    with app.test_request_context():
        cast(voted, budget, [ids] * 3)
        close_vote(voted)
        admin = grant(make_user("Maire"), commune, Role.administrator)
        publish_result(admin, commune, compute_result(budget.id))
    return {"moderator": moderator.email, "proposal": proposal.id}


def test_no_page_is_wider_than_the_window(wordy, new_page):
    page = new_page()
    log_in(page, wordy["moderator"])
    pages = ["/mulhouse/admin/proposals/moderation", "/mulhouse/processes/bp-2026/proposals/",
             f"/mulhouse/processes/bp-2026/proposals/{wordy['proposal']}", "/mulhouse/processes/vote/results/",
             "/mulhouse/admin/audit"]
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        for path in pages:
            page.goto(path)
            assert page.locator("main").inner_text().count("Anticonstitutionnellement") >= 1, path
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, (path, width, scroll)
