import pytest

from participation.extensions import db
from participation.models import Process, Role

from ..html_checks import assert_inert
from ..factories import grant, login, make_commune, make_process, make_user


def test_security_headers_on_every_page(client):
    make_commune("ville")
    for url in ["/", "/ville/", "/account/login", "/does-not-exist"]:
        r = client.get(url)
        csp = r.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_no_inline_script_or_style_in_pages(client):
    commune = make_commune("ville")
    make_process(commune, slug="p")
    for url in ["/", "/ville/", "/ville/processes/p/", "/account/signup"]:
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and "<style" not in html, url


def test_csrf_is_required_on_posts(client, csrf):
    commune = make_commune("ville")
    admin = grant(make_user(), commune, Role.administrator)
    r = client.post("/account/login", data={"email": admin.email, "password": "x"})
    assert r.status_code == 400 and "expired" in r.get_data(as_text=True).lower() or "expir" in r.get_data(as_text=True)
    assert client.post("/lang", data={"lang": "en"}).status_code == 400
    assert client.post("/account/logout").status_code == 400


def test_forms_render_a_csrf_token(client, csrf):
    html = client.get("/account/signup").get_data(as_text=True)
    assert 'name="csrf_token"' in html


def test_session_cookie_flags(app, client):
    make_user("Ivan", email="ivan@example.org")
    from ..factories import PASSWORD
    r = client.post("/account/login", data={"email": "ivan@example.org", "password": PASSWORD})
    cookie = r.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_open_redirect_is_refused(client):
    for target in ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "/\\evil.example/"]:
        r = client.post("/lang", data={"lang": "en", "next": target})
        assert r.location == "/", target
    r = client.post("/lang", data={"lang": "xx", "next": "/"})
    assert r.status_code == 400


XSS = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<a href="javascript:alert(1)">x</a>',
       '<svg onload=alert(1)>', '"><script>alert(1)</script>', '<iframe src="//evil"></iframe>']


@pytest.mark.parametrize("payload", XSS)
def test_process_fields_are_inert(client, payload):
    commune = make_commune("ville")
    login(client, grant(make_user(), commune, Role.administrator))
    r = client.post("/ville/admin/processes/new", data={"slug": "p", "title_fr": payload, "description_fr": payload})
    assert r.status_code == 302
    for url in ["/ville/processes/p/", "/ville/processes/", "/ville/", "/ville/admin/"]:
        assert_inert(client.get(url).get_data(as_text=True), url)
    assert db.session.scalar(db.select(db.func.count(Process.id))) == 1


def test_overlong_request_body_is_refused(app, client):
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        assert client.post("/account/login", data={"email": "a" * 5000}).status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
