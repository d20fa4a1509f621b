"""Small helpers shared by the forms of every package."""
from __future__ import annotations

from typing import Any, Iterable

from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms select choices (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]
