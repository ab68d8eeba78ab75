"""Forms of the results administration: the tally rule to compute with, publication, Pabulib import."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from participation.input import FlaskForm

from .data import COMPLETION_LABELS, RULE_LABELS


class ComputeForm(FlaskForm):
    rule = SelectField(_l("Tally rule"), choices=list(RULE_LABELS.items()), validators=[DataRequired()])
    completion = SelectField(_l("Completion (Method of Equal Shares only)"),
                             choices=list(COMPLETION_LABELS.items()), validators=[DataRequired()])


class PublishForm(FlaskForm):
    result_id = HiddenField(validators=[DataRequired()])


class ExportForm(FlaskForm):
    """A GET form: no CSRF needed (it changes nothing)."""
    class Meta:
        csrf = False
    age = BooleanField(_l("Include the age of the voters (collected for this process)"))


class ImportForm(FlaskForm):
    file = FileField(_l("Pabulib file (.pb)"), validators=[
        FileRequired(_l("Choose a file.")), FileAllowed(["pb", "txt", "csv"], _l("A .pb file, please."))])
    name = StringField(_l("Name of the budget (optional: taken from the file)"),
                       validators=[Optional(), Length(max=200)])
