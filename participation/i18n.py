"""Language selection: the visitor's choice, then their account, the commune, the browser, French."""
from __future__ import annotations

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user


def available_languages() -> list[str]:
    commune = getattr(g, "commune", None)
    langs = current_app.config["LANGUAGES"]
    if commune is not None and commune.languages:
        allowed = [lang for lang in commune.languages if lang in langs]
        return allowed or langs
    return langs


def select_locale() -> str:
    langs = current_app.config["LANGUAGES"]
    if not has_request_context():  # jobs and the CLI: callers use force_locale() for a person's language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in langs:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in langs:
        return current_user.locale
    commune = getattr(g, "commune", None)
    best = request.accept_languages.best_match(available_languages())
    if best:
        return best
    if commune is not None and commune.default_language in langs:
        return commune.default_language
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def text_direction(locale: str) -> str:
    return "rtl" if locale.split("_")[0] in current_app.config["RTL_LANGUAGES"] else "ltr"


LANGUAGE_NAMES = {"fr": "Français", "en": "English", "de": "Deutsch", "ar": "العربية"}
