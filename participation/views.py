"""Public pages: the platform home, health, language choice, communes and their processes."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, g, jsonify, redirect, render_template, request, session
from flask_login import current_user
from sqlalchemy import select, text

from . import operations
from .extensions import db
from .models import Commune, PhaseKind, utcnow
from .tenancy import commune_blueprint

platform_bp = Blueprint("platform", __name__)
commune_bp = commune_blueprint("communes", __name__)


@platform_bp.get("/")
def home():
    communes = db.session.scalars(select(Commune).order_by(Commune.slug)).all()
    return render_template("participation/home.html", communes=communes)


@platform_bp.get("/healthz")
def healthz():
    status, body = 200, {"status": "ok", "db": "ok", "queue": "inline"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "down"
        db.session.rollback()
        status, body["status"], body["db"] = 503, "down", "down"
    if current_app.config.get("REDIS_URL"):
        from .jobs import queue
        try:
            queue().connection.ping()
            body["queue"] = "ok"
        except Exception:  # noqa: BLE001
            body["queue"] = "down"
    return jsonify(body), status


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would help phishing."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@platform_bp.post("/lang")
def set_language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated and current_user.locale != lang:
        current_user.locale = lang
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@commune_bp.get("/theme.css")
def theme():
    c: Commune = g.commune
    css = f":root{{--primary:{c.primary_color};--accent:{c.accent_color}}}\n"
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@commune_bp.get("/")
def home():
    processes = operations.list_processes(g.commune)
    return render_template("participation/commune.html", processes=processes, now=utcnow())


@commune_bp.get("/processes/")
def processes():
    return render_template("participation/processes.html",
                           processes=operations.list_processes(g.commune), now=utcnow())


@commune_bp.get("/processes/<slug>/")
def process(slug: str):
    include = current_user.is_authenticated and current_user.has_role(g.commune, "administrator")
    proc = operations.get_process(g.commune, slug, include_unpublished=include)
    return render_template("participation/process.html", process=proc, now=utcnow(), PhaseKind=PhaseKind)
