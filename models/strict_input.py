"""The base of every body a client or a planner sends: mistakes are refused, not guessed at.

pydantic reads ``"on_hand": true`` as 1 and drops fields it does not know; for an order
management API both are client bugs that would write something nobody meant, so bodies built
on :class:`StrictInput` refuse unknown fields and true/false wherever a number goes (also
inside lists and mappings of numbers).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

NUMBERS = (int, float)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def calendar_date_only(value: object, field: str) -> object:
    """A ``mode="before"`` check for a date field: a date, or an ISO ``YYYY-MM-DD`` string
    (pydantic parses it), passes; a number (pydantic would read a timestamp) or a datetime (its
    day depends on a zone) is refused."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return value
    raise ValueError(f"{field} must be an ISO date, YYYY-MM-DD")


def bool_for_number(value: Any, annotation: Any) -> bool:
    """Whether ``value`` puts a bool where ``annotation`` expects a number."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        options = get_args(annotation)
        return bool not in options and any(
            bool_for_number(value, option) for option in options if option is not type(None))
    if annotation in NUMBERS:
        return isinstance(value, bool)
    if origin in (list, tuple, set, frozenset) and isinstance(value, list | tuple):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        return bool(args) and any(bool_for_number(item, args[0]) for item in value)
    if origin is dict and isinstance(value, dict):
        key_value = get_args(annotation)
        return len(key_value) == 2 and any(bool_for_number(item, key_value[1])
                                           for item in value.values())
    return False


class StrictInput(BaseModel):
    """Refuses unknown fields, and true/false where a number goes."""

    # NaN and infinity are not numbers a client means: "finite number" beats a range message
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_as_number(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is not None \
                and bool_for_number(value, cls.model_fields[info.field_name].annotation):
            raise ValueError("expected a number, got true or false")
        return value
