"""The place picker in Chromium with the site's CSP in force (not bypassed): search an address, pick a
result, move the marker with the keyboard and by a click, submit; the place is stored. The browser talks
only to our origin and the tile server; Leaflet runs without any CSP violation; axe finds nothing."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import PhaseKind, Role
from proposals import operations as ops
from proposals.models import Proposal

from ..factories import PASSWORD, grant, make_commune, make_process, make_user
from .conftest import AXE_JS, describe

pytestmark = pytest.mark.browser

RECORD_CSP = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


def axe_under_csp(page) -> list[dict]:
    """axe-core evaluated through the DevTools protocol: no <script> tag, so the CSP stays as it is."""
    if not AXE_JS.exists():
        pytest.skip("axe-core missing: `make test` installs it with npm into tests/browser/node_modules")
    page.evaluate(AXE_JS.read_text())
    return page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})).violations")


@pytest.fixture
def strict_page(_browser, live_server):
    context = _browser.new_context(base_url=live_server, bypass_csp=False, locale="fr-FR",
                                   viewport={"width": 375, "height": 900})
    context.set_default_timeout(15000)
    context.add_init_script(RECORD_CSP)
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.hosts = hosts
    yield page
    context.close()


def test_search_pick_move_and_submit_a_place(app, strict_page, geocoder, tiles, live_server):
    commune = make_commune("mulhouse")
    commune.map_latitude, commune.map_longitude = 47.7456, 7.3385
    process = make_process(commune, slug="bp-2026", active=PhaseKind.proposals)
    ops.ensure_default_themes(commune)
    user = grant(make_user("Alice"), commune, Role.resident)
    db.session.commit()
    page = strict_page
    page.goto("/account/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$|/mulhouse"))

    page.goto("/mulhouse/processes/bp-2026/proposals/new")
    page.wait_for_selector(".place-map .leaflet-tile-loaded")  # Leaflet drew tiles from the tile server
    page.fill("#title", "Des bancs rue du Sauvage")
    page.fill("#body", "Pour se reposer entre deux boutiques.")
    page.fill("#address", "rue du sauvage")
    page.click("#place_search")
    choice = page.locator(".place-results input[value^='47.747190,7.337320,']")
    choice.wait_for()
    assert page.locator(".place-results input[name=place_choice]").count() == 3  # two addresses + keep as typed
    choice.check()
    assert page.input_value("#address") == "12 Rue du Sauvage 68100 Mulhouse"
    assert (page.input_value("#latitude"), page.input_value("#longitude")) == ("47.747190", "7.337320")
    assert page.input_value("[name=located]").startswith("47.747190,7.337320,")

    marker = page.locator(".place-map .leaflet-marker-icon")
    marker.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowUp")
    moved = float(page.input_value("#latitude")), float(page.input_value("#longitude"))
    assert moved[1] > 7.33732 and moved[0] > 47.74719  # east, then north
    assert page.input_value("[name=located]") == ""  # placed by hand: kept as given
    assert marker.evaluate("el => el === document.activeElement")
    page.wait_for_function("document.querySelector('.place-results').textContent.includes('12 Rue du Sauvage')")

    box = page.locator(".place-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 - 40, box["y"] + box["height"] / 2)
    clicked = float(page.input_value("#latitude")), float(page.input_value("#longitude"))
    assert clicked != moved
    violations = axe_under_csp(page)
    assert violations == [], describe(violations)

    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/proposals/\d+$"))
    db.session.expire_all()
    proposal = db.session.scalar(select(Proposal))
    assert (round(proposal.latitude, 6), round(proposal.longitude, 6)) == clicked
    assert proposal.address  # the label chosen, or the nearest address after the move

    page.goto("/mulhouse/processes/bp-2026/proposals/map")
    page.wait_for_selector(".places-leaflet .map-number")
    assert page.locator(".places-leaflet .map-number").inner_text() == "1"
    violations = axe_under_csp(page)
    assert violations == [], describe(violations)

    assert page.evaluate("window.__csp") == []
    assert tiles.requests and all(r.endswith(".png") for r in tiles.requests)
    assert page.hosts <= {urlsplit(live_server).netloc, urlsplit(tiles.url).netloc}, page.hosts
    assert any(r.startswith("/search/") for r in geocoder.requests)  # asked by our server, not the browser
