"""Absolute links for e-mails, exports and notifications, in a request or in a worker: built from
configuration (BASE_URL, or a commune's own host), never from the request's Host header."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, g
from sqlalchemy import select

from .extensions import db
from .models import Commune


def external_url(endpoint: str, **values) -> str:
    """`url_for(endpoint, **values)` as an absolute link on BASE_URL, or on the commune's own host (with
    BASE_URL's scheme) for a commune's pages."""
    app = current_app
    app.inject_url_defaults(endpoint, values)
    base = urlsplit(app.config["BASE_URL"])
    netloc = base.netloc
    if values.get("commune"):
        netloc = _commune_host(values["commune"]) or netloc
    adapter = app.url_map.bind(netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def _commune_host(slug: str) -> str | None:
    cache = g.setdefault("_commune_hosts", {})  # an export builds one link per row
    if slug not in cache:
        cache[slug] = db.session.scalar(select(Commune.host).where(Commune.slug == slug))
    return cache[slug]
