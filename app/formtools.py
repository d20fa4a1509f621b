"""Small helpers and pieces shared by the forms of every package."""
from __future__ import annotations

from typing import Any, Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import Form, SelectField, SelectMultipleField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from app.reference.vocab import LANGUAGE_LEVELS

CHOOSE = _l("Choose a value from the list.")


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms select choices (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of check boxes (no JavaScript needed)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SubForm(Form):
    """A repeated row of a form (FieldList), with WTForms' messages in the reader's language."""

    class Meta:
        def get_translations(self, form):
            return wtforms_translations


def one_of(values, message=CHOOSE):
    """A choice checked by hand, so that an absent optional select is no error."""
    def check(form, field):
        if field.data not in (None, "") and field.data not in values:
            raise ValidationError(message)
    return check


class LanguageEntry(SubForm):
    """A language and the level in it; the caller fills the language choices."""

    language = SelectField(_l("Language"), validate_choice=False)
    level = SelectField(_l("Level"), choices=choices([("", "—")] + list(LANGUAGE_LEVELS.items())),
                        validate_choice=False, validators=[one_of(LANGUAGE_LEVELS)])

    def validate_level(self, field):
        if self.language.data and not field.data:
            raise ValidationError(_l("Give the level in this language."))


# Ids are database integers: a larger number is no id at all (and PostgreSQL would reject it).
MAX_ID = 2**31 - 1


def whole_number(text: str | None) -> int | None:
    """``text`` as a whole number written in ASCII digits, else None. ``str.isdigit`` alone
    would let "²" or "①" through, which ``int`` then refuses with a ValueError."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None
