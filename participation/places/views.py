"""Our own small geocoding endpoint (the browser never calls the geocoder) and the component's static files."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_babel import ngettext

from participation.extensions import limiter

from . import geocoder
from .geo import valid_point

bp = Blueprint("places", __name__, url_prefix="/places", template_folder="templates",
               static_folder="static", static_url_path="/static")


def _limit() -> str:
    return current_app.config.get("GEOCODER_RATE_LIMIT", "30 per minute;300 per hour")


def _point(lat_name: str = "lat", lon_name: str = "lon") -> tuple[float, float] | None:
    try:
        lat, lon = float(request.args.get(lat_name, "")), float(request.args.get(lon_name, ""))
    except ValueError:
        return None
    return (lat, lon) if valid_point(lat, lon) else None


def _not_offered():
    """No geocoder configured: the search is not a feature of this site (not an outage)."""
    return jsonify({"error": _("The address search is not offered on this site. You can place the point on "
                               "the map, or type the address.")}), 404


def _unavailable():
    return jsonify({"error": _("The address search is not available right now. You can place the point "
                               "on the map, or type the address without searching.")}), 503


def _answer(found: list) -> dict:
    message = ngettext("%(num)s address found.", "%(num)s addresses found.", len(found)) if found else \
        _("No address matches. Correct it, or keep it as typed.")
    return {"results": [c.as_json() for c in found], "message": message}


@bp.get("/search")
@limiter.limit(_limit)
def search():
    if not geocoder.enabled():
        return _not_offered()
    query = geocoder.clean_query(request.args.get("q"))
    if query is None:
        return jsonify({"error": _("Type between %(min)s and %(max)s characters, starting with a letter or a "
                                   "digit.", min=geocoder.MIN_QUERY, max=geocoder.MAX_QUERY)}), 400
    try:
        found = geocoder.search(query, near=_point())
    except geocoder.GeocoderUnavailable:
        return _unavailable()
    return jsonify(_answer(found))


@bp.get("/reverse")
@limiter.limit(_limit)
def reverse():
    if not geocoder.enabled():
        return _not_offered()
    point = _point()
    if point is None:
        return jsonify({"error": _("Give a latitude between -90 and 90 and a longitude between -180 and 180.")}), 400
    try:
        found = geocoder.reverse(*point)
    except geocoder.GeocoderUnavailable:
        return _unavailable()
    return jsonify(_answer([found] if found else []))
