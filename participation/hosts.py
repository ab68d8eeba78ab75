"""Which host names this platform answers on: Flask's TRUSTED_HOSTS.

A request's Host header is the visitor's to write: links built from it (a password-reset link in an
e-mail, say) would point wherever an attacker likes. So absolute links come from configuration only
(participation/urls.py), and requests for any other host are refused with a 400 before a view runs.
The trusted hosts are BASE_URL's, the TRUSTED_HOSTS variable's (".example.org" accepts its sub-domains;
"*" turns the check off) and the communes' own hosts, read from the database: a change made by this
process applies at once, one made elsewhere within HOSTS_REFRESH seconds. Without BASE_URL in the
environment (development), localhost and 127.0.0.1 are trusted too (config.py).
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Collection, Iterator
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from .extensions import db
from .models import Commune

log = logging.getLogger(__name__)
HOSTS_REFRESH = 30.0  # seconds before a process re-reads the communes' hosts
_HOSTNAME = re.compile(r"(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
_generation = 0  # bumped when a commune's host changes in this process: every TrustedHosts re-reads


def base_host(config) -> str:
    return (urlsplit(config["BASE_URL"]).hostname or "").lower()


class TrustedHosts(Collection):
    """Flask's TRUSTED_HOSTS (werkzeug iterates it on every request): BASE_URL's host, the configured
    ones, then the communes' own hosts, cached per process."""

    def __init__(self, app: Flask, configured: list[str]):
        self.app, self.configured = app, list(configured)
        self._communes: tuple[str, ...] = ()
        self._loaded_at, self._loaded_generation = float("-inf"), -1
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[str]:
        yield base_host(self.app.config)
        yield from self.configured
        yield from self.communes()

    def __len__(self) -> int:
        return 1 + len(self.configured) + len(self.communes())

    def __contains__(self, host: object) -> bool:
        return host in list(self)

    def platform_hosts(self) -> set[str]:
        """The names the platform itself answers on: no commune may take one."""
        return {base_host(self.app.config), *(h for h in self.configured if not h.startswith("."))}

    def communes(self) -> tuple[str, ...]:
        if self._loaded_generation != _generation or time.monotonic() - self._loaded_at > HOSTS_REFRESH:
            with self._lock:
                if self._loaded_generation != _generation or time.monotonic() - self._loaded_at > HOSTS_REFRESH:
                    self._load()
        return self._communes

    def _load(self) -> None:
        generation = _generation
        try:
            # Its own context and session: this runs before the request's context exists.
            with self.app.app_context():
                self._communes = tuple(db.session.scalars(select(Commune.host).where(Commune.host.is_not(None))))
        except Exception:  # noqa: BLE001 - the database away: keep the last list, try again next time
            log.warning("could not read the communes' host names; keeping the previous list", exc_info=True)
        self._loaded_at, self._loaded_generation = time.monotonic(), generation


def install(app: Flask) -> None:
    """Wrap the configured list (from config.load) into the live one; None (the "*" setting) stays off."""
    configured = app.config.get("TRUSTED_HOSTS")
    if configured is not None and not isinstance(configured, TrustedHosts):
        app.config["TRUSTED_HOSTS"] = TrustedHosts(app, configured)


def platform_hosts() -> set[str]:
    trusted = current_app.config.get("TRUSTED_HOSTS")
    if isinstance(trusted, TrustedHosts):
        return trusted.platform_hosts()
    return {base_host(current_app.config), *(h for h in (trusted or []) if not h.startswith("."))}


def normalise_host(value: str | None) -> str | None:
    """A host name as typed ("Participez.Ville.fr", "https://participez.ville.fr/") in its stored form
    (lower case, IDNA-encoded, no scheme, port or path), or None when empty. ValueError if not a host name."""
    value = (value or "").strip().lower()
    if not value:
        return None
    if "://" in value:
        value = urlsplit(value).hostname or ""
    value = value.rstrip("/").rstrip(".")
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(value)
    if not _HOSTNAME.fullmatch(value):
        raise ValueError(value)
    return value


@event.listens_for(Session, "after_flush")
def _note_host_changes(session, _flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Commune) and (obj in session.new or obj in session.deleted
                                         or inspect(obj).attrs.host.history.has_changes()):
            session.info["commune_hosts_changed"] = True


@event.listens_for(Session, "after_commit")
def _refresh_after_commit(session) -> None:
    global _generation
    if session.info.pop("commune_hosts_changed", False):
        _generation += 1


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session) -> None:
    session.info.pop("commune_hosts_changed", None)
