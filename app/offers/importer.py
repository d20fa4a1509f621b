"""Import offers from CSV or XLSX, as the job-seekers' import does: every row checked, bad rows
reported by number with a translated reason, each good row written in its own savepoint so
that none is half-written, a dry run that rolls everything back, and a re-import that updates
the offers it created (same ``external_id``) while they are drafts or submitted.

An import never publishes: offers arrive as drafts, or submitted through the workflow, which
runs the anti-fraud checks. Offers coded in ISCO-08 or ESCO by partner services get a fiche
from the crosswalk, left unconfirmed: publication waits until an agent confirms the mapping.
"""
from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, fields
from typing import Any, Callable

import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _

from app import audit
from app.auth.access import can
from app.auth.models import Agency, Country, Region
from app.db import utcnow
from app.extensions import db
from app.jobseekers.importer import ImportReport, RowError
from app.offers import services
from app.offers.forms import NEEDS_DURATION
from app.offers.import_cells import Cells, norm
from app.offers.models import OFFER_STATUS_TITLES, Employer, EmployerRegistration, EmployerStatus, Offer, OfferStatus
from app.offers.registration_schemes import compact_number
from app.reference.crosswalk import fiches_for_isco, parse_isco
from app.reference.lookup import get_coder
from app.reference.models import Occupation

REQUIRED = ("external_id", "employer", "job_title", "contract_type")
OCCUPATION_COLUMNS = ("occupation", "isco", "esco")  # at least one of them
OPTIONAL = ("description", "positions", "contract_months", "region", "destination_country", "city",
            "salary_min", "salary_max", "salary_currency", "salary_period", "experience_years",
            "education_level", "start_date", "closing_date", "how_to_apply", "worker_fee",
            "worker_fee_currency", "agency")
# Each import batch holds the country's offer counter row until it commits (see
# services.next_offer_reference): small batches keep offers created at the counter waiting briefly.
COMMIT_EVERY = 100
EDITABLE = (OfferStatus.DRAFT.value, OfferStatus.SUBMITTED.value)  # what a re-import may still change
_SOURCE = re.compile(r"\d{1,4}(?:\.\d+)*(?=\s*$)")  # the code closes the cell: "ISCO-08 7112"


@dataclass
class OfferImportReport(ImportReport):
    submitted: int = 0  # offers this import submitted for validation


class _Lookups:
    """What the rows name, read once per import: the employers of the user's country (by
    registration number and by exact name), agencies, regions, countries and fiches; each
    ISCO code and free-text title is resolved once, however many rows repeat it."""

    def __init__(self, user: Any, frame: pd.DataFrame):
        self.user = user
        country = user.country_code  # None for a national administrator: every country
        employers = sa.select(Employer.id, Employer.name)
        numbers = (sa.select(sa.func.replace(EmployerRegistration.number, "-", ""), Employer.id)
                   .join(Employer, Employer.id == EmployerRegistration.employer_id))
        if country:
            employers = employers.where(Employer.country_code == country)
            numbers = numbers.where(Employer.country_code == country)
        self.by_name: dict[str, set[int]] = {}
        for employer_id, name in db.session.execute(employers):
            self.by_name.setdefault(_name_key(name), set()).add(employer_id)
        self.by_number: dict[str, set[int]] = {}
        for number, employer_id in db.session.execute(numbers):
            self.by_number.setdefault(number, set()).add(employer_id)
        self.agencies = {a.code.upper(): a for a in db.session.scalars(sa.select(Agency))}
        self.regions: dict[tuple[str, str], int] = {}
        for region in db.session.scalars(sa.select(Region)):
            for name in (region.code, region.code.split("-", 1)[-1], region.name, region.label):
                self.regions[(region.country_code, norm(name))] = region.id
        # Country → its currency; also the countries an offer abroad may name.
        self.currencies = dict(db.session.execute(sa.select(Country.code, Country.currency)).all())
        self.fiches = set(db.session.scalars(sa.select(Occupation.code)))
        self.coded = self._code_titles(frame)
        self._crosswalk: dict[tuple[str, str], str | None] = {}

    def employer(self, value: str, problems: list[str]) -> Employer | None:
        """The employer a row names: its registration number first, else its exact name."""
        ids = self.by_number.get(compact_number(value)) or self.by_name.get(_name_key(value), set())
        if not ids:
            problems.append(_("Unknown employer %(value)s: give its registration number or its exact name.",
                              value=value))
            return None
        found = [db.session.get(Employer, employer_id) for employer_id in sorted(ids)]
        approved = [e for e in found if e.status == EmployerStatus.APPROVED.value and e.active]
        if len(approved) == 1:  # a refused sign-up may carry the real company's number or name
            return approved[0]
        if approved:
            problems.append(_("Several employers answer to %(value)s: give the registration number.", value=value))
        else:
            problems.append(_("The employer %(value)s is not approved: an agent must approve it first.",
                              value=value))
        return None

    def _code_titles(self, frame: pd.DataFrame) -> dict[str, str | None]:
        """Every distinct free-text occupation of the file, coded in one batch; the coder
        (scikit-learn) is only built when a file has such titles."""
        texts = (str(text).strip() for text in frame.get("occupation", []))
        titles = list(dict.fromkeys(t for t in texts if t and t.upper() not in self.fiches and not parse_isco(t)))
        coder = get_coder() if titles else None
        found = coder.suggest_many(titles, limit=1) if coder else [[] for _ in titles]
        return {title: best[0].code if best else None for title, best in zip(titles, found)}

    def fiche_for_isco(self, isco: str, title: str) -> str | None:
        """The crosswalk's fiche for an ISCO group: the most typical one (largest share), unless
        the job title points to another fiche nearly as typical (at least half that share).

        ISCO 8322 covers taxi drivers (N4102) and delivery drivers (N4105) alike, and the title
        tells them apart; a fiche of small share is a different trade or skill level, which a
        title alone must not pull an offer into.
        """
        key = (isco, title)
        if key not in self._crosswalk:
            matches = fiches_for_isco(isco)
            typical = [m.code for m in matches if m.share >= matches[0].share / 2]
            coder = get_coder() if len(typical) > 1 and title else None
            ranked = [s.code for s in coder.suggest(title, limit=10)] if coder else []
            self._crosswalk[key] = next((code for code in ranked if code in typical), typical[0] if typical else None)
        return self._crosswalk[key]


def _name_key(name: str) -> str:
    # "Exact" name: only case and spacing may differ, so that a row never lands on a look-alike.
    return " ".join(name.casefold().split())


@dataclass
class _Row:
    """A row as read: what it names, and the offer fields it gives (only those its file has)."""

    external_id: str | None
    employer: Employer | None
    agency: Agency | None
    values: dict[str, Any]
    crosswalk: bool  # the fiche came from the crosswalk, not from the file
    problems: list[str]


def _occupation(cells: Cells, lookups: _Lookups, title: str) -> tuple[str | None, str | None, bool]:
    """The fiche, the ISCO-08/ESCO code it came from and whether the crosswalk chose it.

    A ROAME code in ``occupation`` is taken as is, even beside an ISCO code; an ISCO or ESCO
    code (column ``isco`` or ``esco``, or "isco:7112" in ``occupation``) goes through the
    crosswalk; any other text is a job title for the coding assistant.
    """
    text = cells.raw("occupation")
    fiche = text.upper() if text.upper() in lookups.fiches else None
    source = cells.raw("isco") or cells.raw("esco") or (text if text and not fiche and parse_isco(text) else "")
    if source:
        isco = parse_isco(source)
        if isco is None:
            cells.problems.append(_("Give an ISCO-08 code (up to 4 digits) or an ESCO code such as 7112.1."))
            return None, None, False
        code = _SOURCE.search(source).group(0)  # "isco:7112" is stored as 7112, ESCO "7112.1" as is
        if fiche:
            return fiche, code, False
        mapped = lookups.fiche_for_isco(isco, title)
        if mapped is None:
            cells.problems.append(_("No fiche is linked to the ISCO-08 code %(code)s.", code=isco))
        return mapped, code, True
    if not text:
        cells.problems.append(_("No occupation is given (occupation, isco or esco)."))
        return None, None, False
    if fiche:
        return fiche, None, False
    coded = lookups.coded.get(text)
    if coded is None:
        cells.problems.append(_("No occupation matches %(value)s.", value=text))
    return coded, None, False


def _parse_row(record: dict[str, Any], columns: set[str], lookups: _Lookups) -> _Row:
    cells = Cells(record)
    external_id = cells.text("external_id", 64, required=True)
    name = cells.text("employer", 200, required=True)
    employer = lookups.employer(name, cells.problems) if name else None
    agency = _agency(cells, lookups, employer)
    values: dict[str, Any] = {"job_title": cells.text("job_title", 200, required=True),
                              "contract_type": cells.contract()}
    code, source, crosswalk = _occupation(cells, lookups, values["job_title"] or "")
    values.update(occupation_code=code, source_code=source, mapping_confirmed=source is None)
    home = lookups.currencies.get(employer.country_code) if employer else None
    # Column → reader; a column the file lacks leaves the offer's field as it is (or its default).
    readers: dict[str, Callable[[], Any]] = {
        "description": lambda: cells.text("description", 5000) or "",
        "positions": lambda: cells.integer("positions", 1, 10000) or 1,
        "contract_months": lambda: cells.integer("contract_months", 1, 120),
        "city": lambda: cells.text("city", 120),
        "salary_min": lambda: cells.amount("salary_min"),
        "salary_max": lambda: cells.amount("salary_max"),
        "salary_currency": lambda: cells.currency("salary_currency", home),
        "salary_period": cells.period,
        "experience_years": lambda: cells.integer("experience_years", 0, 50),
        "education_level": cells.education,
        "start_date": lambda: cells.day("start_date"),
        "closing_date": lambda: cells.day("closing_date"),
        "how_to_apply": lambda: cells.text("how_to_apply", 2000) or "",
        "worker_fee": lambda: cells.amount("worker_fee"),
        "worker_fee_currency": lambda: cells.currency("worker_fee_currency", home),
        "region": lambda: _region(cells, lookups, employer),
        "destination_country": lambda: _destination(cells, lookups, employer),
    }
    for column, read in readers.items():
        if column in columns:
            values["region_id" if column == "region" else column] = read()
    return _Row(external_id, employer, agency, values, crosswalk, cells.problems)


def _agency(cells: Cells, lookups: _Lookups, employer: Employer | None) -> Agency | None:
    """The agency that will follow a new offer: the row's, within the user's scope; else None,
    and the service gives it the user's own agency."""
    code = cells.raw("agency")
    if not code:
        return None
    agency = lookups.agencies.get(code.upper())
    if agency is None or not agency.active:
        cells.problems.append(_("Unknown agency %(code)s.", code=code))
    elif not can(lookups.user, "offer.import", agency) or (employer and agency.country_code != employer.country_code):
        cells.problems.append(_("You may not import offers for the agency %(code)s.", code=code))
    else:
        return agency
    return None


def _region(cells: Cells, lookups: _Lookups, employer: Employer | None) -> int | None:
    value = cells.raw("region")
    if not value or employer is None:
        return None
    region_id = lookups.regions.get((employer.country_code, norm(value)))
    if region_id is None:
        cells.problems.append(_("Unknown region %(value)s.", value=value))
    return region_id


def _destination(cells: Cells, lookups: _Lookups, employer: Employer | None) -> str | None:
    value = cells.raw("destination_country").upper()
    if not value or employer is None:
        return None
    if value not in lookups.currencies or value == employer.country_code:
        cells.problems.append(_("Unknown destination country %(value)s: give the two-letter code of another "
                                "country (ES, FR, …).", value=value))
        return None
    return value


class _Refused(Exception):
    """A row that cannot be written; ``message`` is the translated reason."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _current(offer: Offer | None) -> dict[str, Any]:
    """The offer's fields as OfferData has them; for a new offer, OfferData's defaults."""
    data = fields(services.OfferData)
    if offer is None:
        return {f.name: f.default_factory() if f.default is MISSING else f.default
                for f in data if f.default is not MISSING or f.default_factory is not MISSING}
    values = {f.name: getattr(offer, f.name) for f in data if f.name not in ("benefits", "skills", "languages")}
    values.update(benefits=tuple(offer.benefits.split()), skills=[(s.skill_code, s.required) for s in offer.skills],
                  languages=[(lang.language, lang.level, lang.required) for lang in offer.languages])
    return values


def _settle(row: _Row, offer: Offer | None, lookups: _Lookups) -> tuple[dict[str, Any], list[str]]:
    """The offer's fields once the row is applied, and the problems of fields taken together.

    Columns the file lacks keep what the offer has (skills, languages and travel terms added on
    its page survive a re-import). A mapping an agent confirmed stays confirmed, and their choice
    of fiche stays, while the file gives the same ISCO/ESCO code.
    """
    given = {**row.values, "employer_id": row.employer.id}
    source, problems = given["source_code"], []
    if offer is not None and source and offer.source_code == source \
            and (row.crosswalk or offer.occupation_code == given["occupation_code"]):
        given.update(occupation_code=offer.occupation_code, mapping_confirmed=offer.mapping_confirmed)
    if given.get("region_id") and given.get("destination_country"):
        problems.append(_("Give either a region or a destination country, not both."))
    elif given.get("region_id") or given.get("destination_country"):  # one place replaces the other
        given["destination_country" if given.get("region_id") else "region_id"] = None
    merged = {**_current(offer), **given}
    merged["international"] = merged["destination_country"] is not None
    if merged["contract_type"] in NEEDS_DURATION and not merged["contract_months"]:
        problems.append(_("A fixed-term or seasonal contract needs its duration in months (contract_months)."))
    home = lookups.currencies.get(row.employer.country_code)
    low, high = merged["salary_min"], merged["salary_max"]
    if low is None and high is None:
        merged["salary_currency"] = merged["salary_period"] = None
    else:
        if low is not None and high is not None and high < low:
            problems.append(_("The salary_max is below the salary_min."))
        if not merged["salary_currency"] and not merged["international"]:
            merged["salary_currency"] = home
        if not (merged["salary_currency"] and merged["salary_period"]):
            problems.append(_("Give the currency and the period of the salary."))
    if merged["worker_fee"]:
        merged["worker_fee_currency"] = merged["worker_fee_currency"] or merged["salary_currency"] or home
    else:
        merged["worker_fee"] = merged["worker_fee_currency"] = None
    closing = given.get("closing_date")
    if closing and closing < utcnow().date() and (offer is None or offer.closing_date != closing):
        problems.append(_("The closing date is already past."))
    return merged, problems


def _write_row(row: _Row, lookups: _Lookups, submit: bool) -> tuple[str, bool]:
    """Write one good row in its own savepoint: ("created" | "updated" | "unchanged", submitted).

    :raises _Refused: with the reason; nothing of the row is then written.
    """
    user = lookups.user
    offer = db.session.scalar(sa.select(Offer).where(Offer.country_code == row.employer.country_code,
                                                     Offer.external_id == row.external_id))
    if offer is not None and not can(user, "offer.import", offer):
        raise _Refused(_("The offer %(reference)s is followed by another agency.", reference=offer.reference))
    merged, problems = _settle(row, offer, lookups)
    if problems:
        raise _Refused(" ".join(problems))
    if offer is not None and offer.status not in EDITABLE:
        # What job-seekers saw stays what was validated: only an identical row goes through.
        if any(value != merged[name] for name, value in _current(offer).items()):
            raise _Refused(_("Refused: the offer %(reference)s can no longer be changed (%(status)s).",
                             reference=offer.reference, status=OFFER_STATUS_TITLES.get(offer.status, offer.status)))
        return "unchanged", False
    data = services.OfferData(**merged)
    try:
        with db.session.begin_nested():
            if offer is None:
                offer, outcome = services.create_offer(row.employer, data, user), "created"
                offer.external_id = row.external_id
                if row.agency is not None:
                    offer.agency_id = row.agency.id
                db.session.flush()  # a clash on external_id fails here, inside the savepoint
            else:
                outcome = "updated" if services.update_offer(offer, data) else "unchanged"
            submitted = submit and offer.status == EDITABLE[0]
            if submitted:
                services.change_status(offer, "submit", user)
    except services.WorkflowRefused:
        raise _Refused(_("You may not take this action on this offer.")) from None
    except sa.exc.DBAPIError:
        raise _Refused(_("The database refused this row; check its values.")) from None
    return ("updated" if submitted and outcome == "unchanged" else outcome), submitted


def _file_error(frame: pd.DataFrame, user: Any, submit: bool) -> str | None:
    missing = [column for column in REQUIRED if column not in frame.columns]
    if not any(column in frame.columns for column in OCCUPATION_COLUMNS):
        missing.append(" / ".join(OCCUPATION_COLUMNS))
    if missing:
        return _("Missing columns: %(columns)s.", columns=", ".join(missing))
    if not can(user, "offer.import"):
        return _("This user may not import offers.")
    if submit and not can(user, "offer.edit"):
        return _("You may not submit offers: import them as drafts.")
    return None


def unused_columns(columns: list[str]) -> list[str]:
    """Columns of a file the import does not read (a typo in a name shows up here)."""
    known = (*REQUIRED, *OCCUPATION_COLUMNS, *OPTIONAL)
    return [column for column in columns if column not in known]


def import_offers(frame: pd.DataFrame, user: Any, dry_run: bool = False, submit: bool = False,
                  progress: Callable[[int, int], None] | None = None, source: str | None = None) -> OfferImportReport:
    """Import the rows of ``frame`` as ``user``, whose scope says which employers, agencies and
    offers a row may name. Good rows are committed by batches; with ``dry_run`` every row is
    checked and written, then everything is rolled back.

    :param submit: submit new and draft offers for validation (the anti-fraud checks run).
        An import never publishes.
    :param source: the file's name, for the audit trail.
    """
    report = OfferImportReport(total=len(frame), dry_run=dry_run)
    report.file_error = _file_error(frame, user, submit)
    if report.file_error:
        return report
    lookups, columns = _Lookups(user, frame), set(frame.columns)
    seen: dict[str, int] = {}
    for index, record in enumerate(frame.to_dict("records")):
        line = index + 2
        row = _parse_row(record, columns, lookups)
        if row.external_id in seen:
            row.problems = [_("The external_id %(id)s repeats row %(row)d.", id=row.external_id,
                              row=seen[row.external_id])]
        elif row.external_id:
            seen[row.external_id] = line
        try:
            if row.problems:
                raise _Refused(" ".join(row.problems))
            outcome, submitted = _write_row(row, lookups, submit)
        except _Refused as refusal:
            report.errors.append(RowError(line, refusal.message))
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
            report.submitted += submitted
        if progress:
            progress(index + 1, report.total)
        if not dry_run and (index + 1) % COMMIT_EVERY == 0:
            db.session.commit()
    if dry_run:
        db.session.rollback()
    else:
        where = ("agency", user.agency_id) if user.agency_id else ("user", user.id)
        audit.record("offer.imported", *where, actor_id=user.id, file=source, rows=report.total,
                     created=report.created, updated=report.updated, unchanged=report.unchanged,
                     submitted=report.submitted, rejected=len(report.errors))
    return report
