"""How the platform reads what requests send: numbers, ids and text, in one place.

Python accepts more than people and browsers send, and the database refuses some of what Python accepts:
`str.isdigit()` is true for "¹" (which `int()` refuses), `int()` reads "٣", " 7" and "1_000", an id beyond
PostgreSQL's integer makes the query fail, and PostgreSQL refuses a NUL byte in any text. Each gave a
500. So every number taken from a URL, a query string or a form goes through `parse_int` (ASCII digits,
within the database's integer range), `<int:...>` in routes is `IdConverter` (an id out of range is a
404, not a 500), NUL bytes are refused at the edge (path and query string: 400) and by every form
(`FlaskForm`: an error on the field, what was typed kept), and patterns must match the whole value
(`Pattern`: WTForms' `Regexp` uses `re.match`, whose `$` accepts a trailing newline).
"""
from __future__ import annotations

import decimal
import re

import flask_wtf
from flask import current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import BaseConverter, ValidationError as RouteMismatch
from wtforms import DecimalField as _DecimalField, FloatField as _FloatField, IntegerField as _IntegerField
from wtforms.validators import Regexp, StopValidation, ValidationError

from .errors import DomainError

DB_INT_MAX = 2**31 - 1  # PostgreSQL's `integer`: every id, amount, count and number of points we store
DB_INT_MIN = -(2**31)
TEXT_BODY_LIMIT = 2 * 1024 * 1024  # bodies of forms without files; see body_limit
_INTEGER = re.compile(r"-?[0-9]{1,10}")
# WTForms' own messages, translated by its catalogs through field.gettext (not extracted into ours).
NOT_AN_INTEGER, NOT_A_DECIMAL, INVALID = "Not a valid integer value.", "Not a valid decimal value.", "Invalid input."
NUL_MESSAGE = _l("This text contains a character that cannot be stored (a NUL byte): remove it and try again.")


def parse_int(raw, *, minimum: int = 0, maximum: int = DB_INT_MAX) -> int | None:
    """The integer written in `raw` (ASCII digits, an optional minus sign) when it lies within
    [minimum, maximum], else None. Never raises, whatever `raw` is."""
    if not isinstance(raw, str) or not _INTEGER.fullmatch(raw):
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


def arg_int(name: str, default: int | None = None, **bounds) -> int | None:
    """A number from the query string (`?page=2`), or `default` when absent or not a number in range."""
    value = parse_int(request.args.get(name), **bounds)
    return default if value is None else value


def form_int(name: str, default: int | None = None, **bounds) -> int | None:
    """A number from the posted form (a hidden id, a button's value), or `default`."""
    value = parse_int(request.form.get(name), **bounds)
    return default if value is None else value


def coerce_id(value) -> int:
    """SelectField's `coerce` for ids: `int()` would read "٣" as 3. An invalid value raises ValueError,
    which WTForms shows as an invalid choice."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = parse_int(value)
    if number is None:
        raise ValueError(f"not an id: {value!r}")
    return number


def form_text(name: str, default: str = "", *, max_length: int = 2000) -> str:
    """A short text from the posted form outside a WTForms form (e.g. a moderation reason), cut to
    `max_length`; a NUL byte is refused with a 400 (the database cannot store it)."""
    value = request.form.get(name, default)
    if "\x00" in value:
        raise DomainError(NUL_MESSAGE)
    return value[:max_length]


class IdConverter(BaseConverter):
    """`<int:...>` in every route: ASCII digits only, within the database's integer range. Other values do
    not match the route (404), as Werkzeug's converter would for letters; Werkzeug's accepts any Unicode
    digit ("٣") and any size, which the database then refuses."""
    regex = r"[0-9]{1,10}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = parse_int(value, minimum=0)
        if number is None:
            raise RouteMismatch()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def refuse_nul_bytes(endpoint, values) -> None:
    """Registered first among the URL value preprocessors, before any blueprint loads its commune or
    process from the URL: a NUL byte in the path or the query string is a 400."""
    if "\x00" in request.path or any("\x00" in key or "\x00" in value
                                     for key, value in request.args.items(multi=True)):
        raise DomainError(_l("The address contains a character that is not allowed (a NUL byte)."))


def body_limit(max_bytes: int):
    """Declare the largest request body a view accepts (an upload form: its files and its text). Bodies
    above it get the 413 page, which says the limit, without reading the body. Views that declare
    nothing accept TEXT_BODY_LIMIT for forms without files (far above any text form's fields, so typing
    never reaches it: too-long text gets the form's own error, with the text kept) and
    MAX_CONTENT_LENGTH for uploads."""
    def decorate(view):
        view.body_limit = max_bytes
        return view
    return decorate


def apply_body_limit(endpoint, values) -> None:
    """A URL value preprocessor: runs before the CSRF check reads the form."""
    ceiling = current_app.config["MAX_CONTENT_LENGTH"]
    declared = getattr(current_app.view_functions.get(endpoint), "body_limit", None)
    if declared is None:
        declared = ceiling if request.mimetype == "multipart/form-data" else TEXT_BODY_LIMIT
    request.max_content_length = min(declared, ceiling) if ceiling else declared


class JSONProvider(DefaultJSONProvider):
    """JSON nested deeper than Python's recursion limit is malformed input (a 400 from get_json, None
    with silent=True), not a RecursionError and a 500."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def _no_nul(form, field) -> None:
    for value in field.raw_data or ():
        text = value if isinstance(value, str) else getattr(value, "filename", None)  # an upload's name
        if isinstance(text, str) and "\x00" in text:
            raise StopValidation(str(NUL_MESSAGE))


class FlaskForm(flask_wtf.FlaskForm):
    """The base of every form of the platform, imported from here instead of flask_wtf (a test checks):
    on top of Flask-WTF's CSRF check, no field accepts a NUL byte (the person gets the error on the
    field, with what they typed kept), and the forms read HTML form posts only."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = unbound_field.bind(form=form, **options)
            field.validators = [_no_nul, *field.validators]
            return field

        def wrap_formdata(self, form, formdata):
            # Flask-WTF also reads a JSON body as the form's data, and a JSON list or number there is a
            # TypeError (a 500). Our forms are HTML forms: a JSON body is an empty submission.
            if not hasattr(formdata, "getlist") and formdata is not None and request.is_json \
                    and not (request.form or request.files):
                return ImmutableMultiDict()
            return super().wrap_formdata(form, formdata)


class IntegerField(_IntegerField):
    """WTForms' IntegerField reads with `int()`: "٣", " 7" and "1_000" pass and a number beyond the
    database's integer reaches it. This one takes what a person types: ASCII digits, an optional minus."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0].strip() if isinstance(valuelist[0], str) else valuelist[0]
        if raw in ("", None):
            self.data = None
            return
        self.data = parse_int(raw, minimum=DB_INT_MIN)
        if self.data is None:
            if isinstance(raw, str) and re.fullmatch(r"-?[0-9]+", raw):  # digits, but beyond what we store
                raise ValueError(str(_l("This number is too large.")))
            raise ValueError(self.gettext(NOT_AN_INTEGER))


_DECIMAL = re.compile(r"[-+]?[0-9]{1,15}(?:[.,][0-9]{1,15})?")


def _read_decimal(field, valuelist) -> decimal.Decimal | None:
    """A decimal number as people write it: ASCII digits, a point or a comma (French) before the
    decimals. WTForms reads anything Python reads: "sNaN" then broke NumberRange (a 500), "٣", "1_0"."""
    raw = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
    if not raw:
        return None
    if not _DECIMAL.fullmatch(raw):
        raise ValueError(field.gettext(NOT_A_DECIMAL))
    return decimal.Decimal(raw.replace(",", "."))


class DecimalField(_DecimalField):
    """WTForms' DecimalField, reading what people write (see _read_decimal)."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = None  # stays None when the value is refused
            self.data = _read_decimal(self, valuelist)


class FloatField(_FloatField):
    """WTForms' FloatField, reading what people write (see _read_decimal)."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = None  # stays None when the value is refused
            number = _read_decimal(self, valuelist)
            self.data = None if number is None else float(number)


class Pattern(Regexp):
    """`Regexp` that must match the whole value: `re.match` with `$` lets "#1d4f91\\n" through."""

    def __call__(self, form, field, message=None):
        if self.regex.fullmatch(field.data or ""):
            return
        raise ValidationError(message or self.message or field.gettext(INVALID))
