from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from app.auth.models import ROLE_TITLES, Role
from app.auth.passwords import password_problems
from app.formtools import choices


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    submit = SubmitField(_l("Log in"))


def _check_rules(form, field):
    problems = password_problems(field.data or "", getattr(form, "_username", ""),
                                 getattr(form, "_full_name", ""))
    if problems:
        raise ValidationError(" ".join(problems))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), _check_rules])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


USERNAME = Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dots, dashes or underscores."))


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=3, max=64), USERNAME])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail (optional)"),
                       validators=[Optional(), Email(message=_l("This e-mail address is not valid.")),
                                   Length(max=254)])
    role = SelectField(_l("Role"), choices=choices((r.value, ROLE_TITLES[r]) for r in Role))
    agency_id = SelectField(_l("Agency"), coerce=int, validate_choice=False)
    employer_id = SelectField(_l("Employer"), coerce=int, validate_choice=False)
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class NewUserForm(UserForm):
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), _check_rules])


class AgencyForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        DataRequired(), Length(max=20),
        Regexp(r"^[A-Za-z0-9-]+$", message=_l("Use letters, digits and dashes.")),
    ])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    country_code = SelectField(_l("Country"))
    region_id = SelectField(_l("Region"), coerce=int, validate_choice=False)
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class ConfirmForm(FlaskForm):
    """An empty form: a POST button with its CSRF token."""

    submit = SubmitField(_l("Confirm"))
