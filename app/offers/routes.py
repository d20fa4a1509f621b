"""Staff and employer pages of offers: list, create and edit, the workflow, flags, contracts."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from app.audit import AuditEvent
from app.auth.access import can, ensure, permission_required, scope_clause
from app.auth.forms import ConfirmForm
from app.auth.models import Role
from app.extensions import db
from app.matching import referrals
from app.matching.models import REFERRAL_STATUS_TITLES
from app.offers import bp, fraud, services
from app.offers.forms import (
    ClearFlagForm, ContractForm, OfferForm, OfferSearchForm, RejectForm, fill_choices, initial_data, offer_data,
)
from app.offers.models import (
    CONTRACT_TITLES, FLAG_TITLES, OFFER_STATUS_TITLES, Employer, Offer, OfferFlag,
)

REFUSALS = {
    "unknown": _l("This action does not exist."),
    "status": _l("This action is not possible at this stage of the offer."),
    "role": _l("You may not take this action on this offer."),
    "reason": _l("Give the reason for the rejection."),
    "flags": _l("The offer has open anti-fraud warnings: a manager must clear them before it is published."),
    "mapping": _l("Confirm that the fiche matches the ISCO-08 code before publishing."),
    "closing_date": _l("The closing date is past: change it before publishing."),
}
DONE = {
    "submit": _l("The offer has been submitted for validation."),
    "publish": _l("The offer is published."),
    "reject": _l("The offer has been rejected."),
    "fill": _l("The offer is marked as filled."),
    "close": _l("The offer is closed."),
}
CONTRACT_REFUSALS = {
    "type": _l("The file is not a PDF document."),
    "size": _l("The file is too large (5 MB at most)."),
}


def _is_employer() -> bool:
    return current_user.role == Role.EMPLOYER


def _get(offer_id: int, action: str = "offer.read") -> Offer:
    offer = db.get_or_404(Offer, offer_id)
    ensure(action, offer)
    return offer


def _contracts_folder() -> Path:
    # Under the instance folder, never under static/: only this blueprint serves the files.
    return Path(current_app.instance_path) / "offer_contracts"


@bp.route("/")
@permission_required("offer.read")
def index():
    # Cheap (one indexed UPDATE) and it means no offer stays published past its date without cron.
    if services.expire_due_offers(country=current_user.country_code):
        db.session.commit()
    form = OfferSearchForm(request.args)
    query = sa.select(Offer).where(scope_clause(current_user, "offer.read", Offer))
    if form.status.data in OFFER_STATUS_TITLES:
        query = query.where(Offer.status == form.status.data)
    occupation = (form.occupation.data or "").strip().upper()[:16]
    if occupation:
        query = query.where(Offer.occupation_code.startswith(occupation, autoescape=True))
    if form.international.data in ("yes", "no"):
        query = query.where(Offer.international.is_(form.international.data == "yes"))
    if form.flagged.data:
        query = query.where(Offer.id.in_(sa.select(OfferFlag.offer_id).where(OfferFlag.cleared_at.is_(None))))
    query = query.options(sa.orm.joinedload(Offer.employer)).order_by(Offer.created_at.desc(), Offer.id.desc())
    page = db.paginate(query, per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)
    open_flags = dict(db.session.execute(
        sa.select(OfferFlag.offer_id, sa.func.count()).where(
            OfferFlag.offer_id.in_([o.id for o in page.items]), OfferFlag.cleared_at.is_(None))
        .group_by(OfferFlag.offer_id)).all()) if page.items else {}
    args = {k: v for k, v in request.args.items() if k in ("status", "occupation", "international", "flagged") and v}
    return render_template("offers/index.html", form=form, page=page, args=args, open_flags=open_flags,
                           statuses=OFFER_STATUS_TITLES)


def _render_form(form: OfferForm, offer: Offer | None, status: int = 200, **extra):
    return render_template("offers/form.html", form=form, offer=offer, staff=not _is_employer(), **extra), status


def _employer_for(form: OfferForm) -> Employer | None:
    employer = db.session.get(Employer, form.employer_id.data) if form.employer_id.data else None
    return employer if employer is not None and can(current_user, "employer.read", employer) else None


@bp.route("/new", methods=["GET", "POST"])
@permission_required("offer.edit")
def new():
    form = OfferForm()
    if request.method == "GET":
        form.employer_id.data = request.args.get("employer_id", type=int) or current_user.employer_id or 0
    employer = _employer_for(form)
    country = employer.country_code if employer else current_user.country_code
    fill_choices(form, current_user, country, None)
    if form.refresh.data or request.method == "GET":
        return _render_form(form, None)
    valid = form.validate()
    data = offer_data(form, current_user, country, None)
    if employer is None and not form.employer_id.errors:
        form.employer_id.errors.append(_("Choose an employer from the list."))
    if valid and data is not None and employer is not None:
        offer = services.create_offer(employer, data, current_user)
        db.session.commit()
        flash(_("The offer %(reference)s is saved as a draft.", reference=offer.reference), "success")
        return redirect(url_for("offers.detail", offer_id=offer.id))
    return _render_form(form, None, 400)


@bp.route("/<int:offer_id>/edit", methods=["GET", "POST"])
@permission_required("offer.edit")
def edit(offer_id: int):
    offer = _get(offer_id, "offer.edit")
    if not services.can_edit(current_user, offer):
        flash(_("This offer can no longer be changed at this stage."), "warning")
        return redirect(url_for("offers.detail", offer_id=offer.id))
    form = OfferForm() if request.method == "POST" else OfferForm(data=initial_data(offer))
    fill_choices(form, current_user, offer.country_code, offer)
    if form.refresh.data or request.method == "GET":
        return _render_form(form, offer)
    valid = form.validate()
    data = offer_data(form, current_user, offer.country_code, offer)
    if not (valid and data is not None):
        return _render_form(form, offer, 400)
    expected = int(form.version.data) if (form.version.data or "").isdigit() else -1
    try:
        changed = services.update_offer(offer, data, expected_version=expected)
        db.session.commit()
    except (services.StaleEdit, StaleDataError):
        db.session.rollback()
        # Keep what was typed, and say plainly that someone else saved first.
        form.version.data = str(db.session.get(Offer, offer_id).version)
        flash(_("Someone else changed this offer while you were editing it. Your changes are not saved yet: "
                "check the current offer, then save again to apply them."), "danger")
        return _render_form(form, offer, 409, conflict=True)
    flash(_("The offer has been saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for("offers.detail", offer_id=offer.id))


def _history(offer: Offer) -> list[AuditEvent]:
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "offer", AuditEvent.object_id == str(offer.id))
        .options(sa.orm.joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(200)))


def _field_labels() -> dict[str, str]:
    """The form's labels for the field names an ``offer.updated`` event lists."""
    form = OfferForm(formdata=None)
    labels = {f.name: f.label.text for f in form}
    labels.update(travel_paid=labels["travel"], housing_provided=labels["housing"],
                  skills=str(_l("Skills")), languages=str(_l("Languages")))
    return labels


def _detail_page(offer: Offer) -> str:
    return render_template(
        "offers/detail.html", offer=offer, history=_history(offer),
        steps=services.available_steps(current_user, offer), step_titles=services.STEP_TITLES,
        blocking=fraud.blocking_flags(offer), editable=services.can_edit(current_user, offer),
        step_form=ConfirmForm(), reject_form=RejectForm(), clear_form=ClearFlagForm(), contract_form=ContractForm(),
        statuses=OFFER_STATUS_TITLES, contracts=CONTRACT_TITLES, flag_titles=FLAG_TITLES,
        event_titles=services.EVENT_TITLES, term_titles=fraud.TERM_TITLES, field_labels=_field_labels(),
        referral_list=referrals.for_offer(current_user, offer), referral_titles=REFERRAL_STATUS_TITLES,
        can_find_candidates="matching.candidates" in current_app.view_functions)


@bp.route("/<int:offer_id>")
@permission_required("offer.read")
def detail(offer_id: int):
    return _detail_page(_get(offer_id))


@bp.route("/<int:offer_id>/steps/<name>", methods=["POST"])
@permission_required("offer.read")
def change_status(offer_id: int, name: str):
    step = services.TRANSITIONS.get(name)
    if step is None or step.action is None:  # expiry is the system's, never a user's
        abort(404)
    offer = _get(offer_id, step.action)
    try:
        services.change_status(offer, name, current_user, reason=request.form.get("reason"))
    except services.WorkflowRefused as refusal:
        if refusal.reason == "flags":
            db.session.commit()  # the flags the checks just raised are facts: keep them
        else:
            db.session.rollback()
        flash(str(REFUSALS[refusal.reason]), "danger")
        return _detail_page(offer), 409
    db.session.commit()
    flash(str(DONE[name]), "success")
    return redirect(url_for("offers.detail", offer_id=offer.id))


@bp.route("/<int:offer_id>/flags/<int:flag_id>/clear", methods=["POST"])
@permission_required("offer.clear_flags")
def clear_flag(offer_id: int, flag_id: int):
    offer = _get(offer_id, "offer.clear_flags")
    flag = db.first_or_404(sa.select(OfferFlag).where(OfferFlag.id == flag_id, OfferFlag.offer_id == offer.id))
    form = ClearFlagForm()
    if form.validate_on_submit():
        try:
            fraud.clear_flag(flag, current_user, form.comment.data)
        except fraud.FlagRefused:
            db.session.rollback()
            flash(_("This warning is already cleared."), "info")
        else:
            db.session.commit()
            flash(_("The warning is cleared."), "success")
    else:
        flash(_("A comment is required to clear a warning."), "danger")
    return redirect(url_for("offers.detail", offer_id=offer.id))


@bp.route("/<int:offer_id>/contract", methods=["POST"])
@permission_required("offer.edit")
def upload_contract(offer_id: int):
    offer = _get(offer_id, "offer.edit")
    form = ContractForm()
    if not services.can_edit(current_user, offer):
        flash(_("This offer can no longer be changed at this stage."), "warning")
    elif not form.validate_on_submit():
        flash(_("Choose a PDF file."), "danger")
    else:
        folder = _contracts_folder()
        try:
            previous = services.attach_contract(offer, form.document.data.stream, folder)
        except services.ContractRefused as refusal:
            db.session.rollback()
            flash(str(CONTRACT_REFUSALS[refusal.reason]), "danger")
            return redirect(url_for("offers.detail", offer_id=offer.id))
        stored = offer.contract_file
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
            services.discard_file(folder, stored)  # no file without its offer
            raise
        services.discard_file(folder, previous)
        flash(_("The contract document is attached."), "success")
    return redirect(url_for("offers.detail", offer_id=offer.id))


@bp.route("/<int:offer_id>/contract.pdf")
@permission_required("offer.read")
def contract(offer_id: int):
    offer = _get(offer_id)
    if not offer.contract_file:
        return render_template("errors/error.html", code=404, message=_("This offer has no contract document.")), 404
    return send_from_directory(_contracts_folder(), offer.contract_file, mimetype="application/pdf",
                               as_attachment=True, download_name=f"{offer.reference}-contract.pdf")
