from sqlalchemy import create_engine

from participation.extensions import db

from ..conftest import REDIS_URL
from ..factories import make_commune, make_process


def test_healthz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json == {"status": "ok", "db": "ok", "queue": "ok" if REDIS_URL else "inline"}


def test_healthz_503_when_database_unreachable(app, client, monkeypatch):
    broken = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    monkeypatch.setitem(db.engines, None, broken)  # point the app at a closed port, like a dead server
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json["db"] == "down"


def test_healthz_reports_queue_down(app, client):
    old = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions.pop("participation_redis", None)
    try:
        r = client.get("/healthz")
        assert r.status_code == 200 and r.json["queue"] == "down"
    finally:
        app.config["REDIS_URL"] = old
        app.extensions.pop("participation_redis", None)


def test_french_by_default_and_switchable(client):
    make_commune("ville")
    html = client.get("/", headers={"Accept-Language": ""}).get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html and "Se connecter" in html and "Toutes les communes" in html
    client.post("/lang", data={"lang": "de", "next": "/"})
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="de"' in html and "Anmelden" in html
    client.post("/lang", data={"lang": "en", "next": "/"})
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_browser_language_is_honoured_among_the_commune_languages(client):
    make_commune("ville", languages=("fr", "de"))
    assert '<html lang="de"' in client.get("/ville/", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr"' in client.get("/ville/", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert '<html lang="fr"' in client.get("/ville/", headers={"Accept-Language": ""}).get_data(as_text=True)


def test_translated_titles_fall_back_to_the_commune_language(client):
    commune = make_commune("ville")
    process = make_process(commune, slug="p")
    process.title = {"fr": "Titre français"}
    db.session.commit()
    client.post("/lang", data={"lang": "de", "next": "/"})
    assert "Titre français" in client.get("/ville/processes/p/").get_data(as_text=True)


def test_right_to_left_direction(app):
    from participation.i18n import text_direction
    with app.test_request_context():
        assert text_direction("ar") == "rtl" and text_direction("fr") == "ltr"


def test_home_page_is_small(client):
    commune = make_commune("ville")
    make_process(commune)
    html = client.get("/").get_data()
    css = client.get("/static/app.css").get_data()
    assert len(html) + len(css) < 30 * 1024, len(html) + len(css)
