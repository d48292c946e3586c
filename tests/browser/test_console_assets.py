"""The console's files are served without a key, with their types, and every one ships.

These need no browser: the app in-process (TestClient) over an empty database (the default backend).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources

import pytest
from fastapi.testclient import TestClient

from api import create_app
from tests.conftest import make_container

IMPORT = re.compile(r"""from\s+"(/console/[^"]+)"|import\s+"(/console/[^"]+)\"""")
REFERENCE = re.compile(r"""(?:src|href)="(/console/[^"]+)\"""")


@pytest.fixture
def client(default_url: str) -> Iterator[TestClient]:
    container = make_container(default_url)
    with TestClient(create_app(container)) as test_client:
        yield test_client
    container.close()


def _shipped() -> list[str]:
    return sorted(entry.name for entry in resources.files("api.console").iterdir()
                  if entry.name.endswith((".html", ".js", ".css", ".svg")))


def test_the_page_is_served_without_a_key_and_locked_to_its_own_files(
        client: TestClient) -> None:
    page = client.get("/console")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "http" not in page.text.replace('href="/', "")  # nothing from another host
    assert client.get("/console/", follow_redirects=False).status_code == 308
    root = client.get("/", follow_redirects=False)
    assert (root.status_code, root.headers["location"]) == (307, "/console")
    assert client.get("/v1/orders").status_code == 401  # the API still wants its key


def test_every_file_the_page_and_its_modules_name_is_served_with_its_type(
        client: TestClient) -> None:
    wanted = {"/console/app.js"}
    html = client.get("/console").text
    wanted |= set(REFERENCE.findall(html))
    for name in _shipped():
        if name.endswith(".js"):
            text = client.get(f"/console/{name}").text
            wanted |= {a or b for a, b in IMPORT.findall(text)}
    types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for path in sorted(wanted):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith(types[path[path.rfind("."):]]), path
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", answer.text), path


def test_unknown_or_odd_asset_names_are_refused(client: TestClient) -> None:
    assert client.get("/console/missing.js").status_code == 404
    assert client.get("/console/missing.js").headers["content-type"].startswith(
        "application/problem+json")
    assert client.get("/console/__init__.py").status_code in (404, 422)
    assert client.get("/console/..%2Fauth.py").status_code in (404, 422)
    assert client.get("/console/index.html").status_code in (404, 422)  # only at /console
