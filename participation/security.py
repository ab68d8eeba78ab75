"""Security headers on every response."""
from __future__ import annotations

from flask import current_app


def security_headers(config) -> list[tuple[str, str]]:
    """The headers every response carries (also sent by the lean ballot endpoint, votes/ballot_api.py)."""
    tiles = config.get("MAP_TILE_URL")
    img_src = "'self' data:"
    if tiles:
        from urllib.parse import urlsplit
        parts = urlsplit(tiles.replace("{s}", "*"))  # {s} is the tile server's sub-domain
        img_src += f" {parts.scheme}://{parts.netloc}"
    headers = [
        ("Content-Security-Policy",
         "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + img_src + "; "
         "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "geolocation=(), camera=(), microphone=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if config.get("SESSION_COOKIE_SECURE"):
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return headers


def set_security_headers(response):
    for name, value in security_headers(current_app.config):
        response.headers.setdefault(name, value)
    return response
