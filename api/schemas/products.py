"""The catalog: products hold stock, services (warranties, installation) never do."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from api.schemas.common import Name, Strict
from models import Product, ProductKind


class ProductIn(Strict):
    name: Name
    kind: ProductKind = ProductKind.PRODUCT
    weight_kg: float | None = Field(default=None, ge=0, le=100_000)
    service_type: str | None = Field(default=None, min_length=1, max_length=50)
    term_months: int | None = Field(default=None, ge=1, le=600)

    @model_validator(mode="after")
    def _service_fields(self) -> ProductIn:
        if self.kind is ProductKind.PRODUCT and (self.service_type or self.term_months):
            raise ValueError("service_type and term_months are for kind 'service' only")
        return self


class ProductOut(BaseModel):
    sku: str
    name: str
    kind: ProductKind
    weight_kg: float | None
    service_type: str | None
    term_months: int | None

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        return cls(sku=product.sku, name=product.name, kind=product.kind,
                   weight_kg=product.weight_kg, service_type=product.service_type,
                   term_months=product.term_months)
