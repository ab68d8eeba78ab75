"""The place fields of a form, and how a typed address becomes a point without JavaScript.

Add `PlaceFields` to a form class (`class ReportForm(PlaceFields, FlaskForm)`), render it with the
`place_picker` macro (templates/places/_picker.html), and before validating call `settle(form, near)`:

- "Search this address" pressed: the server asks the geocoder and the page lists the addresses found as
  radio buttons (no JavaScript needed); nothing is saved.
- An address typed without a point: the same list is shown with a message, so the person confirms which
  address they meant (or keeps their text as typed, without a point).
- An address chosen in the list: address, latitude and longitude are set from it.
- A point given (by the map, or typed): kept as it is, unless only the address text changed since the
  server set that point (then the old point no longer describes it, and the address is looked up).

With JavaScript, picker.js does the same through our /places/ endpoint and fills the same fields.
"""
from __future__ import annotations

import math
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import HiddenField, RadioField, StringField, SubmitField
from wtforms.validators import Length, NumberRange, Optional

from participation.input import FloatField

from . import geocoder
from .geo import valid_point

TYPED = "typed"  # the choice "keep the address as typed"


def encode(latitude: float, longitude: float, label: str) -> str:
    return f"{latitude:.6f},{longitude:.6f},{label}"


def decode(value: str | None) -> tuple[float, float, str] | None:
    """(lat, lon, label) from a choice or the `located` field; None for anything else."""
    parts = (value or "").split(",", 2)
    if len(parts) != 3:
        return None
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    label = parts[2].strip()[:255]
    if any(unicodedata.category(c) == "Cc" for c in label):
        return None
    return (lat, lon, label) if valid_point(lat, lon) else None


class PlaceFields:
    """Address, point and the server-side address search. Field names are shared with picker.js."""

    address = StringField(_l("Address or place (optional)"), validators=[Optional(), Length(max=255)])
    latitude = FloatField(_l("Latitude (optional)"), validators=[Optional(), NumberRange(min=-90, max=90)])
    longitude = FloatField(_l("Longitude (optional)"), validators=[Optional(), NumberRange(min=-180, max=180)])
    place_choice = RadioField(_l("Addresses found"), choices=[], validate_choice=False, validators=[Optional()])
    place_search = SubmitField(_l("Search this address"))
    located = HiddenField()  # "lat,lon,address" of a point the server set (see settle())

    def place(self) -> dict:
        """The values to hand to an operation."""
        lat, lon = self.latitude.data, self.longitude.data
        if lat is not None and lon is not None and not valid_point(lat, lon):
            lat = lon = None  # NumberRange already refused it; never pass NaN on
        return {"address": (self.address.data or "").strip(), "latitude": lat, "longitude": lon}

    @property
    def place_candidates_shown(self) -> bool:
        return bool(self.place_choice.choices)


def _same_point(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, abs_tol=5e-7)


def settle(form: PlaceFields, near: tuple[float, float] | None = None) -> bool:
    """Resolve the place part of a submitted form. True: go on (validate and save). False: show the
    form again (addresses to choose from, or a message on the address field)."""
    choice = form.place_choice.data
    address = (form.address.data or "").strip()
    if form.place_search.data:
        if not address:
            form.address.errors = list(form.address.errors) + [_l("Type an address to search for.")]
            return False
        _offer(form, address, near, on_submit=False)
        return False
    if choice and choice != TYPED:
        chosen = decode(choice)
        if chosen is None:
            form.address.errors = list(form.address.errors) + [_l("Choose one of the addresses found.")]
            return False
        form.latitude.data, form.longitude.data, form.address.data = chosen
        form.located.data = choice
        return True
    if choice == TYPED:
        return True
    lat, lon = form.latitude.data, form.longitude.data
    if lat is not None or lon is not None:
        located = decode(form.located.data)
        stale = (located is not None and address != located[2]
                 and _same_point(lat, located[0]) and _same_point(lon, located[1]))
        if not stale:
            return True
        form.latitude.data = form.longitude.data = None
        form.located.data = ""
    if not address or not geocoder.enabled():
        return True
    _offer(form, address, near, on_submit=True)
    return False


def _offer(form: PlaceFields, address: str, near, *, on_submit: bool) -> None:
    """List the addresses matching `address` as choices, and say why the form is shown again."""
    problem = None
    try:
        found = geocoder.search(address, near=near)
    except geocoder.GeocoderUnavailable:
        found = []
        problem = _l("The address search is not available right now. Keep the address as typed, or give "
                     "the latitude and longitude.")
    if not found and problem is None:
        problem = _l("No address matches. Correct it, or keep it as typed.")
    has_point = form.latitude.data is not None and form.longitude.data is not None
    keep = _l("None of these: keep the address as I typed it, and the point already set") if has_point else \
        _l("None of these: keep the address as I typed it, without a point on the map")
    form.place_choice.choices = [(encode(c.latitude, c.longitude, c.label), _describe(c)) for c in found]
    form.place_choice.choices.append((TYPED, keep))
    form.place_choice.data = None
    if problem is not None:
        form.address.errors = list(form.address.errors) + [problem]
    elif on_submit:
        form.address.errors = list(form.address.errors) + [
            _l("Choose the matching address below, or keep your text as typed.")]
    form.place_found = ngettext("%(num)s address found.", "%(num)s addresses found.", len(found)) if found else ""


def _describe(candidate) -> str:
    where = " ".join(p for p in (candidate.postcode, candidate.city) if p and p not in candidate.label)
    return f"{candidate.label} ({where})" if where else candidate.label
