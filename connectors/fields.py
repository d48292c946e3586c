"""Typed reads from untrusted JSON, each failure a ``ConnectorError`` naming the field's path.

Channel payloads arrive from outside and may be missing anything or hold the wrong type
anywhere. Reading them through ``Field`` keeps the mappers free of ``isinstance`` checks and
guarantees that a bad payload never escapes as a ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.errors import ConnectorError

__all__ = ["MAX_AMOUNT", "MAX_QTY", "Field"]

MAX_QTY = 2**31 - 1  # keeps quantities inside a 32-bit database column
MAX_AMOUNT = Decimal("1e12")  # far above any real price; keeps cent arithmetic exact
_CURRENCY_RE = re.compile(r"[A-Z]{3}", re.ASCII)


def _show(value: Any) -> str:
    """A short rendering of a bad value for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Field:
    """A value found at ``path`` in a payload; ``None`` when absent or null."""

    value: Any
    path: str

    @classmethod
    def root(cls, payload: Any, what: str) -> Field:
        """The whole payload, which must be a JSON object."""
        if not isinstance(payload, Mapping):
            raise ConnectorError(f"{what} must be a JSON object, got {type(payload).__name__}")
        return cls(payload, "")

    # -- navigation ----------------------------------------------------------------------
    def __getitem__(self, key: str) -> Field:
        path = f"{self.path}.{key}" if self.path else key
        if self.value is None:
            return Field(None, path)
        return Field(self.mapping().get(key), path)

    def mapping(self) -> Mapping[str, Any]:
        if not isinstance(self.value, Mapping):
            raise self.error(f"must be a JSON object, got {_show(self.value)}")
        return self.value

    def items(self) -> list[Field]:
        """The elements of a required array."""
        self.require()
        if not isinstance(self.value, list):
            raise self.error(f"must be an array, got {_show(self.value)}")
        return [Field(item, f"{self.path}[{i}]") for i, item in enumerate(self.value)]

    def optional_items(self) -> list[Field]:
        return [] if self.missing else self.items()

    # -- presence ------------------------------------------------------------------------
    @property
    def missing(self) -> bool:
        return self.value is None

    def require(self) -> None:
        if self.value is None:
            raise self.error("is missing")

    def error(self, problem: str) -> ConnectorError:
        return ConnectorError(f"{self.path or 'the payload'} {problem}", path=self.path or None)

    # -- scalars -------------------------------------------------------------------------
    def text(self) -> str:
        """A required non-blank string, stripped."""
        found = self.optional_text()
        if found is None:
            raise self.error("is missing")
        return found

    def optional_text(self) -> str | None:
        """A string, stripped; ``None`` when absent, null or blank."""
        if self.value is None:
            return None
        if not isinstance(self.value, str):
            raise self.error(f"must be a string, got {_show(self.value)}")
        return self.value.strip() or None

    def identifier(self) -> str:
        """An id that channels send as a string or a JSON number (Shopify's ids are numbers)."""
        if isinstance(self.value, int) and not isinstance(self.value, bool):
            return str(self.value)
        if self.value is not None and not isinstance(self.value, str):
            raise self.error(f"must be a string or an integer id, got {_show(self.value)}")
        return self.text()

    def optional_identifier(self) -> str | None:
        return None if self.missing else self.identifier()

    def flag(self) -> bool:
        """A boolean; absent means false."""
        if self.value is None:
            return False
        if not isinstance(self.value, bool):
            raise self.error(f"must be true or false, got {_show(self.value)}")
        return self.value

    def quantity(self) -> int:
        """A required whole number of units, zero allowed."""
        self.require()
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.error(f"must be a whole number, got {_show(self.value)}")
        if self.value < 0:
            raise self.error(f"must not be negative, got {self.value}")
        if self.value > MAX_QTY:
            raise self.error(f"is implausibly large ({self.value})")
        return self.value

    def optional_quantity(self) -> int | None:
        """A whole number of units, zero allowed; ``None`` when absent."""
        return None if self.missing else self.quantity()

    def amount(self) -> Decimal:
        """A required non-negative money amount, given as a decimal string or a number."""
        self.require()
        value = self.value
        malformed = f"must be a decimal amount like '19.99', got {_show(value)}"
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(malformed)
        try:
            amount = Decimal(value.strip() if isinstance(value, str) else str(value))
        except InvalidOperation:
            raise self.error(malformed) from None
        if not amount.is_finite() or amount < 0 or not math.isfinite(float(amount)):
            raise self.error(f"must be a finite amount of at least 0, got {_show(value)}")
        if amount > MAX_AMOUNT:
            raise self.error(f"is implausibly large ({_show(value)})")
        return amount

    def coordinate(self, limit: float) -> float | None:
        """A latitude (limit 90) or longitude (limit 180); ``None`` when absent."""
        value = self.value
        if value is None:
            return None
        if isinstance(value, str):  # Shopify has sent coordinates as strings in older versions
            try:
                value = float(value)
            except ValueError:
                raise self.error(f"must be a number, got {_show(self.value)}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"must be a number, got {_show(value)}")
        number = float(value)
        if not math.isfinite(number) or abs(number) > limit:
            raise self.error(f"must be between -{limit:g} and {limit:g}, got {_show(value)}")
        return number

    def currency(self) -> str | None:
        """An ISO 4217 code such as "USD"; ``None`` when absent."""
        code = self.optional_text()
        if code is None:
            return None
        if not _CURRENCY_RE.fullmatch(code.upper()):
            raise self.error(f"must be a 3-letter ISO 4217 currency code, got {_show(code)}")
        return code.upper()

    def timestamp(self) -> str:
        """A required RFC 3339 time with a zone, returned in UTC ("2024-11-10T15:30:00Z")."""
        raw = self.text()
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            raise self.error(f"is not an RFC 3339 time: {_show(raw)}") from None
        if parsed.tzinfo is None:
            raise self.error(f"has no time zone: {_show(raw)}; send an RFC 3339 time")
        try:
            utc = parsed.astimezone(UTC)
        except OverflowError:
            raise self.error(f"is out of range: {_show(raw)}") from None
        if utc.microsecond % 1000:
            spec = "microseconds"
        else:
            spec = "milliseconds" if utc.microsecond else "seconds"
        return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
