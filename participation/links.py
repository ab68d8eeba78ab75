"""Typed links: only http(s) addresses (or, where a page of this site is meant, a path on it).

Every field where a person types an address, and every URL setting, goes through these checks, so
`javascript:`, `data:`, `//other.host` and look-alikes never reach a page.
"""
from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError


def _has_controls(value: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") or c.isspace() for c in value)


def is_web_url(value: str | None) -> bool:
    """An absolute http:// or https:// address with a host (no spaces or control characters)."""
    if not value or _has_controls(value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "\\" not in value


def is_local_path(value: str | None) -> bool:
    """A path on this site ("/..."): not "//host" or "/\\host", which browsers read as another site."""
    if not value or _has_controls(value) or "\\" in value:
        return False
    return value.startswith("/") and not value.startswith("//")


def site_path(value: str | None, base_url: str) -> str | None:
    """The path of an address on this site: a local path as is, or an http(s) address on BASE_URL's host
    reduced to its path. None for anything else (another site, another scheme)."""
    value = (value or "").strip()
    if is_local_path(value):
        return value
    if is_web_url(value) and urlsplit(value).hostname == urlsplit(base_url).hostname:
        parts = urlsplit(value)
        path = parts.path or "/"
        return path + (f"?{parts.query}" if parts.query else "")
    return None


class WebURL:
    """WTForms validator: empty, or an http(s) address (`local=True` also accepts a path on this site)."""

    def __init__(self, local: bool = False, message=None):
        self.local = local
        self.message = message

    def __call__(self, form, field):
        value = (field.data or "").strip()
        if not value or is_web_url(value) or (self.local and is_local_path(value)):
            return
        raise ValidationError(self.message or _l("Enter an address starting with https:// or http://."))


def check_setting(name: str, value: str | None) -> None:
    """At start-up: a URL setting must be an http(s) address (a clear error names the variable)."""
    if value and not is_web_url(value.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0")
                                .replace("{y}", "0").replace("{r}", "")):
        raise ValueError(f"{name} must be an http:// or https:// address, not {value!r}")
