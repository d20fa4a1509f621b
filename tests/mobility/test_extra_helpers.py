"""Data for the tests of the pages around a dossier (documents, workshops, departure, return,
corridors): dossiers written straight into the tables, at any stage. No tests here."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timezone

import sqlalchemy as sa

from app.auth.models import Country, Role
from app.extensions import db
from app.jobseekers.models import JobSeeker
from app.mobility.models import Departure, Dossier, DossierEvent, ReturnRecord
from app.reference.models import Occupation
from tests.matching.factories import add_seeker

PASSWORD = "Counter2024x"
_numbers = itertools.count(1)

# The first bytes of real files, then filler: what the upload check reads.
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00C\x00" + b"\x08" * 64 + \
    b"\xff\xd9"
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def english(client) -> None:
    client.post("/language", data={"language": "en"})


def login(client, user) -> None:
    client.post("/logout")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.text[:500]
    english(client)


def add_dossier(app, agency, *, counsellor=None, stage: str = "counselling", project: str = "work",
                destinations: tuple[str, ...] = ("FR",), occupations: tuple[str, ...] = (), sex: str | None = "F",
                programme_id: int | None = None, offer_id: int | None = None, created_at: datetime | None = None,
                last_name: str | None = None) -> int:
    """A dossier of a new person of ``agency``, written straight at ``stage``."""
    n = next(_numbers)
    seeker_id = add_seeker(app, agency.id, last_name or f"Sarr{n}", "Fatou")
    with app.app_context():
        db.session.execute(sa.update(JobSeeker).where(JobSeeker.id == seeker_id).values(sex=sex))
        dossier = Dossier(number=f"{agency.country_code}-M-T-{n:06d}", jobseeker_id=seeker_id,
                          country_code=agency.country_code, agency_id=agency.id,
                          counsellor_id=counsellor.id if counsellor else None, stage=stage, project_kind=project,
                          programme_id=programme_id, offer_id=offer_id)
        dossier.destinations = list(db.session.scalars(sa.select(Country).where(Country.code.in_(destinations))))
        dossier.occupations = list(db.session.scalars(sa.select(Occupation).where(Occupation.code.in_(occupations))))
        if created_at is not None:
            dossier.created_at = created_at
        db.session.add(dossier)
        db.session.commit()
        return dossier.id


def add_departure(app, dossier_id: int, destination: str = "FR", departed_on: date = date(2025, 3, 1),
                  employer_name: str | None = None, offer_id: int | None = None,
                  returned_on: date | None = None) -> None:
    with app.app_context():
        db.session.add(Departure(dossier_id=dossier_id, departed_on=departed_on, destination_country=destination,
                                 employer_name=employer_name, offer_id=offer_id))
        if returned_on is not None:
            db.session.add(ReturnRecord(dossier_id=dossier_id, returned_on=returned_on, situation="contract_ended"))
        db.session.commit()


def events(app, dossier_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(DossierEvent.kind).where(DossierEvent.dossier_id == dossier_id)
                                       .order_by(DossierEvent.id)))


def read(app, model, **where):
    """The rows of ``model`` matching ``where``, detached."""
    with app.app_context():
        rows = db.session.scalars(sa.select(model).filter_by(**where).order_by(model.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def staff(create_user, create_agency, country: str = "SN"):
    """An agency of ``country`` with its mobility counsellor, and a manager at another agency."""
    agency = create_agency(country)
    counsellor = create_user(Role.MOBILITY_COUNSELLOR, agency=agency)
    manager = create_user(Role.MANAGER, agency=create_agency(country))
    return agency, counsellor, manager


def moment(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)
