"""The proposals map without any map library: markers placed server-side in Web Mercator pixels.

The page always shows an SVG of numbered markers and the accessible list they refer to. When a tile
server is configured, a small static script lays the tiles of the same pixel window behind the SVG,
so markers and tiles line up without any client-side projection maths beyond tile arithmetic.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT, PADDING = 640, 400, 40
MAX_ZOOM = 17
TILE = 256


def _pixel(lat: float, lon: float, zoom: int) -> tuple[float, float]:
    lat = max(min(lat, 85.0511), -85.0511)
    scale = TILE * 2 ** zoom
    x = (lon + 180.0) / 360.0 * scale
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
    return x, y


@dataclass
class Marker:
    number: int
    x: float
    y: float
    proposal: object


@dataclass
class MapLayout:
    zoom: int
    left: float  # pixel coordinates of the window's top-left corner at `zoom`
    top: float
    width: int
    height: int
    markers: list[Marker]


def layout(proposals: list) -> MapLayout | None:
    points = [(p, p.latitude, p.longitude) for p in proposals if p.latitude is not None and p.longitude is not None]
    if not points:
        return None
    zoom = MAX_ZOOM
    while zoom > 0:
        xs, ys = zip(*(_pixel(lat, lon, zoom) for _, lat, lon in points))
        if max(xs) - min(xs) <= WIDTH - 2 * PADDING and max(ys) - min(ys) <= HEIGHT - 2 * PADDING:
            break
        zoom -= 1
    xs, ys = zip(*(_pixel(lat, lon, zoom) for _, lat, lon in points))
    left = (max(xs) + min(xs)) / 2 - WIDTH / 2
    top = (max(ys) + min(ys)) / 2 - HEIGHT / 2
    markers = [Marker(i, round(x - left, 1), round(y - top, 1), p)
               for i, ((p, _, _), x, y) in enumerate(zip(points, xs, ys), start=1)]
    return MapLayout(zoom=zoom, left=round(left, 1), top=round(top, 1), width=WIDTH, height=HEIGHT, markers=markers)
