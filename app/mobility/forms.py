"""Forms of mobility dossiers, and the choices and conversions that read the database."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, DecimalField, FieldList, FormField, HiddenField, IntegerField, SelectField,
    SelectMultipleField, StringField, SubmitField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app.auth.models import Agency, Country
from app.db import utcnow
from app.extensions import db
from app.formtools import CHOOSE, MAX_ID, CheckboxesField, SubForm, choices, one_of, whole_number
from app.i18n import country_name, localised_label
from app.jobseekers.models import JobSeeker
from app.mobility import services
from app.mobility.models import (
    CHANNEL_TITLES, CLOSE_REASON_TITLES, PROJECT_TITLES, STAGE_TITLES, Channel, Dossier, Stage,
)
from app.mobility.services import ALTERNATIVE_TITLES, FREE_ALTERNATIVES, SESSION_KINDS
from app.reference.models import Occupation
from app.reference.services import suggest_occupations
from app.reference.vocab import CURRENCIES

OCCUPATION_ROWS = 3
# A question of the risk assessment: yes, no, or not asked yet.
ANSWERS = {"yes": _l("Yes"), "no": _l("No")}


def _version_number(form, field):
    if (field.data or "").strip() and whole_number(field.data) is None:
        raise ValidationError(_l("Check the form: some values are not valid."))


def version_field() -> HiddenField:
    """The version of the dossier the page was opened on. Empty means "not known"; anything
    else that is not a number was not written by the page, and is refused."""
    return HiddenField(validators=[_version_number])


class OccupationEntry(SubForm):
    text = StringField(_l("Occupation sought abroad"), validators=[Optional(), Length(max=200)],
                       render_kw={"data-occupation-autocomplete": True, "autocomplete": "off"})
    code = SelectField(_l("Coded as"), validate_choice=False)


class DossierForm(FlaskForm):
    destinations = SelectMultipleField(_l("Destination countries"), validate_choice=False)
    occupations = FieldList(FormField(OccupationEntry), min_entries=OCCUPATION_ROWS, max_entries=OCCUPATION_ROWS)
    project_kind = SelectField(_l("Project"), choices=choices(list(PROJECT_TITLES.items())),
                               validate_choice=False, validators=[one_of(PROJECT_TITLES)])
    channel = SelectField(_l("Channel"), choices=choices(list(CHANNEL_TITLES.items())),
                          validate_choice=False, validators=[one_of(CHANNEL_TITLES)])
    programme_id = SelectField(_l("Partner programme"), coerce=int, validate_choice=False)
    offer_reference = StringField(_l("International offer the person is matched to (reference)"),
                                  validators=[Optional(), Length(max=32)])
    motivation = TextAreaField(_l("Motivation and project, in the person's words"),
                               validators=[Optional(), Length(max=5000)])
    version = version_field()
    submit = SubmitField(_l("Save"))
    # Re-shows the form with the occupations coded, saving nothing (no JavaScript needed).
    refresh = SubmitField(_l("Code the occupations"))

    def validate_programme_id(self, field):
        if self.channel.data == Channel.PROGRAMME.value and not field.data:
            raise ValidationError(_l("Choose the partner programme."))


def fill_choices(form: DossierForm, country: str, dossier: Dossier | None) -> None:
    """The lists of the dossier form for a dossier of ``country``; best fiche guesses preselected."""
    codes = db.session.scalars(sa.select(Country.code).where(Country.code != country))
    form.destinations.choices = choices(sorted(((c, country_name(c)) for c in codes), key=lambda p: p[1]))
    programmes = services.active_programmes(country)
    if dossier is not None and dossier.programme is not None and dossier.programme not in programmes:
        programmes.append(dossier.programme)  # still shown, so that an edit does not drop it silently
    form.programme_id.choices = choices(
        [(0, "—")] + [(p.id, f"{p.name} · {country_name(p.destination_country)}") for p in programmes])
    for entry in form.occupations:
        _code_occupation(entry.form)


def _code_occupation(entry: OccupationEntry) -> None:
    text = (entry.text.data or "").strip()
    found = [(s.code, s.label) for s in suggest_occupations(text, limit=5)] if text else []
    exact = db.session.get(Occupation, text.upper()[:16]) if text else None
    if exact is not None:  # a counsellor who knows the code types it
        found = [(exact.code, localised_label(exact))]
    if entry.code.data and entry.code.data not in {code for code, _label in found}:
        chosen = db.session.get(Occupation, entry.code.data)
        if chosen is not None:  # the choice stays offered after a re-display
            found.append((chosen.code, localised_label(chosen)))
    entry.code.choices = choices([("", "—")] + [(code, f"{code} · {label}") for code, label in found])
    if text and not entry.code.data and found:
        entry.code.data = found[0][0]  # the best guess, shown for the counsellor to confirm


def initial_data(dossier: Dossier | None, seeker: JobSeeker) -> dict[str, Any]:
    """The form's first values: the dossier's, or for a new one the person's occupations."""
    if dossier is None:
        rows = [{"text": o.title or o.occupation_code, "code": o.occupation_code} for o in seeker.occupations]
        return {"occupations": (rows + [{}] * OCCUPATION_ROWS)[:OCCUPATION_ROWS],
                "destinations": [c.code for c in seeker.mobility_countries], "programme_id": 0}
    rows = [{"text": o.code, "code": o.code} for o in dossier.occupations]
    return {"destinations": [c.code for c in dossier.destinations],
            "occupations": (rows + [{}] * OCCUPATION_ROWS)[:OCCUPATION_ROWS],
            "project_kind": dossier.project_kind, "channel": dossier.channel,
            "programme_id": dossier.programme_id or 0,
            "offer_reference": dossier.offer.reference if dossier.offer else "",
            "motivation": dossier.motivation, "version": str(dossier.version)}


def dossier_data(form: DossierForm) -> services.DossierData | None:
    """Turn the form into DossierData, adding field errors for what only the database can check."""
    ok = True
    allowed = {c.value for c in form.destinations.choices}
    if set(form.destinations.data or []) - allowed:
        form.destinations.errors.append(_("Choose a country from the list."))
        ok = False
    occupations = []
    for entry in form.occupations:
        text, code = (entry.form.text.data or "").strip(), entry.form.code.data
        if text and not code:
            entry.form.text.errors.append(_("No occupation matches this title; try other words."))
            ok = False
        elif code and db.session.get(Occupation, code) is None:
            entry.form.code.errors.append(_("Choose an occupation from the list."))
            ok = False
        elif code:
            occupations.append(code)
    channel = form.channel.data or Channel.NONE.value
    programme_id = form.programme_id.data or None
    if channel == Channel.PROGRAMME.value and programme_id not in {c.value for c in form.programme_id.choices}:
        form.programme_id.errors.append(str(CHOOSE))
        ok = False
    offer = None
    if (form.offer_reference.data or "").strip():
        offer = services.find_international_offer(form.offer_reference.data)
        if offer is None:
            form.offer_reference.errors.append(_("No published international offer has this reference."))
            ok = False
    if not ok:
        return None
    return services.DossierData(
        destinations=list(form.destinations.data or []), occupations=occupations,
        project_kind=form.project_kind.data or "undecided", channel=channel,
        programme_id=programme_id if channel == Channel.PROGRAMME.value else None,
        offer_id=offer.id if offer else None, motivation=form.motivation.data or "")


class _Version(FlaskForm):
    version = version_field()

    def version_value(self) -> int | None:
        return whole_number(self.version.data)


class StepForm(_Version):
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=1000)])


class CloseForm(_Version):
    reason = SelectField(_l("Reason for closing"), validate_choice=False,
                         choices=choices([("", "—")] + list(CLOSE_REASON_TITLES.items())),
                         validators=[DataRequired(_l("Choose the reason for closing.")), one_of(CLOSE_REASON_TITLES)],
                         id="close-reason")
    comment = TextAreaField(_l("Comment (required for another reason)"), validators=[Optional(), Length(max=500)],
                            id="close-comment")
    submit = SubmitField(_l("Close the dossier"), id="close-submit")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Here, not in a field validator: Optional() stops those on an empty comment.
        if self.reason.data == "other" and not (self.comment.data or "").strip():
            self.comment.errors.append(_("Explain the reason in the comment."))
            valid = False
        return valid


class ApproveForm(_Version):
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=1000)],
                            id="approve-comment")
    submit = SubmitField(_l("Approve"), id="approve-submit")


class SendBackForm(_Version):
    comment = TextAreaField(_l("What must change before approval"), validators=[
        DataRequired(_l("Say what must change: a comment is required to send a dossier back.")),
        Length(max=1000)], id="send-back-comment")
    submit = SubmitField(_l("Send back"), id="send-back-submit")


def _answer(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _answer_field(label) -> SelectField:
    return SelectField(label, choices=choices([("", _l("Not asked yet"))] + list(ANSWERS.items())),
                       validate_choice=False, validators=[one_of(ANSWERS)])


class AssessmentForm(FlaskForm):
    aware_of_risks = _answer_field(_l("Knows the risks of irregular routes"))
    fee_asked = _answer_field(_l("An intermediary asked for fees"))
    fee_amount = DecimalField(_l("Amount asked"), places=None, validators=[Optional(), NumberRange(0, 10**11)])
    fee_currency = SelectField(_l("Currency"), choices=choices([("", "—")] + [(c, c) for c in CURRENCIES]),
                               validate_choice=False, validators=[one_of(CURRENCIES)])
    passport_retention = _answer_field(_l("Someone keeps or wants the passport"))
    debts = _answer_field(_l("Borrowed money to pay for the journey"))
    offer_checked = _answer_field(_l("The offer was checked by the employment service"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)], id="assessment-notes")
    submit = SubmitField(_l("Save the assessment"), id="assessment-submit")

    def validate_fee_currency(self, field):
        if self.fee_amount.data is not None and not field.data:
            raise ValidationError(_l("Give the currency of the fee."))

    def validate_fee_amount(self, field):
        if field.data is not None and self.fee_asked.data != "yes":
            raise ValidationError(_l("An amount only goes with fees asked."))

    def fill(self, assessment) -> None:
        if assessment is None:
            return
        for name in ("aware_of_risks", "fee_asked", "passport_retention", "debts", "offer_checked"):
            getattr(self, name).data = _answer(getattr(assessment, name))
        self.fee_amount.data, self.fee_currency.data = assessment.fee_amount, assessment.fee_currency or ""
        self.notes.data = assessment.notes

    def assessment_data(self) -> services.AssessmentData:
        value = {"yes": True, "no": False}.get
        return services.AssessmentData(
            aware_of_risks=value(self.aware_of_risks.data), fee_asked=value(self.fee_asked.data),
            fee_amount=self.fee_amount.data, fee_currency=self.fee_currency.data or None,
            passport_retention=value(self.passport_retention.data), debts=value(self.debts.data),
            offer_checked=value(self.offer_checked.data), notes=self.notes.data or "")


class AlternativeForm(FlaskForm):
    kind = SelectField(_l("Alternative"), validate_choice=False,
                       choices=choices([(k, ALTERNATIVE_TITLES[k]) for k in FREE_ALTERNATIVES]),
                       validators=[one_of(FREE_ALTERNATIVES)], id="alternative-kind")
    description = TextAreaField(_l("Description"), validators=[
        DataRequired(_l("Describe the alternative.")), Length(max=500)], id="alternative-description")
    submit = SubmitField(_l("Add the alternative"), id="alternative-submit")


class OfferAlternativesForm(FlaskForm):
    offer_ids = CheckboxesField(_l("National offers to propose"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Record the chosen offers as alternatives"))


class DecisionForm(FlaskForm):
    decision = SelectField(_l("The person's decision"), validate_choice=False,
                           choices=choices([("accepted", _l("Accepted")), ("declined", _l("Declined"))]),
                           validators=[one_of(("accepted", "declined"))])
    submit = SubmitField(_l("Record the decision"))


class SessionForm(FlaskForm):
    held_on = DateField(_l("Date"), validators=[DataRequired(_l("Give the date of the session."))])
    kind = SelectField(_l("Session"), choices=choices(list(SESSION_KINDS.items())), validate_choice=False,
                       validators=[one_of(SESSION_KINDS)], id="session-kind")
    minutes = IntegerField(_l("Duration (minutes)"), validators=[
        DataRequired(_l("Give the duration in minutes.")), NumberRange(1, 600)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)], id="session-notes")
    next_steps = TextAreaField(_l("Next steps"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Record the session"), id="session-submit")

    def validate_held_on(self, field):
        if field.data is not None and field.data > utcnow().date():
            raise ValidationError(_l("The session cannot be in the future."))

    def session_data(self) -> services.SessionData:
        return services.SessionData(held_on=self.held_on.data, kind=self.kind.data or "individual",
                                    minutes=self.minutes.data, notes=self.notes.data or "",
                                    next_steps=self.next_steps.data or "")


class DossierSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    stage = SelectField(_l("Stage"), validate_choice=False, choices=choices(
        [("", _l("All")), ("open", _l("Open dossiers"))] + list(STAGE_TITLES.items())))
    q = StringField(_l("Name or dossier number"), validators=[Optional(), Length(max=100)])
    mine = BooleanField(_l("My dossiers only"))
    stalled = BooleanField(_l("Stalled only"))


class ReviewSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    stage = SelectField(_l("Stage asked"), validate_choice=False, choices=choices(
        [("", _l("All")), (Stage.MATCHED.value, STAGE_TITLES[Stage.MATCHED]),
         (Stage.PRE_DEPARTURE.value, STAGE_TITLES[Stage.PRE_DEPARTURE])]))
    agency_id = SelectField(_l("Agency"), coerce=int, validate_choice=False)
    destination = SelectField(_l("Destination"), validate_choice=False)
    stalled = BooleanField(_l("Stalled only"))

    def agency_filter(self) -> int | None:
        """The agency asked for, None for all; an id too large for the database (-1) matches
        no dossier, as an unknown agency does."""
        value = self.agency_id.data or None
        return value if value is None or 1 <= value <= MAX_ID else -1


def fill_review_choices(form: ReviewSearchForm, country: str | None) -> None:
    agencies = db.session.scalars(sa.select(Agency).where(Agency.country_code == country).order_by(Agency.name))
    form.agency_id.choices = choices([(0, _("All"))] + [(a.id, a.name) for a in agencies])
    codes = db.session.scalars(sa.select(Country.code).where(Country.code != country))
    form.destination.choices = choices(
        [("", _("All"))] + sorted(((c, country_name(c)) for c in codes), key=lambda p: p[1]))
