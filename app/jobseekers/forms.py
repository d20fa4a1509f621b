from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, DecimalField, EmailField, FieldList, FormField, HiddenField, IntegerField,
    SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from app.db import utcnow
from app.formtools import CheckboxesField, LanguageEntry, SubForm, choices, one_of
from app.jobseekers.identity import ID_TYPES, parse_birth
from app.jobseekers.models import (
    CONSENT_TITLES, EXPERIENCE_TITLES, QUALIFICATION_TITLES, SEX_TITLES, STATUS_TITLES, SeekerStatus,
)
from app.reference.vocab import CURRENCIES, DRIVING_LICENCE_TITLES, ISCED_LEVELS, SALARY_PERIODS

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


def _year(form, field):
    if field.data is not None and not 1940 <= field.data <= utcnow().year:
        raise ValidationError(_l("Give a year between 1940 and this year."))


class ExperienceEntry(SubForm):
    kind = SelectField(_l("Kind"), choices=choices(list(EXPERIENCE_TITLES.items())), validate_choice=False,
                       validators=[one_of(EXPERIENCE_TITLES)])
    title = StringField(_l("Job or trade"), validators=[Length(max=200)])  # checked below, even empty
    employer = StringField(_l("Employer or master craftsperson"), validators=[Optional(), Length(max=200)])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=120)])
    start_year = IntegerField(_l("From (year)"), validators=[Optional(), _year])
    end_year = IntegerField(_l("To (year, empty if still doing it)"), validators=[Optional(), _year])

    def validate_title(self, field):
        others = (self.employer.data, self.place.data, self.start_year.data, self.end_year.data)
        if not (field.data or "").strip() and any(value not in (None, "") for value in others):
            raise ValidationError(_l("Say what the work was."))

    def validate_end_year(self, field):
        if field.data and self.start_year.data and field.data < self.start_year.data:
            raise ValidationError(_l("The end comes before the start."))


class QualificationEntry(SubForm):
    kind = SelectField(_l("Kind"), choices=choices(list(QUALIFICATION_TITLES.items())), validate_choice=False,
                       validators=[one_of(QUALIFICATION_TITLES)])
    title = StringField(_l("Diploma or course"), validators=[Length(max=200)])
    institution = StringField(_l("School or training centre"), validators=[Optional(), Length(max=200)])
    year = IntegerField(_l("Year"), validators=[Optional(), _year])

    def validate_title(self, field):
        if not (field.data or "").strip() and ((self.institution.data or "").strip() or self.year.data):
            raise ValidationError(_l("Give the name of the diploma or course."))


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
    skills = CheckboxesField(_l("Skills from the occupations' lists"), validate_choice=False)
    free_skills = StringField(_l("Other skills, in the person's words (separated by commas)"),
                              validators=[Optional(), Length(max=600)])
    education_level = SelectField(_l("Education level"), choices=choices([("", "—")] + list(ISCED_LEVELS.items())),
                                  validate_choice=False, validators=[one_of(ISCED_LEVELS)])
    qualifications = FieldList(FormField(QualificationEntry), min_entries=2, max_entries=10)
    languages = FieldList(FormField(LanguageEntry), min_entries=3, max_entries=10)
    experiences = FieldList(FormField(ExperienceEntry), min_entries=2, max_entries=10)
    driving_licences = CheckboxesField(_l("Driving licences"),
                                       choices=choices(list(DRIVING_LICENCE_TITLES.items())))
    disability = BooleanField(_l("Has a disability"))
    disability_note = StringField(_l("Adjustments needed at work"), validators=[Optional(), Length(max=200)])
    availability_date = DateField(_l("Available from"), validators=[Optional()])
    salary_amount = DecimalField(_l("Salary expected"), places=None,
                                 validators=[Optional(), NumberRange(min=0, max=10**11)])
    salary_currency = SelectField(_l("Currency"), choices=choices([(c, c) for c in CURRENCIES]),
                                  validate_choice=False, validators=[one_of(CURRENCIES)])
    salary_period = SelectField(_l("Period"), choices=choices(list(SALARY_PERIODS.items())),
                                validate_choice=False, validators=[one_of(SALARY_PERIODS)])
    mobility_regions = CheckboxesField(_l("Would work in these regions"), coerce=int, validate_choice=False)
    mobility_countries = SelectMultipleField(_l("Would work in these countries"), validate_choice=False)
    abroad_interest = BooleanField(_l("Interested in working abroad"))
    consent_propose = BooleanField(CONSENT_TITLES["propose"])
    consent_share_employers = BooleanField(CONSENT_TITLES["share_employers"])
    consent_share_abroad = BooleanField(CONSENT_TITLES["share_abroad"])
    # Shown once probable duplicates were found: the agent confirms a new person, with a reason.
    confirm_new = BooleanField(_l("This is a different person: register anyway"))
    confirm_reason = TextAreaField(_l("Why is it a different person?"), validators=[Optional(), Length(max=500)])
    version = HiddenField()
    submit = SubmitField(_l("Save"))
    # Re-shows the form with the skills of the occupations just typed, saving nothing.
    refresh = SubmitField(_l("Show the skills of these occupations"))


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=choices([(s.value, t) for s, t in STATUS_TITLES.items()]))
    submit = SubmitField(_l("Change the status"))

    def status_value(self) -> SeekerStatus:
        return SeekerStatus(self.status.data)


class MergeForm(FlaskForm):
    other = StringField(_l("Registration number of the duplicate record"),
                        validators=[DataRequired(), Length(max=32)])
    confirm = BooleanField(_l("I have checked that both records are the same person"))
    submit = SubmitField(_l("Merge"))


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(_l("Name, registration number, phone or ID"))
    occupation = StringField(_l("Occupation (code or domain)"))
    status = SelectField(_l("Status"), choices=choices([("", _l("All"))] + [(s.value, t) for s, t in STATUS_TITLES.items()]))
    region_id = SelectField(_l("Region"), coerce=int, validate_choice=False)
