"""The documents checklist: which documents a destination asks for, uploads checked by their
first bytes and kept outside the web root under a random name, refused uploads that leave
nothing behind, and downloads only for those who may read the dossier."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.mobility import documents as docs
from app.mobility.models import Departure, Dossier, DossierDocument, DocumentKind
from tests.mobility.test_extra_helpers import (
    EXE, HTML, JPEG, PDF, PNG, add_dossier, events, login, read, staff,
)

RANDOM_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|png|jpg)$")
ALL_KINDS = [kind.value for kind in DocumentKind]
NO_WORK = [k for k in ALL_KINDS if k not in ("contract", "visa")]


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "mobility_documents"


@pytest.fixture
def desk(app, create_user, create_agency, client):
    """A Senegalese agency, its mobility counsellor logged in, and a work dossier to France."""
    agency, counsellor, manager = staff(create_user, create_agency)
    dossier_id = add_dossier(app, agency, counsellor=counsellor)
    login(client, counsellor)
    return agency, counsellor, manager, dossier_id


def checklist(kinds, **items):
    """Form data for the checklist: ``items`` maps a kind to (status, note[, (bytes, name)])."""
    data = {}
    for index, kind in enumerate(kinds):
        status, note, *upload = items.get(kind, ("missing", ""))
        data[f"items-{index}-kind"] = kind
        data[f"items-{index}-status"] = status
        data[f"items-{index}-note"] = note
        if upload:
            content, name = upload[0]
            data[f"items-{index}-file"] = (io.BytesIO(content), name)
    return data


def post(client, dossier_id, data):
    return client.post(f"/mobility/dossiers/{dossier_id}/documents", data=data, content_type="multipart/form-data")


def documents(app, dossier_id):
    return {d.kind: d for d in read(app, DossierDocument, dossier_id=dossier_id)}


# --- the list of documents ---------------------------------------------------------------------

@pytest.mark.parametrize("project,expected", [("work", ALL_KINDS), ("seasonal", ALL_KINDS), ("study", NO_WORK),
                                              ("undecided", NO_WORK)])
def test_contract_and_visa_only_for_work_projects(project, expected):
    assert [k.value for k in docs.required_kinds(Dossier(project_kind=project))] == expected


def test_a_destination_can_have_its_own_list(monkeypatch):
    monkeypatch.setitem(docs.DESTINATION_RULES, "CI", docs.ChecklistRule(for_work=(DocumentKind.CONTRACT,)))
    from app.auth.models import Country

    dossier = Dossier(project_kind="work")
    dossier.destinations = [Country(code="CI", kind="destination", currency="XOF")]
    assert "visa" not in docs.required_kinds(dossier) and "contract" in docs.required_kinds(dossier)
    dossier.destinations.append(Country(code="FR", kind="destination", currency="EUR"))
    assert "visa" in docs.required_kinds(dossier)  # what any destination asks
    # Once the departure is recorded, its country decides.
    dossier.departure = Departure(destination_country="CI")
    assert "visa" not in docs.required_kinds(dossier)


def test_the_page_lists_what_the_project_needs(app, client, desk, create_agency):
    agency, counsellor, _manager, work = desk
    study = add_dossier(app, agency, counsellor=counsellor, project="study")
    page = client.get(f"/mobility/dossiers/{work}/documents").text
    assert "Signed employment contract" in page and "Visa" in page and "Passport" in page
    page = client.get(f"/mobility/dossiers/{study}/documents").text
    assert "Passport" in page and "Signed employment contract" not in page and 'value="visa"' not in page


# --- uploads -----------------------------------------------------------------------------------

@pytest.mark.parametrize("content,name,content_type,extension", [
    (PDF, "passeport scanné.pdf", "application/pdf", ".pdf"),
    (PNG, "passeport.png", "image/png", ".png"),
    (JPEG, "photo.JPG", "image/jpeg", ".jpg"),
    (PDF, "sans extension", "application/pdf", ".pdf"),  # the first bytes decide, not the name
], ids=["pdf", "png", "jpeg", "no-extension"])
def test_real_files_are_stored_outside_the_web_root_with_a_random_name(app, client, desk, folder, content, name,
                                                                      content_type, extension):
    _agency, counsellor, _manager, dossier_id = desk
    response = post(client, dossier_id, checklist(ALL_KINDS, passport=("missing", "valid until 2030",
                                                                       (content, name))))
    assert response.status_code == 302, response.text[:2000]
    item = documents(app, dossier_id)["passport"]
    assert RANDOM_NAME.match(item.stored_name) and item.stored_name.endswith(extension)
    assert (item.original_name, item.content_type, item.size) == (name, content_type, len(content))
    assert item.status == "received"  # a file for a missing document: received
    assert item.note == "valid until 2030" and item.uploaded_by_id == counsellor.id
    assert [p.name for p in folder.iterdir()] == [item.stored_name]
    assert (folder / item.stored_name).read_bytes() == content
    static = Path(app.static_folder).resolve()
    assert static not in (folder / item.stored_name).resolve().parents
    assert events(app, dossier_id) == ["documents_updated"]
    with app.app_context():
        audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "mobility.documents_updated")).one()
        assert audit.details == {"kinds": ["passport"], "files": ["passport"]}


def test_the_file_name_never_reaches_the_path(app, client, desk, folder):
    _agency, _counsellor, _manager, dossier_id = desk
    post(client, dossier_id, checklist(ALL_KINDS, medical=("received", "", (PDF, "..\\..\\..\\etc/passwd.pdf"))))
    item = documents(app, dossier_id)["medical"]
    assert item.original_name == "passwd.pdf" and RANDOM_NAME.match(item.stored_name)
    assert [p.parent for p in folder.parent.rglob("*") if p.is_file()] == [folder]


@pytest.mark.parametrize("content,name", [(HTML, "contrat.pdf"), (EXE, "passeport.pdf"), (EXE, "photo.png"),
                                          (b"GIF89a\x01\x00", "photo.jpg"), (b"", "vide.pdf")],
                         ids=["html-as-pdf", "exe-as-pdf", "exe-as-png", "gif-as-jpg", "empty"])
def test_other_files_are_refused_and_nothing_is_saved(app, client, desk, folder, content, name):
    _agency, _counsellor, _manager, dossier_id = desk
    post(client, dossier_id, checklist(ALL_KINDS, diploma=("requested", "asked on 3 May")))
    data = checklist(ALL_KINDS, diploma=("verified", "legalised by the ministry"),
                     passport=("received", "", (PDF, "passeport.pdf")),
                     contract=("received", "signed in Dakar", (content, name)))
    response = post(client, dossier_id, data)
    assert response.status_code == 400
    expected = "This file is empty." if not content else "This file is not a PDF, JPEG or PNG document."
    assert expected in response.text and "Nothing was saved" in response.text
    # The other fields are kept as typed, for the counsellor to send again.
    assert 'value="legalised by the ministry"' in response.text and 'value="signed in Dakar"' in response.text
    saved = documents(app, dossier_id)
    assert set(saved) == {"diploma"} and (saved["diploma"].status, saved["diploma"].note) == ("requested",
                                                                                              "asked on 3 May")
    assert not folder.exists() or list(folder.iterdir()) == []  # not even the good PDF sent with it
    assert events(app, dossier_id) == ["documents_updated"]


def test_a_file_over_the_limit_is_refused(app, client, desk, folder, monkeypatch):
    _agency, _counsellor, _manager, dossier_id = desk
    monkeypatch.setitem(app.config, "MOBILITY_DOCUMENT_MAX_BYTES", 1024 * 1024)
    big = PDF + b"0" * (1024 * 1024)
    response = post(client, dossier_id, checklist(ALL_KINDS, passport=("received", "", (big, "gros.pdf"))))
    assert response.status_code == 400 and "This file is too large (1 MB at most)." in response.text
    assert documents(app, dossier_id) == {} and not folder.exists()
    just = PDF + b"0" * (1024 * 1024 - len(PDF))
    assert post(client, dossier_id, checklist(ALL_KINDS, passport=("received", "", (just, "juste.pdf")))) \
        .status_code == 302


def test_the_default_limit_is_five_megabytes(app, client, desk, folder):
    _agency, _counsellor, _manager, dossier_id = desk
    assert "5 MB at most each" in client.get(f"/mobility/dossiers/{dossier_id}/documents").text
    big = PDF + b"0" * (5 * 1024 * 1024)
    response = post(client, dossier_id, checklist(ALL_KINDS, passport=("received", "", (big, "gros.pdf"))))
    assert response.status_code == 400 and "This file is too large (5 MB at most)." in response.text


def test_a_new_file_replaces_and_deletes_the_old_one(app, client, desk, folder):
    _agency, _counsellor, _manager, dossier_id = desk
    post(client, dossier_id, checklist(ALL_KINDS, visa=("received", "", (PDF, "visa.pdf"))))
    first = documents(app, dossier_id)["visa"].stored_name
    post(client, dossier_id, checklist(ALL_KINDS, visa=("verified", "", (PNG, "visa.png"))))
    item = documents(app, dossier_id)["visa"]
    assert item.stored_name != first and item.status == "verified" and item.content_type == "image/png"
    assert [p.name for p in folder.iterdir()] == [item.stored_name]


def test_statuses_and_notes_without_files(app, client, desk, folder):
    _agency, _counsellor, _manager, dossier_id = desk
    response = post(client, dossier_id, checklist(ALL_KINDS, criminal_record=("requested", "court of Dakar"),
                                                  language=("not_needed", "French-speaking destination")))
    assert response.status_code == 302
    saved = documents(app, dossier_id)
    assert {k: (d.status, d.note) for k, d in saved.items()} == {
        "criminal_record": ("requested", "court of Dakar"), "language": ("not_needed", "French-speaking destination")}
    assert "The documents checklist has been saved." in client.get(response.headers["Location"]).text
    # The same again changes nothing and adds no event.
    post(client, dossier_id, checklist(ALL_KINDS, criminal_record=("requested", "court of Dakar"),
                                       language=("not_needed", "French-speaking destination")))
    assert events(app, dossier_id) == ["documents_updated"]
    assert not folder.exists()


@pytest.mark.parametrize("data", [
    {"items-0-kind": "tattoo", "items-0-status": "missing", "items-0-note": ""},
    {"items-0-kind": "visa", "items-0-status": "missing", "items-1-kind": "visa", "items-1-status": "missing"},
    {},
])
def test_crafted_checklists_are_refused(app, client, desk, data):
    _agency, _counsellor, _manager, dossier_id = desk
    assert post(client, dossier_id, data).status_code == 400
    assert documents(app, dossier_id) == {}


def test_a_bad_status_is_an_error_of_the_form(app, client, desk):
    _agency, _counsellor, _manager, dossier_id = desk
    response = post(client, dossier_id, checklist(ALL_KINDS, visa=("lost", "")))
    assert response.status_code == 400 and documents(app, dossier_id) == {}


def test_a_closed_dossier_keeps_its_checklist(app, client, desk, folder):
    agency, counsellor, _manager, _dossier_id = desk
    closed = add_dossier(app, agency, counsellor=counsellor, stage="closed")
    response = post(client, closed, checklist(ALL_KINDS, passport=("received", "", (PDF, "p.pdf"))))
    assert response.status_code == 302
    assert "cannot be changed at the dossier" in client.get(response.headers["Location"]).text
    assert documents(app, closed) == {} and not folder.exists()


# --- downloads ---------------------------------------------------------------------------------

@pytest.fixture
def stored(app, client, desk, folder):
    """A PNG attached to the passport of the desk's dossier; returns the document id."""
    _agency, _counsellor, _manager, dossier_id = desk
    post(client, dossier_id, checklist(ALL_KINDS, passport=("received", "", (PNG, "passeport d'Awa.png"))))
    return documents(app, dossier_id)["passport"].id


def _download_events(app):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "mobility.document_downloaded")
                                  ).all()


def test_the_counsellor_downloads_with_safe_headers(app, client, desk, stored):
    _agency, counsellor, _manager, _dossier_id = desk
    response = client.get(f"/mobility/documents/{stored}/file")
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "passeport" in disposition
    assert "no-store" in response.headers["Cache-Control"]
    (event,) = _download_events(app)
    assert (event.actor_id, event.object_type, event.object_id) == (counsellor.id, "dossier_document", str(stored))


def test_the_country_manager_downloads(app, client, desk, stored):
    _agency, _counsellor, manager, _dossier_id = desk
    login(client, manager)
    assert client.get(f"/mobility/documents/{stored}/file").status_code == 200
    # A manager reads the checklist but does not change it.
    _agency, _c, _m, dossier_id = desk
    assert client.get(f"/mobility/dossiers/{dossier_id}/documents").status_code == 200
    assert post(client, dossier_id, checklist(ALL_KINDS)).status_code == 403


@pytest.mark.parametrize("role,country,status", [
    (Role.MOBILITY_COUNSELLOR, "SN", 404),  # another agency of the same country
    (Role.MANAGER, "BJ", 404),  # another country
    (Role.AGENT, "SN", 403),
    (Role.COUNSELLOR, "SN", 403),
    (Role.EMPLOYER, "SN", 403),
])
def test_others_cannot_download(app, client, desk, stored, create_user, create_agency, role, country, status):
    if role == Role.EMPLOYER:
        user = create_user(role)
    else:
        user = create_user(role, agency=create_agency(country))
    login(client, user)
    assert client.get(f"/mobility/documents/{stored}/file").status_code == status
    _agency, _c, _m, dossier_id = desk
    assert client.get(f"/mobility/dossiers/{dossier_id}/documents").status_code == status
    assert _download_events(app) == []


def test_a_visitor_is_sent_to_the_login_page(client, desk, stored):
    client.post("/logout")
    response = client.get(f"/mobility/documents/{stored}/file")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_missing_file_is_a_404(app, client, desk, stored, folder):
    for path in folder.iterdir():
        path.unlink()
    assert client.get(f"/mobility/documents/{stored}/file").status_code == 404
    assert client.get("/mobility/documents/999999/file").status_code == 404


def test_the_dossier_page_shows_the_checklist_summary(app, client, desk, stored):
    _agency, _counsellor, _manager, dossier_id = desk
    page = client.get(f"/mobility/dossiers/{dossier_id}")
    if page.status_code == 404:
        pytest.skip("the dossier page is not there yet")
    assert "1 of 7 documents received" in page.text
    assert "Open the documents checklist" in page.text and "Diploma recognition" in page.text


@pytest.mark.parametrize("content,name,expected", [
    (PDF, "sans extension", "sans extension.pdf"), (PDF, "photo.png", "photo.png.pdf"),
    (JPEG, "photo.JPEG", "photo.JPEG"), (PNG, "scan.png", "scan.png"),
], ids=["no-extension", "wrong-extension", "jpeg", "png"])
def test_the_download_name_says_what_the_file_is(app, client, desk, folder, content, name, expected):
    _agency, _counsellor, _manager, dossier_id = desk
    post(client, dossier_id, checklist(ALL_KINDS, medical=("received", "", (content, name))))
    item = documents(app, dossier_id)["medical"]
    assert docs.download_name(item) == expected and item.original_name == name
    disposition = client.get(f"/mobility/documents/{item.id}/file").headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith((expected, f'{expected}"'))
