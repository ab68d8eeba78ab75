from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..input import FlaskForm, Pattern
from ..models import EmailPreference

LANGUAGE_CHOICES = [("fr", "Français"), ("en", "English"), ("de", "Deutsch")]
NICKNAME = Pattern(r"[\w .'-]+", message=_l("Use letters, digits, spaces, dots, apostrophes or dashes."))


class SignupForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254),
                                                        Email(message=_l("Enter a valid e-mail address."))])
    nickname = StringField(_l("Public nickname"), validators=[DataRequired(), Length(min=2, max=40), NICKNAME])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    locale = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES, default="fr")
    accept = BooleanField(_l("I accept the terms of use and the processing of my data to take part"),
                          validators=[DataRequired(message=_l("You must accept the terms to sign up."))])


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Stay logged in on this device"))


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254),
                                                        Email(message=_l("Enter a valid e-mail address."))])


class ResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class AccountForm(FlaskForm):
    nickname = StringField(_l("Public nickname"), validators=[DataRequired(), Length(min=2, max=40), NICKNAME])
    locale = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES)
    email_preference = SelectField(_l("E-mail notifications"), choices=[
        (EmailPreference.immediately.value, _l("Immediately")),
        (EmailPreference.daily.value, _l("Daily digest")),
        (EmailPreference.never.value, _l("Never")),
    ])


class ResendForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254),
                                                        Email(message=_l("Enter a valid e-mail address."))])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)],
                            render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=200)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})
