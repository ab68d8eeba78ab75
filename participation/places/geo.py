"""Plain geometry for places: distances, bounding boxes and the Web Mercator pixels of the static map.

No Flask, no SQLAlchemy: the model mixin and the map layout build on these.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG); the error against the ellipsoid is below 0.5 %
TILE = 256


def valid_point(latitude, longitude) -> bool:
    """Both finite numbers on Earth (NaN and infinities are not places)."""
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return False
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class BoundingBox:
    """A rectangle in degrees. `around()` gives the box that contains every point within a distance,
    so a query can filter on indexed columns first and check the exact distance after."""
    south: float
    west: float
    north: float
    east: float

    def __post_init__(self):
        if not (valid_point(self.south, self.west) and valid_point(self.north, self.east)):
            raise ValueError("bounding box corners must be on Earth")
        if self.south > self.north or self.west > self.east:
            raise ValueError("bounding box corners are swapped")

    @classmethod
    def around(cls, latitude: float, longitude: float, metres: float) -> BoundingBox:
        if not valid_point(latitude, longitude) or metres < 0:
            raise ValueError("a point on Earth and a positive distance are needed")
        dlat = math.degrees(metres / EARTH_RADIUS_M)
        cos = math.cos(math.radians(latitude))
        # Near the poles (or for huge distances) every longitude may be in reach.
        dlon = 180.0 if cos < 1e-9 else math.degrees(metres / (EARTH_RADIUS_M * cos))
        if dlon >= 180.0:
            west, east = -180.0, 180.0
        else:
            west, east = max(-180.0, longitude - dlon), min(180.0, longitude + dlon)
        return cls(max(-90.0, latitude - dlat), west, min(90.0, latitude + dlat), east)

    @classmethod
    def parse(cls, text: str) -> BoundingBox:
        """"south,west,north,east" (the order of the configuration variables and of the README)."""
        parts = [p.strip() for p in (text or "").split(",")]
        if len(parts) != 4:
            raise ValueError("four numbers are needed: south, west, north, east")
        return cls(*(float(p) for p in parts))

    def contains(self, latitude: float, longitude: float) -> bool:
        return self.south <= latitude <= self.north and self.west <= longitude <= self.east

    @property
    def centre(self) -> tuple[float, float]:
        return (self.south + self.north) / 2, (self.west + self.east) / 2


def mercator_pixel(latitude: float, longitude: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates of a point at a zoom level (the tile servers' projection)."""
    lat = max(min(latitude, 85.0511), -85.0511)
    scale = TILE * 2 ** zoom
    x = (longitude + 180.0) / 360.0 * scale
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
    return x, y
