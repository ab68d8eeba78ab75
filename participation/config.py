"""Configuration read from the environment; see the README's configuration table."""
from __future__ import annotations

import os
import secrets
import re
from pathlib import Path

LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")  # trusted in development (no BASE_URL in the environment)


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/ (never committed)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def parse_trusted_hosts(value: str | None, base_url_from_environment: bool) -> list[str] | None:
    """TRUSTED_HOSTS ("a.example, .b.example", or "*" for no check) as Flask's list; BASE_URL's host and the
    communes' are added by participation/hosts.py."""
    entries = [e.strip().lower() for e in re.split(r"[\s,]+", value or "") if e.strip()]
    if "*" in entries:
        return None
    return entries + ([] if base_url_from_environment else list(LOCAL_HOSTS))


def load(instance_path: Path, overrides: dict | None = None) -> dict:
    env = os.environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'participation.sqlite'}"
    # psycopg 3 is the driver; accept the common postgres:// spellings.
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            database_url = "postgresql+psycopg://" + database_url[len(prefix):]
    cfg = {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": env.get("REDIS_URL") or None,
        "RQ_QUEUE": env.get("RQ_QUEUE", "participation"),
        "BASE_URL": env.get("BASE_URL", "http://127.0.0.1:5000"),
        # Host names requests may carry besides BASE_URL's and the communes' (participation/hosts.py).
        "TRUSTED_HOSTS": parse_trusted_hosts(env.get("TRUSTED_HOSTS"), bool(env.get("BASE_URL"))),
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "participation@localhost"),
        "MAIL_OUTBOX_DIR": str(instance_path / "outbox"),
        "BABEL_DEFAULT_LOCALE": "fr",
        "LANGUAGES": ["fr", "en", "de"],
        "RTL_LANGUAGES": ["ar", "he", "fa", "ur"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE")),
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(30 * 1024 * 1024))),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL") or "memory://",
        # Redis away: limits go on with in-process counters (logged), retried now and then; never a 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},  # a hung Redis too
        "RATELIMIT_HEADERS_ENABLED": True,
        "BALLOT_RATE_LIMIT": env.get("BALLOT_RATE_LIMIT", "30 per minute"),  # per account
        "BALLOT_API_LEAN": _bool(env.get("BALLOT_API_LEAN"), True),  # votes/ballot_api.py (PostgreSQL)
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;100 per hour"),
        "CONFIRM_TOKEN_MAX_AGE": int(env.get("CONFIRM_TOKEN_MAX_AGE", str(3 * 24 * 3600))),
        "RESET_TOKEN_MAX_AGE": int(env.get("RESET_TOKEN_MAX_AGE", str(2 * 3600))),
        "INVITATION_MAX_AGE": int(env.get("INVITATION_MAX_AGE", str(14 * 24 * 3600))),  # role invitations
        "UNSUBSCRIBE_TOKEN_MAX_AGE": int(env.get("UNSUBSCRIBE_TOKEN_MAX_AGE", str(400 * 24 * 3600))),
        "MAP_TILE_URL": env.get("MAP_TILE_URL") or None,
        "GEOCODER_URL": env.get("GEOCODER_URL") or None,  # BAN API format, e.g. https://api-adresse.data.gouv.fr
        "GEOCODER_TIMEOUT": float(env.get("GEOCODER_TIMEOUT", "3")),
        "GEOCODER_RATE_LIMIT": env.get("GEOCODER_RATE_LIMIT", "30 per minute;300 per hour"),
        "VOTER_KEY_SECRET": env.get("VOTER_KEY_SECRET") or None,
        "UPLOAD_DIR": env.get("UPLOAD_DIR") or str(instance_path / "uploads"),
        "MAP_TILE_ATTRIBUTION": env.get("MAP_TILE_ATTRIBUTION", ""),  # e.g. "© OpenStreetMap contributors"
        "PROPOSALS_ACTION_RATE_LIMIT": env.get("PROPOSALS_ACTION_RATE_LIMIT", "30 per minute;300 per hour"),
    }
    if overrides:
        cfg.update(overrides)
    from .links import check_setting
    for name in ("BASE_URL", "MAP_TILE_URL", "GEOCODER_URL"):
        check_setting(name, cfg.get(name))
    return cfg
