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


def refuse_untrusted_host():
    """Flask found the Host untrusted while routing (TRUSTED_HOSTS, hosts.py); say so before anything runs."""
    from werkzeug.exceptions import SecurityError

    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception


def redirect_commune_host():
    """A commune served on its own host lands on its pages when visiting the root."""
    if request.path != "/":
        return None
    host = request.host.split(":")[0].lower()
    slug = db.session.scalar(select(Commune.slug).where(Commune.host == host))
    if slug:
        return redirect(f"/{slug}/")
    return None


def process_blueprint(name: str, import_name: str, url_prefix: str = "", **kwargs) -> Blueprint:
    """A commune blueprint under /processes/<process>/...: also loads g.process (unpublished ones only
    for the commune's administrators, who prepare them)."""
    bp = commune_blueprint(name, import_name, url_prefix="/processes/<process>" + url_prefix, **kwargs)

    @bp.url_value_preprocessor
    def load_process(endpoint, values):
        from flask_login import current_user

        from .models import Role
        from .operations import get_process

        slug = (values or {}).pop("process", None)
        include = current_user.is_authenticated and current_user.has_role(g.commune, Role.administrator)
        g.process = get_process(g.commune, slug, include_unpublished=include)

    @bp.url_defaults
    def add_process(endpoint, values):
        if "process" not in values and getattr(g, "process", None) is not None:
            values["process"] = g.process.slug

    return bp


def staff_blueprint(name: str, import_name: str, url_prefix: str, roles: tuple, **kwargs) -> Blueprint:
    """A commune blueprint whose every page needs a login and one of `roles` in that commune (the
    operations check again: this only keeps others out of the pages)."""
    bp = commune_blueprint(name, import_name, url_prefix=url_prefix, **kwargs)

    @bp.before_request
    def staff_only():
        from flask_login import current_user

        from .permissions import require_role

        if not current_user.is_authenticated:
            from flask import current_app
            return current_app.login_manager.unauthorized()
        require_role(current_user, g.commune, *roles)
        return None

    return bp
