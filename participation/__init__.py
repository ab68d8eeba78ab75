"""Citizen participation platform: the app factory."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, g, jsonify, request
from flask_babel import get_locale

from . import config as config_module
from .extensions import babel, csrf, db, limiter, login_manager, migrate

__version__ = "0.1.0"
ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    instance_path = Path(os.environ.get("INSTANCE_PATH") or ROOT / "instance")
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=False)
    app.config.update(config_module.load(instance_path, overrides))
    from . import hosts
    hosts.install(app)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", os.environ.get("TIMEZONE", "Europe/Paris"))
    logging.basicConfig(level=logging.INFO)
    from . import input as request_input
    app.json = request_input.JSONProvider(app)
    app.url_map.converters["int"] = request_input.IdConverter  # before any route is added
    app.url_value_preprocessor(request_input.refuse_nul_bytes)  # before blueprints load their commune
    app.url_value_preprocessor(request_input.apply_body_limit)  # before the CSRF check reads the form

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    from .i18n import select_locale
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(ROOT / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the login page explains itself

    from . import jobs
    jobs.load_tasks()
    _register_blueprints(app)
    _register_hooks(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .admin_views import bp as admin_bp
    from .notifications.views import bp as notifications_bp
    from .platform_views import bp as platform_admin_bp
    from .views import commune_bp, platform_bp

    for bp in (platform_bp, accounts_bp, commune_bp, admin_bp, notifications_bp, platform_admin_bp):
        app.register_blueprint(bp)
    from . import places
    places.init_app(app)  # shared map picker, geocoding endpoint and map scripts
    for package in ("proposals", "budgets", "votes"):
        module = __import__(f"{package}.views", fromlist=["bp"])
        for bp in getattr(module, "blueprints", [module.bp]):
            app.register_blueprint(bp)
    from votes.results.views import blueprints as results_blueprints  # results and Pabulib interop (issue 6)
    for bp in results_blueprints:
        app.register_blueprint(bp)
    from votes.ballot_api import install as install_ballot_endpoint  # the vote's hot path, before Flask
    install_ballot_endpoint(app)


def _register_hooks(app: Flask) -> None:
    from .html import render_html
    from .i18n import LANGUAGE_NAMES, available_languages, text_direction
    from .security import set_security_headers
    from .tenancy import redirect_commune_host, refuse_untrusted_host

    from .accounts.sessions import load_user
    login_manager.user_loader(load_user)

    @login_manager.unauthorized_handler
    def unauthorized():
        """A script (a JSON request) gets a 401 it can read; a person the login page, and back after."""
        from flask import redirect
        from flask_babel import gettext as _
        from flask_login import login_url

        if request.is_json or request.accept_mimetypes.best == "application/json":
            return jsonify({"error": _("Please log in first.")}), 401
        return redirect(login_url(login_manager.login_view, next_url=request.url))

    # First of all hooks (CSRF's included): a request for a host we do not serve goes no further.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_untrusted_host)
    app.before_request(redirect_commune_host)
    app.after_request(set_security_headers)

    @app.context_processor
    def layout_context():
        locale = str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])
        return {
            "locale": locale,
            "text_dir": text_direction(locale),
            "languages": [(code, LANGUAGE_NAMES.get(code, code)) for code in available_languages()],
            "commune": getattr(g, "commune", None),
        }

    from .hooks import admin_links, phase_name, process_sections
    import flask_babel
    app.jinja_env.globals.update(
        format_datetime=flask_babel.format_datetime, format_date=flask_babel.format_date,
        format_currency=flask_babel.format_currency, format_decimal=flask_babel.format_decimal,
        format_percent=flask_babel.format_percent)
    from .audit import role_name
    app.jinja_env.globals.update(render_html=render_html, phase_name=phase_name, role_name=role_name,
                                 process_sections=process_sections, admin_links=admin_links)

    from . import errorpages
    errorpages.register(app)
