"""People and offers for matching tests, written through the services (so that the change
log sees them) and returned as ids."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.auth.models import Agency, Region
from app.extensions import db
from app.jobseekers import services as seekers
from app.offers.models import Employer, EmployerRegistration, Offer
from app.offers.services import next_offer_reference

NEXT_MONTH = date.today() + timedelta(days=30)


def region_id(country: str = "SN", index: int = 0) -> int:
    """The id of a country's ``index``-th region in code order."""
    return db.session.scalars(sa.select(Region.id).where(Region.country_code == country)
                              .order_by(Region.code)).all()[index]


def add_seeker(app, agency_id: int, last_name: str = "Diop", first_names: str = "Awa", fiche: str = "F1703",
               years: int | None = 3, skills: tuple[str, ...] = (), languages: tuple[tuple[str, str], ...] = (),
               region: int | None = 0, consent: bool = True, education: str | None = "3",
               **profile) -> int:
    """A person registered at ``agency_id`` seeking ``fiche`` (``region``: the index of a region
    of the agency's country, or ``None``)."""
    with app.test_request_context():
        agency = db.session.get(Agency, agency_id)
        data = seekers.PersonData(
            last_name=last_name, first_names=first_names, sex="F", birth_year=1995,
            phones=["+221771234567"],
            region_id=region_id(agency.country_code, region) if region is not None else None,
            occupations=[seekers.OccupationChoice(fiche, "", years)],
            consents=("propose",) if consent else (),
            profile=seekers.ProfileData(education_level=education, skill_codes=list(skills),
                                        languages=list(languages), **profile))
        seeker = seekers.register_jobseeker(agency, data)
        db.session.commit()
        return seeker.id


def add_employer(app, agency_id: int | None, name: str = "BTP Sahel SARL", country: str = "SN") -> int:
    with app.app_context():
        employer = Employer(name=name, country_code=country, agency_id=agency_id, status="approved")
        employer.registrations = [EmployerRegistration(scheme="NINEA", number="005123456")]
        db.session.add(employer)
        db.session.commit()
        return employer.id


def add_offer(app, employer_id: int, status: str = "published", **kw) -> int:
    """An offer of the employer's country, published unless told otherwise."""
    with app.test_request_context():
        employer = db.session.get(Employer, employer_id)
        values = dict(occupation_code="F1703", job_title="Maçon", contract_type="permanent",
                      salary_min=Decimal(150000), salary_max=Decimal(200000), salary_currency="XOF",
                      salary_period="month", agency_id=employer.agency_id, closing_date=NEXT_MONTH, positions=2)
        values.update(kw)
        offer = Offer(reference=next_offer_reference(employer.country_code), country_code=employer.country_code,
                      employer_id=employer_id, status=status, **values)
        db.session.add(offer)
        db.session.commit()
        return offer.id
