"""Error pages in Chromium: a too-large upload is refused before its body is read (413), so the page cannot
show the text back; it says the form's limit and that Back returns to the form with what was typed,
which the browser keeps. Checked here for real, with axe-core on the error page."""
from __future__ import annotations

import re

import pytest

from participation.models import Role

from ..factories import grant, make_user
from ..proposals.factories import setup_commune
from .conftest import describe
from .test_proposals_flow import log_in

pytestmark = pytest.mark.browser


def test_back_from_a_too_large_upload_returns_to_the_form_with_the_text(app, browser_page, axe_violations,
                                                                        tmp_path):
    commune, process = setup_commune()
    user = grant(make_user(), commune, Role.resident)
    page = browser_page
    log_in(page, user.email)
    form_url = f"/{commune.slug}/processes/{process.slug}/proposals/new"
    page.goto(form_url)
    page.fill("#title", "Un banc sous le tilleul")
    page.fill("#body", "Trois paragraphes écrits avec soin, qu'il serait dommage de perdre.")
    big = tmp_path / "photo.jpg"
    big.write_bytes(b"\xff\xd8" + b"\0" * 400_000)
    page.set_input_files("#images", str(big))
    old, app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_CONTENT_LENGTH"], 300 * 1024
    try:
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        main = page.locator("main").inner_text()
        assert "0,3" in main and "Retour" in main, main  # the limit, in French, and the Back button
        assert axe_violations(page) == [], describe(axe_violations(page))
        page.locator("[data-history-back]").click()
        page.wait_for_url(re.compile(r"/proposals/new$"))
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    assert page.input_value("#title") == "Un banc sous le tilleul"
    assert page.input_value("#body") == "Trois paragraphes écrits avec soin, qu'il serait dommage de perdre."
