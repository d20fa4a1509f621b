"""A person's mobility dossiers and referrals in their rights: exported with the rest, and
erased (free text and files) when the person is anonymised, the figures kept."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.audit import AuditEvent
from app.extensions import db
from app.jobseekers import privacy
from app.jobseekers.models import JobSeeker
from app.matching.models import Referral, ReferralEvent
from app.mobility import documents
from app.mobility.models import Alternative, CounsellingSession, Departure, Dossier, DossierDocument, FollowUp
from app.mobility.workflow import record_event

SECRET = "son frère Ibrahima Sarr à Lyon, tél. 0612345678"


def _fill(app, dossier_id: int, folder) -> str:
    """Write free text everywhere a counsellor can, and store a file; returns the file's name."""
    stored = "a" * 32 + ".pdf"
    (folder / stored).write_bytes(b"%PDF-1.4 passport")
    with app.test_request_context():
        dossier = db.session.get(Dossier, dossier_id)
        dossier.motivation = SECRET
        dossier.assessment.notes = SECRET
        dossier.alternatives.append(Alternative(kind="training", description=SECRET))
        dossier.sessions.append(CounsellingSession(held_on=date(2026, 1, 5), kind="individual", minutes=30,
                                                   notes=SECRET, next_steps=SECRET))
        dossier.documents.append(DossierDocument(kind="passport", status="received", stored_name=stored,
                                                 original_name="passeport Awa Diop.pdf", note=SECRET))
        dossier.departure = Departure(departed_on=date(2026, 2, 1), destination_country="FR", city="Lyon",
                                      employer_name="Ferme Sarr")
        dossier.follow_ups.append(FollowUp(contacted_on=date(2026, 3, 1), channel="phone", situation="problems",
                                           notes=SECRET))
        record_event(dossier, "note", None, comment=SECRET)
        db.session.commit()
    return stored


def test_anonymising_erases_what_was_written_in_dossiers_and_their_files(app, make_dossier, place, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setattr(documents, "folder", lambda: tmp_path)
    dossier_id = make_dossier("departed")
    stored = _fill(app, dossier_id, tmp_path)
    with app.test_request_context():
        dossier = db.session.get(Dossier, dossier_id)
        seeker = db.session.get(JobSeeker, dossier.jobseeker_id)
        exported = privacy.person_export(seeker, place.manager)
        assert [d["number"] for d in exported["mobility_dossiers"]] == [dossier.number]
        assert exported["mobility_dossiers"][0]["follow_ups"][0]["notes"] == SECRET
        # The audit trail never held the comment itself.
        details = db.session.scalars(sa.select(AuditEvent.details).where(AuditEvent.object_type == "dossier"))
        assert all(SECRET not in str(d) for d in details)
        privacy.anonymise(seeker, "Demande de la personne", None)
        assert (tmp_path / stored).exists()  # until the erasure is committed
        db.session.commit()
    assert not (tmp_path / stored).exists()
    with app.test_request_context():
        dossier = db.session.get(Dossier, dossier_id)
        texts = [dossier.motivation, dossier.assessment.notes, dossier.alternatives[0].description,
                 dossier.sessions[0].notes, dossier.sessions[0].next_steps, dossier.documents[0].note,
                 dossier.follow_ups[0].notes, *[e.comment for e in dossier.events]]
        assert all(not text for text in texts), texts
        assert dossier.documents[0].stored_name is None and dossier.documents[0].original_name is None
        assert dossier.departure.employer_name is None and dossier.departure.city is None
        # What the corridor figures need stays.
        assert (dossier.stage, dossier.departure.destination_country, dossier.documents[0].status) == \
            ("departed", "FR", "received")
        assert [c.code for c in dossier.destinations] == ["FR"]


def test_a_failed_anonymisation_keeps_the_files(app, make_dossier, tmp_path, monkeypatch):
    monkeypatch.setattr(documents, "folder", lambda: tmp_path)
    dossier_id = make_dossier("counselling")
    stored = _fill(app, dossier_id, tmp_path)
    with app.test_request_context():
        seeker = db.session.get(JobSeeker, db.session.get(Dossier, dossier_id).jobseeker_id)
        privacy.anonymise(seeker, "Demande de la personne", None)
        db.session.rollback()
        db.session.commit()
    assert (tmp_path / stored).exists()


def test_referral_comments_are_exported_then_erased(app, place, make_dossier):
    with app.test_request_context():
        dossier = db.session.get(Dossier, make_dossier("counselling"))
        referral = Referral(jobseeker_id=dossier.jobseeker_id, offer_id=place.offer, employer_id=place.employer,
                            country_code="SN", agency_id=place.agency.id, counsellor_id=place.counsellor.id,
                            status="refused", refusal_reason="other", comment=SECRET)
        referral.events.append(ReferralEvent(from_status="sent", to_status="refused", reason="other",
                                             comment=SECRET))
        db.session.add(referral)
        db.session.commit()
        seeker = db.session.get(JobSeeker, dossier.jobseeker_id)
        exported = privacy.person_export(seeker, place.manager)
        assert exported["referrals"][0]["comment"] == SECRET
        assert exported["referrals"][0]["events"][0]["to_status"] == "refused"
        privacy.anonymise(seeker, "Fin de la durée de conservation", None)
        db.session.commit()
        kept = db.session.get(Referral, referral.id)
        assert kept.comment is None and kept.events[0].comment is None
        assert (kept.status, kept.refusal_reason) == ("refused", "other")
