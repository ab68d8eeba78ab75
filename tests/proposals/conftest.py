"""These tests read messages in English (the msgids), whatever the catalogs and the accounts' languages say."""
from __future__ import annotations

import pytest
from flask import g


@pytest.fixture(autouse=True)
def english(app, monkeypatch):
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "en")
    for cached in ("babel_locale", "babel_translations"):
        g.pop(cached, None)
    yield
