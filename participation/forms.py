"""Forms for communes, processes, phases and roles. Per-language fields are built for each commune."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField, DateField, DateTimeLocalField, EmailField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from .input import FlaskForm, FloatField, Pattern
from .models import PhaseKind, Role

SLUG = Pattern(r"[a-z0-9]+(?:-[a-z0-9]+)*", message=_l("Use lower-case letters, digits and dashes."))
COLOR = Pattern(r"#[0-9a-fA-F]{6}", message=_l("Use a colour like #1d4f91."))
LANGUAGES = [("fr", "Français"), ("en", "English"), ("de", "Deutsch")]


def attach_error(form, exc) -> None:
    """Show a DomainError from an operation on the field it names, or above the form, with what the person
    typed kept; the page answers with the error's status (form_status)."""
    from .extensions import db
    db.session.rollback()  # a refused action changes nothing, even half-way
    form.error_status = exc.status
    field = getattr(form, exc.field, None) if getattr(exc, "field", None) else None
    if field is not None:
        field.errors = list(field.errors) + [str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))


def _luminance(hex_color: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_with_white(hex_color: str) -> float:
    return 1.05 / (_luminance(hex_color) + 0.05)


def readable_on_white(form, field):
    """Commune colours carry white text and links on white: WCAG AA needs 4.5:1."""
    if field.data and COLOR.regex.fullmatch(field.data) and contrast_with_white(field.data) < 4.5:
        raise ValidationError(_l("This colour is too light: text would not be readable (contrast below 4.5:1)."))


def with_language_fields(base: type, languages: list[str], fields: dict[str, tuple]) -> type:
    """Add one field per language: e.g. title_fr, title_en. The first language is required."""
    attrs = {}
    for name, (field_cls, label, kwargs) in fields.items():
        for i, lang in enumerate(languages):
            validators = list(kwargs.get("validators", []))
            validators.insert(0, DataRequired() if i == 0 and kwargs.get("required") else Optional())
            attrs[f"{name}_{lang}"] = field_cls(f"{label} ({lang})", validators=validators)
    return type(base.__name__, (base,), attrs)


def language_values(form, name: str, languages: list[str]) -> dict[str, str]:
    return {lang: getattr(form, f"{name}_{lang}").data or "" for lang in languages}


class ProcessFormBase(FlaskForm):
    slug = StringField(_l("Address (slug)"), validators=[DataRequired(), Length(max=80), SLUG])
    image = FileField(_l("Image (JPEG, PNG or WebP, at most 5 MB)"))
    remove_image = BooleanField(_l("Remove the current image"))
    published = BooleanField(_l("Published"), default=True)


def process_form(languages: list[str], has_image: bool = False, **kwargs) -> FlaskForm:
    cls = with_language_fields(ProcessFormBase, languages, {
        "title": (StringField, _l("Title"), {"required": True, "validators": [Length(max=200)]}),
        "description": (TextAreaField, _l("Description"), {"validators": [Length(max=20000)]}),
    })
    form = cls(**kwargs)
    if not has_image:
        del form.remove_image
    return form


class PhaseFormBase(FlaskForm):
    kind = SelectField(_l("Kind of phase"), choices=[(k.value, k.value) for k in PhaseKind])
    starts_at = DateTimeLocalField(_l("Starts"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("A phase must end after it starts."))


def phase_form(languages: list[str], kind_names: dict, **kwargs) -> FlaskForm:
    cls = with_language_fields(PhaseFormBase, languages, {
        "name": (StringField, _l("Name (empty: the standard name)"), {"validators": [Length(max=120)]}),
    })
    form = cls(**kwargs)
    form.kind.choices = [(k.value, str(kind_names[k])) for k in PhaseKind]
    return form


ROLE_NAMES = {Role.resident: _l("Resident"), Role.moderator: _l("Moderator"),
              Role.reviewer: _l("Reviewer (city staff)"), Role.administrator: _l("Administrator")}


class RoleForm(FlaskForm):
    email = EmailField(_l("E-mail address of the person"), validators=[
        DataRequired(), Length(max=254), Email(message=_l("Enter a valid e-mail address."))])
    role = SelectField(_l("Role"), choices=[(role.value, name) for role, name in ROLE_NAMES.items()])


class CommuneFormBase(FlaskForm):
    slug = StringField(_l("Address (slug)"), validators=[DataRequired(), Length(max=40), SLUG])
    host = StringField(_l("Own host name (optional)"), validators=[Optional(), Length(max=255)])
    logo = FileField(_l("Logo (JPEG, PNG or WebP, at most 5 MB)"))
    remove_logo = BooleanField(_l("Remove the current logo"))
    primary_color = StringField(_l("Main colour"), validators=[DataRequired(), COLOR, readable_on_white])
    accent_color = StringField(_l("Accent colour"), validators=[DataRequired(), COLOR, readable_on_white])
    languages = SelectMultipleField(_l("Available languages"), choices=LANGUAGES, validators=[DataRequired()])
    default_language = SelectField(_l("Default language"), choices=LANGUAGES)
    districts = TextAreaField(_l("Districts, one per line"), validators=[Length(max=10000)])
    map_latitude = FloatField(_l("Centre of the maps: latitude (optional)"),
                              validators=[Optional(), NumberRange(min=-90, max=90)])
    map_longitude = FloatField(_l("Centre of the maps: longitude (optional)"),
                               validators=[Optional(), NumberRange(min=-180, max=180)])

    def validate_map_longitude(self, field):
        if (field.data is None) != (self.map_latitude.data is None):
            raise ValidationError(_l("Give both latitude and longitude, or neither."))


def commune_form(languages: list[str], *, host_editable: bool = True, has_logo: bool = False,
                 **kwargs) -> FlaskForm:
    """`host_editable`: platform administrators only (the operation checks it again)."""
    cls = with_language_fields(CommuneFormBase, languages, {
        "name": (StringField, _l("Name"), {"required": True, "validators": [Length(max=120)]}),
        "description": (TextAreaField, _l("Presentation"), {"validators": [Length(max=20000)]}),
    })
    form = cls(**kwargs)
    if not host_editable:
        del form.host
    if not has_logo:
        del form.remove_logo
    return form


def form_status(form) -> int:
    """HTTP status of a page showing a form: 200 without errors; with errors (field or form-wide), the
    status of the refusal attach_error showed (403 blocked, 409 not now...), else 400."""
    if not form.errors:  # WTForms' `errors` includes form_errors
        return 200
    return getattr(form, "error_status", 400)


class AuditFilterForm(FlaskForm):
    """The audit log's filters (a GET form: nothing changes, so no CSRF token)."""
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), choices=[], default="", validate_choice=True)
    person = StringField(_l("Person (nickname)"), validators=[Optional(), Length(max=40)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])

    def validate_until(self, field):
        if self.since.data and field.data and field.data < self.since.data:
            raise ValidationError(_l("The end date comes before the start date."))


class PlatformAdminForm(FlaskForm):
    email = EmailField(_l("E-mail address of the account"), validators=[
        DataRequired(), Length(max=254), Email(message=_l("Enter a valid e-mail address."))])
