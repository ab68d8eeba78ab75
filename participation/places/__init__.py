"""Places: one shared component for anything located in a commune (proposals today; reports in public
space and project deliveries next). See "Places component" in the README.

- models.PlaceMixin + place_constraints(): `address`, `latitude`, `longitude` columns and their CHECKs;
  `Model.in_box(BoundingBox)` and `Model.near(session, lat, lon, metres)` for "open reports within 50 m".
- forms.PlaceFields + forms.settle(form, near): the form fields and the no-JavaScript address search.
- templates/places/_picker.html `place_picker(form)`: the fieldset (address, search, candidates, map, point);
  `_map.html` `numbered_map(layout)` + `marker_data(marker, title, url)`: a map of numbered places that
  stays an accessible list; `places_head()` in both for the stylesheets.
- geocoder.search()/reverse(): server-side calls to GEOCODER_URL (BAN format), short timeout.
- views: GET /places/search?q=&lat=&lon= and /places/reverse?lat=&lon= (JSON, rate-limited), and the
  static files: Leaflet 1.9.4 (vendored from its npm package, BSD-2-Clause), picker.js, map.js.
"""
from __future__ import annotations

from flask import current_app, g

from .geo import BoundingBox, distance_m, valid_point  # noqa: F401 - public API
from .models import PlaceMixin, place_constraints  # noqa: F401 - public API

LEAFLET_VERSION = "1.9.4"


def commune_centre(commune=None) -> tuple[float, float] | None:
    """Where a commune's maps start and which results the address search prefers."""
    commune = commune if commune is not None else getattr(g, "commune", None)
    lat, lon = getattr(commune, "map_latitude", None), getattr(commune, "map_longitude", None)
    return (lat, lon) if lat is not None and lon is not None else None


def map_settings() -> dict:
    """What the picker and the maps need from the configuration (a Jinja global)."""
    cfg = current_app.config
    centre = commune_centre()
    return {"tiles": cfg.get("MAP_TILE_URL") or "", "attribution": cfg.get("MAP_TILE_ATTRIBUTION") or "",
            "geocoder": bool(cfg.get("GEOCODER_URL")), "centre": centre, "leaflet": LEAFLET_VERSION}


def init_app(app) -> None:
    from .views import bp

    app.register_blueprint(bp)
    app.jinja_env.globals["map_settings"] = map_settings
