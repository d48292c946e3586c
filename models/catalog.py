"""What can be ordered: physical products (hold stock) and services (never do)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProductKind(StrEnum):
    PRODUCT = "product"
    SERVICE = "service"


@dataclass(frozen=True)
class ServiceTerms:
    """A service as it was sold (its catalog entry at intake): what the customer bought stays
    what is registered, whatever the catalog says by the time the product arrives."""

    name: str
    service_type: str | None = None
    term_months: int | None = None


@dataclass
class Product:
    sku: str
    name: str
    kind: ProductKind = ProductKind.PRODUCT
    weight_kg: float | None = None
    service_type: str | None = None
    term_months: int | None = None

    @property
    def is_service(self) -> bool:
        return self.kind is ProductKind.SERVICE

    def terms_as_sold(self) -> ServiceTerms | None:
        """What an order line of this service keeps (None for a product)."""
        if not self.is_service:
            return None
        return ServiceTerms(self.name, self.service_type, self.term_months)
