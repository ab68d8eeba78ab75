"""Local servers for the places component: a geocoder speaking the Base Adresse Nationale API (GeoJSON
over real HTTP, a few real Mulhouse addresses) and a tile server (a tiny PNG per tile). The fixtures point
the app's GEOCODER_URL / MAP_TILE_URL at them for one test."""
from __future__ import annotations

import io
import json
import math
import threading
import time
import unicodedata
from urllib.parse import parse_qs

import pytest
from PIL import Image
from werkzeug.serving import make_server

# label, housenumber, street, lat, lon, type (positions from the BAN, rounded)
MULHOUSE = [
    ("2 Rue Pierre et Marie Curie 68100 Mulhouse", "2", "Rue Pierre et Marie Curie", 47.745565, 7.338539,
     "housenumber"),
    ("Place de la Réunion 68100 Mulhouse", "", "Place de la Réunion", 47.746480, 7.339140, "street"),
    ("10 Avenue du Général Leclerc 68100 Mulhouse", "10", "Avenue du Général Leclerc", 47.741840, 7.342960,
     "housenumber"),
    ("12 Rue du Sauvage 68100 Mulhouse", "12", "Rue du Sauvage", 47.747190, 7.337320, "housenumber"),
    ("5 Rue de la Sinne 68100 Mulhouse", "5", "Rue de la Sinne", 47.747520, 7.335430, "housenumber"),
    ("51 Rue du Jardin Zoologique 68100 Mulhouse", "51", "Rue du Jardin Zoologique", 47.731520, 7.348660,
     "housenumber"),
    ("Rue du Sauvage 68200 Mulhouse", "", "Rue du Sauvage", 47.747600, 7.336900, "street"),
]


def _fold(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return [w for w in "".join(c if c.isalnum() else " " for c in plain).split() if w]


def _feature(entry, score: float) -> dict:
    label, number, street, lat, lon, kind = entry
    postcode = label.split()[-2]
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"label": label, "score": round(score, 4), "housenumber": number or None,
                           "name": f"{number} {street}".strip(), "postcode": postcode, "citycode": "68224",
                           "city": "Mulhouse", "context": "68, Haut-Rhin, Grand Est", "type": kind,
                           "x": 0, "y": 0, "street": street}}


class FakeGeocoder:
    """A WSGI app: /search/?q=&limit=&lat=&lon= and /reverse/?lat=&lon= as the BAN answers them.
    `mode` makes it misbehave: "down" (HTTP 503), "slow" (answers after `delay` s), "garbage" (not JSON)."""

    def __init__(self):
        self.mode = "ok"
        self.delay = 1.0
        self.requests: list[str] = []
        self.url = ""

    def __call__(self, environ, start_response):
        path, query = environ["PATH_INFO"], parse_qs(environ.get("QUERY_STRING", ""))
        self.requests.append(path + "?" + environ.get("QUERY_STRING", ""))
        if self.mode == "down":
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down for maintenance"]
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "garbage":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b"<html>not json"]
        if path == "/search/":
            q = query.get("q", [""])[0]
            if len(q) < 3:
                return self._json(start_response, {"code": 400, "message": "q must contain at least 3 chars"}, 400)
            words = set(_fold(q))
            scored = []
            for entry in MULHOUSE:
                have = set(_fold(entry[0]))
                hits = len(words & have)
                if words and hits == len(words):  # every word typed is in the label
                    scored.append((hits / len(words | have) + 0.3, entry))
            scored.sort(key=lambda pair: -pair[0])
            limit = int(query.get("limit", ["5"])[0])
            features = [_feature(e, min(s, 0.99)) for s, e in scored[:limit]]
        elif path == "/reverse/":
            try:
                lat, lon = float(query["lat"][0]), float(query["lon"][0])
            except (KeyError, ValueError):
                return self._json(start_response, {"code": 400, "message": "lat/lon invalid"}, 400)

            def dist(e):
                return math.hypot(e[3] - lat, (e[4] - lon) * math.cos(math.radians(lat)))
            nearest = min(MULHOUSE, key=dist)
            features = [_feature(nearest, 1.0)] if dist(nearest) < 0.01 else []
        else:
            return self._json(start_response, {"code": 404, "message": "not found"}, 404)
        return self._json(start_response, {"type": "FeatureCollection", "version": "draft",
                                           "features": features, "attribution": "BAN", "licence": "ETALAB-2.0"})

    @staticmethod
    def _json(start_response, body, status=200):
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "application/json; charset=utf-8")])
        return [json.dumps(body).encode()]


class TileServer:
    """/{z}/{x}/{y}.png: a 256×256 PNG, the same tiny one for every tile (what Leaflet asks for is recorded)."""

    def __init__(self):
        out = io.BytesIO()
        Image.new("RGB", (256, 256), (225, 232, 240)).save(out, "PNG")
        self.png = out.getvalue()
        self.requests: list[str] = []
        self.url = ""

    def __call__(self, environ, start_response):
        self.requests.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "image/png"), ("Access-Control-Allow-Origin", "*")])
        return [self.png]


def _serving(wsgi_app):
    """Serve the app on a free port for the session; its `url` attribute says where."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    wsgi_app.url = f"http://127.0.0.1:{server.server_port}"
    yield wsgi_app
    server.shutdown()


@pytest.fixture(scope="session")
def _geocoder_server():
    yield from _serving(FakeGeocoder())


@pytest.fixture(scope="session")
def _tile_server():
    yield from _serving(TileServer())


@pytest.fixture
def geocoder(app, _geocoder_server):
    """The fake BAN geocoder, answering normally, as the app's GEOCODER_URL for this test."""
    _geocoder_server.mode, _geocoder_server.requests = "ok", []
    app.config["GEOCODER_URL"] = _geocoder_server.url
    yield _geocoder_server
    app.config["GEOCODER_URL"] = None
    _geocoder_server.mode = "ok"


@pytest.fixture
def tiles(app, _tile_server):
    """The local tile server as the app's MAP_TILE_URL for this test."""
    _tile_server.requests = []
    app.config["MAP_TILE_URL"] = _tile_server.url + "/{z}/{x}/{y}.png"
    app.config["MAP_TILE_ATTRIBUTION"] = "© Test tiles"
    yield _tile_server
    app.config["MAP_TILE_URL"] = None
    app.config["MAP_TILE_ATTRIBUTION"] = ""
