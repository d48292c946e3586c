"""The sourcing policy (one named row) and the opportunity costs of the latest joint solve."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, delete, insert, select, tuple_, update

from models.policy import SourcingPolicy
from storage.clock import utcnow
from storage.repositories import IN_CHUNK
from storage.tables import opportunity_costs, policies

DEFAULT = "default"


class SqlPolicyStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def get(self) -> SourcingPolicy:
        body = self._c.execute(select(policies.c.body).where(policies.c.name == DEFAULT)
                               ).scalar_one_or_none()
        return SourcingPolicy(**body) if body else SourcingPolicy()

    def put(self, policy: SourcingPolicy) -> None:
        now = utcnow()
        changed = self._c.execute(update(policies).where(policies.c.name == DEFAULT)
                                  .values(body=policy.as_dict(), updated_at=now))
        if not changed.rowcount:
            self._c.execute(insert(policies).values(name=DEFAULT, body=policy.as_dict(),
                                                    updated_at=now))

    def opportunity_costs(self) -> dict[tuple[str, str], float]:
        rows = self._c.execute(select(opportunity_costs)).mappings()
        return {(r["location_id"], r["sku"]): r["value"] for r in rows}

    def forget_opportunity_costs(self, keys: Iterable[tuple[str, str]]) -> None:
        wanted = sorted(set(keys))
        # a statement per chunk, not per key: an import names thousands of keys
        for start in range(0, len(wanted), IN_CHUNK):
            self._c.execute(delete(opportunity_costs).where(
                tuple_(opportunity_costs.c.location_id, opportunity_costs.c.sku)
                .in_(wanted[start:start + IN_CHUNK])))

    def replace_opportunity_costs(self, values: Mapping[tuple[str, str], float]) -> None:
        self._c.execute(delete(opportunity_costs))
        now = utcnow()
        rows = [{"location_id": loc, "sku": sku, "value": float(v), "computed_at": now}
                for (loc, sku), v in sorted(values.items()) if v > 1e-9]
        if rows:
            self._c.execute(insert(opportunity_costs), rows)
