"""A static map without any map library: markers placed server-side in Web Mercator pixels.

Pages show an SVG of numbered markers and the accessible list they refer to (the `numbered_map` macro in
templates/places/_map.html). With JavaScript and a tile server, map.js replaces the drawing with a Leaflet
map of the same markers, read from the list's data attributes.
"""
from __future__ import annotations

from dataclasses import dataclass

from .geo import mercator_pixel

WIDTH, HEIGHT, PADDING = 640, 400, 40
MAX_ZOOM = 17


@dataclass
class Marker:
    number: int
    x: float
    y: float
    item: object  # anything with latitude and longitude (a PlaceMixin row)


@dataclass
class MapLayout:
    zoom: int
    left: float  # pixel coordinates of the window's top-left corner at `zoom`
    top: float
    width: int
    height: int
    markers: list[Marker]


def layout(items: list) -> MapLayout | None:
    """Numbered markers for the items that have a point, in the order given; None when none has one."""
    points = [(p, p.latitude, p.longitude) for p in items if p.latitude is not None and p.longitude is not None]
    if not points:
        return None
    zoom = MAX_ZOOM
    while zoom > 0:
        xs, ys = zip(*(mercator_pixel(lat, lon, zoom) for _, lat, lon in points))
        if max(xs) - min(xs) <= WIDTH - 2 * PADDING and max(ys) - min(ys) <= HEIGHT - 2 * PADDING:
            break
        zoom -= 1
    xs, ys = zip(*(mercator_pixel(lat, lon, zoom) for _, lat, lon in points))
    left = (max(xs) + min(xs)) / 2 - WIDTH / 2
    top = (max(ys) + min(ys)) / 2 - HEIGHT / 2
    markers = [Marker(i, round(x - left, 1), round(y - top, 1), p)
               for i, ((p, _, _), x, y) in enumerate(zip(points, xs, ys), start=1)]
    return MapLayout(zoom=zoom, left=round(left, 1), top=round(top, 1), width=WIDTH, height=HEIGHT, markers=markers)
