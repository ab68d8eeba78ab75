"""Communes as tenants: every commune page lives under /<commune>/ and loads g.commune."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request
from sqlalchemy import select

from .extensions import db
from .models import Commune


def commune_blueprint(name: str, import_name: str, url_prefix: str = "", **kwargs) -> Blueprint:
    """A blueprint whose routes are scoped to one commune, loaded from the URL's first segment."""
    bp = Blueprint(name, import_name, url_prefix="/<commune>" + url_prefix, **kwargs)

    @bp.url_value_preprocessor
    def load_commune(endpoint, values):
        slug = (values or {}).pop("commune", None)
        commune = db.session.scalar(select(Commune).where(Commune.slug == slug))
        if commune is None:
            abort(404)
        g.commune = commune

    @bp.url_defaults
    def add_commune(endpoint, values):
        if "commune" not in values and getattr(g, "commune", None) is not None:
            values["commune"] = g.commune.slug

    return bp


def redirect_commune_host():
    """A commune served on its own host lands on its pages when visiting the root."""
    if request.path != "/":
        return None
    host = request.host.split(":")[0].lower()
    slug = db.session.scalar(select(Commune.slug).where(Commune.host == host))
    if slug:
        return redirect(f"/{slug}/")
    return None
