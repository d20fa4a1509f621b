"""What the pages around the dossier share: the stages at which each record opens, the
titles of their events, and the helpers of their templates (also used by
``mobility/extra_sections.html`` on the dossier page)."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Response, current_app, flash, redirect, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import audit
from app.auth.access import can_current, ensure
from app.auth.models import Country
from app.extensions import db
from app.i18n import country_name, current_language
from app.mobility import bp
from app.mobility import documents as docs
from app.mobility import extra_forms as forms
from app.mobility.models import (
    DOCUMENT_STATUS_TITLES, DOCUMENT_TITLES, STAGE_TITLES, Dossier, Enrolment, Stage, Workshop,
)
from app.reference.lookup import occupation_labels

STEP_STAGES = {
    "documents": frozenset(Stage) - {Stage.CLOSED},
    "departure": frozenset({Stage.PRE_DEPARTURE, Stage.DEPARTED, Stage.FOLLOW_UP, Stage.RETURNED}),
    "follow_up": frozenset({Stage.DEPARTED, Stage.FOLLOW_UP}),
    "return": frozenset({Stage.DEPARTED, Stage.FOLLOW_UP, Stage.RETURNED}),
}
EVENT_TITLES = {
    "documents_updated": _l("Documents checklist updated"),
    "workshop_enrolled": _l("Enrolled in a pre-departure workshop"),
    "workshop_unenrolled": _l("Enrolment in a pre-departure workshop cancelled"),
    "workshop_attended": _l("Attended a pre-departure workshop"),
    "workshop_missed": _l("Missed a pre-departure workshop"),
    "departure_recorded": _l("Departure recorded"),
    "departure_updated": _l("Departure record changed"),
    "follow_up": _l("Contact abroad recorded"),
    "return_recorded": _l("Return recorded"),
    "return_updated": _l("Return record changed"),
}
CHANGED_MEANWHILE = _l("The dossier was changed by someone else meanwhile: check it and try again.")
CLOSED_STEP = _l("This record cannot be changed at the dossier's current stage.")


# --- shared helpers ------------------------------------------------------------------------


def get_dossier(dossier_id: int, action: str = "mobility.read") -> Dossier:
    dossier = db.get_or_404(Dossier, dossier_id)
    ensure(action, dossier)
    return dossier


def step_open(step: str, dossier: Dossier) -> bool:
    return dossier.stage in STEP_STAGES[step]


def may_record(step: str, dossier: Dossier) -> bool:
    return step_open(step, dossier) and can_current("mobility.counsel", dossier)


def dossier_url(dossier_id: int) -> str | None:
    """The dossier page of the dossier workflow, when it is there."""
    for endpoint in ("mobility.detail", "mobility.dossier"):
        if endpoint in current_app.view_functions:
            return url_for(endpoint, dossier_id=dossier_id)
    return None


def back_to_dossier(dossier: Dossier, endpoint: str):
    return redirect(dossier_url(dossier.id) or url_for(endpoint, dossier_id=dossier.id))


def national_offers_url(seeker_id: int) -> str | None:
    if "matching.offers_for" not in current_app.view_functions:
        return None
    return url_for("matching.offers_for", seeker_id=seeker_id, scope="national")


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite drops the zone


def enrolments_of(dossier: Dossier) -> list[Enrolment]:
    return list(db.session.scalars(sa.select(Enrolment).join(Workshop).where(Enrolment.dossier_id == dossier.id)
                                   .options(sa.orm.contains_eager(Enrolment.workshop))
                                   .order_by(Workshop.starts_at)))


def committed() -> bool:
    """Commit; if another worker changed one of the records first, roll back, say so, and
    return False (the caller reloads its page)."""
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        flash(str(CHANGED_MEANWHILE), "warning")
        return False
    return True


def commit_or_retry(dossier: Dossier, endpoint: str) -> Response | None:
    """Commit; if another worker changed the dossier first, say so and reload the page."""
    dossier_id = dossier.id  # read before a rollback expires it
    if not committed():
        return redirect(url_for(endpoint, dossier_id=dossier_id))
    return None


def record_read(dossier: Dossier, page: str) -> None:
    """Note in the audit trail that the user read a page of the dossier with its notes, as the
    dossier page itself does; commits."""
    audit.record("mobility.read", "dossier", dossier.id, page=page)
    db.session.commit()


@bp.context_processor
def _mobility_extra() -> dict:
    """Helpers of these pages, also for ``mobility/extra_sections.html`` on the dossier page."""
    return {"mobility_extra": SimpleNamespace(
        document_title=lambda kind: DOCUMENT_TITLES.get(kind, kind),
        document_titles=lambda kinds: ", ".join(str(DOCUMENT_TITLES.get(kind, kind)) for kind in kinds),
        document_status=lambda status: DOCUMENT_STATUS_TITLES.get(status, status),
        channel_title=lambda value: forms.FOLLOW_UP_CHANNELS.get(value, value),
        situation_title=lambda value: forms.FOLLOW_UP_SITUATIONS.get(value, value),
        return_situation_title=lambda value: forms.RETURN_SITUATIONS.get(value, value),
        need_title=lambda value: forms.RETURN_NEEDS.get(value, value),
        event_title=lambda kind: EVENT_TITLES.get(kind, kind),
        stage_title=lambda stage: STAGE_TITLES.get(stage, stage),
        summary=docs.summarise, enrolments=enrolments_of, step_open=step_open, may_record=may_record,
        dossier_url=dossier_url, national_offers_url=national_offers_url,
        occupation_label=lambda code: occupation_labels(current_language()).get(code, code),
    )}


def destination_choices(dossier_country: str | None) -> list[tuple[str, str]]:
    codes = db.session.scalars(sa.select(Country.code).where(Country.code != (dossier_country or ""))).all()
    return sorted(((code, country_name(code)) for code in codes), key=lambda pair: pair[1])
