from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, \
    SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from app.formtools import choices
from app.matching.models import REFERRAL_STATUS_TITLES, REFUSAL_TITLES


class ReferralSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    status = SelectField(_l("Status"), choices=choices([("", _l("All"))] + list(REFERRAL_STATUS_TITLES.items())),
                         validate_choice=False)
    q = StringField(_l("Offer reference or person's name"), validators=[Optional(), Length(max=100)])
    mine = BooleanField(_l("My referrals only"))
    stalled = BooleanField(_l("No change for 14 days or more"))
    # Present once the form was submitted: an unticked "mine" then means "everyone's".
    filtered = HiddenField(default="1")


class StepForm(FlaskForm):
    step = HiddenField()
    reason = SelectField(_l("Reason"), choices=choices([("", "—")] + list(REFUSAL_TITLES.items())),
                         validate_choice=False)
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=500)])
    version = HiddenField()
    submit = SubmitField(_l("Confirm"))


class ProposeForm(FlaskForm):
    """One offer and several people, or one person and several offers (repeated fields)."""

    offer_id = IntegerField(validators=[Optional()])
    jobseeker_ids = SelectMultipleField(coerce=int, validate_choice=False)
    jobseeker_id = IntegerField(validators=[Optional()])
    offer_ids = SelectMultipleField(coerce=int, validate_choice=False)
    next = HiddenField()
