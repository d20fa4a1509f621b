from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, EmailField, FieldList, FormField, HiddenField, IntegerField, PasswordField, SelectField,
    StringField, SubmitField, TextAreaField,
)
from wtforms.validators import (
    URL, AnyOf, DataRequired, Email, EqualTo, Length, NumberRange, Optional, Regexp, ValidationError,
)

from app.auth.passwords import password_problems
from app.formtools import CHOOSE, SubForm, choices, one_of
from app.offers.employers import PROGRAMME_KINDS
from app.offers.models import EMPLOYER_KIND_TITLES, EMPLOYER_STATUS_TITLES, EmployerKind
from app.offers.registration_schemes import LEGAL_FORMS
from app.offers.sectors import SECTIONS, sector_choices

_EMAIL = Email(message=_l("This e-mail address is not valid."))
USERNAME = Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dots, dashes or underscores."))
# Online sign-up: foreign employers and partner services are registered by staff, who check them.
ONLINE_KINDS = (EmployerKind.NATIONAL, EmployerKind.INTERMEDIARY)


def _password_rules(form, field):
    problems = password_problems(field.data or "", form.username.data or "", form.full_name.data or "")
    if problems:
        raise ValidationError(" ".join(problems))


def _optional_choice(values):
    return [Optional(), AnyOf(list(values), message=CHOOSE)]


class ContactsForm(FlaskForm):
    """What an employer's own users may change."""

    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    email = EmailField(_l("E-mail"), validators=[Optional(), _EMAIL, Length(max=254)])
    website = StringField(_l("Website"), validators=[
        Optional(), Length(max=200), URL(message=_l("Give the full address, starting with https://."))])
    city = StringField(_l("Town or commune"), validators=[Optional(), Length(max=120)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Save"))


class CompanyForm(ContactsForm):
    """The company itself; the labels of ``number_1`` and ``number_2`` follow the country."""

    name = StringField(_l("Name of the company or organisation"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=choices((k.value, t) for k, t in EMPLOYER_KIND_TITLES.items()))
    legal_form = SelectField(_l("Legal form"), choices=choices([("", "—")] + list(LEGAL_FORMS.items())),
                             validate_choice=False, validators=_optional_choice(LEGAL_FORMS))
    sector = SelectField(_l("Activity sector (ISIC Rev.4)"), choices=choices([("", "—")] + sector_choices()),
                         validate_choice=False, validators=_optional_choice(SECTIONS))
    region_id = SelectField(_l("Region"), coerce=int, validate_choice=False)
    number_1 = StringField(validators=[Optional(), Length(max=64)])
    number_2 = StringField(validators=[Optional(), Length(max=64)])
    # The country whose numbers the form showed: if the seat changes, the labels must change first.
    numbers_country = HiddenField()
    licence_number = StringField(_l("Licence number (recruitment agencies)"),
                                 validators=[Optional(), Length(max=64)])
    licence_valid_until = DateField(_l("Licence valid until"), validators=[Optional()])


class EmployerForm(CompanyForm):
    """Registration and edit by staff, foreign employers and partner services included."""

    seat_country = SelectField(_l("Country of the seat"), validate_choice=False)
    programme_id = SelectField(_l("Partner programme"), coerce=int, validate_choice=False)
    agency_id = SelectField(_l("Agency following the employer"), coerce=int, validate_choice=False)
    confirm_similar = BooleanField(_l("This is a different employer: save anyway"))


class OnlineRegistrationForm(CompanyForm):
    """An employer's own sign-up, without login."""

    kind = SelectField(_l("Kind"), choices=choices((k.value, EMPLOYER_KIND_TITLES[k]) for k in ONLINE_KINDS))
    country = HiddenField()
    agency_id = SelectField(_l("Agency that should follow you"), coerce=int, validate_choice=False)
    full_name = StringField(_l("Your full name"), validators=[DataRequired(), Length(max=120)])
    username = StringField(_l("Username to log in"), validators=[DataRequired(), Length(min=3, max=64), USERNAME])
    password = PasswordField(_l("Password"), validators=[DataRequired(), _password_rules])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    # Against automated sign-ups: a sum to give, and a field people never see (bots fill it).
    answer = IntegerField(validators=[DataRequired(message=_l("Give the result of the sum."))])
    fax = StringField(_l("Leave this field empty"))
    submit = SubmitField(_l("Send the registration"))


class CountryForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only chooses which form to show

    country = SelectField(_l("Country of the employment service"), validate_choice=False)
    submit = SubmitField(_l("Continue"))


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Comment (required to reject)"), validators=[Optional(), Length(max=500)])
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))


class EmployerUserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=3, max=64), USERNAME])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail (optional)"), validators=[Optional(), _EMAIL, Length(max=254)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), _password_rules])
    submit = SubmitField(_l("Create the user"))


PROGRAMME_STATUS_TITLES = {
    "planned": _l("Planned"), "active": _l("Active"), "suspended": _l("Suspended"), "ended": _l("Ended"),
}
INSTITUTION_KIND_TITLES = {
    "pes": _l("Public employment service"), "employer": _l("Employer"),
    "training_centre": _l("Training centre"), "other": _l("Other"),
}


class InstitutionEntry(SubForm):
    """An institution taking part in a partnership; a row left blank is ignored. The view
    fills and checks the countries."""

    name = StringField(_l("Institution"), validators=[Length(max=200)])
    kind = SelectField(_l("Kind of institution"), validate_choice=False, validators=[one_of(INSTITUTION_KIND_TITLES)],
                       choices=choices([("", "—")] + list(INSTITUTION_KIND_TITLES.items())))
    country_code = SelectField(_l("Country"), validate_choice=False)

    def validate_name(self, field):
        if not (field.data or "").strip() and (self.kind.data or self.country_code.data):
            raise ValidationError(_l("Give the name of the institution."))

    def validate_kind(self, field):
        if (self.name.data or "").strip() and not field.data:
            raise ValidationError(_l("Choose the kind of institution."))

    def validate_country_code(self, field):
        if (self.name.data or "").strip() and not field.data:
            raise ValidationError(_l("Choose the country of the institution."))


class ProgrammeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    origin_country = SelectField(_l("Country of origin"), validate_choice=False)
    destination_country = SelectField(_l("Country of destination"), validate_choice=False)
    kind = SelectField(_l("Kind"), choices=choices(list(PROGRAMME_KINDS.items())))
    # A skills partnership's terms; only "active" programmes are offered to employers and offers.
    status = SelectField(_l("Status"), choices=choices(list(PROGRAMME_STATUS_TITLES.items())), default="active")
    quota = IntegerField(_l("Quota of workers"), validators=[
        Optional(), NumberRange(min=1, max=99_999, message=_l("Give a number of workers between 1 and 99,999."))])
    starts_on = DateField(_l("Start of the period"), validators=[Optional()])
    ends_on = DateField(_l("End of the period"), validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    occupation_codes = StringField(_l("Target occupations (ROAME codes)"), validators=[Optional(), Length(max=1000)])
    institutions = FieldList(FormField(InstitutionEntry), min_entries=2, max_entries=30)
    submit = SubmitField(_l("Save"))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end of the period cannot come before its start."))


class EmployerSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(_l("Name or registration number"))
    kind = SelectField(_l("Kind"), choices=choices([("", _l("All"))] + list(EMPLOYER_KIND_TITLES.items())))
    status = SelectField(_l("Status"), choices=choices([("", _l("All"))] + list(EMPLOYER_STATUS_TITLES.items())))
