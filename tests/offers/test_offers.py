"""Offers at the counter and on the employer portal: the form, coding and skills, bad input,
conflicts, scope per object, the ISCO-08 crosswalk and the contract document."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.audit import AuditEvent
from app.auth.models import Region, Role
from app.extensions import db
from app.offers import services
from app.offers.models import Employer, EmployerRegistration, Offer, OfferStatus
from app.reference.crosswalk import fiches_for_isco, parse_isco

NEXT_MONTH = date.today() + timedelta(days=30)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


# ----------------------------------------------------------------------------- helpers
def add_employer(app, name: str = "BTP Sahel SARL", country: str = "SN", agency_id: int | None = None,
                 registered: bool = True, **kw) -> int:
    """An employer straight into the table (approved, with a NINEA unless told otherwise)."""
    with app.app_context():
        employer = Employer(name=name, country_code=country, agency_id=agency_id,
                            status=kw.pop("status", "approved"), **kw)
        if registered:
            employer.registrations = [EmployerRegistration(scheme="NINEA", number="005123456")]
        db.session.add(employer)
        db.session.commit()
        return employer.id


def add_offer(app, employer_id: int, status: str = "draft", **kw) -> int:
    """An offer straight into the table, held by the employer's country; returns its id."""
    with app.app_context():
        employer = db.session.get(Employer, employer_id)
        values = dict(occupation_code="F1703", job_title="Maçon", contract_type="permanent",
                      salary_min=Decimal(150000), salary_currency="XOF", salary_period="month",
                      agency_id=employer.agency_id, closing_date=NEXT_MONTH)
        values.update(kw)
        offer = Offer(reference=services.next_offer_reference(employer.country_code),
                      country_code=employer.country_code, employer_id=employer_id, status=status, **values)
        db.session.add(offer)
        db.session.commit()
        return offer.id


def get_offer(app, offer_id: int) -> Offer:
    with app.app_context():
        offer = db.session.get(Offer, offer_id)
        offer.flags, offer.skills, offer.languages  # loaded before the context closes
        db.session.expunge(offer)
        return offer


def offer_form(employer_id: int, **overrides) -> dict:
    data = {"employer_id": employer_id, "intermediary_id": 0, "job_title": "Maçon coffreur",
            "occupation_code": "F1703", "description": "Chantier d'immeubles à Pikine", "positions": 3,
            "contract_type": "fixed_term", "contract_months": 6, "working_time": "full", "region_id": 0,
            "city": "Pikine", "salary_min": "150000", "salary_max": "180000", "salary_currency": "XOF",
            "salary_period": "month", "benefits": ["meals"], "experience_years": 2, "education_level": "",
            "driving_licence": "", "closing_date": NEXT_MONTH.isoformat(), "how_to_apply": "Se présenter au chantier",
            "programme_id": 0, "destination_country": "", "travel": "", "housing": "",
            "worker_fee_currency": "XOF", "languages-0-language": "fra", "languages-0-level": "intermediate",
            "languages-0-required": "y", "languages-1-language": "wol", "languages-1-level": "fluent"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def offers(app) -> list[Offer]:
    with app.app_context():
        return db.session.scalars(sa.select(Offer).order_by(Offer.id)).all()


def fiche_skills(app, code: str = "F1703", n: int = 3) -> list[str]:
    from app.reference.models import OccupationSkill

    with app.app_context():
        return list(db.session.scalars(sa.select(OccupationSkill.skill_code).where(
            OccupationSkill.occupation_code == code).order_by(OccupationSkill.skill_code).limit(n)))


# ------------------------------------------------------------------------------ create
def test_agent_creates_a_national_offer(app, client, login_as):
    agent = login_as(Role.AGENT)
    employer = add_employer(app, agency_id=agent.agency_id)
    required, desirable, _ = fiche_skills(app)
    response = client.post("/offers/new", data=offer_form(employer, required_skills=[required],
                                                          desirable_skills=[desirable]))
    assert response.status_code == 302, response.text[:3000]
    (offer,) = offers(app)
    assert re.fullmatch(rf"SN-O-{date.today().year}-000001", offer.reference)
    assert offer.status == "draft" and offer.agency_id == agent.agency_id and offer.created_by_id == agent.id
    offer = get_offer(app, offer.id)
    assert [(s.skill_code, s.required) for s in offer.skills] == [(required, True), (desirable, False)]
    assert [(lang.language, lang.level, lang.required) for lang in offer.languages] == [
        ("fra", "intermediate", True), ("wol", "fluent", False)]
    page = client.get(response.headers["Location"]).text
    assert "Maçon coffreur" in page and "F1703" in page and agent.full_name in page


def test_reference_numbers_count_per_country_and_year(app, ctx):
    first = services.next_offer_reference("SN", 2026)
    assert (first, services.next_offer_reference("SN", 2026)) == ("SN-O-2026-000001", "SN-O-2026-000002")
    assert services.next_offer_reference("ML", 2026) == "ML-O-2026-000001"
    assert services.next_offer_reference("SN", 2027) == "SN-O-2027-000001"


def test_the_coding_assistant_proposes_the_fiche_and_its_skills(app, client, login_as):
    agent = login_as(Role.AGENT)
    employer = add_employer(app, agency_id=agent.agency_id)
    response = client.post("/offers/new", data=offer_form(employer, job_title="maçon", occupation_code="",
                                                          refresh="y"))
    assert response.status_code == 200
    assert re.search(r'<option selected value="F1703">F1703 · ', response.text)
    assert 'name="required_skills"' in response.text and 'name="desirable_skills"' in response.text
    assert offers(app) == []  # showing the skills saves nothing


def test_employer_id_in_the_address_preselects_the_employer(app, client, login_as):
    agent = login_as(Role.AGENT)
    employer = add_employer(app, name="Sucrerie du Fleuve", agency_id=agent.agency_id)
    page = client.get(f"/offers/new?employer_id={employer}").text
    assert re.search(rf'<option selected value="{employer}">Sucrerie du Fleuve', page)


def test_bad_input_is_explained_kept_and_nothing_is_written(app, client, login_as):
    agent = login_as(Role.AGENT)
    employer = add_employer(app, agency_id=agent.agency_id)
    foreign = add_employer(app, name="Entreprise malienne", country="ML")
    with app.app_context():
        mali_region = db.session.scalar(sa.select(Region.id).where(Region.country_code == "ML"))
    response = client.post("/offers/new", data=offer_form(
        employer, salary_min="200000", salary_max="100000", contract_months="",
        closing_date=(date.today() - timedelta(days=1)).isoformat(), region_id=mali_region,
        required_skills=["ZZZ999"], description="Chantier de Guédiawaye"))
    assert response.status_code == 400
    text = response.text
    for message in ("Le maximum est inférieur au minimum.", "Indiquez la durée de ce contrat.",
                    "La date limite est déjà passée.", "Choisissez une région dans la liste.",
                    "Choisissez des compétences dans la liste du métier"):
        assert message in text, message
    assert "Chantier de Guédiawaye" in text
    other = client.post("/offers/new", data=offer_form(foreign))
    assert other.status_code == 400
    assert offers(app) == []


def test_employer_user_sees_and_edits_only_their_own_offers(app, client, auth, create_user, login_as):
    mine = add_employer(app, name="Hôtel Teranga")
    theirs = add_employer(app, name="Boulangerie Jaune")
    user = create_user(Role.EMPLOYER, employer_id=mine)
    auth.login(user.username)
    page = client.get("/offers/new").text
    assert "Hôtel Teranga" in page and "Boulangerie Jaune" not in page
    assert client.post("/offers/new", data=offer_form(theirs)).status_code == 400
    response = client.post("/offers/new", data=offer_form(mine, job_title="Cuisinier", occupation_code="G1602"))
    assert response.status_code == 302, response.text[:2000]
    other_offer = add_offer(app, theirs, job_title="Boulanger", occupation_code="D1102")
    listing = client.get("/offers/").text
    assert "Cuisinier" in listing and "Boulanger" not in listing
    for path in (f"/offers/{other_offer}", f"/offers/{other_offer}/edit"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/offers/{other_offer}/steps/submit").status_code == 404


def test_scope_of_agencies_and_countries(app, client, auth, create_user, create_agency):
    home = create_agency("SN")
    employer = add_employer(app, agency_id=home.id)
    offer_id = add_offer(app, employer, status="submitted", agency_id=home.id)
    neighbour = create_user(Role.AGENT, agency=create_agency("SN"))
    auth.login(neighbour.username)
    assert client.get(f"/offers/{offer_id}").status_code == 200  # offers are read country-wide
    assert client.get(f"/offers/{offer_id}/edit").status_code == 404
    assert client.post(f"/offers/{offer_id}/steps/publish").status_code == 404
    auth.logout()
    abroad = create_user(Role.MANAGER, agency=create_agency("ML"))
    auth.login(abroad.username)
    assert client.get(f"/offers/{offer_id}").status_code == 404
    assert "Maçon" not in client.get("/offers/").text
    assert client.post(f"/offers/{offer_id}/steps/publish").status_code == 404


def test_a_conflicting_edit_gets_409_and_keeps_what_was_typed(app, client, login_as):
    agent = login_as(Role.AGENT)
    employer = add_employer(app, agency_id=agent.agency_id)
    offer_id = add_offer(app, employer, agency_id=agent.agency_id)
    version = get_offer(app, offer_id).version
    with app.app_context():
        db.session.get(Offer, offer_id).positions = 7
        db.session.commit()
    response = client.post(f"/offers/{offer_id}/edit", data=offer_form(
        employer, version=version, description="Mon texte à garder"))
    assert response.status_code == 409
    assert "Mon texte à garder" in response.text
    assert get_offer(app, offer_id).positions == 7
    fresh = re.search(r'name="version" type="hidden" value="(\d+)"', response.text).group(1)
    again = client.post(f"/offers/{offer_id}/edit", data=offer_form(employer, version=fresh,
                                                                     description="Mon texte à garder"))
    assert again.status_code == 302
    assert get_offer(app, offer_id).description == "Mon texte à garder"


def test_edit_records_the_changed_fields(app, client, login_as):
    agent = login_as(Role.AGENT)
    employer = add_employer(app, agency_id=agent.agency_id)
    client.post("/offers/new", data=offer_form(employer))
    (offer,) = offers(app)
    response = client.post(f"/offers/{offer.id}/edit", data=offer_form(employer, positions=5, version=offer.version))
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "offer.updated"))
        assert event.details["fields"] == ["positions"] and event.actor_id == agent.id


def test_published_offers_no_longer_change(app, client, login_as):
    agent = login_as(Role.AGENT)
    employer = add_employer(app, agency_id=agent.agency_id)
    offer_id = add_offer(app, employer, status="published", agency_id=agent.agency_id)
    assert client.get(f"/offers/{offer_id}/edit").status_code == 302
    response = client.post(f"/offers/{offer_id}/edit", data=offer_form(employer, positions=9))
    assert response.status_code == 302 and get_offer(app, offer_id).positions == 1


def test_list_filters(app, client, login_as):
    manager = login_as(Role.MANAGER)
    employer = add_employer(app, agency_id=manager.agency_id)
    add_offer(app, employer, status="published", job_title="Maçon de Thiès")
    add_offer(app, employer, status="draft", job_title="Cuisinier", occupation_code="G1602")
    add_offer(app, employer, status="submitted", job_title="Ouvrier agricole", occupation_code="A1401",
              international=True, destination_country="ES", city="Huelva")
    assert "Ouvrier agricole" in client.get("/offers/?international=yes").text
    assert "Maçon de Thiès" not in client.get("/offers/?international=yes").text
    assert "Cuisinier" in client.get("/offers/?status=draft").text
    assert "Cuisinier" not in client.get("/offers/?status=published").text
    by_domain = client.get("/offers/?occupation=f17").text
    assert "Maçon de Thiès" in by_domain and "Cuisinier" not in by_domain
    assert "Maçon de Thiès" not in client.get("/offers/?flagged=y").text


# --------------------------------------------------------------------------- crosswalk
def test_isco_and_esco_codes_are_parsed():
    assert parse_isco("7112") == "7112"
    assert parse_isco("ISCO-08 7112") == "7112"
    assert parse_isco("7112.1") == "7112"
    assert parse_isco("71") == "71"
    assert parse_isco("F1703") is None and parse_isco("") is None and parse_isco("71123") is None


def test_the_crosswalk_maps_isco_groups_to_fiches(app, ctx):
    assert fiches_for_isco("7112")[0].code == "F1703"
    farm = [m.code for m in fiches_for_isco("9211")]
    assert farm[:2] == ["A1402", "A1401"]
    assert "F1703" in [m.code for m in fiches_for_isco("711", limit=50)]
    assert fiches_for_isco("0000") == []


def test_an_isco_coded_offer_is_mapped_then_confirmed_by_an_agent(app, client, auth, create_user, create_agency):
    agency = create_agency("SN")
    employer = add_employer(app, agency_id=agency.id, kind="partner_pes", name="Partner service")
    user = create_user(Role.EMPLOYER, employer_id=employer)
    auth.login(user.username)
    shown = client.post("/offers/new", data=offer_form(employer, job_title="Bricklayer", source_code="7112",
                                                       occupation_code="", refresh="y")).text
    assert re.search(r'<option selected value="F1703">', shown)
    response = client.post("/offers/new", data=offer_form(employer, job_title="Bricklayer", source_code="7112",
                                                          mapping_confirmed="y"))
    assert response.status_code == 302
    (offer,) = offers(app)
    assert offer.source_code == "7112" and offer.mapping_confirmed is False  # employers cannot confirm
    assert client.post(f"/offers/{offer.id}/steps/submit").status_code == 302
    auth.logout()
    agent = create_user(Role.AGENT, agency=agency)
    auth.login(agent.username)
    refused = client.post(f"/offers/{offer.id}/steps/publish")
    assert refused.status_code == 409 and get_offer(app, offer.id).status == "submitted"
    edited = client.post(f"/offers/{offer.id}/edit", data=offer_form(
        employer, job_title="Bricklayer", source_code="7112", mapping_confirmed="y",
        version=get_offer(app, offer.id).version))
    assert edited.status_code == 302, edited.text[:2000]
    assert get_offer(app, offer.id).mapping_confirmed is True
    assert client.post(f"/offers/{offer.id}/steps/publish").status_code == 302
    assert get_offer(app, offer.id).status == "published"


# ---------------------------------------------------------------------------- contract
def _upload(client, offer_id: int, content: bytes, name: str = "contrat.pdf"):
    return client.post(f"/offers/{offer_id}/contract", data={"document": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_contract_upload_accepts_only_pdf_within_the_size_limit(app, client, login_as, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    agent = login_as(Role.AGENT)
    employer = add_employer(app, agency_id=agent.agency_id)
    offer_id = add_offer(app, employer, agency_id=agent.agency_id, international=True, destination_country="ES")
    _upload(client, offer_id, b"MZ\x90\x00 not a pdf", name="contrat.pdf")
    assert get_offer(app, offer_id).contract_file is None
    _upload(client, offer_id, PDF + b"0" * services.CONTRACT_MAX_BYTES)
    assert get_offer(app, offer_id).contract_file is None
    assert list(tmp_path.rglob("*")) in ([], [tmp_path / "offer_contracts"])
    response = _upload(client, offer_id, PDF, name="../../etc/passwd.pdf")
    assert response.status_code == 302
    stored = get_offer(app, offer_id).contract_file
    assert stored and (tmp_path / "offer_contracts" / stored).read_bytes() == PDF
    download = client.get(f"/offers/{offer_id}/contract.pdf")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    _upload(client, offer_id, PDF + b"% v2\n")
    assert [p.name for p in (tmp_path / "offer_contracts").iterdir()] == [get_offer(app, offer_id).contract_file]


def test_contract_is_downloaded_only_by_readers_of_the_offer(app, client, auth, create_user, create_agency,
                                                           tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    agency = create_agency("SN")
    employer = add_employer(app, agency_id=agency.id)
    offer_id = add_offer(app, employer, agency_id=agency.id, international=True, destination_country="ES")
    agent = create_user(Role.AGENT, agency=agency)
    auth.login(agent.username)
    _upload(client, offer_id, PDF)
    auth.logout()
    assert client.get(f"/offers/{offer_id}/contract.pdf").status_code == 302  # to the login page
    other_employer = create_user(Role.EMPLOYER, employer_id=add_employer(app, name="Autre"))
    auth.login(other_employer.username)
    assert client.get(f"/offers/{offer_id}/contract.pdf").status_code == 404
    auth.logout()
    abroad = create_user(Role.AGENT, agency=create_agency("ML"))
    auth.login(abroad.username)
    assert client.get(f"/offers/{offer_id}/contract.pdf").status_code == 404
    assert not (tmp_path / "offer_contracts").is_relative_to(app.static_folder)


def test_offer_pages_are_in_french_by_default(app, client, login_as):
    agent = login_as(Role.AGENT)
    employer = add_employer(app, agency_id=agent.agency_id)
    offer_id = add_offer(app, employer, status=OfferStatus.PUBLISHED.value)
    for path in ("/offers/", f"/offers/{offer_id}", "/offers/new"):
        page = client.get(path).text
        assert 'lang="fr"' in page and "Métiers" in page, path
