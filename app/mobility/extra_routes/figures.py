"""The corridor page: figures per destination of the user's country, and their CSV file."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import permission_required
from app.auth.models import Country, CountryKind
from app.extensions import db
from app.formtools import CHOOSE, choices
from app.i18n import country_name, current_language
from app.jobseekers.models import SEX_TITLES
from app.mobility import bp
from app.mobility import corridors as figures
from app.mobility import extra_forms as forms
from app.mobility.models import STAGE_TITLES, Stage
from app.offers.models import PartnerProgramme
from app.reference.lookup import occupation_labels


def _corridor_filter() -> tuple[forms.CorridorFilterForm, figures.CorridorFilter | None]:
    """The filter of the corridor page: the user's country (any PES country for an
    administrator of the whole installation), a programme of that country, a period."""
    form = forms.CorridorFilterForm(request.args)
    own = current_user.country_code
    pes = sorted(((code, country_name(code)) for code in db.session.scalars(
        sa.select(Country.code).where(Country.kind == CountryKind.PES.value))), key=lambda pair: pair[1])
    form.country.choices = choices([(own, country_name(own))] if own else pes)
    country = own or (form.country.data if form.country.data in {c for c, _n in pes} else (pes[0][0] if pes else ""))
    form.country.data = country
    programmes = db.session.execute(sa.select(PartnerProgramme.id, PartnerProgramme.name)
                                    .where(PartnerProgramme.origin_country == country)
                                    .order_by(PartnerProgramme.name)).all()
    form.programme_id.choices = choices([(0, _("All"))] + [(p.id, p.name) for p in programmes])
    valid = form.validate()
    if form.programme_id.data and form.programme_id.data not in {p.id for p in programmes}:
        form.programme_id.errors.append(str(CHOOSE))
        valid = False
    if not valid:
        return form, None
    return form, figures.CorridorFilter(country=country, programme_id=form.programme_id.data or None,
                                        start=form.start.data, end=form.end.data)


def _corridor_labels() -> dict:
    return {
        "destination": lambda code: country_name(code) if code else _("No destination chosen yet"),
        "sex": lambda code: str(SEX_TITLES.get(code, code)) if code else _("Not stated"),
        "occupation": lambda code: f"{code} · {occupation_labels(current_language()).get(code, code)}" if code
        else _("No target occupation"),
    }


@bp.route("/corridors")
@permission_required("mobility.corridors")
def corridors():
    form, flt = _corridor_filter()
    report = figures.corridor_figures(flt) if flt is not None else None
    return render_template("mobility/extra_corridors.html", form=form, report=report, labels=_corridor_labels(),
                           stages=[stage.value for stage in Stage], measures=figures.MEASURE_TITLES,
                           rows=figures.Corridor.rows), \
        200 if flt is not None else 400


@bp.route("/corridors.csv")
@permission_required("mobility.corridors")
def corridors_csv():
    _form, flt = _corridor_filter()
    if flt is None:
        abort(400)
    report = figures.corridor_figures(flt)
    names = _corridor_labels()
    labels = figures.Labels(
        destination={c.destination: names["destination"](c.destination) for c in report.corridors},
        stage={stage: str(title) for stage, title in STAGE_TITLES.items()},
        sex={key: names["sex"](key) for c in report.corridors for key in c.by_sex},
        occupation={key: names["occupation"](key) for c in report.corridors for key in c.by_occupation},
        headers=[_("Destination"), _("Breakdown"), _("Category"),
                 *(str(title) for title in figures.MEASURE_TITLES.values())],
        breakdowns={"total": _("All"), "stage": _("Stage"), "sex": _("Sex"), "occupation": _("Occupation")},
    )
    text = figures.generate_csv(figures.csv_rows(report, labels))
    filename = f"corridors-{flt.country}-{date.today():%Y%m%d}.csv"
    # utf-8-sig: Excel reads the accents of a file that starts with a byte order mark.
    return Response(text.encode("utf-8-sig"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={filename}",
                             "X-Content-Type-Options": "nosniff"})
