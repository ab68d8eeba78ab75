"""Error pages: every error (4xx, 5xx, refused actions, unhandled exceptions) is the platform's own page,
in the visitor's language and inside the layout; JSON clients get JSON.

The page must render even when the error came from the database (a failed transaction, the database
gone): the session is rolled back first, and if the layout still cannot be rendered (it reads the
signed-in person and the commune), the page is rendered again as for an anonymous visitor outside any
commune, which needs no database at all. Werkzeug's bare English page is never shown.
"""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from .errors import DomainError
from .extensions import db, login_manager

log = logging.getLogger(__name__)


def _titles() -> dict[int, str]:
    return {
        400: _("Invalid request"), 401: _("Please log in"), 403: _("Not allowed"), 404: _("Page not found"),
        405: _("Method not allowed"), 409: _("Not possible now"), 413: _("Too large"),
        415: _("Invalid request"), 429: _("Too many attempts"), 500: _("Server error"),
        503: _("Service unavailable"),
    }


def _title(status: int) -> str:
    return _titles().get(status) or (_("Server error") if status >= 500 else _("Invalid request"))


def error_page(status: int, message=None):
    """The response for an error: the page (or JSON) with `status`."""
    try:
        db.session.rollback()  # a refused or failed action changes nothing, and the page may need the database
    except Exception:  # noqa: BLE001 - the database is gone: the page is rendered without it below
        log.warning("rollback failed while rendering an error page", exc_info=True)
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify({"error": _title(status), "message": str(message or "")}), status
    context = {"status": status, "title": _title(status), "message": message,
               "body_limit": request.max_content_length if status == 413 else None}
    try:
        return render_template("participation/error.html", **context), status
    except Exception:  # noqa: BLE001 - e.g. the database is down: render it without what needs it
        log.exception("error page: rendering again without the signed-in person and the commune")
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001
            pass
        g.commune = None
        g._login_user = login_manager.anonymous_user()  # Flask-Login reads the person from here
        return render_template("participation/error.html", **context), status


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return error_page(exc.status, exc.message)

    @app.errorhandler(SecurityError)
    def untrusted_host(exc):
        """A Host this platform does not serve (hosts.py): a plain answer, since no link can be built."""
        return _("This site is not served at this address."), 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_page(400, _("The form has expired or was not sent from this site. Please try again."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        """Every HTTP error, and unhandled exceptions when they are not propagated (production): Flask
        logs those and hands them here as a 500. Werkzeug's descriptions are English and technical, so
        they are not shown: a message for people comes with a DomainError."""
        body, status = error_page(exc.code or 500)
        response = app.make_response((body, status))
        for name, value in exc.get_headers():
            if name.lower() != "content-type":  # e.g. Allow on a 405, WWW-Authenticate
                response.headers[name] = value
        return response
