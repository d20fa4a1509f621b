"""The documents checklist of a dossier, and the download of its files."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import audit
from app.auth.access import ensure, permission_required
from app.extensions import db
from app.i18n import format_number
from app.mobility import bp
from app.mobility import documents as docs
from app.mobility import extra_forms as forms
from app.mobility.extra_routes.common import CHANGED_MEANWHILE, CLOSED_STEP, get_dossier, may_record, record_read
from app.mobility.models import Dossier, DossierDocument, DocumentKind


def _checklist_rows(form: forms.ChecklistForm, dossier: Dossier) -> list[tuple]:
    existing = {doc.kind: doc for doc in dossier.documents}
    return [(entry.form, entry.form.kind.data, existing.get(entry.form.kind.data)) for entry in form.items]


def _posted_kinds_valid(form: forms.ChecklistForm) -> bool:
    kinds = [entry.form.kind.data for entry in form.items]
    return bool(kinds) and len(set(kinds)) == len(kinds) and all(k in DocumentKind._value2member_map_ for k in kinds)


@bp.route("/dossiers/<int:dossier_id>/documents", methods=["GET", "POST"])
@permission_required("mobility.read")
def documents(dossier_id: int):
    dossier = get_dossier(dossier_id)
    editable = may_record("documents", dossier)
    if request.method == "POST":
        ensure("mobility.counsel", dossier)
        if not editable:
            flash(str(CLOSED_STEP), "warning")
            return redirect(url_for("mobility.documents", dossier_id=dossier.id))
        form = forms.ChecklistForm()
        if not _posted_kinds_valid(form):
            abort(400)
        if form.validate():
            response = _save_checklist(form, dossier)
            if response is not None:
                return response
    else:
        record_read(dossier, "documents")
        existing = {doc.kind: doc for doc in dossier.documents}
        form = forms.ChecklistForm(data={"items": [
            {"kind": kind.value, "status": existing[kind].status if kind in existing else "missing",
             "note": existing[kind].note if kind in existing else ""} for kind in docs.checklist_kinds(dossier)]})
    rows = _checklist_rows(form, dossier)
    refused = form.errors or any(row[0].file.errors for row in rows)
    return render_template("mobility/extra_documents.html", dossier=dossier, form=form, editable=editable,
                           rows=rows, required={kind.value for kind in docs.required_kinds(dossier)},
                           max_size=_megabytes()), 400 if refused else 200


def _megabytes() -> str:
    return format_number(round(docs.max_bytes() / (1024 * 1024), 1))


def _refusal(reason: str) -> str:
    if reason == "size":
        return _("This file is too large (%(size)s MB at most).", size=_megabytes())
    if reason == "empty":
        return _("This file is empty.")
    return _("This file is not a PDF, JPEG or PNG document.")


def _save_checklist(form: forms.ChecklistForm, dossier: Dossier) -> Response | None:
    """Check every file first: one refused file keeps everything unsaved, the form as typed."""
    changes, refused = [], False
    for entry in form.items:
        item, upload = entry.form, None
        if item.file.data:
            try:
                upload = docs.check_upload(item.file.data.stream, item.file.data.filename)
            except docs.DocumentRefused as refusal:
                item.file.errors.append(_refusal(refusal.reason))
                refused = True
        changes.append(docs.ItemChange(item.kind.data, item.status.data, (item.note.data or "").strip(), upload))
    if refused:
        flash(_("Nothing was saved: choose the refused files again, or other ones."), "danger")
        return None
    try:
        stored = docs.save_checklist(dossier, changes, current_user.id)
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        flash(str(CHANGED_MEANWHILE), "warning")
        return redirect(url_for("mobility.documents", dossier_id=dossier.id))
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        docs.discard(stored.written)  # no file without its record
        raise
    docs.discard(stored.replaced)
    flash(_("The documents checklist has been saved.") if stored.changed else _("Nothing was changed."), "success")
    return redirect(url_for("mobility.documents", dossier_id=dossier.id))


@bp.route("/documents/<int:document_id>/file")
@permission_required("mobility.read")
def document_file(document_id: int):
    document = db.get_or_404(DossierDocument, document_id)
    ensure("mobility.read", document.dossier)
    path = docs.stored_path(document)
    if path is None:
        abort(404)
    audit.record("mobility.document_downloaded", "dossier_document", document.id,
                 dossier_id=document.dossier_id, kind=document.kind)
    db.session.commit()
    response = send_file(path, mimetype=document.content_type or "application/octet-stream", as_attachment=True,
                         download_name=docs.download_name(document), max_age=0, conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
