from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, \
    SubmitField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from app.formtools import MAX_ID, choices
from app.matching.models import REFERRAL_STATUS_TITLES, REFUSAL_TITLES


class ReferralSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    status = SelectField(_l("Status"), choices=choices([("", _l("All"))] + list(REFERRAL_STATUS_TITLES.items())),
                         validate_choice=False)
    q = StringField(_l("Offer reference or person's name"), validators=[Optional(), Length(max=100)])
    mine = BooleanField(_l("My referrals only"))
    stalled = BooleanField(_l("No change for 14 days or more"))


class StepForm(FlaskForm):
    step = HiddenField()
    reason = SelectField(_l("Reason"), choices=choices([("", "—")] + list(REFUSAL_TITLES.items())),
                         validate_choice=False)
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=500)])
    version = HiddenField()
    submit = SubmitField(_l("Confirm"))




def _ids(form, field):
    if any(not 1 <= value <= MAX_ID for value in field.data or ()):
        raise ValidationError(_l("Not a valid id."))


class ProposeForm(FlaskForm):
    """One offer and several people, or one person and several offers (repeated fields)."""

    offer_id = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID)])
    jobseeker_ids = SelectMultipleField(coerce=int, validate_choice=False, validators=[_ids])
    jobseeker_id = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID)])
    offer_ids = SelectMultipleField(coerce=int, validate_choice=False, validators=[_ids])
    next = HiddenField()
