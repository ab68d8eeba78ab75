"""Forms of the proposals package: shape and bounds of input only; rules live in the operations."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from participation.fields import WholeNumberField

from participation.input import FlaskForm, IntegerField, coerce_id
from participation.places.forms import PlaceFields

from .models import ProposalKind, ProposalStatus, ReportReason


def _int_or_none(value):
    return None if value in (None, "", "None") else coerce_id(value)


class ProposalForm(PlaceFields, FlaskForm):
    kind = SelectField(_l("Type"), choices=[(ProposalKind.idea.value, _l("Idea")),
                                            (ProposalKind.petition.value, _l("Petition"))],
                       default=ProposalKind.idea.value)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Description"), validators=[DataRequired(), Length(max=20000)])
    theme_id = SelectField(_l("Theme"), coerce=_int_or_none, validators=[Optional()])
    district_id = SelectField(_l("District"), coerce=_int_or_none, validators=[Optional()])
    images = MultipleFileField(_l("Images (up to 5: JPEG, PNG or WebP, 5 MB each)"))
    image_alt = StringField(_l("Short description of the images, for people who cannot see them"),
                            validators=[Optional(), Length(max=200)])
    coauthors = StringField(_l("Co-authors (nicknames, separated by commas)"), validators=[Optional(), Length(max=500)])
    group_id = SelectField(_l("On behalf of an association or collective"), coerce=_int_or_none,
                           validators=[Optional()])

    def setup(self, themes, districts, groups, locale, petitions: bool) -> None:
        self.theme_id.choices = [(None, _l("Choose a theme"))] + [(t.id, t.label(locale)) for t in themes]
        self.district_id.choices = [(None, _l("Whole commune"))] + [(d.id, d.name) for d in districts]
        self.group_id.choices = [(None, _l("Myself (and my co-authors)"))] + [(g.id, g.name) for g in groups]
        if not petitions:
            self.kind.choices = [(ProposalKind.idea.value, _l("Idea"))]


class EditProposalForm(ProposalForm):
    remove_images = SelectMultipleField(_l("Images to remove"), coerce=coerce_id, validators=[Optional()],
                                        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), validators=[DataRequired(), Length(max=5000)])
    parent_id = HiddenField()


class ReportForm(FlaskForm):
    # Nothing chosen in advance: a report says what the person saw, not what the form suggested.
    reason = RadioField(_l("What is the problem?"), choices=[
        (ReportReason.spam.value, _l("Spam or advertising")), (ReportReason.offensive.value, _l("Offensive")),
        (ReportReason.off_topic.value, _l("Off-topic")), (ReportReason.other.value, _l("Other"))],
        validators=[InputRequired(message=_l("Choose what the problem is."))])
    text = TextAreaField(_l("Details (required for \u201cOther\u201d)"), validators=[Optional(), Length(max=2000)])


class InstructionForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[
        (ProposalStatus.published.value, _l("Published")), (ProposalStatus.evaluating.value, _l("Being evaluated")),
        (ProposalStatus.accepted.value, _l("Accepted")), (ProposalStatus.rejected.value, _l("Rejected")),
        (ProposalStatus.duplicate.value, _l("Duplicate")), (ProposalStatus.withdrawn.value, _l("Withdrawn"))])
    feasibility = TextAreaField(_l("Feasibility notes"), validators=[Optional(), Length(max=20000)])
    estimated_cost = WholeNumberField(_l("Estimated cost (whole euros)"), minimum=0, maximum=2_000_000_000,
                                      required=False, example=25000)
    answer = TextAreaField(_l("Public answer (required for a rejection)"),
                           validators=[Optional(), Length(max=20000)])
    duplicate_of_id = SelectField(_l("Duplicate of"), coerce=_int_or_none, validators=[Optional()])


class SettingsForm(FlaskForm):
    petitions_enabled = BooleanField(_l("Residents may file petitions"))
    petition_threshold = WholeNumberField(_l("Signatures a petition needs"), minimum=1, maximum=10_000_000,
                                          example=100)
    petition_days = WholeNumberField(_l("Days to collect signatures"), minimum=1, maximum=3650, example=90)
    petition_answer_days = WholeNumberField(_l("Days the commune has to answer a petition that reached the threshold"),
                                            minimum=1, maximum=3650, example=60)
    report_threshold = WholeNumberField(_l("Reports that hide content until a moderator reviews it"), minimum=1,
                                        maximum=1000, example=3)


class GroupForm(FlaskForm):
    name = StringField(_l("Name of the association or collective"), validators=[DataRequired(), Length(max=120)])


class MemberForm(FlaskForm):
    nickname = StringField(_l("Nickname of the new member"), validators=[DataRequired(), Length(max=40)])
