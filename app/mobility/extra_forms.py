"""Forms of the documents checklist, pre-departure workshops, departure, follow-up abroad,
return, and the corridor figures."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField, DateTimeLocalField, FieldList, FormField, HiddenField, IntegerField, SelectField, StringField,
    SubmitField, TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.formtools import CHOOSE, MAX_ID, CheckboxesField, SubForm, choices
from app.mobility.models import DOCUMENT_STATUS_TITLES

FOLLOW_UP_CHANNELS = {
    "phone": _l("Phone call"), "message": _l("Message (SMS, WhatsApp…)"), "email": _l("E-mail"),
    "visit": _l("Visit"), "consulate": _l("Through the consulate"),
}
FOLLOW_UP_SITUATIONS = {
    "as_planned": _l("As planned"), "problems": _l("Problems at work or in daily life"),
    "changed_job": _l("Changed job"), "no_news": _l("No news"), "wants_to_return": _l("Wants to return"),
}
RETURN_SITUATIONS = {
    "contract_ended": _l("Contract ended"), "early_return": _l("Early return"), "expelled": _l("Expelled"),
    "other": _l("Other"),
}
RETURN_NEEDS = {
    "job": _l("A job"), "training": _l("Training"), "psychosocial": _l("Psychosocial support"),
    "financial": _l("Financial support"), "documents": _l("Administrative documents"),
}


def _not_before(other: str, message):
    """The date must not come before the form's ``other`` date field."""
    def check(form, field):
        start = getattr(form, other).data
        if field.data and start and field.data < start:
            raise ValidationError(message)
    return check


# --- documents -------------------------------------------------------------------------------

class DocumentEntry(SubForm):
    """One item of the checklist; the view checks ``kind`` against the dossier's list."""

    kind = HiddenField()
    status = SelectField(_l("Status"), choices=choices(DOCUMENT_STATUS_TITLES.items()))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    file = FileField(_l("File (PDF, JPEG or PNG)"))


class ChecklistForm(FlaskForm):
    items = FieldList(FormField(DocumentEntry), max_entries=20)
    submit = SubmitField(_l("Save the checklist"))


# --- workshops -------------------------------------------------------------------------------

class WorkshopForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("Date and time"), validators=[InputRequired(_l("Give the date and time."))])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)])
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=200)])
    capacity = IntegerField(_l("Capacity (places)"), validators=[
        InputRequired(), NumberRange(min=1, max=500, message=_l("Give a number of places between 1 and 500."))])
    destination_country = SelectField(_l("Destination country (optional)"), validate_choice=False)
    programme_id = SelectField(_l("Partner programme (optional)"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Save"))


class EnrolForm(FlaskForm):
    # Out of range is no dossier at all, refused like an unknown one (SQLite would overflow).
    dossier_id = SelectField(_l("Dossier"), coerce=int, validate_choice=False, validators=[NumberRange(1, MAX_ID)])
    submit = SubmitField(_l("Enrol"))


class AttendanceForm(FlaskForm):
    attended = CheckboxesField(_l("Present"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Record the attendance"))


# --- abroad ----------------------------------------------------------------------------------

class DepartureForm(FlaskForm):
    departed_on = DateField(_l("Date of departure"), validators=[InputRequired(_l("Give the date."))])
    destination_country = SelectField(_l("Country of destination"), validate_choice=False)
    city = StringField(_l("Town"), validators=[Optional(), Length(max=120)])
    employer_name = StringField(_l("Employer"), validators=[Optional(), Length(max=200)])
    offer = StringField(_l("International offer (reference)"), validators=[Optional(), Length(max=32)])
    occupation_code = StringField(_l("Occupation (ROAME code)"), validators=[Optional(), Length(max=16)])
    contract_months = IntegerField(_l("Length of the contract (months)"), validators=[
        Optional(), NumberRange(min=1, max=120, message=_l("Give a number of months between 1 and 120."))])
    contract_end = DateField(_l("End of the contract"), validators=[
        Optional(), _not_before("departed_on", _l("The contract cannot end before the departure."))])
    submit = SubmitField(_l("Save the departure"))


class FollowUpForm(FlaskForm):
    contacted_on = DateField(_l("Date of the contact"), validators=[InputRequired(_l("Give the date."))])
    channel = SelectField(_l("Channel"), choices=choices(FOLLOW_UP_CHANNELS.items()))
    situation = SelectField(_l("Situation"), choices=choices(FOLLOW_UP_SITUATIONS.items()))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Add the contact"))


class ReturnForm(FlaskForm):
    returned_on = DateField(_l("Date of return"), validators=[InputRequired(_l("Give the date."))])
    situation = SelectField(_l("Situation"), choices=choices(RETURN_SITUATIONS.items()))
    needs = CheckboxesField(_l("Reintegration needs"), choices=choices(RETURN_NEEDS.items()),
                            validate_choice=False, validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save the return"))

    def validate_needs(self, field):
        if any(need not in RETURN_NEEDS for need in field.data or ()):
            raise ValidationError(CHOOSE)


# --- corridors -------------------------------------------------------------------------------

class CorridorFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter

    country = SelectField(_l("Country"), validate_choice=False)
    programme_id = SelectField(_l("Partner programme"), coerce=int, validate_choice=False)
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[
        Optional(), _not_before("start", _l("The end of the period cannot come before its start."))])

