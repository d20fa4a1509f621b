"""Mobility pages: dossiers (list, open, page, edit), their workflow and review, the risk
assessment, alternatives at home, counselling sessions, and the managers' review queue."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import audit
from app.auth.access import can, ensure, permission_required
from app.auth.models import User
from app.extensions import db
from app.jobseekers.models import JobSeeker
from app.formtools import MAX_ID, whole_number
from app.mobility import bp, services, workflow
from app.mobility.forms import (
    AlternativeForm, ApproveForm, AssessmentForm, CloseForm, DecisionForm, DossierForm, DossierSearchForm,
    OfferAlternativesForm, ReviewSearchForm, SendBackForm, SessionForm, StepForm, dossier_data, fill_choices,
    fill_review_choices, initial_data,
)
from app.mobility.models import (
    CHANNEL_TITLES, CLOSE_REASON_TITLES, PROJECT_TITLES, STAGE_TITLES, Alternative, Dossier, DossierEvent,
)
from app.offers.models import Offer

# Each refusal of the workflow, its message and the HTTP status of the page that says it.
REFUSALS = {
    "unknown": (_l("This action does not exist."), 404),
    "stage": (_l("This action is not possible at this stage of the dossier."), 409),
    "role": (_l("You may not take this action on this dossier."), 403),
    "pending": (_l("An approval by a manager is pending: until then the dossier can only be closed."), 409),
    "needs_review": (_l("This step needs the approval of a manager: ask for it."), 409),
    "no_review_needed": (_l("This step needs no approval."), 409),
    "no_review": (_l("No approval is pending on this dossier."), 409),
    "own": (_l("You cannot approve a request you made, nor a dossier you counsel."), 403),
    "assessment": (_l("Record the risk assessment before moving to counselling."), 409),
    "match": (_l("Give the matched international offer or the partner programme first (edit the dossier)."), 409),
    "programme": (_l("Going to pre-departure straight from counselling is for a partner programme: give the "
                     "programme first, or match the person to an offer."), 409),
    "consent": (_l("The person has not consented to their data being shared with partners abroad: record "
                   "that consent on their record first."), 409),
    "reason": (_l("Choose the reason for closing."), 400),
    "comment": (_l("A comment is required."), 400),
}
DOSSIER_REFUSALS = {
    "agency": _l("Only mobility counsellors of an agency can open dossiers."),
    "country": _l("This person is registered in another country."),
    "closed": _l("This person's record is anonymised or merged: no dossier can be opened."),
    "over": _l("This dossier is over and can no longer be changed."),
    "no_offer": _l("None of the chosen offers is among those proposed now: show the proposals again."),
    "kind": _l("Choose a value from the list."),
    "description": _l("Describe the alternative."),
    "decision": _l("Choose a value from the list."),
    "approved": _l("The channel, programme and matched offer were approved by a manager, or wait for their "
                   "approval: they cannot change now. Close the dossier or ask a manager."),
}
DONE = {
    "assess": _l("The risk assessment has started."),
    "counsel": _l("The dossier has moved to counselling."),
    "depart": _l("The departure is recorded."),
    "follow_up": _l("The follow-up abroad has started."),
    "return": _l("The return is recorded."),
    "close": _l("The dossier is closed."),
}
STALE = _l("Someone else changed this dossier while you were looking at it. Nothing was saved: check the "
           "dossier as it is now, then try again.")


def _get(dossier_id: int, action: str = "mobility.read") -> Dossier:
    dossier = db.get_or_404(Dossier, dossier_id)
    ensure(action, dossier)
    return dossier


def _back(dossier: Dossier):
    return redirect(url_for("mobility.detail", dossier_id=dossier.id))


def _stale(dossier_id: int):
    db.session.rollback()
    flash(str(STALE), "danger")
    return _detail_page(_get(dossier_id), 409)


def _detail_page(dossier: Dossier, status: int = 200, **forms):
    version = {"version": str(dossier.version)}
    defaults = {
        "step_form": StepForm(formdata=None, data=version), "close_form": CloseForm(formdata=None, data=version),
        "approve_form": ApproveForm(formdata=None, data=version),
        "send_back_form": SendBackForm(formdata=None, data=version),
        "assessment_form": AssessmentForm(formdata=None), "alternative_form": AlternativeForm(formdata=None),
        "decision_form": DecisionForm(formdata=None), "session_form": SessionForm(formdata=None),
    }
    defaults.update(forms)
    if "assessment_form" not in forms:  # a re-shown form keeps what was typed
        defaults["assessment_form"].fill(dossier.assessment)
    timeline = db.session.scalars(sa.select(DossierEvent).where(DossierEvent.dossier_id == dossier.id)
                                  .options(sa.orm.joinedload(DossierEvent.actor))
                                  .order_by(DossierEvent.at.desc(), DossierEvent.id.desc())).all()
    requester = db.session.get(User, dossier.review_requested_by_id) if dossier.review_requested_by_id else None
    return render_template(
        "mobility/detail.html", dossier=dossier, timeline=timeline, requester=requester,
        steps=workflow.available_steps(current_user, dossier), transitions=workflow.TRANSITIONS,
        step_titles=workflow.STEP_TITLES, event_titles=workflow.EVENT_TITLES,
        can_review=workflow.can_review(current_user, dossier), consent=workflow.has_abroad_consent(dossier),
        flags=services.red_flags(dossier.assessment), flag_titles=services.RED_FLAGS,
        stalled=services.is_stalled(dossier),
        editable=dossier.is_open and can(current_user, "mobility.counsel", dossier),
        **_titles(), **defaults), status


def _titles() -> dict:
    return dict(stages=STAGE_TITLES, projects=PROJECT_TITLES, channels=CHANNEL_TITLES,
                close_reasons=CLOSE_REASON_TITLES, alternative_titles=services.ALTERNATIVE_TITLES,
                decision_titles=services.DECISION_TITLES, session_kinds=services.SESSION_KINDS)


# ------------------------------------------------------------------ lists

_LIST_LOADS = (sa.orm.joinedload(Dossier.jobseeker), sa.orm.joinedload(Dossier.counsellor),
               sa.orm.selectinload(Dossier.destinations))


@bp.route("/dossiers")
@permission_required("mobility.read")
def index():
    form = DossierSearchForm(request.args)
    query = services.search_dossiers(current_user, stage=form.stage.data or "", mine=bool(form.mine.data),
                                     stalled=bool(form.stalled.data), q=form.q.data or "")
    page = db.paginate(query.options(*_LIST_LOADS),
                       per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)
    args = {k: v for k, v in request.args.items() if k in ("stage", "q", "mine", "stalled") and v}
    return render_template("mobility/index.html", form=form, page=page, args=args,
                           is_stalled=services.is_stalled, **_titles())


@bp.route("/review")
@permission_required("mobility.review")
def review_queue():
    form = ReviewSearchForm(request.args)
    fill_review_choices(form, current_user.country_code)
    query = services.review_queue(current_user, stage=form.stage.data or "", agency_id=form.agency_filter(),
                                  destination=form.destination.data or "", stalled=bool(form.stalled.data))
    page = db.paginate(query.options(*_LIST_LOADS),
                       per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)
    args = {k: v for k, v in request.args.items() if k in ("stage", "agency_id", "destination", "stalled") and v}
    return render_template("mobility/review.html", form=form, page=page, args=args,
                           is_stalled=services.is_stalled, **_titles())


# ------------------------------------------------------------------ opening and editing

def _render_form(form: DossierForm, seeker: JobSeeker, dossier: Dossier | None, status: int = 200, **extra):
    return render_template("mobility/form.html", form=form, seeker=seeker, dossier=dossier, invalid=status == 400,
                           **extra), status


@bp.route("/dossiers/new", methods=["GET", "POST"])
@permission_required("mobility.counsel")
def new():
    seeker_id = whole_number(request.args.get("jobseeker_id"))
    if seeker_id is not None and seeker_id > MAX_ID:
        abort(404)  # no such person: too large for an id of the database
    if not seeker_id:
        flash(_("Open a mobility dossier from the person's record: find the person first."), "info")
        return redirect(url_for("jobseekers.index"))
    seeker = db.get_or_404(JobSeeker, seeker_id)
    ensure("jobseeker.read", seeker)  # a person of another country does not exist here
    existing = services.open_dossier_of(seeker)
    if existing is not None:
        return _render_form(None, seeker, None, 409 if request.method == "POST" else 200, existing=existing)
    form = DossierForm() if request.method == "POST" else DossierForm(data=initial_data(None, seeker))
    fill_choices(form, seeker.country_code, None)
    if form.refresh.data or request.method == "GET":
        return _render_form(form, seeker, None)
    valid = form.validate()
    data = dossier_data(form)
    if not (valid and data is not None):
        return _render_form(form, seeker, None, 400)
    try:
        dossier = services.open_dossier(seeker, data, current_user)
        db.session.commit()
    except services.DossierExists as exists:
        db.session.rollback()
        return _render_form(None, seeker, None, 409, existing=exists.dossier or services.open_dossier_of(seeker))
    except services.DossierRefused as refusal:
        db.session.rollback()
        flash(str(DOSSIER_REFUSALS[refusal.reason]), "danger")
        return _render_form(form, seeker, None, 409)
    flash(_("The dossier %(number)s is open.", number=dossier.number), "success")
    return _back(dossier)


@bp.route("/dossiers/<int:dossier_id>/edit", methods=["GET", "POST"])
@permission_required("mobility.counsel")
def edit(dossier_id: int):
    dossier = _get(dossier_id, "mobility.counsel")
    if not dossier.is_open:
        flash(str(DOSSIER_REFUSALS["over"]), "warning")
        return _back(dossier)
    form = DossierForm() if request.method == "POST" else DossierForm(data=initial_data(dossier, dossier.jobseeker))
    fill_choices(form, dossier.country_code, dossier)
    if form.refresh.data or request.method == "GET":
        return _render_form(form, dossier.jobseeker, dossier)
    valid = form.validate()
    data = dossier_data(form)
    if not (valid and data is not None):
        for error in form.version.errors:  # a hidden field: said above the form, and written again right
            flash(str(error), "danger")
            form.version.data = str(dossier.version)
        return _render_form(form, dossier.jobseeker, dossier, 400)
    expected = whole_number(form.version.data)
    expected = -1 if expected is None else expected  # a page without a version is taken as out of date
    try:
        changed = services.update_dossier(dossier, data, current_user, expected_version=expected)
        db.session.commit()
    except (workflow.StaleDossier, StaleDataError):
        db.session.rollback()
        # Keep what was typed, and say plainly that someone else saved first.
        dossier = _get(dossier_id, "mobility.counsel")
        form.version.data = str(dossier.version)
        flash(_("Someone else changed this dossier while you were editing it. Your changes are not saved yet: "
                "check the current dossier, then save again to apply them."), "danger")
        return _render_form(form, dossier.jobseeker, dossier, 409, conflict=True)
    except services.DossierRefused as refusal:
        db.session.rollback()
        dossier = _get(dossier_id, "mobility.counsel")
        flash(str(DOSSIER_REFUSALS[refusal.reason]), "danger")
        return _render_form(form, dossier.jobseeker, dossier, 409)
    flash(_("The dossier has been saved.") if changed else _("Nothing was changed."), "success")
    return _back(dossier)


# ------------------------------------------------------------------ the dossier and its workflow

@bp.route("/dossiers/<int:dossier_id>")
@permission_required("mobility.read")
def detail(dossier_id: int):
    dossier = _get(dossier_id)
    audit.record("mobility.read", "dossier", dossier.id)
    db.session.commit()
    return _detail_page(dossier)


def _refused(dossier_id: int, refusal: workflow.WorkflowRefused, **forms):
    db.session.rollback()
    message, status = REFUSALS[refusal.reason]
    flash(str(message), "danger")
    return _detail_page(_get(dossier_id), status, **forms)


@bp.route("/dossiers/<int:dossier_id>/steps/<name>", methods=["POST"])
@permission_required("mobility.read")
def change_stage(dossier_id: int, name: str):
    step = workflow.TRANSITIONS.get(name)
    if step is None:
        abort(404)
    dossier = _get(dossier_id, step.action)
    form = CloseForm() if name == "close" else StepForm()
    if not form.validate_on_submit():
        flash(_("The dossier is not changed: correct the form below."), "danger")
        return _detail_page(dossier, 400, **({"close_form": form} if name == "close" else {"step_form": form}))
    try:
        if step.review:
            workflow.request_review(dossier, name, current_user, comment=form.comment.data,
                                    expected_version=form.version_value())
        else:
            workflow.change_stage(dossier, name, current_user, comment=form.comment.data,
                                  reason=form.reason.data if name == "close" else None,
                                  expected_version=form.version_value())
        db.session.commit()
    except workflow.WorkflowRefused as refusal:
        return _refused(dossier_id, refusal, **({"close_form": form} if name == "close" else {}))
    except (workflow.StaleDossier, StaleDataError):
        return _stale(dossier_id)
    if step.review:
        flash(_("A manager has been asked to approve: %(stage)s.", stage=STAGE_TITLES[step.target]), "success")
    else:
        flash(str(DONE[name]), "success")
    return _back(dossier)


@bp.route("/dossiers/<int:dossier_id>/approve", methods=["POST"])
@permission_required("mobility.review")
def approve(dossier_id: int):
    dossier = _get(dossier_id, "mobility.review")
    form = ApproveForm()
    if not form.validate_on_submit():
        flash(_("Check the form: some values are not valid."), "danger")
        return _detail_page(dossier, 400, approve_form=form)
    try:
        workflow.approve_review(dossier, current_user, comment=form.comment.data,
                                expected_version=form.version_value())
        db.session.commit()
    except workflow.WorkflowRefused as refusal:
        return _refused(dossier_id, refusal)
    except (workflow.StaleDossier, StaleDataError):
        return _stale(dossier_id)
    flash(_("Approved: the dossier is now at the stage %(stage)s.", stage=STAGE_TITLES[dossier.stage]), "success")
    return _back(dossier)


@bp.route("/dossiers/<int:dossier_id>/send-back", methods=["POST"])
@permission_required("mobility.review")
def send_back(dossier_id: int):
    dossier = _get(dossier_id, "mobility.review")
    form = SendBackForm()
    if not form.validate_on_submit():
        flash(_("The dossier is not sent back: correct the form below."), "danger")
        return _detail_page(dossier, 400, send_back_form=form)
    try:
        workflow.send_back(dossier, current_user, form.comment.data, expected_version=form.version_value())
        db.session.commit()
    except workflow.WorkflowRefused as refusal:
        return _refused(dossier_id, refusal, send_back_form=form)
    except (workflow.StaleDossier, StaleDataError):
        return _stale(dossier_id)
    flash(_("The dossier has been sent back to the counsellor with your comment."), "success")
    return _back(dossier)


# ------------------------------------------------------------------ assessment, alternatives, sessions

def _save(dossier: Dossier, action, done: str, form_name: str, form):
    """Run one service on an open dossier and commit; a refusal or a conflict re-shows the page."""
    dossier_id = dossier.id
    try:
        action()
        db.session.commit()
    except services.DossierRefused as refusal:
        db.session.rollback()
        flash(str(DOSSIER_REFUSALS[refusal.reason]), "danger")
        return _detail_page(_get(dossier_id), 409, **{form_name: form})
    except (StaleDataError, IntegrityError):  # someone else recorded something at the same time
        return _stale(dossier_id)
    flash(done, "success")
    return _back(dossier)


@bp.route("/dossiers/<int:dossier_id>/assessment", methods=["POST"])
@permission_required("mobility.counsel")
def assessment(dossier_id: int):
    dossier = _get(dossier_id, "mobility.counsel")
    form = AssessmentForm()
    if not form.validate_on_submit():
        flash(_("The assessment is not saved: correct the fields marked below."), "danger")
        return _detail_page(dossier, 400, assessment_form=form)
    return _save(dossier, lambda: services.record_assessment(dossier, form.assessment_data(), current_user),
                 _("The risk assessment is saved."), "assessment_form", form)


@bp.route("/dossiers/<int:dossier_id>/alternatives", methods=["POST"])
@permission_required("mobility.counsel")
def add_alternative(dossier_id: int):
    dossier = _get(dossier_id, "mobility.counsel")
    form = AlternativeForm()
    if not form.validate_on_submit():
        flash(_("The alternative is not saved: correct the fields marked below."), "danger")
        return _detail_page(dossier, 400, alternative_form=form)
    return _save(dossier, lambda: services.add_alternative(dossier, form.kind.data, form.description.data,
                                                           current_user),
                 _("The alternative is recorded."), "alternative_form", form)


@bp.route("/dossiers/<int:dossier_id>/alternatives/offers", methods=["GET", "POST"])
@permission_required("mobility.counsel")
def propose_offers(dossier_id: int):
    dossier = _get(dossier_id, "mobility.counsel")
    if not dossier.is_open:
        flash(str(DOSSIER_REFUSALS["over"]), "warning")
        return _back(dossier)
    form = OfferAlternativesForm()
    if request.method == "POST":
        if form.validate_on_submit() and form.offer_ids.data:
            chosen = list(form.offer_ids.data)
            return _save(dossier, lambda: services.add_offer_alternatives(dossier, chosen, current_user),
                         _("The chosen offers are recorded as alternatives."), "decision_form", DecisionForm())
        flash(_("Tick at least one offer."), "danger")
    ranking = services.propose_offers(dossier)
    offers = {o.id: o for o in db.session.scalars(sa.select(Offer).where(
        Offer.id.in_([m.offer_id for m in ranking.matches])))}
    known = {a.offer_id for a in dossier.alternatives if a.offer_id}
    return render_template("mobility/propose_offers.html", dossier=dossier, ranking=ranking, offers=offers,
                           known=known, form=form), 400 if request.method == "POST" else 200


@bp.route("/dossiers/<int:dossier_id>/alternatives/<int:alternative_id>/decision", methods=["POST"])
@permission_required("mobility.counsel")
def decide(dossier_id: int, alternative_id: int):
    dossier = _get(dossier_id, "mobility.counsel")
    alternative = db.first_or_404(sa.select(Alternative).where(Alternative.id == alternative_id,
                                                               Alternative.dossier_id == dossier.id))
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(str(DOSSIER_REFUSALS["decision"]), "danger")
        return _detail_page(dossier, 400)
    return _save(dossier, lambda: services.decide_alternative(alternative, form.decision.data, current_user),
                 _("The person's decision is recorded."), "decision_form", form)


@bp.route("/dossiers/<int:dossier_id>/sessions", methods=["POST"])
@permission_required("mobility.counsel")
def add_session(dossier_id: int):
    dossier = _get(dossier_id, "mobility.counsel")
    form = SessionForm()
    if not form.validate_on_submit():
        flash(_("The session is not saved: correct the fields marked below."), "danger")
        return _detail_page(dossier, 400, session_form=form)
    return _save(dossier, lambda: services.add_session(dossier, form.session_data(), current_user),
                 _("The counselling session is recorded."), "session_form", form)
