"""Forms of the budgets administration: budgets, projects, vote settings, census and vote codes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired, MultipleFileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from participation.fields import WholeNumberField
from participation.forms import with_language_fields
from participation.input import DecimalField, FlaskForm, IntegerField, Pattern, coerce_id

from .models import Audience, BudgetScope, Verification, VotingRule

MAX_AMOUNT = 2_000_000_000  # the database's integer columns hold up to 2 147 483 647
MAX_COUNT = 100_000
RULE_LABELS = {
    VotingRule.approval: _l("Approval within the budget (total cost at most the amount)"),
    VotingRule.k_approval: _l("Approval of a minimum and maximum number of projects"),
    VotingRule.cumulative: _l("Cumulative points (distribute points, a maximum per project)"),
}
SCOPE_LABELS = {
    BudgetScope.all: _l("In every budget"),
    BudgetScope.city_plus_chosen_district: _l("City-wide budget plus one district of their choice"),
    BudgetScope.city_plus_residence_district: _l("City-wide budget plus the district where they live"),
}
AUDIENCE_LABELS = {
    Audience.residents: _l("Residents"),
    Audience.residents_and_users: _l("Residents and users (people who work or study in the commune)"),
}
VERIFICATION_LABELS = {
    Verification.declaration: _l("Declaration: the person attests they may vote"),
    Verification.census: _l("Census: name, year of birth and address must be on the imported list"),
    Verification.code: _l("Vote code: a single-use code printed and distributed"),
}


class BudgetFormBase(FlaskForm):
    amount = WholeNumberField(_l("Amount, in whole currency units"), minimum=1, maximum=MAX_AMOUNT, example=300000)
    currency = StringField(_l("Currency (ISO code)"), default="EUR",
                           validators=[DataRequired(), Pattern(r"[A-Za-z]{3}", message=_l("Three letters, e.g. EUR."))])
    district = SelectField(_l("District"), coerce=coerce_id, default=0)
    rule = SelectField(_l("Voting rule"), choices=[(r.value, label) for r, label in RULE_LABELS.items()])
    min_share_percent = WholeNumberField(_l("Minimum share of the amount to spend, in % (approval)"), minimum=0,
                                         maximum=100, required=False, example=70)
    min_projects = WholeNumberField(_l("Minimum number of projects"), minimum=0, maximum=MAX_COUNT, required=False,
                                    example=1)
    max_projects = WholeNumberField(_l("Maximum number of projects"), minimum=1, maximum=MAX_COUNT, required=False,
                                    example=5)
    total_points = WholeNumberField(_l("Points to distribute (cumulative)"), minimum=1, maximum=MAX_COUNT,
                                    required=False, example=10)
    max_points_per_project = WholeNumberField(_l("Maximum points per project (cumulative)"), minimum=1,
                                              maximum=MAX_COUNT, required=False, example=3)


def budget_form(languages: list[str], districts, **kwargs) -> FlaskForm:
    cls = with_language_fields(BudgetFormBase, languages, {
        "name": (StringField, _l("Name"), {"required": True, "validators": [Length(max=200)]}),
        "description": (TextAreaField, _l("Description"), {"validators": [Length(max=20000)]}),
    })
    form = cls(**kwargs)
    form.district.choices = [(0, str(_l("City-wide")))] + [(d.id, d.name) for d in districts]
    return form


class ProjectForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=20000)])
    cost = WholeNumberField(_l("Cost, in whole currency units"), minimum=1, maximum=MAX_AMOUNT, example=25000)
    district = SelectField(_l("District"), coerce=coerce_id, default=0)
    theme = SelectField(_l("Theme"), coerce=coerce_id, default=0)
    images = TextAreaField(_l("Images, one per line: address on this site | alternative text"),
                           validators=[Length(max=5000)])
    new_images = MultipleFileField(_l("Add images (JPEG, PNG or WebP, 5 MB each)"))
    address = StringField(_l("Place (address)"), validators=[Optional(), Length(max=255)])
    latitude = DecimalField(_l("Latitude"), places=None, validators=[Optional(), NumberRange(min=-90, max=90)])
    longitude = DecimalField(_l("Longitude"), places=None, validators=[Optional(), NumberRange(min=-180, max=180)])


def project_form(districts, themes, locale, **kwargs) -> ProjectForm:
    form = ProjectForm(**kwargs)
    form.district.choices = [(0, str(_l("Whole commune")))] + [(d.id, d.name) for d in districts]
    form.theme.choices = [(0, str(_l("No theme")))] + [(t.id, t.label(locale)) for t in themes]
    return form


class VoteSettingsForm(FlaskForm):
    scope = SelectField(_l("Each person may vote"), choices=[(s.value, label) for s, label in SCOPE_LABELS.items()])
    audience = SelectField(_l("Who may vote"), choices=[(a.value, label) for a, label in AUDIENCE_LABELS.items()])
    min_age = WholeNumberField(_l("Minimum age (empty: no age rule)"), minimum=0, maximum=120, required=False,
                               example=16)
    online_verification = SelectField(_l("How online voters are verified"),
                                      choices=[(v.value, label) for v, label in VERIFICATION_LABELS.items()])
    ballot_final = BooleanField(_l("A ballot is final once cast (otherwise the last ballot cast counts)"))
    show_running_counts = BooleanField(_l("Show the number of ballots while the vote is open"))


class CensusForm(FlaskForm):
    file = FileField(_l("Census file (CSV: name, year of birth, address, district)"), validators=[
        FileRequired(), FileAllowed(["csv", "txt"], _l("A CSV file, please."))])
    replace = BooleanField(_l("Replace the current list (otherwise add to it)"))


class VoteCodesForm(FlaskForm):
    count = WholeNumberField(_l("Number of codes"), default=100, minimum=1, maximum=10000, example=100)
    district = SelectField(_l("District of the people who will receive them"), coerce=coerce_id, default=0)


def codes_form(districts, **kwargs) -> VoteCodesForm:
    form = VoteCodesForm(**kwargs)
    form.district.choices = [(0, str(_l("Any district")))] + [(d.id, d.name) for d in districts]
    return form
