"""The commune forms (creation by a platform administrator, settings by the commune's administrators) say on
the form, in the person's language, what the database would refuse, and save nothing."""
from __future__ import annotations

import pytest

from participation.extensions import db
from participation.models import Commune, District, Role

from ..budgets.factories import make_budget
from ..factories import grant, login, make_commune, make_process, make_user

FORM = {"name_fr": "Neuville", "primary_color": "#1d4f91", "accent_color": "#a3195b", "languages": ["fr", "de"],
        "default_language": "fr"}


@pytest.fixture
def platform_admin(client):
    commune = make_commune("ville", districts=("Centre", "Nord"))
    admin = grant(make_user("Admin", platform_admin=True), commune, Role.administrator)
    login(client, admin)
    return commune


@pytest.mark.parametrize("districts, message", [
    ("Centre\nNord\nCentre", "The district “Centre” is listed twice."),
    ("Centre\n  centre  ", "The district “centre” is listed twice."),
    ("Centre\n" + "Quartier " * 20, "is too long (120 characters at most)"),
])
def test_creating_a_commune_with_bad_districts_is_a_form_error(client, platform_admin, districts, message):
    """A district typed twice gave a raw English "Internal Server Error" page (the unique constraint), and
    the form was lost."""
    response = client.post("/communes/new", data={**FORM, "slug": "neuville", "districts": districts})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page and "Neuville" in page  # the form, as typed
    assert db.session.scalar(db.select(Commune.id).where(Commune.slug == "neuville")) is None


def test_the_message_is_in_the_persons_language(client, platform_admin):
    response = client.post("/communes/new", data={**FORM, "slug": "neuville", "districts": "Centre\nCentre"},
                           headers={"Accept-Language": "fr"})
    assert response.status_code == 400 and "Le quartier « Centre » figure deux fois." in response.get_data(as_text=True)


def _settings(commune, **changes):
    return {**FORM, "slug": commune.slug, "name_fr": "Ville", "districts": "Centre\nNord", **changes}


@pytest.mark.parametrize("districts, message", [
    ("Centre\nNord\nNord", "The district “Nord” is listed twice."),
    ("Centre\n" + "x" * 121, "is too long"),
])
def test_commune_settings_refuse_the_same_districts(client, platform_admin, districts, message):
    """The settings form saved a district typed twice without a word (and a name over 120 characters broke
    PostgreSQL's column)."""
    response = client.post("/ville/admin/commune", data=_settings(platform_admin, districts=districts))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert sorted(d.name for d in db.session.scalars(db.select(District))) == ["Centre", "Nord"]


def test_a_district_with_its_own_budget_cannot_be_removed(client, platform_admin):
    """Budgets refer to their district with ON DELETE RESTRICT: removing it was a 500 on PostgreSQL."""
    nord = next(d for d in platform_admin.districts if d.name == "Nord")
    make_budget(make_process(platform_admin, slug="p"), name="Nord", district=nord)
    response = client.post("/ville/admin/commune", data=_settings(platform_admin, districts="Centre\nSud"))
    assert response.status_code == 400 and "“Nord” has its own budget" in response.get_data(as_text=True)
    db.session.expire_all()
    assert sorted(d.name for d in db.session.scalars(db.select(District))) == ["Centre", "Nord"]
    # Another district may go.
    assert client.post("/ville/admin/commune", data=_settings(platform_admin, districts="Nord\nSud")).status_code == 302
    db.session.expire_all()
    assert sorted(d.name for d in db.session.scalars(db.select(District))) == ["Nord", "Sud"]


def test_a_host_name_used_by_another_commune_is_a_form_error(client, platform_admin):
    other = make_commune("autre")
    other.host = "autre.example"
    db.session.commit()
    response = client.post("/ville/admin/commune", data=_settings(platform_admin, host="autre.example"))
    assert response.status_code == 400 and "Another commune already uses this host name." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Commune, platform_admin.id).host is None
