"""The catalog: products and services by SKU."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, RowMapping, insert, select, update

from models import Product, ProductKind
from storage.clock import utcnow
from storage.tables import products


def _to_product(row: RowMapping) -> Product:
    return Product(sku=row["sku"], name=row["name"], kind=ProductKind(row["kind"]),
                   weight_kg=row["weight_kg"], service_type=row["service_type"],
                   term_months=row["term_months"])


class SqlProductRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def get(self, sku: str) -> Product | None:
        found = self._c.execute(select(products).where(products.c.sku == sku)).mappings().first()
        return _to_product(found) if found else None

    def get_many(self, skus: Iterable[str]) -> dict[str, Product]:
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        rows = self._c.execute(select(products).where(products.c.sku.in_(wanted))).mappings()
        return {r["sku"]: _to_product(r) for r in rows}

    def page(self, *, after: str | None = None, limit: int = 50) -> list[Product]:
        query = select(products).order_by(products.c.sku).limit(limit)
        if after:
            query = query.where(products.c.sku > after)
        return [_to_product(r) for r in self._c.execute(query).mappings()]

    def upsert(self, product: Product) -> bool:
        """Create or replace; returns True when the SKU is new."""
        now = utcnow()
        values = {"name": product.name, "kind": product.kind.value, "weight_kg": product.weight_kg,
                  "service_type": product.service_type, "term_months": product.term_months}
        result = self._c.execute(
            update(products).where(products.c.sku == product.sku).values(**values, updated_at=now)
        )
        if result.rowcount:
            return False
        self._c.execute(insert(products).values(sku=product.sku, **values, created_at=now,
                                                updated_at=now))
        return True
