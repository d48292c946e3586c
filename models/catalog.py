"""What can be ordered: physical products (hold stock) and services (never do)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProductKind(StrEnum):
    PRODUCT = "product"
    SERVICE = "service"


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
