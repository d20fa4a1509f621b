"""Mobility pages around the dossier: the documents checklist and its files, pre-departure
workshops, the departure, contacts abroad, the return, and the figures per corridor.

The stage of a dossier belongs to the dossier workflow (``app.mobility.workflow``): these pages
only record what happened, each as a dated :class:`~app.mobility.models.DossierEvent`, and
open each record at the stages where it makes sense (``common.STEP_STAGES``).
"""
from app.mobility.extra_routes import abroad, checklist, common, figures, workshops  # noqa: F401
