"""The departure, the contacts with the person abroad, and the return home."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import can_current, ensure, permission_required
from app.extensions import db
from app.formtools import MAX_ID, choices, whole_number
from app.i18n import format_date_short
from app.mobility import bp
from app.mobility import documents as docs
from app.mobility import extra_forms as forms
from app.mobility.extra_routes.common import (
    CLOSED_STEP, back_to_dossier, commit_or_retry, destination_choices, get_dossier, may_record,
    national_offers_url, record_read, step_open,
)
from app.mobility.models import Departure, Dossier, FollowUp, ReturnRecord
from app.offers.models import Offer
from app.reference.models import Occupation


def _find_offer(text: str) -> Offer | None:
    """An international offer the user may read, by its reference (or its number)."""
    text = text.strip()
    clause = Offer.reference == text.upper()
    number = whole_number(text)
    if number is not None and number <= MAX_ID:  # a larger number is no id (SQLite would overflow)
        clause = sa.or_(clause, Offer.id == number)
    offer = db.session.scalars(sa.select(Offer).where(clause)).first()
    return offer if offer is not None and offer.international and can_current("offer.read", offer) else None


def _occupation_valid(field) -> str | None:
    code = (field.data or "").strip().upper()
    if code and db.session.get(Occupation, code) is None:
        field.errors.append(_("This is not a ROAME occupation code."))
    return code or None


def _departure_values(form: forms.DepartureForm, dossier: Dossier) -> dict | None:
    """The checked values of a submitted departure form, or None with field errors."""
    valid = form.validate()
    destination = form.destination_country.data
    if destination not in {code for code, _name in destination_choices(dossier.country_code)}:
        form.destination_country.errors.append(_("Choose a destination other than the country of origin."))
    offer = None
    if (form.offer.data or "").strip():
        offer = _find_offer(form.offer.data)
        if offer is None:
            form.offer.errors.append(_("Give the reference of an international offer."))
    occupation = _occupation_valid(form.occupation_code)
    if not valid or form.errors:
        return None
    return {"departed_on": form.departed_on.data, "destination_country": destination,
            "city": (form.city.data or "").strip() or None,
            "employer_name": (form.employer_name.data or "").strip() or None,
            "offer_id": offer.id if offer else None, "occupation_code": occupation,
            "contract_months": form.contract_months.data, "contract_end": form.contract_end.data}


#: The records a dossier has at most one of: its relationship → (model, prefix of its events).
ONE_RECORD = {"departure": (Departure, "departure"), "return_record": (ReturnRecord, "return")}


def record_once(dossier: Dossier, relation: str, values: dict, actor_id: int) -> bool:
    """Create or change the departure or return record of ``dossier``, with the event
    "<prefix>_recorded" or "<prefix>_updated"; returns whether anything changed."""
    model, prefix = ONE_RECORD[relation]
    record = getattr(dossier, relation)
    if record is None:
        setattr(dossier, relation, model(**values))
        docs.add_event(dossier, f"{prefix}_recorded", actor_id)
        return True
    changed = [name for name, value in values.items() if getattr(record, name) != value]
    for name in changed:
        setattr(record, name, values[name])
    if changed:
        docs.add_event(dossier, f"{prefix}_updated", actor_id, changed=changed)  # the names, never the values
    return bool(changed)


def _departure_defaults(form: forms.DepartureForm, dossier: Dossier) -> None:
    """Start a new record from the matched offer and the project."""
    offer = dossier.offer
    if offer is not None and offer.international:
        form.offer.data = offer.reference
        form.destination_country.data = offer.destination_country
        form.occupation_code.data = offer.occupation_code
        form.employer_name.data = offer.employer.name if offer.employer else None
        form.city.data = offer.city
        form.contract_months.data = offer.contract_months
    else:
        form.destination_country.data = dossier.destinations[0].code if dossier.destinations else None
        form.occupation_code.data = dossier.occupations[0].code if dossier.occupations else None


@bp.route("/dossiers/<int:dossier_id>/departure", methods=["GET", "POST"])
@permission_required("mobility.read")
def departure(dossier_id: int):
    dossier = get_dossier(dossier_id)
    record = dossier.departure
    form = forms.DepartureForm(obj=record)
    form.destination_country.choices = choices([("", "—")] + destination_choices(dossier.country_code))
    if form.is_submitted():
        ensure("mobility.counsel", dossier)
        if not step_open("departure", dossier):
            flash(str(CLOSED_STEP), "warning")
            return redirect(url_for("mobility.departure", dossier_id=dossier.id))
        values = _departure_values(form, dossier)
        if values is not None:
            changed = record_once(dossier, "departure", values, current_user.id)
            retry = commit_or_retry(dossier, "mobility.departure")
            if retry is not None:
                return retry
            flash(_("The departure has been saved.") if changed else _("Nothing was changed."), "success")
            return back_to_dossier(dossier, "mobility.departure")
    else:
        record_read(dossier, "departure")
        if record is None:
            _departure_defaults(form, dossier)
        elif record.offer_id:
            offer = db.session.get(Offer, record.offer_id)
            form.offer.data = offer.reference if offer else ""
    return render_template("mobility/extra_departure.html", dossier=dossier, form=form, record=record,
                           editable=may_record("departure", dossier)), 400 if form.errors else 200


def _date_within(field, departure: Departure) -> None:
    """A contact or a return happens between the departure and today."""
    if field.data and field.data > date.today():
        field.errors.append(_("This date is in the future."))
    elif field.data and field.data < departure.departed_on:
        field.errors.append(_("This date is before the departure (%(date)s).",
                              date=format_date_short(departure.departed_on)))


@bp.route("/dossiers/<int:dossier_id>/follow-ups", methods=["GET", "POST"])
@permission_required("mobility.read")
def follow_ups(dossier_id: int):
    dossier = get_dossier(dossier_id)
    form = forms.FollowUpForm()
    if form.is_submitted():
        ensure("mobility.counsel", dossier)
        if not step_open("follow_up", dossier) or dossier.departure is None:
            flash(str(CLOSED_STEP) if dossier.departure else _("Record the departure first."), "warning")
            return redirect(url_for("mobility.follow_ups", dossier_id=dossier.id))
        valid = form.validate()
        _date_within(form.contacted_on, dossier.departure)
        if valid and not form.errors:
            dossier.follow_ups.append(FollowUp(
                contacted_on=form.contacted_on.data, channel=form.channel.data, situation=form.situation.data,
                notes=(form.notes.data or "").strip(), counsellor_id=current_user.id))
            # "mobility.follow_up" is the step of the workflow into the follow-up stage.
            docs.add_event(dossier, "follow_up", current_user.id, action="follow_up_contact")
            retry = commit_or_retry(dossier, "mobility.follow_ups")
            if retry is not None:
                return retry
            flash(_("The contact has been recorded."), "success")
            return redirect(url_for("mobility.follow_ups", dossier_id=dossier.id))
    else:
        record_read(dossier, "follow_ups")
        if form.contacted_on.data is None:
            form.contacted_on.data = date.today()
    return render_template("mobility/extra_follow_ups.html", dossier=dossier, form=form,
                           editable=may_record("follow_up", dossier) and dossier.departure is not None), \
        400 if form.errors else 200


@bp.route("/dossiers/<int:dossier_id>/return", methods=["GET", "POST"])
@permission_required("mobility.read")
def return_home(dossier_id: int):
    dossier = get_dossier(dossier_id)
    record = dossier.return_record
    form = forms.ReturnForm(obj=record)
    if form.is_submitted():
        ensure("mobility.counsel", dossier)
        if not step_open("return", dossier) or dossier.departure is None:
            flash(str(CLOSED_STEP) if dossier.departure else _("Record the departure first."), "warning")
            return redirect(url_for("mobility.return_home", dossier_id=dossier.id))
        valid = form.validate()
        _date_within(form.returned_on, dossier.departure)
        if valid and not form.errors:
            values = {"returned_on": form.returned_on.data, "situation": form.situation.data,
                      "needs": " ".join(need for need in forms.RETURN_NEEDS if need in (form.needs.data or ())),
                      "notes": (form.notes.data or "").strip()}
            changed = record_once(dossier, "return_record", values, current_user.id)
            retry = commit_or_retry(dossier, "mobility.return_home")
            if retry is not None:
                return retry
            flash(_("The return has been saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("mobility.return_home", dossier_id=dossier.id))
    else:
        record_read(dossier, "return")
        if record is not None:
            form.needs.data = record.needs.split()
    return render_template("mobility/extra_return.html", dossier=dossier, form=form, record=record,
                           editable=may_record("return", dossier) and dossier.departure is not None,
                           offers_url=national_offers_url(dossier.jobseeker_id)), 400 if form.errors else 200
