"""Form fields for numbers people type: each mistake gets its own message, never "This field is required".

A browser's `type=number` input sends an empty value for "300 000" and WTForms' DataRequired treats 0 as
missing, so 0, 10^12 or 100000.55 all used to read "This field is required". This field is a text input
with a numeric keyboard that accepts the spaces people group digits with, and says what is wrong.
"""
from __future__ import annotations

import re

from flask_babel import format_decimal, lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput

_SPACES = re.compile(r"[ \u00a0\u202f'\u2009]")  # 300 000, 300'000 (Switzerland), narrow no-break spaces
_INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII digits only, as participation.input reads numbers
_DECIMAL = re.compile(r"[+-]?[0-9]*[.,][0-9]+")
_MAX_DIGITS = 18


class WholeNumberField(StringField):
    """A whole number between `minimum` and `maximum` (empty allowed unless `required`)."""

    widget = TextInput()

    def __init__(self, label=None, *, minimum: int, maximum: int, required: bool = True, example: int | None = None,
                 **kwargs):
        render_kw = {"inputmode": "numeric", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, render_kw=render_kw, **kwargs)
        self.minimum, self.maximum, self.required = minimum, maximum, required
        self.example = example if example is not None else max(minimum, min(maximum, 100))
        self.flags.required = required
        self._problem: str | None = None

    def process_formdata(self, valuelist):
        self._problem, self.data = None, None
        raw = valuelist[0] if valuelist else ""
        self.raw_data = [raw]
        text = _SPACES.sub("", raw or "")
        if not text:
            return
        if _INTEGER.fullmatch(text):
            digits = text.lstrip("+-").lstrip("0")
            if len(digits) > _MAX_DIGITS:
                self._problem = "-big" if text.startswith("-") else "big"
            else:
                self.data = int(text)
        elif _DECIMAL.fullmatch(text):
            self._problem = "decimal"
        else:
            self._problem = "digits"

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0] or ""
        return "" if self.data is None else str(self.data)

    def pre_validate(self, form):
        if self._problem == "decimal":
            raise StopValidation(_l("Enter a whole number, without decimals (for example %(example)s).",
                                    example=self.example))
        if self._problem == "digits":
            raise StopValidation(_l("Enter a number with digits only (for example %(example)s).",
                                    example=self.example))
        if self._problem == "big" or (self.data is not None and self.data > self.maximum):
            raise StopValidation(_l("Enter at most %(max)s.", max=format_decimal(self.maximum)))
        if self._problem == "-big" or (self.data is not None and self.data < self.minimum):
            raise StopValidation(_l("Enter at least %(min)s.", min=format_decimal(self.minimum)))
        if self.data is None and self.required:
            raise StopValidation(_l("Enter a number (for example %(example)s).", example=self.example))
