"""API keys from DOM_API_KEYS: parsed strictly, refused with a message that says what to fix."""

from __future__ import annotations

import pytest

from dom.settings import ApiKey, ConfigError, Settings, parse_api_keys


def test_keys_roles_and_subjects_are_parsed() -> None:
    keys = parse_api_keys(" k1:admin , k2:supplier:SUP-1,k3:location:ST-1,k4:channel ")
    assert keys == {"k1": ApiKey("k1", "admin"), "k2": ApiKey("k2", "supplier", "SUP-1"),
                    "k3": ApiKey("k3", "location", "ST-1"), "k4": ApiKey("k4", "channel")}


@pytest.mark.parametrize(("text", "message"), [
    ("k1:root", "unknown role"),
    ("k1", "not key:role"),
    ("k1:supplier", "needs its location id"),
    ("k1:admin,k1:ops", "listed twice"),
    (":admin", "not key:role"),
])
def test_bad_key_lists_are_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_api_keys(text)


def test_production_refuses_to_run_on_the_public_demo_keys() -> None:
    with pytest.raises(ConfigError, match="DOM_API_KEYS is empty"):
        Settings(env="production", api_keys="").api_key_map()
    assert "demo-admin" in Settings(env="development", api_keys="").api_key_map()
