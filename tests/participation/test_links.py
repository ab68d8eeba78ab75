"""Typed addresses: only http(s) (or a path on this site where one is meant), in forms and settings."""
from __future__ import annotations

import pytest

from participation import config
from participation.links import is_local_path, is_web_url, site_path

BAD = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:image/png;base64,AAAA",
       "vbscript:x", "file:///etc/passwd", "ftp://example.org/x", "//evil.example/x.png", "/\\evil.example/x.png",
       "https:///nohost", "https://exa mple.org/", "https://example.org:99999999/", "https://example.org/\x00",
       "https://example.org/\u202ex", "http:evil.example", ""]


@pytest.mark.parametrize("value", BAD)
def test_only_http_and_https_addresses_pass(value):
    assert not is_web_url(value)
    assert site_path(value, "https://participation.example.org") is None


def test_good_addresses():
    for value in ("https://example.org/logo.png", "http://example.org", "HTTPS://EXAMPLE.ORG/a?b=c"):
        assert is_web_url(value)
    assert is_local_path("/ville/images/a.png") and not is_local_path("ville/a.png")
    base = "https://participation.example.org"
    assert site_path("https://participation.example.org/static/a.png?v=2", base) == "/static/a.png?v=2"
    assert site_path("https://elsewhere.example.org/static/a.png", base) is None
    assert site_path("/static/a.png", base) == "/static/a.png"


@pytest.mark.parametrize("name", ["MAP_TILE_URL", "GEOCODER_URL", "BASE_URL"])
def test_url_settings_must_be_http_or_https(tmp_path, monkeypatch, name):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv(name, "javascript:alert(1)")
    with pytest.raises(ValueError, match=name):
        config.load(tmp_path)
    good = {"MAP_TILE_URL": "https://{s}.tile.example.org/{z}/{x}/{y}.png",
            "GEOCODER_URL": "https://api-adresse.data.gouv.fr", "BASE_URL": "http://127.0.0.1:5000"}[name]
    monkeypatch.setenv(name, good)
    assert config.load(tmp_path)[name] == good


def test_the_form_validator(app):
    from flask_wtf import FlaskForm
    from werkzeug.datastructures import MultiDict
    from wtforms import StringField

    from participation.links import WebURL

    class Form(FlaskForm):
        site = StringField("Site", validators=[WebURL()])
        page = StringField("Page", validators=[WebURL(local=True)])

    with app.test_request_context():
        for site, page, ok in (("https://asso.example.org", "/ville/", True), ("", "", True),
                               ("javascript:alert(1)", "", False), ("", "//evil.example", False)):
            form = Form(MultiDict({"site": site, "page": page}), meta={"csrf": False})
            assert form.validate() is ok, (site, page)
        assert form.errors == {"page": ["Enter an address starting with https:// or http://."]}
