"""Referral pages: proposing, following up, recording outcomes."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from app.auth.access import can, ensure, permission_required
from app.auth.models import Agency, Role
from app.extensions import db
from app.jobseekers.models import JobSeeker
from app.matching import referrals, referrals_bp
from app.formtools import whole_number
from app.matching.models import REFERRAL_STATUS_TITLES, REFUSAL_TITLES, Referral
from app.matching.referral_forms import ProposeForm, ReferralSearchForm, StepForm
from app.offers.models import OFFER_STATUS_TITLES
from app.urls import safe_next

# Each refusal of the service, its message and the HTTP status of the page that says it.
REFUSALS = {
    "unknown": (_l("This action does not exist."), 400),
    "status": (_l("This action is not possible at this stage of the referral."), 409),
    "role": (_l("You may not take this action on this referral."), 403),
    "reason": (_l("Choose the reason for the refusal."), 400),
    "comment": (_l("Explain the reason in the comment."), 400),
    "filters": (_l("The person can no longer be proposed for this offer: the offer is no longer open, or the "
                   "person is no longer active, no longer consents, or no longer meets a requirement."), 409),
    "no_position": (_l("This offer has no position left: all its positions are already filled."), 409),
    "abroad_consent": (_l("This offer is abroad: the person has not agreed to their data being shared with "
                          "partners abroad. Record that consent on their record before sending."), 409),
}
DONE = {
    "send": _l("The referral has been sent to the employer."),
    "interview": _l("The interview is recorded."),
    "hire": _l("The hiring is recorded: the person is now placed."),
    "refuse": _l("The refusal is recorded."),
    "withdraw": _l("The referral has been withdrawn."),
}
PROPOSAL_REFUSALS = {
    "role": _l("You may not propose people for offers."),
    "agency": _l("Only staff of an agency can propose people for offers."),
    "empty": _l("Choose one offer and the people to propose, or one person and the offers."),
}
# Counsellors follow their own referrals first; anyone may untick the box.
MINE_BY_DEFAULT = (Role.COUNSELLOR, Role.MOBILITY_COUNSELLOR)


def _is_employer() -> bool:
    return current_user.role == Role.EMPLOYER


def _get(referral_id: int) -> Referral:
    referral = db.get_or_404(Referral, referral_id)
    ensure("referral.read", referral)
    if not referrals.can_see(current_user, referral):
        abort(404)  # a referral not yet sent does not exist for the employer
    return referral


@referrals_bp.route("/")
@permission_required("referral.read")
def index():
    form = ReferralSearchForm(request.args)
    employer = _is_employer()
    # The page's form sends "filtered": from then on an unticked box means everyone's referrals.
    mine = bool(form.mine.data) if "filtered" in request.args else current_user.role in MINE_BY_DEFAULT
    form.mine.data = mine
    filters = referrals.ReferralFilters(status=form.status.data or None, mine=mine and not employer,
                                        stalled=bool(form.stalled.data), text=form.q.data or "")
    page = db.paginate(referrals.list_query(current_user, filters), per_page=current_app.config["ITEMS_PER_PAGE"],
                       error_out=False)
    args = {"filtered": "1", "status": filters.status, "q": filters.text.strip()[:100],
            "mine": "y" if filters.mine else None, "stalled": "y" if filters.stalled else None}
    args = {key: value for key, value in args.items() if value}
    stalled_ids = {r.id for r in page.items if referrals.is_stalled(r)}
    return render_template("referrals/index.html", form=form, page=page, args=args, employer=employer,
                           statuses=REFERRAL_STATUS_TITLES, stalled_ids=stalled_ids)


def _detail_page(referral: Referral, posted: StepForm | None = None, status: int = 200):
    steps = referrals.available_steps(current_user, referral)
    forms = {name: StepForm(formdata=None, step=name, version=str(referral.version)) for name in steps}
    if posted is not None and posted.step.data in forms:
        forms[posted.step.data] = posted  # what was typed stays, with its errors
    events = referrals.visible_events(current_user, referral)
    seeker = referral.jobseeker
    return render_template(
        "referrals/detail.html", referral=referral, seeker=seeker, offer=referral.offer, events=events,
        steps=steps, forms=forms, failed=posted.step.data if posted is not None else None,
        step_titles=referrals.STEP_TITLES, statuses=REFERRAL_STATUS_TITLES, refusal_titles=REFUSAL_TITLES,
        contact=referrals.contact_visible(current_user, referral), employer=_is_employer(),
        agency=db.session.get(Agency, referral.agency_id), offer_statuses=OFFER_STATUS_TITLES,
        seeker_readable=can(current_user, "jobseeker.read", seeker)), status


@referrals_bp.route("/<int:referral_id>")
@permission_required("referral.read")
def detail(referral_id: int):
    return _detail_page(_get(referral_id))


@referrals_bp.route("/<int:referral_id>/step", methods=["POST"])
@permission_required("referral.read")
def step(referral_id: int):
    referral = _get(referral_id)
    form = StepForm()
    name = form.step.data or ""
    version = whole_number(form.version.data)
    if version is None and (form.version.data or "").strip():
        # Not written by the page: refused, not read as "no version"; the page shown again has the right one.
        form.version.data = str(referral.version)
        flash(_("Check the form: some values are not valid."), "danger")
        return _detail_page(referral, form, 400)
    if not form.validate():
        flash(_("Check the form: some values are not valid."), "danger")
        return _detail_page(referral, form, 400)
    try:
        referrals.change_status(referral, name, current_user, reason=form.reason.data, comment=form.comment.data,
                                expected_version=version)
    except referrals.WorkflowRefused as refusal:
        db.session.rollback()
        message, code = REFUSALS[refusal.reason]
        if refusal.reason == "reason":
            form.reason.errors.append(str(message))
        elif refusal.reason == "comment":
            form.comment.errors.append(str(message))
        flash(str(message), "danger")
        return _detail_page(referral, form, code)
    except (referrals.StaleEdit, StaleDataError):
        db.session.rollback()
        referral = db.session.get(Referral, referral_id)
        form.version.data = str(referral.version)
        flash(_("Someone else changed this referral, or its offer, at the same time. Nothing was saved: check "
                "its current state, then try again."), "danger")
        return _detail_page(referral, form, 409)
    db.session.commit()
    flash(str(DONE[name]), "success")
    return redirect(url_for("referrals.detail", referral_id=referral.id))


def _next_url(target: str | None) -> str | None:
    """A local path to go back to, or None: no open redirect, not even through the
    backslash that browsers read as a slash (``/\\evil.example``)."""
    if not target or "\\" in target or not target.isprintable():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return safe_next(target)


def _summary(result: referrals.Proposal, people: bool) -> str:
    created = len(result.created)
    parts = [ngettext("%(num)d person proposed.", "%(num)d people proposed.", created) if people
             else ngettext("Proposed for %(num)d offer.", "Proposed for %(num)d offers.", created)]
    if result.already:
        parts.append(ngettext("%(num)d was already referred.", "%(num)d were already referred.",
                              len(result.already)))
    if result.excluded:
        parts.append(ngettext("%(num)d does not pass the matching filters and was left out.",
                              "%(num)d do not pass the matching filters and were left out.", len(result.excluded)))
    if result.unknown:
        parts.append(ngettext("%(num)d could not be found.", "%(num)d could not be found.", len(result.unknown)))
    return " ".join(parts)


@referrals_bp.route("/propose", methods=["POST"])
@permission_required("referral.manage")
def propose():
    form = ProposeForm()
    target = _next_url(form.next.data)
    if not form.validate() or (form.offer_id.data is None) == (form.jobseeker_id.data is None):
        flash(str(PROPOSAL_REFUSALS["empty"]), "danger")
        return redirect(target or url_for("referrals.index"))
    try:
        result = referrals.propose(current_user, offer_id=form.offer_id.data, seeker_ids=form.jobseeker_ids.data or (),
                                   seeker_id=form.jobseeker_id.data, offer_ids=form.offer_ids.data or ())
    except LookupError:
        db.session.rollback()
        abort(404)
    except referrals.ProposalRefused as refusal:
        db.session.rollback()
        flash(str(PROPOSAL_REFUSALS[refusal.reason]), "danger")
        return redirect(target or url_for("referrals.index"))
    db.session.commit()
    people = form.offer_id.data is not None
    flash(_summary(result, people), "success" if result.created else "warning")
    if target:
        return redirect(target)
    if people:
        return redirect(url_for("offers.detail", offer_id=form.offer_id.data))
    seeker = db.session.get(JobSeeker, form.jobseeker_id.data)
    if can(current_user, "jobseeker.read", seeker):
        return redirect(url_for("jobseekers.detail", seeker_id=seeker.id))
    return redirect(url_for("referrals.index"))

