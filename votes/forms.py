"""Forms of the vote: eligibility, paper ballot identification, receipt check."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from participation.input import FlaskForm, IntegerField, coerce_id

YEAR = NumberRange(min=1900, max=2100, message=_l("Enter a year with four digits, e.g. 1984."))


class EligibilityForm(FlaskForm):
    attest = BooleanField(_l("I live in the commune"))
    name = StringField(_l("First and last name (as on your official documents)"), validators=[Optional(), Length(max=200)])
    year_of_birth = IntegerField(_l("Year of birth"), validators=[Optional(), YEAR])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])
    code = StringField(_l("Vote code"), validators=[Optional(), Length(max=40)])
    district = SelectField(_l("District"), coerce=coerce_id, default=0)


def eligibility_form(settings, districts, *, residence: bool, users_too: bool, **kwargs) -> EligibilityForm:
    """Only the fields the process's verification needs: the minimum personal data."""
    form = EligibilityForm(**kwargs)
    mode = settings.online_verification.value
    if users_too:
        form.attest.label.text = str(_l("I live, work or study in the commune"))
    keep = {"declaration": {"attest"}, "census": {"name", "year_of_birth", "address"}, "code": {"code"}}[mode]
    if settings.min_age is not None:
        keep.add("year_of_birth")
    if residence and mode == "declaration":
        keep.add("district")
    form.district.choices = [(0, str(_l("Choose your district")))] + [(d.id, d.name) for d in districts]
    for name in ("attest", "name", "year_of_birth", "address", "code", "district"):
        if name not in keep:
            delattr(form, name)
    return form


class PaperIdentityForm(FlaskForm):
    name = StringField(_l("First and last name"), validators=[Optional(), Length(max=200)])
    year_of_birth = IntegerField(_l("Year of birth"), validators=[Optional(), YEAR])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])
    code = StringField(_l("Or vote code"), validators=[Optional(), Length(max=40)])
    district = SelectField(_l("District where the person lives"), coerce=coerce_id, default=0)


class ReceiptForm(FlaskForm):
    code = StringField(_l("Receipt code"), validators=[DataRequired(), Length(max=40)])
