from __future__ import annotations

import math
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, NumberRange, Optional, StopValidation, ValidationError
from wtforms.widgets import TextInput

from app.formtools import choices, one_of, whole_number
from app.i18n import format_number
from app.matching.engine import FACTORS, MatchingParams, Weights
from app.matching.wording import FACTOR_TITLES

LIMITS = ("10", "20", "50", "100")
RELATED = {"1": _l("Same and related occupations"), "0": _l("Same occupation only")}
SCOPES = {"all": _l("National and international"), "national": _l("National offers only"),
          "international": _l("International offers only")}
PERCENT = _l("Give a whole number between 0 and 100.")


def _percent_text(field) -> str:
    return (field.data or "").strip().rstrip("%").strip()


def percent(form, field):
    """A whole percentage, "60" or "60 %"; the route reads it as a share."""
    text = _percent_text(field)
    if not text:
        return
    value = whole_number(text)
    if value is None or not 0 <= value <= 100:
        raise ValidationError(PERCENT)


class MatchFilterForm(FlaskForm):
    """The filters of "find candidates"; the caller fills the region choices."""

    class Meta:
        csrf = False  # a GET search form

    region = SelectField(_l("Region"), validate_choice=False)
    min_score = StringField(_l("Minimum score (%)"), default="0", validators=[Optional(), percent])
    related = SelectField(_l("Occupations"), choices=choices(list(RELATED.items())), default="1",
                          validate_choice=False, validators=[one_of(RELATED)])
    referred = BooleanField(_l("Include the people already referred"))
    limit = SelectField(_l("Number of results"), choices=choices((n, n) for n in LIMITS), default="20",
                        validate_choice=False, validators=[one_of(LIMITS)])

    def fill_regions(self, regions: list[tuple[int, str]]) -> None:
        self.region.choices = choices([("", _("All regions"))] + [(str(rid), name) for rid, name in regions])
        self.region.validators = [one_of({str(rid) for rid, _name in regions})]

    def options(self) -> dict[str, Any]:
        """The search options of a valid form, as the matching services take them."""
        score = whole_number(_percent_text(self.min_score)) or 0
        return dict(limit=int(self.limit.data or 20), min_score=score / 100,
                    include_related=self.related.data != "0",
                    regions=[int(self.region.data)] if self.region.data else None,
                    include_referred=bool(self.referred.data))


class OfferFilterForm(MatchFilterForm):
    """The filters of "find offers" for a person."""

    referred = BooleanField(_l("Include the offers the person was already referred to"))
    scope = SelectField(_l("Offers"), choices=choices(list(SCOPES.items())), default="all",
                        validate_choice=False, validators=[one_of(SCOPES)])

    def options(self) -> dict[str, Any]:
        return dict(super().options(), scope=self.scope.data or "all")


# ---------------------------------------------------------------------- settings

class NumberField(Field):
    """A decimal number typed either way, "0.7" or "0,7", shown in the reader's locale."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_number(self.data) if self.data is not None else ""

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            return
        for space in (" ", "\u00a0", "\u202f"):
            text = text.replace(space, "")
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise ValueError(_("Give a number, for example 0.5."))
        if not math.isfinite(value):
            raise ValueError(_("Give a number, for example 0.5."))
        self.data = value

    def pre_validate(self, form):
        if self.process_errors:  # not a number: the range messages would only add noise
            raise StopValidation()


NEEDED = _l("Give a number.")
WEIGHT = _l("A weight cannot be negative.")
SHARE = _l("Give a number between 0 and 1.")


def _weight(name: str, help_text) -> NumberField:
    return NumberField(FACTOR_TITLES[name], description=help_text,
                       validators=[InputRequired(NEEDED), NumberRange(min=0, message=WEIGHT)])


def _level(label, help_text) -> NumberField:
    return NumberField(label, description=help_text,
                       validators=[InputRequired(NEEDED), NumberRange(0, 1, message=SHARE)])


class SettingsForm(FlaskForm):
    """The weights and levels of the score for one country (see ``engine/params.py``)."""

    country = StringField()  # the country set, kept through the POST; checked by the route
    weight_occupation = _weight("occupation", _l("The same occupation, or a close one: ROME mobility, "
                                                 "same field, same broad field."))
    weight_skills = _weight("skills", _l("The share of the offer's skills the person has."))
    weight_experience = _weight("experience", _l("Years worked in the occupation against the years asked."))
    weight_education = _weight("education", _l("The education level against the level asked."))
    weight_languages = _weight("languages", _l("The desirable languages of the offer the person speaks."))
    weight_location = _weight("location", _l("Where the person lives or is ready to go, against the place of "
                                             "the job."))
    weight_availability = _weight("availability", _l("Whether the person is free by the start date."))
    weight_salary = _weight("salary", _l("The expected salary against the offer's."))
    linked_fiche = _level(_l("Related occupation (ROME mobility)"),
                          _l("Occupation value when the person's occupation leads to the offer's by a ROME "
                             "mobility link (the same occupation counts 1)."))
    same_domain = _level(_l("Same occupational field"),
                         _l("Occupation value when both occupations are in the same field (for example F17)."))
    same_grand_domain = _level(_l("Same broad field"),
                               _l("Occupation value when both occupations are in the same broad field "
                                  "(for example F, building and public works)."))
    linked_experience = _level(_l("Experience in a related occupation"),
                               _l("Share of the years worked in a related occupation counted as years in "
                                  "the offer's occupation."))
    core_skills_share = _level(_l("Share of the core skills"),
                               _l("Share of the skills factor given by the offer's core skills; its other "
                                  "skills give the rest."))
    education_step = _level(_l("Cost of each education level missing"),
                            _l("What each ISCED level below the one asked takes off the education factor."))
    unknown = _level(_l("Value of what is not known"),
                     _l("Value of a factor that cannot be compared: no region, no salary, another "
                        "currency…"))
    mobility_region = _level(_l("Region the person is ready to move to"),
                             _l("Location value of a national offer in a region the person said they would "
                                "move to."))
    other_region = _level(_l("Another region"),
                          _l("Location value of a national offer in a region where the person neither "
                             "lives nor would move."))
    country_wanted = _level(_l("Country the person wants to work in"),
                            _l("Location value of an international offer in a country the person named, "
                               "without a mobility dossier for it (a dossier for that country counts 1)."))
    abroad_interest = _level(_l("Interest in working abroad"),
                             _l("Location value of an international offer when the person wants to work "
                                "abroad but did not name its country."))
    availability_grace_days = NumberField(
        _l("Days of delay accepted"),
        description=_l("Availability falls from 1 to 0 over this many days after the start date."),
        validators=[InputRequired(NEEDED)])
    salary_tolerance = NumberField(
        _l("Salary tolerance"),
        description=_l("Salary falls to 0 when the expectation is this share above the offer's top "
                       "(0.5: 50 % above)."),
        validators=[InputRequired(NEEDED)])
    save = SubmitField(_l("Save the settings"))
    restore = SubmitField(_l("Show the default values"))

    LEVELS = ("linked_fiche", "same_domain", "same_grand_domain", "linked_experience", "core_skills_share",
              "education_step", "unknown", "mobility_region", "other_region", "country_wanted", "abroad_interest")
    OCCUPATION_LEVELS = ("linked_fiche", "same_domain", "same_grand_domain")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.weight_errors: list[str] = []  # errors of the weights as a whole
        self.general_errors: list[str] = []

    def weight_fields(self) -> list[Field]:
        return [self[f"weight_{name}"] for name in FACTORS]

    def level_fields(self) -> list[Field]:
        return [self[name] for name in self.LEVELS]

    def validate_availability_grace_days(self, field):
        if field.data is not None and (not float(field.data).is_integer() or not 1 <= field.data <= 3650):
            raise ValidationError(_l("Give a whole number of days between 1 and 3650."))

    def validate_salary_tolerance(self, field):
        if field.data is not None and not 0 < field.data <= 10:
            raise ValidationError(_l("Give a share above 0, for example 0.5 for 50 % above the offer."))

    def fill(self, params: MatchingParams) -> None:
        """Show ``params`` in the fields (what is in force, or the defaults)."""
        for name in FACTORS:
            self[f"weight_{name}"].data = getattr(params.weights, name)
        for name in (*self.LEVELS, "availability_grace_days", "salary_tolerance"):
            self[name].data = getattr(params, name)
        for f in self:
            f.raw_data = None

    def params(self, current: MatchingParams) -> MatchingParams | None:
        """The settings of a valid form, checked by :class:`MatchingParams` itself; ``None``,
        with the messages placed on the fields, when it refuses them. A setting the form does
        not show keeps its ``current`` value."""
        values: dict[str, Any] = current.as_dict()
        values.update((name, self[name].data) for name in (*self.LEVELS, "salary_tolerance"))
        values["availability_grace_days"] = int(self.availability_grace_days.data)
        values["weights"] = {name: self[f"weight_{name}"].data for name in FACTORS}
        try:
            return MatchingParams.from_mapping(values)
        except ValueError:
            self._place_error(values)
            return None

    def _place_error(self, values: dict[str, Any]) -> None:
        # The field validators hold every single-value rule; what is left is a rule between values.
        try:
            Weights(**values["weights"])
        except ValueError:
            self.weight_errors.append(_("At least one weight must be above 0."))
            return
        linked, domain, grand = (values[name] for name in self.OCCUPATION_LEVELS)
        message = _("Levels must not increase: related occupation ≥ same field ≥ same broad field.")
        if domain > linked:
            self.same_domain.errors.append(message)
        elif grand > domain:
            self.same_grand_domain.errors.append(message)
        else:
            self.general_errors.append(_("These settings cannot be used: check the values."))


def settings_values(params: MatchingParams) -> dict[str, Any]:
    """``params`` flattened to the names the audit lists (``weights.skills``, ``unknown``…)."""
    flat = {f"weights.{k}": v for k, v in params.as_dict()["weights"].items()}
    flat.update((k, v) for k, v in params.as_dict().items() if k != "weights")
    return flat


def changed_settings(before: MatchingParams, after: MatchingParams) -> list[str]:
    old, new = settings_values(before), settings_values(after)
    return [name for name in new if old.get(name) != new[name]]

