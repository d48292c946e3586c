"""Settings from the environment (``DOM_*``), with defaults that are safe for development.

Outside development dom refuses to start without explicit API keys: the demo keys below are
public knowledge and must never guard real data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

ROLES = frozenset({"admin", "channel", "planner", "ops", "supplier", "location"})
ROLES_WITH_SUBJECT = frozenset({"supplier", "location"})

DEMO_API_KEYS = ("demo-admin:admin,demo-ops:ops,demo-channel:channel,demo-planner:planner,"
                 "demo-supplier:supplier:SUP-CAM,demo-store:location:ST-NYC")


@dataclass(frozen=True)
class ApiKey:
    key: str
    role: str
    subject: str | None = None


class ConfigError(ValueError):
    """A setting that cannot work; the message says which and how to fix it."""


def parse_api_keys(text: str) -> dict[str, ApiKey]:
    """Parse ``key:role[:subject],...``; a supplier or location key must name its location."""
    keys: dict[str, ApiKey] = {}
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        parts = item.split(":")
        if len(parts) not in (2, 3) or not parts[0]:
            raise ConfigError(f"DOM_API_KEYS entry {item!r} is not key:role[:subject]")
        key, role = parts[0], parts[1]
        subject = parts[2] if len(parts) == 3 and parts[2] else None
        if role not in ROLES:
            raise ConfigError(f"DOM_API_KEYS entry for key {key[:4]}...: unknown role {role!r}; "
                              f"roles are {', '.join(sorted(ROLES))}")
        if role in ROLES_WITH_SUBJECT and subject is None:
            raise ConfigError(f"DOM_API_KEYS: a {role} key needs its location id as subject "
                              f"({key[:4]}...:{role}:LOCATION_ID)")
        if key in keys:
            raise ConfigError(f"DOM_API_KEYS: key {key[:4]}... is listed twice")
        keys[key] = ApiKey(key, role, subject)
    return keys


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOM_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///dom.db"
    api_keys: str = ""
    webhook_allow_private: bool = False
    max_body_bytes: int = 1_048_576
    max_page_size: int = 500
    log_level: str = "INFO"
    # DOM_METRICS_TOKEN: when set, /metrics answers only with "Authorization: Bearer <it>"
    # (a Prometheus scrape config's bearer_token); unset, it needs nothing.
    metrics_token: str = ""
    timer_interval_s: float = 30.0
    webhook_poll_interval_s: float = 0.5  # 0 turns the webhook dispatcher off
    stream_poll_interval_s: float = 0.5
    dask_scheduler: str | None = None  # DOM_DASK_SCHEDULER: sweeps run on this Dask cluster
    scenario_async_orders: int = 2000  # more orders than this: 202, solved in the background
    # The outbox relay to NATS JetStream: off while DOM_NATS_URL is unset.
    nats_url: str | None = None  # e.g. nats://127.0.0.1:4222
    nats_stream: str = "DOM_EVENTS"  # created when missing, subjects "<prefix>.>"
    nats_subject_prefix: str = "dom.events"  # an event goes to "<prefix>.<type>"
    nats_duplicate_window_s: float = 600.0  # JetStream drops a repeated event id within it
    nats_poll_interval_s: float = 0.5

    def api_key_map(self) -> dict[str, ApiKey]:
        if self.api_keys.strip():
            return parse_api_keys(self.api_keys)
        if self.env == "production":
            raise ConfigError("DOM_API_KEYS is empty: set key:role[:subject] pairs before "
                              "running with DOM_ENV=production")
        return parse_api_keys(DEMO_API_KEYS)
