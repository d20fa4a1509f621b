from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, DateField, DecimalField, FieldList, FormField, HiddenField, IntegerField, SelectField,
    StringField, SubmitField, TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, ValidationError

from app.auth.models import Country, Region, Role
from app.db import utcnow
from app.extensions import db
from app.formtools import CHOOSE, CheckboxesField, LanguageEntry, choices
from app.i18n import country_name, localised_label
from app.offers.models import (
    BENEFITS, CONTRACT_TITLES, EMPLOYER_KIND_TITLES, OFFER_STATUS_TITLES, ContractType, Employer, EmployerKind,
    Offer, PartnerProgramme,
)
from app.offers.services import OfferData
from app.reference.crosswalk import fiches_for_isco, parse_isco
from app.reference.models import Occupation, OccupationSkill, Skill
from app.reference.services import suggest_occupations
from app.reference.vocab import (
    CURRENCIES, DRIVING_LICENCE_TITLES, ISCED_LEVELS, LANGUAGE_CODES, SALARY_PERIODS, language_choices,
)

WORKING_TIMES = {"full": _l("Full time"), "part": _l("Part time")}
# Who pays travel and housing. "Not stated" is kept as such: on an international offer the
# anti-fraud checks flag it, since costs nobody names tend to end up on the worker.
PAYERS = {"employer": _l("Paid by the employer"), "worker": _l("At the worker's expense")}
NEEDS_DURATION = (ContractType.FIXED_TERM.value, ContractType.SEASONAL.value)
MAX_EMPLOYERS = 500  # a longer list belongs on the employer's page, which links here with ?employer_id=


def _listed(values, blank: str = "—"):
    return choices([("", blank)] + list(values.items()))


class OfferLanguageEntry(LanguageEntry):
    required = BooleanField(_l("Required"))


class OfferForm(FlaskForm):
    employer_id = SelectField(_l("Employer"), coerce=int, validate_choice=False)
    intermediary_id = SelectField(_l("Recruitment agency or partner service, if any"), coerce=int,
                                  validate_choice=False)
    job_title = StringField(_l("Job title, in the employer's words"), validators=[DataRequired(), Length(max=200)])
    occupation_code = SelectField(_l("Occupation (ROAME fiche)"), validate_choice=False)
    source_code = StringField(_l("ISCO-08 or ESCO code, if the offer came coded so"),
                              validators=[Optional(), Length(max=120)])
    mapping_confirmed = BooleanField(_l("I have checked that the fiche matches this ISCO-08 code"))
    description = TextAreaField(_l("Description of the job"), validators=[Optional(), Length(max=5000)])
    positions = IntegerField(_l("Number of positions"), default=1, validators=[DataRequired(), NumberRange(1, 10000)])
    contract_type = SelectField(_l("Contract"), choices=_listed(CONTRACT_TITLES), validate_choice=False,
                                validators=[DataRequired(message=CHOOSE), AnyOf(CONTRACT_TITLES, CHOOSE)])
    contract_months = IntegerField(_l("Duration (months)"), validators=[Optional(), NumberRange(1, 120)])
    working_time = SelectField(_l("Working time"), choices=choices(list(WORKING_TIMES.items())),
                               validators=[AnyOf(WORKING_TIMES, CHOOSE)], validate_choice=False)
    hours_per_week = IntegerField(_l("Hours per week"), validators=[Optional(), NumberRange(1, 80)])
    international = BooleanField(_l("The job is abroad (international offer)"))
    region_id = SelectField(_l("Region"), coerce=int, validate_choice=False)
    destination_country = SelectField(_l("Destination country"), validate_choice=False)
    city = StringField(_l("Commune, or city abroad"), validators=[Optional(), Length(max=120)])
    salary_min = DecimalField(_l("Salary from"), places=None, validators=[Optional(), NumberRange(0, 10**11)])
    salary_max = DecimalField(_l("Salary up to"), places=None, validators=[Optional(), NumberRange(0, 10**11)])
    salary_currency = SelectField(_l("Currency"), choices=choices([(c, c) for c in CURRENCIES]),
                                  validators=[Optional(), AnyOf(CURRENCIES, CHOOSE)], validate_choice=False)
    salary_period = SelectField(_l("Period"), choices=choices(list(SALARY_PERIODS.items())),
                                validators=[Optional(), AnyOf(SALARY_PERIODS, CHOOSE)], validate_choice=False)
    benefits = CheckboxesField(_l("Benefits in kind"), choices=choices(list(BENEFITS.items())))
    experience_years = IntegerField(_l("Years of experience required"), validators=[Optional(), NumberRange(0, 50)])
    beginners_ok = BooleanField(_l("Beginners accepted"))
    education_level = SelectField(_l("Education level"), choices=_listed(ISCED_LEVELS), validate_choice=False,
                                  validators=[Optional(), AnyOf(ISCED_LEVELS, CHOOSE)])
    education_required = BooleanField(_l("This level is required"))
    driving_licence = SelectField(_l("Driving licence required"), choices=_listed(DRIVING_LICENCE_TITLES),
                                  validate_choice=False,
                                  validators=[Optional(), AnyOf(DRIVING_LICENCE_TITLES, CHOOSE)])
    required_skills = CheckboxesField(_l("Required skills"), validate_choice=False)
    desirable_skills = CheckboxesField(_l("Desirable skills"), validate_choice=False)
    languages = FieldList(FormField(OfferLanguageEntry), min_entries=2, max_entries=10)
    start_date = DateField(_l("Start date"), validators=[Optional()])
    closing_date = DateField(_l("Closing date for applications"), validators=[Optional()])
    how_to_apply = TextAreaField(_l("How to apply"), validators=[Optional(), Length(max=2000)])
    show_contact = BooleanField(_l("Show the employer's contact details on the public job board"))
    programme_id = SelectField(_l("Partner programme or skills partnership"), coerce=int, validate_choice=False)
    work_permit = BooleanField(_l("The employer obtains the work permit"))
    visa_sponsored = BooleanField(_l("The employer sponsors the visa"))
    travel = SelectField(_l("Travel"), choices=_listed(PAYERS, _l("Not stated")), validate_choice=False,
                         validators=[Optional(), AnyOf(PAYERS, CHOOSE)])
    housing = SelectField(_l("Housing"), choices=_listed(PAYERS, _l("Not stated")), validate_choice=False,
                          validators=[Optional(), AnyOf(PAYERS, CHOOSE)])
    worker_fee = DecimalField(_l("Fee asked of the worker (there should be none)"), places=None,
                              validators=[Optional(), NumberRange(0, 10**11)])
    worker_fee_currency = SelectField(_l("Currency of the fee"), choices=choices([(c, c) for c in CURRENCIES]),
                                      validators=[Optional(), AnyOf(CURRENCIES, CHOOSE)], validate_choice=False)
    version = HiddenField()
    submit = SubmitField(_l("Save"))
    # Re-shows the form with the skills of the fiche just chosen, saving nothing (no JavaScript needed).
    refresh = SubmitField(_l("Show the skills of this occupation"))

    def validate_salary_max(self, field):
        if field.data is not None and self.salary_min.data is not None and field.data < self.salary_min.data:
            raise ValidationError(_l("The maximum is below the minimum."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Here, not in a field validator: Optional() stops those on an empty duration.
        if self.contract_type.data in NEEDS_DURATION and self.contract_months.data is None:
            self.contract_months.errors.append(_("Give the duration of this contract."))
            valid = False
        return valid

    def validate_destination_country(self, field):
        if self.international.data and not field.data:
            raise ValidationError(_l("Give the country where the job is."))

    def validate_closing_date(self, field):
        if field.data is not None and field.data < utcnow().date():
            raise ValidationError(_l("The closing date is already past."))

    def validate_desirable_skills(self, field):
        if set(field.data or []) & set(self.required_skills.data or []):
            raise ValidationError(_l("A skill is either required or desirable, not both."))


class ContractForm(FlaskForm):
    document = FileField(_l("Employment contract (PDF)"), validators=[FileRequired(_l("Choose a PDF file."))])
    submit = SubmitField(_l("Upload the contract"))


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the rejection"), validators=[
        DataRequired(_l("Give the reason for the rejection.")), Length(max=500)])
    submit = SubmitField(_l("Reject"))


class ClearFlagForm(FlaskForm):
    comment = TextAreaField(_l("Why the offer is sound despite this warning"), validators=[
        DataRequired(_l("A comment is required to clear a warning.")), Length(max=500)])
    submit = SubmitField(_l("Clear the warning"))


class OfferSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    status = SelectField(_l("Status"), choices=choices([("", _l("All"))] + list(OFFER_STATUS_TITLES.items())),
                         validate_choice=False)
    occupation = StringField(_l("Occupation (code or domain)"), validators=[Optional(), Length(max=16)])
    international = SelectField(_l("Place"), choices=choices([("", _l("All")), ("no", _l("National")),
                                                               ("yes", _l("International"))]),
                                validate_choice=False)
    flagged = BooleanField(_l("With open warnings only"))


# Choices and conversion: they read the database, so they live beside the form, not in it.

def _employer_choices(user: Any, country: str | None, offer: Offer | None) -> list[tuple[int, str]]:
    if user.role == Role.EMPLOYER:
        return [(user.employer.id, user.employer.name)] if user.employer is not None else []
    query = sa.select(Employer).where(Employer.active.is_(True), Employer.country_code == country)
    employers = list(db.session.scalars(query.order_by(Employer.name).limit(MAX_EMPLOYERS)))
    if offer is not None and offer.employer not in employers:
        employers.append(offer.employer)
    return [(e.id, f"{e.name} · {EMPLOYER_KIND_TITLES.get(e.kind, e.kind)}") for e in employers]


def _occupation_choices(form: OfferForm) -> list[tuple[str, str]]:
    """Fiches for the job title (coding assistant) and for the ISCO-08 code (crosswalk)."""
    text = (form.job_title.data or "").strip()
    found: dict[str, str] = {}
    isco = parse_isco(form.source_code.data)
    if isco:
        found.update((m.code, m.label) for m in fiches_for_isco(isco, limit=5))
    if text:
        found.update((s.code, s.label) for s in suggest_occupations(text, limit=5) if s.code not in found)
        exact = db.session.get(Occupation, text.upper()[:16])
        if exact is not None:  # an agent who knows the code types it
            found = {exact.code: localised_label(exact), **found}
    if form.occupation_code.data and form.occupation_code.data not in found:
        chosen = db.session.get(Occupation, form.occupation_code.data)
        if chosen is not None:  # the choice stays offered after a re-display
            found[chosen.code] = localised_label(chosen)
    return list(found.items())


def _skill_rows(code: str | None) -> list[tuple[str, str, bool]]:
    """The fiche's skills as (code, label, core), core skills first."""
    if not code:
        return []
    rows = db.session.execute(
        sa.select(Skill, OccupationSkill.core).join(OccupationSkill, OccupationSkill.skill_code == Skill.code)
        .where(OccupationSkill.occupation_code == code)).all()
    return sorted(((s.code, localised_label(s), core) for s, core in rows), key=lambda r: (not r[2], r[1]))


def fill_choices(form: OfferForm, user: Any, country: str | None, offer: Offer | None) -> None:
    """Every list of the form, for an offer held by ``country``; best fiche guess preselected."""
    form.employer_id.choices = choices([(0, "—")] + _employer_choices(user, country, offer))
    recruiters = db.session.scalars(sa.select(Employer).where(
        Employer.country_code == country, Employer.active.is_(True),
        Employer.kind.in_((EmployerKind.INTERMEDIARY.value, EmployerKind.PARTNER_PES.value)))
        .order_by(Employer.name).limit(MAX_EMPLOYERS))
    form.intermediary_id.choices = choices([(0, "—")] + [(e.id, e.name) for e in recruiters])
    regions = db.session.scalars(sa.select(Region).where(Region.country_code == country))
    form.region_id.choices = choices([(0, "—")] + sorted(((r.id, r.label) for r in regions), key=lambda p: p[1]))
    codes = db.session.scalars(sa.select(Country.code).where(Country.code != country))
    form.destination_country.choices = choices(
        [("", "—")] + sorted(((c, country_name(c)) for c in codes), key=lambda p: p[1]))
    programmes = db.session.scalars(sa.select(PartnerProgramme).where(
        PartnerProgramme.origin_country == country, PartnerProgramme.active.is_(True)).order_by(PartnerProgramme.name))
    form.programme_id.choices = choices([(0, "—")] + [(p.id, p.name) for p in programmes])
    languages = choices([("", "—")] + language_choices())
    for entry in form.languages:
        entry.form.language.choices = languages
    if not form.is_submitted() and offer is None:
        currency = db.session.scalar(sa.select(Country.currency).where(Country.code == country))
        form.salary_currency.data = form.worker_fee_currency.data = currency or "XOF"
        form.salary_period.data = "month"
    found = _occupation_choices(form)
    form.occupation_code.choices = choices([("", "—")] + [(code, f"{code} · {label}") for code, label in found])
    if (form.job_title.data or "").strip() and not form.occupation_code.data and found:
        form.occupation_code.data = found[0][0]  # the best guess, for the user to confirm
    form.skill_rows = _skill_rows(form.occupation_code.data)
    form.required_skills.choices = form.desirable_skills.choices = choices(
        (code, label) for code, label, _core in form.skill_rows)


def initial_data(offer: Offer) -> dict[str, Any]:
    """The edit form's first values; the language list gets one free row."""
    data = {name: getattr(offer, name) for name in (
        "job_title", "occupation_code", "description", "positions", "contract_type", "contract_months",
        "working_time", "hours_per_week", "international", "city", "salary_min", "salary_max", "salary_currency",
        "salary_period", "experience_years", "beginners_ok", "education_level", "education_required",
        "driving_licence", "start_date", "closing_date", "how_to_apply", "show_contact", "work_permit",
        "visa_sponsored", "worker_fee", "worker_fee_currency", "source_code", "mapping_confirmed")}
    data.update(
        employer_id=offer.employer_id, intermediary_id=offer.intermediary_id or 0, region_id=offer.region_id or 0,
        destination_country=offer.destination_country or "", programme_id=offer.programme_id or 0,
        benefits=offer.benefits.split(), travel=_payer(offer.travel_paid), housing=_payer(offer.housing_provided),
        required_skills=[s.skill_code for s in offer.skills if s.required],
        desirable_skills=[s.skill_code for s in offer.skills if not s.required],
        languages=[{"language": lang.language, "level": lang.level, "required": lang.required}
                   for lang in offer.languages] + [{}],
        version=str(offer.version))
    return data


def _payer(value: bool | None) -> str:
    return "" if value is None else ("employer" if value else "worker")


def _chosen(field, allowed: set, message: str) -> bool:
    """Whether a select's value is one the page offered (crafted posts get a field error)."""
    if field.data and field.data not in allowed:
        field.errors.append(message)
        return False
    return True


def _languages(form: OfferForm) -> list[tuple[str, str, bool]] | None:
    known, rows, ok = set(LANGUAGE_CODES), [], True
    for entry in form.languages:
        code = entry.form.language.data
        if code and code not in known:
            entry.form.language.errors.append(_("Choose a language from the list."))
            ok = False
        elif code:
            rows.append((code, entry.form.level.data, bool(entry.form.required.data)))
    return rows if ok else None


def _mapping_confirmed(form: OfferForm, user: Any, offer: Offer | None, code: str, source: str | None) -> bool:
    """Only staff confirm a crosswalk mapping; an unchanged mapping keeps its confirmation."""
    if not source:
        return True
    if user.role != Role.EMPLOYER and form.mapping_confirmed.data:
        return True
    return bool(offer and offer.mapping_confirmed and offer.source_code == source and offer.occupation_code == code)


def offer_data(form: OfferForm, user: Any, country: str | None, offer: Offer | None) -> OfferData | None:
    """Turn the form into OfferData, adding field errors for what only the database can check."""
    choose = _("Choose a value from the list.")
    checks = [
        _chosen(form.employer_id, {c.value for c in form.employer_id.choices}, _("Choose an employer from the list.")),
        _chosen(form.intermediary_id, {c.value for c in form.intermediary_id.choices}, choose),
        _chosen(form.region_id, {c.value for c in form.region_id.choices}, _("Choose a region of the list.")),
        _chosen(form.destination_country, {c.value for c in form.destination_country.choices},
                _("Choose a country from the list.")),
        _chosen(form.programme_id, {c.value for c in form.programme_id.choices}, choose),
    ]
    skills = {code for code, _label, _core in form.skill_rows}
    for field in (form.required_skills, form.desirable_skills):
        if set(field.data or []) - skills:
            field.errors.append(_("Choose skills from the occupation's list: show its skills and tick them again."))
            checks.append(False)
    code = form.occupation_code.data
    if not code or db.session.get(Occupation, code) is None:
        form.occupation_code.errors.append(_("Choose the occupation from the list; if none fits, try other words "
                                             "in the job title."))
        checks.append(False)
    source = (form.source_code.data or "").strip() or None
    if source and parse_isco(source) is None:
        form.source_code.errors.append(_("Give an ISCO-08 code (up to 4 digits) or an ESCO code such as 7112.1."))
        checks.append(False)
    has_salary = form.salary_min.data is not None or form.salary_max.data is not None
    if has_salary and not (form.salary_currency.data and form.salary_period.data):
        form.salary_period.errors.append(_("Give the currency and the period of the salary."))
        checks.append(False)
    if form.worker_fee.data and not form.worker_fee_currency.data:
        form.worker_fee_currency.errors.append(_("Give the currency of the fee."))
        checks.append(False)
    languages = _languages(form)
    if not all(checks) or languages is None:
        return None
    required = list(dict.fromkeys(form.required_skills.data or []))
    desirable = [c for c in dict.fromkeys(form.desirable_skills.data or []) if c not in required]
    text = lambda field: (field.data or "").strip()  # noqa: E731
    return OfferData(
        employer_id=form.employer_id.data, occupation_code=code, job_title=text(form.job_title),
        contract_type=form.contract_type.data, description=text(form.description), positions=form.positions.data,
        contract_months=form.contract_months.data, working_time=form.working_time.data,
        hours_per_week=form.hours_per_week.data, international=form.international.data,
        destination_country=form.destination_country.data or None, region_id=form.region_id.data or None,
        city=text(form.city) or None, salary_min=form.salary_min.data, salary_max=form.salary_max.data,
        salary_currency=form.salary_currency.data if has_salary else None,
        salary_period=form.salary_period.data if has_salary else None, benefits=tuple(form.benefits.data or ()),
        experience_years=form.experience_years.data, beginners_ok=form.beginners_ok.data,
        education_level=form.education_level.data or None, education_required=form.education_required.data,
        driving_licence=form.driving_licence.data or None, start_date=form.start_date.data,
        closing_date=form.closing_date.data, how_to_apply=text(form.how_to_apply), show_contact=form.show_contact.data,
        intermediary_id=form.intermediary_id.data or None, programme_id=form.programme_id.data or None,
        work_permit=form.work_permit.data, visa_sponsored=form.visa_sponsored.data,
        travel_paid=None if not form.travel.data else form.travel.data == "employer",
        housing_provided=None if not form.housing.data else form.housing.data == "employer",
        worker_fee=form.worker_fee.data or None, worker_fee_currency=form.worker_fee_currency.data or None,
        source_code=source, mapping_confirmed=_mapping_confirmed(form, user, offer, code, source),
        skills=[(c, True) for c in required] + [(c, False) for c in desirable], languages=languages,
    )
