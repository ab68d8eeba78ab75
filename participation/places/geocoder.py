"""Server-side address search through a geocoder speaking the Base Adresse Nationale API.

`GEOCODER_URL` (e.g. https://api-adresse.data.gouv.fr) answers `/search/?q=` and `/reverse/?lon=&lat=` with
GeoJSON FeatureCollections whose features carry `properties.label`, `score`, `postcode`, `city`. Browsers
never call it: our own endpoint (views.py) and the no-JavaScript form path do, so the CSP stays strict and
a slow or broken geocoder costs at most `GEOCODER_TIMEOUT` seconds and a clear message.
"""
from __future__ import annotations

import json
import logging
import unicodedata
from dataclasses import asdict, dataclass
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from flask import current_app

from .geo import valid_point

log = logging.getLogger(__name__)
MAX_RESPONSE_BYTES = 1_000_000
MIN_QUERY, MAX_QUERY = 3, 200  # the BAN refuses shorter or longer queries


class GeocoderUnavailable(Exception):
    """The geocoder is not configured, did not answer in time, or answered something unreadable."""


@dataclass(frozen=True)
class Candidate:
    label: str
    latitude: float
    longitude: float
    score: float | None = None
    postcode: str = ""
    city: str = ""
    kind: str = ""  # BAN's type: housenumber, street, locality, municipality

    def as_json(self) -> dict:
        return asdict(self)


def clean_query(text: str | None) -> str | None:
    """The query as the BAN accepts it (3 to 200 characters, starting with a letter or a digit, no
    control characters), or None."""
    text = " ".join("".join(c for c in (text or "") if unicodedata.category(c) != "Cc").split())
    return text if MIN_QUERY <= len(text) <= MAX_QUERY and text[0].isalnum() else None


def enabled() -> bool:
    return bool(current_app.config.get("GEOCODER_URL"))


def search(query: str, *, near: tuple[float, float] | None = None, limit: int = 5) -> list[Candidate]:
    """Addresses matching `query`, best first; `near` (lat, lon) favours results close to it."""
    query = clean_query(query)
    if query is None:
        return []
    params = {"q": query, "limit": str(max(1, min(limit, 10)))}
    if near is not None and valid_point(*near):
        params.update(lat=f"{near[0]:.6f}", lon=f"{near[1]:.6f}")
    return _features(_get("/search/", params))


def reverse(latitude: float, longitude: float) -> Candidate | None:
    """The nearest known address of a point, or None when there is none."""
    if not valid_point(latitude, longitude):
        return None
    found = _features(_get("/reverse/", {"lat": f"{latitude:.6f}", "lon": f"{longitude:.6f}", "limit": "1"}))
    return found[0] if found else None


def _get(path: str, params: dict) -> dict:
    base = current_app.config.get("GEOCODER_URL")
    if not base:
        raise GeocoderUnavailable("GEOCODER_URL is not set")
    url = base.rstrip("/") + path + "?" + urlencode(params)
    request = Request(url, headers={"Accept": "application/geo+json, application/json",
                                    "User-Agent": "participation-platform"})
    timeout = float(current_app.config.get("GEOCODER_TIMEOUT", 3))
    try:
        with urlopen(request, timeout=timeout) as response:  # noqa: S310 - the scheme is checked at start-up
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except (URLError, OSError, ValueError) as exc:  # refused, timed out, HTTP 4xx/5xx (HTTPError is a URLError)
        log.warning("geocoder %s failed: %s", path, exc)
        raise GeocoderUnavailable(str(exc)) from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise GeocoderUnavailable("answer too large")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise GeocoderUnavailable("answer is not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise GeocoderUnavailable("answer is not a FeatureCollection")
    return data


def _text(value, size: int) -> str:
    if not isinstance(value, str):
        return ""
    return "".join(c for c in value if unicodedata.category(c) != "Cc").strip()[:size]


def _features(data: dict) -> list[Candidate]:
    """Readable features only: one malformed feature is skipped, not a reason to fail the search."""
    found = []
    for feature in data["features"]:
        try:
            lon, lat = feature["geometry"]["coordinates"][:2]
            props = feature.get("properties") or {}
            label = _text(props.get("label"), 255)
            score = props.get("score")
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        if not label or isinstance(lat, bool) or isinstance(lon, bool) or not valid_point(lat, lon):
            continue
        found.append(Candidate(
            label=label, latitude=round(float(lat), 6), longitude=round(float(lon), 6),
            score=float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
            postcode=_text(props.get("postcode"), 10), city=_text(props.get("city"), 120),
            kind=_text(props.get("type"), 20)))
    return found
