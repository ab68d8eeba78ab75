"""Every error is the platform's own page, translated and inside the layout (participation/errorpages.py):
4xx and 5xx, errors raised before a commune is loaded, unhandled exceptions with PROPAGATE_EXCEPTIONS
off (as in production), and when the database itself fails. Oversized bodies and refused comments keep
what the person typed, or say how to get it back."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from participation.extensions import db
from participation.models import PhaseKind, Role
from participation import blocks
from proposals.models import Comment

from ..factories import grant, login, make_commune, make_process, make_user
from ..proposals.factories import make_proposal, png_bytes, setup_commune

WERKZEUG_DEFAULT = re.compile(r"<title>\d{3} [A-Z]|The requested URL|The server encountered an internal error|"
                              r"The method is not allowed|Internal Server Error")
TITLES = {"fr": {400: "Requête invalide", 403: "Non autorisé", 404: "Page introuvable", 500: "Erreur du serveur"},
          "en": {400: "Invalid request", 403: "Not allowed", 404: "Page not found", 500: "Server error"},
          "de": {400: "Ungültige Anfrage", 403: "Nicht erlaubt", 404: "Seite nicht gefunden", 500: "Serverfehler"}}


def assert_own_page(response, status: int, lang: str = "en", text_in_page: str | None = None) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, page[:300])
    assert response.mimetype == "text/html"
    assert not WERKZEUG_DEFAULT.search(page), page[:400]
    assert f'<html lang="{lang}"' in page and 'class="site-header"' in page and "<main" in page, page[:400]
    if text_in_page:
        assert text_in_page in page, page
    return page


@contextmanager
def production_errors(app):
    """Unhandled exceptions become 500 pages, as in production (tests propagate them by default)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        yield
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None


@pytest.mark.parametrize("lang", ["fr", "en", "de"])
def test_each_error_status_is_the_platforms_page_in_the_persons_language(app, client, rate_limits, lang):
    commune = make_commune("ville")
    process = make_process(commune, slug="p", active=PhaseKind.information)
    proposal = make_proposal(commune, make_process(commune, slug="q"))
    resident = grant(make_user(), commune, Role.resident)
    headers = {"Accept-Language": lang}
    assert_own_page(client.get("/nope/", headers=headers), 404, lang, TITLES[lang][404])  # before a commune
    assert_own_page(client.get("/ville/processes/p/proposals/424242", headers=headers), 404, lang)
    assert_own_page(client.get("/ville%00/", headers=headers), 400, lang, TITLES[lang][400])  # before a commune
    assert_own_page(client.put("/account/login", headers=headers), 405, lang)
    assert client.put("/account/login").headers["Allow"]  # the 405 keeps its Allow header
    login(client, resident)
    assert_own_page(client.get("/ville/admin/", headers=headers), 403, lang, TITLES[lang][403])
    # 409: an action the current phase does not allow (the idea box of "q" is open, "p" informs only).
    process.active_phase_override_id = process.phase_of_kind(PhaseKind.information).id
    db.session.commit()
    proposal.process_id = process.id
    db.session.commit()
    assert_own_page(client.post(f"/ville/processes/p/proposals/{proposal.id}/support", headers=headers), 409, lang)
    client.post("/account/logout")
    client.post("/lang", data={"lang": lang})  # after logout the visit keeps its language: choose it again
    for _ in range(10):
        client.post("/account/login", data={"email": "nobody@example.org", "password": "wrong password"})
    assert_own_page(client.post("/account/login", data={"email": "x@example.org", "password": "y"},
                                headers=headers), 429, lang)


def test_json_clients_get_json_errors(client):
    response = client.get("/nope/", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["error"] == "Page not found"


def test_unhandled_exceptions_are_the_platforms_500_page(app, client):
    """A real failure (a table the page needs is gone) with PROPAGATE_EXCEPTIONS off: the 500 page, in
    the layout, even though the layout itself cannot be rendered normally (it counts the signed-in
    person's notifications): it is rendered again as for an anonymous visitor."""
    commune = make_commune("ville")
    user = grant(make_user(locale="de"), commune, Role.resident)
    login(client, user)
    db.session.execute(text("ALTER TABLE notifications RENAME TO notifications_away"))
    db.session.commit()
    try:
        with production_errors(app):
            page = assert_own_page(client.get("/ville/"), 500, "de", TITLES["de"][500])  # the account's language
            assert 'href="/account/login"' in page  # then shown as to an anonymous visitor: no database needed
            db.session.execute(text("ALTER TABLE communes RENAME TO communes_away"))
            db.session.commit()
            try:  # a failure before the commune is loaded
                assert_own_page(client.get("/ville/"), 500, "de", TITLES["de"][500])
            finally:
                db.session.rollback()
                db.session.execute(text("ALTER TABLE communes_away RENAME TO communes"))
                db.session.commit()
    finally:
        db.session.rollback()
        db.session.execute(text("ALTER TABLE notifications_away RENAME TO notifications"))
        db.session.commit()


def test_a_database_constraint_failing_is_a_500_page_not_werkzeugs(app, client):
    """What the commune creation with a district typed twice gave: an IntegrityError during the request,
    then the error page's own queries failed on the broken transaction (Werkzeug's bare page). Whatever
    constraint fails, the session is rolled back before the page is rendered."""
    commune = make_commune("ville")
    admin = grant(make_user(platform_admin=True), commune, Role.administrator)
    login(client, admin)
    db.session.execute(text("CREATE UNIQUE INDEX test_one_audit_per_action ON audit_entries (action)"))
    db.session.commit()
    try:
        make_process(commune, slug="p")
        client.post("/ville/admin/processes/p/edit", data={"slug": "p", "title_fr": "Un"})
        with production_errors(app):
            assert_own_page(client.post("/ville/admin/processes/p/edit", data={"slug": "p", "title_fr": "Deux"}),
                            500, "en", TITLES["en"][500])
    finally:
        db.session.rollback()
        db.session.execute(text("DROP INDEX test_one_audit_per_action"))
        db.session.commit()


def test_a_text_form_never_reaches_the_body_limit(client):
    """Text forms accept far more than their fields allow, so too-long text gets the form's own error
    (with the text kept), not a 413; a body beyond that is refused without being read."""
    long_email = "a" * 1_500_000 + "@example.org"
    response = client.post("/account/login", data={"email": long_email, "password": "x"})
    assert response.status_code == 400 and "login" in response.get_data(as_text=True)
    page = assert_own_page(client.post("/account/login", data={"email": "a" * 2_200_000, "password": "x"}),
                           413, "en")
    assert "2 MB" in page and "Back" in page


def test_an_upload_form_says_its_limit_and_how_to_get_the_text_back(app, client):
    commune, process = setup_commune()
    login(client, grant(make_user(), commune, Role.resident))
    url = f"/{commune.slug}/processes/{process.slug}/proposals/new"
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 300 * 1024  # the site's ceiling, below the form's own limit
    try:
        image = (__import__("io").BytesIO(png_bytes() + b"\0" * 400_000), "big.png")
        response = client.post(url, data={"title": "Un banc", "body": "Texte", "images": image},
                               content_type="multipart/form-data")
        page = assert_own_page(response, 413, "en")
        assert "0.3 MB" in page and "what you typed is still in the form" in page
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    # Within the form's limit, a file too large for the form is a form error and the text is kept.
    image = (__import__("io").BytesIO(png_bytes() + b"\0" * (6 * 1024 * 1024)), "big.png")
    response = client.post(url, data={"title": "Un banc", "body": "Mon texte", "images": image},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Mon texte" in page and "Un banc" in page


def test_a_refused_comment_keeps_its_text(client):
    """A person blocked while writing (403), or a comment refused for its length (400), gets the reason and
    their text back in the form, not an error page or a redirect that loses it."""
    commune, process = setup_commune()
    proposal = make_proposal(commune, process)
    troll = grant(make_user("Troll"), commune, Role.resident)
    blocks.block_user(grant(make_user(), commune, Role.moderator), commune, troll, "Insultes")
    login(client, troll)
    url = f"/{commune.slug}/processes/{process.slug}/proposals/{proposal.id}/comments"
    response = client.post(url, data={"body": "Un long texte que je ne veux pas perdre"})
    page = assert_own_page(response, 403, "en")
    assert "Un long texte que je ne veux pas perdre" in page and "blocked" in page
    client.post("/account/logout")
    login(client, grant(make_user(), commune, Role.resident))
    response = client.post(url, data={"body": "y" * 5001, "parent_id": "1"})
    page = assert_own_page(response, 400, "en")
    assert "y" * 5001 in page and "5000" in page
    assert db.session.scalar(db.select(db.func.count(Comment.id))) == 0
