"""Public pages: the platform home, health, language choice, communes and their processes."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint, Response, abort, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select, text

from . import images, operations
from .errors import DomainError
from .extensions import db
from .models import Commune, PhaseKind, Process, UploadedImage, utcnow
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


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only local paths (else `fallback`): an open redirect would help phishing. Browsers read a
    backslash as a slash, so "/\\evil.example" would leave the site like "//evil.example"; a control
    character (a newline) cannot go in the Location header (it was a 500)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or any(c < " " or c == "\x7f" for c in target):
        return fallback
    return target


@platform_bp.post("/lang")
def set_language():
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang  # this visit only: the account's own language is set on the account page
    return redirect(safe_next(request.form.get("next")))


@commune_bp.get("/theme.css")
def theme():
    c: Commune = g.commune
    css = f":root{{--primary:{c.primary_color};--accent:{c.accent_color}}}\n"
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@commune_bp.get("/images/<filename>")
def image(filename: str):
    """The commune's logo and its processes' images (those of unpublished processes for administrators)."""
    if not images.is_stored_name(filename):
        abort(404)
    row = db.session.scalar(select(UploadedImage).where(UploadedImage.filename == filename,
                                                        UploadedImage.commune_id == g.commune.id))
    if row is None:
        abort(404)
    hidden = db.session.scalar(select(Process.id).where(Process.image_id == row.id, Process.published.is_(False)))
    if hidden and not (current_user.is_authenticated and current_user.has_role(g.commune, "administrator")):
        abort(404)
    path = images.path_of(row.filename, row.kind)
    if path is None:
        abort(404)
    return images.serve(path, row.content_type)


@commune_bp.get("/", endpoint="home")
def commune_home():
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


@platform_bp.route("/communes/new", methods=["GET", "POST"])
@login_required
def new_commune():
    """Platform administrators add a commune; its own administrators then manage it."""
    from .forms import attach_error, commune_form, form_status, language_values
    from .permissions import require_platform_admin

    require_platform_admin(current_user)
    langs = current_app.config["LANGUAGES"]
    form = commune_form(langs, data=None if request.method == "POST" else {
        "primary_color": "#1d4f91", "accent_color": "#a3195b", "languages": ["fr"], "default_language": "fr"})
    if form.validate_on_submit():
        try:
            commune = operations.save_commune(
                current_user, slug=form.slug.data, name=language_values(form, "name", langs),
                description=language_values(form, "description", langs), primary_color=form.primary_color.data,
                accent_color=form.accent_color.data, default_language=form.default_language.data,
                languages=form.languages.data, host=form.host.data, logo=images.read_upload(form.logo.data),
                map_centre=(form.map_latitude.data, form.map_longitude.data),
                districts=form.districts.data.splitlines())
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash(_("The commune is created."), "success")
            return redirect(url_for("communes.home", commune=commune.slug))
    return render_template("participation/new_commune.html", form=form), form_status(form)
