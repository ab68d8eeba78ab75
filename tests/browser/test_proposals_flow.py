"""Proposals in Chromium: submit with an image and a place, support, comment, report, hide, answer; axe-core.

Selectors use ids and form actions rather than visible texts, so the test holds in every language.
"""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEntry, PhaseKind, Role
from proposals import operations as ops
from proposals.models import Comment, Proposal, ProposalStatus

from ..factories import PASSWORD, grant, make_commune, make_process, make_user
from .conftest import describe

pytestmark = pytest.mark.browser


@pytest.fixture
def world(app):
    commune = make_commune("mulhouse")
    process = make_process(commune, slug="bp-2026", active=PhaseKind.proposals)
    ops.ensure_default_themes(commune)
    db.session.commit()
    people = {}
    for name, role in (("Alice", Role.resident), ("Bruno", Role.resident), ("Chloé", Role.resident),
                       ("Modération", Role.moderator), ("Services", Role.reviewer)):
        people[name] = grant(make_user(name), commune, role)
    return commune, process, {name: (user.email, user.id) for name, user in people.items()}


def log_in(page, email: str) -> None:
    page.goto("/account/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$|/mulhouse"))


def photo(tmp_path) -> str:
    path = tmp_path / "square.jpg"
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (47.0, 45.0, 3.0), 3: "E", 4: (7.0, 20.0, 9.0)}
    Image.new("RGB", (120, 80), (30, 140, 60)).save(out, "JPEG", exif=exif.tobytes())
    path.write_bytes(out.getvalue())
    return str(path)


def test_submit_support_comment_report_hide_answer(world, new_page, axe_violations, tmp_path):
    commune, process, people = world
    base = "/mulhouse/processes/bp-2026/proposals/"

    # A resident submits a proposal with an image and a place.
    alice = new_page()
    log_in(alice, people["Alice"][0])
    alice.goto(base + "new")
    assert axe_violations(alice) == [], describe(axe_violations(alice))
    alice.fill("#title", "Un verger dans le square Steinbach")
    alice.fill("#body", "Planter des arbres fruitiers avec l'école voisine.")
    alice.select_option("#theme_id", index=1)
    alice.select_option("#district_id", index=1)
    alice.fill("#address", "Square Steinbach")
    alice.fill("#latitude", "47.7475")
    alice.fill("#longitude", "7.3376")
    alice.set_input_files("#images", photo(tmp_path))
    alice.fill("#image_alt", "Le square aujourd'hui, sans arbres")
    alice.locator("main form button[type=submit]").click()
    alice.wait_for_url(re.compile(r"/proposals/\d+$"))
    proposal_url = alice.url
    img = alice.locator(".gallery img")
    assert img.get_attribute("alt") == "Le square aujourd'hui, sans arbres"
    assert alice.evaluate("document.querySelector('.gallery img').naturalWidth") == 120
    assert axe_violations(alice) == [], describe(axe_violations(alice))

    # Another resident supports and comments.
    bruno = new_page()
    log_in(bruno, people["Bruno"][0])
    bruno.goto(proposal_url)
    bruno.locator("form[action$='/support'] button").click()
    bruno.wait_for_url(re.compile(r"#support$"))
    assert "1" in bruno.locator("#support .count").inner_text()
    bruno.fill("#body", "Achetez mes montres pas chères sur mon site !")
    bruno.locator("form.comment-form button").click()
    bruno.wait_for_url(re.compile(r"#comment-\d+$"))
    comment_id = int(bruno.url.rsplit("-", 1)[1])
    assert bruno.locator(f"#comment-{comment_id}").inner_text().count("montres") == 1

    # A third reports the comment.
    chloe = new_page()
    log_in(chloe, people["Chloé"][0])
    chloe.goto(proposal_url)
    chloe.locator(f"#comment-{comment_id} a[href$='/report']").click()
    chloe.check("#reason-0")
    chloe.fill("#text", "Publicité")
    assert axe_violations(chloe) == [], describe(axe_violations(chloe))
    chloe.locator("main form button[type=submit]").click()
    chloe.wait_for_url(re.compile(r"/proposals/\d+"))

    # A moderator hides it from the queue, with a reason.
    moderator = new_page()
    log_in(moderator, people["Modération"][0])
    moderator.goto("/mulhouse/admin/proposals/moderation")
    assert "Publicité" in moderator.locator("main").inner_text()
    assert axe_violations(moderator) == [], describe(axe_violations(moderator))
    moderator.fill(f"#hide-comment-{comment_id}", "Publicité commerciale")
    moderator.locator(f"form:has(#hide-comment-{comment_id}) button").click()
    moderator.wait_for_load_state()
    chloe.goto(proposal_url)
    assert "montres" not in chloe.locator(f"#comment-{comment_id}").inner_text()
    assert chloe.locator(f"#comment-{comment_id} .placeholder").count() == 1

    # A reviewer answers publicly.
    reviewer = new_page()
    log_in(reviewer, people["Services"][0])
    reviewer.goto(proposal_url)
    reviewer.locator("a[href*='/admin/proposals/instruction/']").click()
    assert axe_violations(reviewer) == [], describe(axe_violations(reviewer))
    reviewer.select_option("#status", "accepted")
    reviewer.fill("#feasibility", "Terrain communal, entretien par les espaces verts.")
    reviewer.fill("#estimated_cost", "18000")
    reviewer.fill("#answer", "Proposition retenue pour le vote.")
    reviewer.locator("main form button[type=submit]").click()
    reviewer.wait_for_url(re.compile(r"/proposals/\d+$"))
    assert "Proposition retenue" in reviewer.locator("#answer-title + .rich").inner_text()

    db.session.expire_all()
    proposal = db.session.scalar(select(Proposal))
    assert proposal.status == ProposalStatus.accepted and proposal.estimated_cost == 18000
    assert proposal.support_count == 1 and proposal.latitude == 47.7475
    assert db.session.get(Comment, comment_id).hidden
    assert db.session.scalar(select(AuditEntry.reason).where(AuditEntry.action == "moderation.hide")) == \
        "Publicité commerciale"

    # The list and the map, as any visitor.
    visitor = new_page()
    visitor.goto(base)
    assert "Un verger" in visitor.locator("main").inner_text()
    assert axe_violations(visitor) == [], describe(axe_violations(visitor))
    visitor.goto(base + "map")
    assert "Square Steinbach" in visitor.locator(".place-list").inner_text()
    assert axe_violations(visitor) == [], describe(axe_violations(visitor))


def test_form_errors_are_accessible(world, new_page, axe_violations):
    _, _, people = world
    page = new_page()
    log_in(page, people["Alice"][0])
    page.goto("/mulhouse/processes/bp-2026/proposals/new")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".error").count() >= 2
    assert axe_violations(page) == [], describe(axe_violations(page))
