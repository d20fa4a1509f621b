from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, EmailField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from app.formtools import choices
from app.jobseekers.identity import ID_TYPES, parse_birth
from app.jobseekers.models import CONSENT_TITLES, SEX_TITLES, STATUS_TITLES

ID_TYPE_TITLES = {
    "cni": _l("National identity card"), "nina": _l("NINA (Mali)"), "npi": _l("NPI (Benin)"),
    "cnib": _l("CNIB (Burkina Faso)"), "passport": _l("Passport"), "consular": _l("Consular card"),
    "birth_certificate": _l("Birth certificate"), "other": _l("Other"),
}


def _birth(form, field):
    if field.data:
        try:
            parse_birth(field.data)
        except ValueError:
            raise ValidationError(_l("Give a date (DD/MM/YYYY) or, if only that is known, a year."))


class JobSeekerForm(FlaskForm):
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=120)])
    first_names = StringField(_l("First names"), validators=[DataRequired(), Length(max=160)])
    sex = SelectField(_l("Sex"), choices=choices([("", "—")] + [(s.value, t) for s, t in SEX_TITLES.items()]))
    birth = StringField(_l("Date of birth, or year"), validators=[Optional(), _birth])
    nationality = SelectField(_l("Nationality"), validate_choice=False)
    national_id_type = SelectField(_l("Identity document"),
                                   choices=choices([(t, ID_TYPE_TITLES[t]) for t in ID_TYPES]))
    national_id = StringField(_l("Document number"), validators=[Optional(), Length(max=40)])
    phone_1 = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    phone_2 = StringField(_l("Second phone"), validators=[Optional(), Length(max=30)])
    email = EmailField(_l("E-mail (optional)"), validators=[
        Optional(), Email(message=_l("This e-mail address is not valid.")), Length(max=254)])
    region_id = SelectField(_l("Region"), coerce=int, validate_choice=False)
    commune = StringField(_l("Commune"), validators=[Optional(), Length(max=120)])
    occupation_1 = StringField(_l("Occupation sought"), validators=[Optional(), Length(max=200)])
    occupation_1_code = SelectField(_l("Coded as"), validate_choice=False)
    experience_1 = IntegerField(_l("Years of experience"), validators=[Optional(), NumberRange(0, 60)])
    occupation_2 = StringField(_l("Second occupation"), validators=[Optional(), Length(max=200)])
    occupation_2_code = SelectField(_l("Coded as"), validate_choice=False)
    experience_2 = IntegerField(_l("Years of experience"), validators=[Optional(), NumberRange(0, 60)])
    occupation_3 = StringField(_l("Third occupation"), validators=[Optional(), Length(max=200)])
    occupation_3_code = SelectField(_l("Coded as"), validate_choice=False)
    experience_3 = IntegerField(_l("Years of experience"), validators=[Optional(), NumberRange(0, 60)])
    consent_propose = BooleanField(CONSENT_TITLES["propose"])
    consent_share_employers = BooleanField(CONSENT_TITLES["share_employers"])
    consent_share_abroad = BooleanField(CONSENT_TITLES["share_abroad"])
    # Shown once probable duplicates were found: the agent confirms a new person, with a reason.
    confirm_new = BooleanField(_l("This is a different person: register anyway"))
    confirm_reason = TextAreaField(_l("Why is it a different person?"), validators=[Optional(), Length(max=500)])
    version = HiddenField()
    submit = SubmitField(_l("Save"))


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(_l("Name, registration number, phone or ID"))
    occupation = StringField(_l("Occupation (code or domain)"))
    status = SelectField(_l("Status"), choices=choices([("", _l("All"))] + [(s.value, t) for s, t in STATUS_TITLES.items()]))
    region_id = SelectField(_l("Region"), coerce=int, validate_choice=False)
