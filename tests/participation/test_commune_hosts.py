"""A commune's own host name is set by platform administrators only, never to the platform's own name or
another commune's, with a form error (not a 500) when refused."""
from __future__ import annotations

import pytest

from participation import operations
from participation.errors import PermissionDenied
from participation.extensions import db
from participation.models import Commune, Role

from ..factories import grant, login, make_commune, make_user

FORM = {"slug": "ville", "name_fr": "Ville", "primary_color": "#1d4f91", "accent_color": "#a3195b",
        "languages": ["fr", "en"], "default_language": "fr", "districts": ""}


@pytest.fixture
def platform(app):
    """The platform on its production address."""
    old = app.config["BASE_URL"]
    app.config["BASE_URL"] = "https://participation.example.org"
    yield
    app.config["BASE_URL"] = old


def _host(slug: str) -> str | None:
    db.session.expire_all()
    return db.session.scalar(db.select(Commune.host).where(Commune.slug == slug))


def test_a_commune_administrator_cannot_take_the_platforms_front_page(app, client, platform):
    commune = make_commune("ville")
    login(client, grant(make_user(), commune, Role.administrator))
    page = client.get("/ville/admin/commune").get_data(as_text=True)
    assert 'name="host"' not in page  # shown, not editable
    response = client.post("/ville/admin/commune", data={**FORM, "host": "participation.example.org"})
    assert response.status_code in (302, 400, 403)
    assert _host("ville") is None
    response = client.get("/", base_url="https://participation.example.org")
    assert response.status_code == 200 and "/ville/" not in (response.location or "")  # still the platform home
    with pytest.raises(PermissionDenied):
        operations.save_commune(_admin_of(commune), slug="ville", name={"fr": "Ville"}, description={},
                                primary_color="#1d4f91", accent_color="#a3195b", default_language="fr",
                                languages=["fr"], host="ville.example", commune=commune)
    assert _host("ville") is None


def _admin_of(commune):
    from participation.models import Membership, User
    return db.session.scalar(db.select(User).join(Membership).where(
        Membership.commune_id == commune.id, Membership.role == Role.administrator))


def test_commune_administrators_keep_their_host_when_saving_settings(app, client, platform):
    commune = make_commune("ville")
    commune.host = "participez.ville.example"
    db.session.commit()
    login(client, grant(make_user(), commune, Role.administrator))
    page = client.get("/ville/admin/commune").get_data(as_text=True)
    assert "participez.ville.example" in page
    assert client.post("/ville/admin/commune", data={**FORM, "name_fr": "Ville 2"}).status_code == 302
    assert _host("ville") == "participez.ville.example"


@pytest.mark.parametrize("host, message", [
    ("participation.example.org", "platform"),
    ("PARTICIPATION.example.org.", "platform"),
    ("https://participation.example.org/", "platform"),
    ("localhost", "host name"),
    ("taken.example", "Another commune"),
    ("TAKEN.example", "Another commune"),
    ("not a host", "host name"),
    ("evil.example/path?x", "host name"),
])
def test_platform_administrators_get_a_form_error_for_a_host_that_is_not_free(app, client, platform, host, message):
    other = make_commune("autre")
    other.host = "taken.example"
    make_commune("ville")
    db.session.commit()
    login(client, make_user(platform_admin=True))
    response = client.post("/ville/admin/commune", data={**FORM, "host": host})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'id="host-error"' in html
    assert _host("ville") is None and _host("autre") == "taken.example"
    new = client.post("/communes/new", data={**FORM, "slug": "nouvelle", "host": host})
    assert new.status_code == 400 and message in new.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Commune.id))) == 2


def test_platform_administrators_set_a_free_host_in_its_plain_form(app, client, platform):
    make_commune("ville")
    login(client, make_user(platform_admin=True))
    response = client.post("/ville/admin/commune", data={**FORM, "host": "HTTPS://Participez.Ville.Example/"})
    assert response.status_code == 302
    assert _host("ville") == "participez.ville.example"
    landing = client.get("/", base_url="https://participez.ville.example")
    assert landing.status_code == 302 and landing.location.endswith("/ville/")
    assert client.post("/ville/admin/commune", data={**FORM, "host": ""}).status_code == 302
    assert _host("ville") is None
