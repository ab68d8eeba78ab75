"""Security headers on every response."""
from __future__ import annotations

from flask import current_app


def set_security_headers(response):
    tiles = current_app.config.get("MAP_TILE_URL")
    img_src = "'self' data:"
    if tiles:
        from urllib.parse import urlsplit
        parts = urlsplit(tiles.replace("{s}", "*"))  # {s} is the tile server's sub-domain
        img_src += f" {parts.scheme}://{parts.netloc}"
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + img_src + "; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
