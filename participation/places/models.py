"""A model mixin for anything that has a place: an address, and optionally a point on the map."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, String, and_, select
from sqlalchemy.orm import Mapped, mapped_column

from .geo import BoundingBox, distance_m


def place_constraints() -> tuple[CheckConstraint, ...]:
    """The CHECKs every table with a place carries (add them to the model's __table_args__):
    coordinates on Earth, and both or neither."""
    return (
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="point_complete"),
    )


class PlaceMixin:
    """`address` (free text, may be empty), `latitude` and `longitude` (WGS 84 degrees, both or neither).

    Usage: `class Report(PlaceMixin, db.Model)` with `__table_args__ = (*place_constraints(), ...)`.
    `Report.in_box(box)` filters in SQL; `Report.near(query, lat, lon, 50)` gives the rows within 50 m,
    nearest first (the box narrows the rows in SQL, the exact distance is checked in Python).
    """

    address: Mapped[str] = mapped_column(String(255), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    @property
    def has_place(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def distance_to(self, latitude: float, longitude: float) -> float | None:
        if not self.has_place:
            return None
        return distance_m(self.latitude, self.longitude, latitude, longitude)

    @classmethod
    def in_box(cls, box: BoundingBox):
        """An SQL condition: the row's point lies in the box (rows without a point never do)."""
        return and_(cls.latitude.between(box.south, box.north), cls.longitude.between(box.west, box.east))

    @classmethod
    def near(cls, session, latitude: float, longitude: float, metres: float, *, where=None, limit: int = 100):
        """Rows whose point is within `metres` of the given point, nearest first, with their distance."""
        query = select(cls).where(cls.in_box(BoundingBox.around(latitude, longitude, metres)))
        if where is not None:
            query = query.where(where)
        found = []
        for row in session.scalars(query):
            d = row.distance_to(latitude, longitude)
            if d is not None and d <= metres:
                found.append((row, d))
        found.sort(key=lambda pair: pair[1])
        return found[:limit]
