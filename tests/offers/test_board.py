"""The public job board: only open offers, every filter, paging, nothing personal, the
employer's contact only where allowed, pages light enough for 2G, French and English."""
from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.auth.models import Region, Role
from app.db import utcnow
from app.extensions import db
from app.i18n import format_date_short
from app.jobseekers import services as seeker_services
from app.offers import board_search
from app.offers.models import Employer, Offer, OfferFlag, OfferLanguage, OfferSkill, PartnerProgramme
from app.reference.models import OccupationSkill

PAGE_BUDGET = 150_000  # bytes a first visit may need, everything it links included
TODAY = utcnow().date()  # the board's today
_numbers = itertools.count(1)


# --------------------------------------------------------------------------- factories
def _region_id(code: str) -> int:
    return db.session.scalar(sa.select(Region.id).where(Region.code == code))


@pytest.fixture(autouse=True)
def dakar(create_agency):
    """The agency that makes this installation Senegal's: the board shows Senegal by default."""
    return create_agency("SN", region="SN-DK")


@pytest.fixture
def make_employer(app):
    """An employer with contact details, straight into the table; returns its id."""
    def make(name: str = "BTP Sahel SARL", country: str = "SN", **kw) -> int:
        fields = dict(contact_name="Ibrahima Sow", phone="+221338001122", email="recrutement@btp-sahel.sn",
                      address="Route de Rufisque, Dakar", kind="national")
        fields.update(kw)
        with app.app_context():
            employer = Employer(name=name, country_code=country, **fields)
            db.session.add(employer)
            db.session.commit()
            return employer.id
    return make


@pytest.fixture
def make_offer(app, make_employer):
    """A published offer of the Senegal PES unless told otherwise; returns its reference.

    ``region`` is an ISO 3166-2 code; ``published_days_ago`` orders the board.
    """
    def make(title: str = "Maçon", region: str | None = "SN-DK", published_days_ago: int = 1, **kw) -> str:
        number = next(_numbers)
        employer_id = kw.pop("employer_id", None) or make_employer()
        fields = dict(status="published", country_code="SN", occupation_code="F1703", contract_type="permanent",
                      description="Chantier de logements sociaux.", how_to_apply="Déposez votre CV à l'agence.",
                      closing_date=TODAY + timedelta(days=30))
        fields.update(kw)
        with app.app_context():
            offer = Offer(reference=f"{fields['country_code']}-T-{number:06d}", employer_id=employer_id,
                          job_title=title, region_id=_region_id(region) if region else None,
                          published_at=utcnow() - timedelta(days=published_days_ago, minutes=number), **fields)
            db.session.add(offer)
            db.session.commit()
            return offer.reference
    return make


def abroad(**kw) -> dict:
    """The fields of an international offer, to Spain unless told otherwise."""
    fields = dict(international=True, region=None, destination_country="ES", city="Huelva", work_permit=True,
                  visa_sponsored=True, travel_paid=True, housing_provided=None, contract_months=4)
    fields.update(kw)
    return fields


def listed(response) -> list[str]:
    """The references of the offers a board page lists, in order."""
    assert response.status_code == 200, response.status_code
    return re.findall(r'href="/jobs/([A-Z]{2}-T-\d{6})"', response.text)


# --------------------------------------------------------------------------- what is open
def test_open_offers_newest_first_national_and_international(client, make_offer):
    old = make_offer("Maçon", published_days_ago=5)
    new = make_offer("Cueilleur de fraises", occupation_code="A1401", **abroad(), published_days_ago=1)
    middle = make_offer("Chauffeur", occupation_code="N4101", closing_date=None, published_days_ago=3)
    assert listed(client.get("/jobs/")) == [new, middle, old]


@pytest.mark.parametrize("status", ["draft", "submitted", "rejected", "closed", "filled", "expired"])
def test_offers_that_are_not_published_never_show(client, make_offer, status):
    hidden = make_offer("Caché", status=status, rejection_reason="Fraude" if status == "rejected" else None)
    shown = make_offer("Visible")
    assert listed(client.get("/jobs/")) == [shown]
    assert hidden not in client.get("/jobs/?occupation=F1703").text
    assert client.get(f"/jobs/{hidden}").status_code == 404


def test_offers_past_their_closing_date_are_gone_before_they_expire(client, make_offer):
    late = make_offer("En retard", closing_date=TODAY - timedelta(days=1))
    last_day = make_offer("Dernier jour", closing_date=TODAY)
    assert listed(client.get("/jobs/")) == [last_day]
    assert client.get(f"/jobs/{late}").status_code == 404
    assert client.get(f"/jobs/{last_day}").status_code == 200


def test_the_home_page_links_to_the_board(client):
    assert 'href="/jobs/"' in client.get("/").text


def test_unknown_reference_is_a_light_404(client):
    response = client.get("/jobs/SN-T-999999")
    assert response.status_code == 404
    assert "board.css" in response.text and "bootstrap" not in response.text


# --------------------------------------------------------------------------- filters
@pytest.fixture
def catalogue(make_offer, make_employer):
    """Five offers that each filter tells apart."""
    return {
        "mason": make_offer("Maçon coffreur", region="SN-DK"),
        "driver": make_offer("Chauffeur poids lourd", occupation_code="N4101", region="SN-TH",
                             contract_type="fixed_term", contract_months=6),
        "picker": make_offer("Cueilleur de fraises", occupation_code="A1401", contract_type="seasonal", **abroad()),
        "mason_abroad": make_offer("Maçon", contract_type="fixed_term", **abroad(destination_country="FR",
                                                                                   city="Lyon")),
        "bamako": make_offer("Maçon à Bamako", country_code="ML", region="ML-BKO",
                             employer_id=make_employer("Sogea Mali", country="ML")),
    }


def _region_param(app, code: str) -> str:
    with app.app_context():
        return str(_region_id(code))


@pytest.mark.parametrize("query, expected", [
    ("", {"mason", "driver", "picker", "mason_abroad"}),
    ("occupation=F1703", {"mason", "mason_abroad"}),
    ("occupation=f1703", {"mason", "mason_abroad"}),
    ("occupation=ma%C3%A7on", {"mason", "mason_abroad"}),
    ("occupation=chauffeur+poids+lourd", {"driver"}),
    ("occupation=zzxxqq", set()),
    ("domain=F17", {"mason", "mason_abroad"}),
    ("domain=F", {"mason", "mason_abroad"}),
    ("domain=A", {"picker"}),
    ("scope=national", {"mason", "driver"}),
    ("scope=international", {"picker", "mason_abroad"}),
    ("destination=ES", {"picker"}),
    ("contract=seasonal", {"picker"}),
    ("contract=fixed_term&scope=international", {"mason_abroad"}),
    ("country=ML", {"bamako"}),
    ("country=ml&occupation=F1703", {"bamako"}),
    ("region=SN-TH", {"driver"}),
])
def test_each_filter(app, client, catalogue, query, expected):
    if query.startswith("region="):
        query = "region=" + _region_param(app, query.split("=")[1])
    references = {catalogue[name] for name in expected}
    assert set(listed(client.get(f"/jobs/?{query}"))) == references


@pytest.mark.parametrize("query", ["region=999999", "contract=bogus", "domain=ZZ", "scope=everywhere",
                                   "destination=XX", "country=FR", "page=abc", "occupation=" + "x" * 500])
def test_values_not_offered_are_ignored(client, catalogue, query):
    response = client.get(f"/jobs/?{query}")
    assert response.status_code == 200
    if not query.startswith("occupation="):
        assert len(listed(response)) == 4


def test_words_are_coded_and_the_page_says_which_occupation_it_searched(client, catalogue):
    page = client.get("/jobs/?occupation=ma%C3%A7on").text
    notice = page.split('id="searching-for"')[1].split("</div>")[0]
    assert "F1703 · Maçonnerie" in notice and "maçon" in notice
    other = re.search(r'href="(/jobs/\?[^"]*occupation=[A-Z]\d{4}[^"]*)"', notice)
    assert other, "the next likely occupations are offered as links"
    assert client.get(other.group(1).replace("&amp;", "&")).status_code == 200


def test_the_country_of_the_board(client, make_offer, make_employer, create_agency, login_as):
    senegal = make_offer("Maçon à Dakar")
    mali = make_offer("Maçon à Bamako", country_code="ML", region="ML-BKO",
                      employer_id=make_employer("Sogea Mali", country="ML"))
    assert listed(client.get("/jobs/")) == [senegal]  # the country this installation runs
    assert listed(client.get("/jobs/?country=ML")) == [mali]
    login_as(Role.AGENT, agency=create_agency("ML"))
    assert listed(client.get("/jobs/")) == [mali]  # staff see their own country's board first
    assert listed(client.get("/jobs/?country=SN")) == [senegal]


def test_without_agencies_the_board_is_the_first_pes_country(ctx):
    assert board_search.choose_country(None, ["BJ", "ML", "SN"]) == "SN"  # Dakar's agency
    assert board_search.choose_country(None, ["BJ", "ML"]) == "BJ"
    assert board_search.choose_country("ml", ["BJ", "ML"]) == "ML"
    assert board_search.choose_country(None, []) is None


def test_paging_keeps_the_search(client, make_offer):
    references = [make_offer(f"Maçon {n}", published_days_ago=n) for n in range(30)]
    make_offer("Chauffeur", occupation_code="N4101")
    first = client.get("/jobs/?occupation=F1703")
    assert listed(first) == references[:25]
    assert 'href="/jobs/?page=2&amp;occupation=F1703"' in first.text
    assert listed(client.get("/jobs/?occupation=F1703&page=2")) == references[25:]
    assert listed(client.get("/jobs/?occupation=F1703&page=9")) == []


def test_the_list_runs_the_same_queries_for_3_or_25_offers(app, client, make_offer, make_employer):
    def statements(path: str) -> int:
        seen = []

        def record(*_args) -> None:
            seen.append(1)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get(path).status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        return len(seen)

    for n in range(3):
        make_offer(f"Maçon {n}", employer_id=make_employer(f"Entreprise {n}"))
    few = statements("/jobs/")
    for n in range(3, 30):
        make_offer(f"Maçon {n}", employer_id=make_employer(f"Entreprise {n}"), region="SN-TH" if n % 2 else "SN-DK",
                   occupation_code="F1703" if n % 3 else "N4101")
    assert statements("/jobs/") == few


def test_paging_stops_at_max_pages(client, make_offer, monkeypatch):
    monkeypatch.setattr(board_search, "MAX_PAGES", 2)
    for n in range(60):
        make_offer(f"Maçon {n}", published_days_ago=n)
    second = client.get("/jobs/?page=2")
    assert len(listed(second)) == 25 and "page=3" not in second.text
    assert "Seules les 50 premières offres peuvent être parcourues" in second.text
    assert client.get("/jobs/?page=3").status_code == 404


# --------------------------------------------------------------------------- the offer's page
@pytest.fixture
def full_offer(app, make_offer, make_employer):
    """An international offer with every term filled in."""
    with app.app_context():
        programme = PartnerProgramme(name="Saisonniers agricoles Sénégal–Espagne", origin_country="SN",
                                     destination_country="ES")
        db.session.add(programme)
        db.session.commit()
        programme_id = programme.id
    recruiter = make_employer("Recrutements Atlantique", kind="intermediary", licence_number="LIC-2024-017")
    reference = make_offer(
        "Cueilleur de fraises", occupation_code="A1401", contract_type="seasonal", positions=40,
        salary_min=Decimal("1100"), salary_max=Decimal("1300"), salary_currency="EUR", salary_period="month",
        benefits="housing meals", experience_years=1, beginners_ok=True, education_level="1",
        driving_licence="B", start_date=date(2031, 3, 1), programme_id=programme_id,
        intermediary_id=recruiter, hours_per_week=39, **abroad())
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer).where(Offer.reference == reference))
        skills = db.session.scalars(sa.select(OccupationSkill).where(OccupationSkill.occupation_code == "A1401")
                                    .order_by(OccupationSkill.skill_code).limit(2)).all()
        offer.skills = [OfferSkill(skill_code=skills[0].skill_code, required=True),
                        OfferSkill(skill_code=skills[1].skill_code, required=False)]
        offer.languages = [OfferLanguage(language="spa", level="basic", required=False)]
        db.session.commit()
    return reference


def test_international_offer_page(client, full_offer):
    page = client.get(f"/jobs/{full_offer}").text
    for text in ("Cueilleur de fraises", "BTP Sahel SARL", "Huelva, Espagne", "A1401", "LIC-2024-017",
                 "Saisonniers agricoles Sénégal–Espagne", "Recrutements Atlantique", "Espagnol", "40"):
        assert text in page, text
    assert 'id="no-fee"' in page
    assert "1\u202f100,00\xa0€ – 1\u202f300,00\xa0€" in page
    assert "1 mars 2031" in page


def test_national_offer_page_has_no_terms_of_work_abroad(client, make_offer):
    reference = make_offer("Maçon", salary_min=Decimal("150000"), salary_currency="XOF", salary_period="month")
    page = client.get(f"/jobs/{reference}").text
    assert 'id="no-fee"' not in page
    assert "150\u202f000\xa0F\u202fCFA" in page and "Dakar" in page


def test_french_and_english(app, client, full_offer):
    french = client.get(f"/jobs/{full_offer}").text
    assert '<html lang="fr">' in french and "Aide agricole de production fruitière ou viticole" in french
    client.post("/language", data={"language": "en", "next": f"/jobs/{full_offer}"})
    english = client.get(f"/jobs/{full_offer}").text
    assert '<html lang="en">' in english and "Farm labour in fruit growing or viticulture" in english
    assert "€1,100.00 – €1,300.00 per month" in english and "Huelva, Spain" in english
    assert "No fee may be asked of you for this job" in english
    with app.test_request_context(), force_locale("en"):
        assert format_date_short(TODAY + timedelta(days=30)) in english


def test_language_switch_works_without_javascript(client, catalogue):
    page = client.get("/jobs/?scope=national").text
    assert 'action="/language"' in page and 'name="next" value="/jobs/?scope=national"' in page
    response = client.post("/language", data={"language": "en", "next": "/jobs/?scope=national"})
    assert response.headers["Location"] == "/jobs/?scope=national"
    assert '<html lang="en">' in client.get("/jobs/").text


@pytest.mark.parametrize("show", [True, False])
def test_employer_contact_only_where_the_offer_allows_it(client, make_offer, show):
    page = client.get(f"/jobs/{make_offer('Maçon', show_contact=show)}").text
    for detail in ("recrutement@btp-sahel.sn", "+221 33 800 11 22", "Ibrahima Sow", "Route de Rufisque"):
        assert (detail in page) is show, detail
    assert ('id="contact"' in page) is show


# --------------------------------------------------------------------------- nothing personal
def test_no_personal_data_leaks(app, client, make_offer, dakar, create_user, login_as):
    agency = dakar
    agent = create_user(Role.AGENT, agency=agency, full_name="Fatou Ndiaye Agent", email="fatou.agent@anpej.sn")
    with app.app_context():
        seeker_services.register_jobseeker(agency, seeker_services.PersonData(
            last_name="Diallo", first_names="Aminata", phones=["+221771234567"], national_id_type="cni",
            national_id="2751199000123", email="aminata.diallo@example.org"))
        db.session.commit()
    reference = make_offer("Maçon", created_by_id=agent.id, agency_id=agency.id, external_id="IMPORT-SECRET-9",
                           show_contact=False, **abroad())
    hidden = make_offer("Poste fantôme", status="rejected", rejection_reason="Faux employeur signalé par Moussa Kane")
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer).where(Offer.reference == reference))
        db.session.add(OfferFlag(offer_id=offer.id, kind="salary_outlier", raised_at=utcnow(),
                                 cleared_at=utcnow(), cleared_by_id=agent.id, detail={"median": 123456},
                                 comment="Vérifié par téléphone avec le consulat"))
        db.session.commit()
    secrets = ["Aminata", "Diallo", "+221 77 123 45 67", "221771234567", "2751199000123", "aminata.diallo",
               "Fatou Ndiaye Agent", "fatou.agent", "Vérifié par téléphone", "123456", "salary_outlier",
               "Moussa Kane", "IMPORT-SECRET-9", "recrutement@btp-sahel.sn", "Ibrahima Sow", "Poste fantôme"]
    pages = ["/jobs/", "/jobs/?scope=international", "/jobs/?occupation=F1703", f"/jobs/{reference}",
             f"/jobs/{hidden}"]
    bodies = [client.get(path).text for path in pages]
    login_as(Role.AGENT, agency=agency, full_name="Oumar Ba Connecté")
    bodies += [client.get(path).text for path in pages]
    secrets.append("Oumar Ba Connecté")
    for body in bodies:
        leaked = [secret for secret in secrets if secret in body]
        assert leaked == []


def test_what_employers_typed_is_escaped(client, make_offer, make_employer):
    employer = make_employer("<b>Sahel</b>", address="<script>alert(1)</script>")
    reference = make_offer("<i>Maçon</i>", employer_id=employer, city="<u>Thiès</u>", show_contact=True,
                           description="<img src=x onerror=alert(1)>")
    for page in (client.get("/jobs/").text, client.get(f"/jobs/{reference}").text):
        assert "<b>Sahel" not in page and "<i>Maçon" not in page and "<u>Thiès" not in page
        assert "<img src=x" not in page and "<script>alert" not in page
        assert "&lt;b&gt;Sahel&lt;/b&gt;" in page


# --------------------------------------------------------------------------- page weight
class _Resources(HTMLParser):
    """Every stylesheet, script, image and frame a page makes the browser fetch."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        url = None
        if tag == "link" and set((attrs.get("rel") or "").split()) & {"stylesheet", "icon", "preload", "manifest"}:
            url = attrs.get("href")
        elif tag in ("script", "img", "iframe", "source", "embed", "audio", "video"):
            url = attrs.get("src")
        elif tag == "object":
            url = attrs.get("data")
        if url and not url.startswith("data:"):
            self.urls.append(url)


def first_visit_bytes(client, path: str) -> int:
    """The page and everything it links, uncompressed, as a browser with an empty cache gets them."""
    response = client.get(path)
    assert response.status_code == 200
    parser = _Resources()
    parser.feed(response.text)
    total = len(response.data)
    for url in parser.urls:
        assert url.startswith("/"), f"{url}: the board must not depend on another site"
        linked = client.get(url)
        assert linked.status_code == 200, url
        total += len(linked.data)
    assert not any(url.endswith(".js") for url in parser.urls)
    return total


def test_pages_are_light_enough_for_2g(client, make_offer, full_offer):
    long_text = "Travaux de gros œuvre, coffrage, ferraillage et finitions sur chantier. " * 60
    references = [make_offer(f"Maçon qualifié n° {n}", description=long_text, how_to_apply=long_text,
                             salary_min=Decimal("150000"), salary_max=Decimal("250000"), salary_currency="XOF",
                             salary_period="month") for n in range(26)]
    index = first_visit_bytes(client, "/jobs/")
    assert len(listed(client.get("/jobs/"))) == 25
    detail = first_visit_bytes(client, f"/jobs/{references[0]}")
    international = first_visit_bytes(client, f"/jobs/{full_offer}")
    assert max(index, detail, international) < PAGE_BUDGET, (index, detail, international)
    assert "bootstrap" not in client.get("/jobs/").text
