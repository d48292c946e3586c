"""The server-side request forgery guard: webhooks go to public addresses only."""

from __future__ import annotations

import pytest

from lifecycle.webhook_guard import RefusedDestination, Resolver, check_destination


def _resolver(table: dict[str, list[str]]) -> Resolver:
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]
    return resolve


RESOLVE = _resolver({"hooks.example.com": ["93.184.215.14"],
                     "localhost": ["127.0.0.1", "::1"],
                     "inward.example.com": ["93.184.215.14", "10.1.2.3"],
                     "v6-inward.example.com": ["fd00::1"]})

REFUSED = [
    "http://10.0.0.1/hook", "http://127.0.0.1:8080/hook", "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data", "https://192.168.1.1/", "http://172.16.5.4/",
    "http://100.64.0.1/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://[fe80::1]/",
    "http://224.0.0.1/", "http://240.0.0.1/", "http://localhost:9000/hook",
    "https://inward.example.com/", "https://v6-inward.example.com/",
    "http://[2002:7f00:1::]/", "http://[2002:a00:1::1]/",  # 6to4 of 127.0.0.1 and 10.0.0.1
    "http://192.0.0.8/",  # IETF protocol assignments (Python calls it global)
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_link_local_and_reserved_destinations_are_refused(url: str) -> None:
    with pytest.raises(RefusedDestination, match="public addresses"):
        check_destination(url, allow_private=False, resolve=RESOLVE)


def test_localhost_is_refused_with_the_system_resolver() -> None:
    with pytest.raises(RefusedDestination, match=r"127\.0\.0\.1|::1"):
        check_destination("http://localhost:8000/hook", allow_private=False)


@pytest.mark.parametrize("url", REFUSED)
def test_the_flag_allows_private_destinations(url: str) -> None:
    check_destination(url, allow_private=True, resolve=RESOLVE)


@pytest.mark.parametrize("url", ["https://93.184.215.14/hook", "http://[2606:4700::1111]/",
                                 "https://hooks.example.com/dom",
                                 "http://[2002:5db8:d70e::1]/"])  # 6to4 of 93.184.215.14
def test_public_destinations_pass(url: str) -> None:
    check_destination(url, allow_private=False, resolve=RESOLVE)


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://93.184.215.14/", "http:// or https://"),
    ("file:///etc/passwd", "http:// or https://"),
    ("http:///nohost", "no host"),
    ("http://93.184.215.14:99999/", "invalid port"),
    ("https://nowhere.invalid/", "cannot be resolved"),
    ("http://93.184.215.14:0/x", "port 0"),
    ("https://user:pw@93.184.215.14/h", "user:password@"),
    ("http://[zz]/hook", "not a valid URL"),
    ("https://a..example.com/", "not a valid host name"),
    ("https://" + "a" * 64 + ".example.com/", "not a valid host name"),
])
def test_urls_that_cannot_be_called_are_refused_with_the_reason(url: str, reason: str) -> None:
    with pytest.raises(RefusedDestination, match=reason):
        check_destination(url, allow_private=False, resolve=RESOLVE)


@pytest.mark.parametrize("url", ["http://127.0.0.1:0/x", "http://user:pw@127.0.0.1:8199/h",
                                 "http://[zz]/hook", "http://a..example.com/"])
def test_development_mode_still_refuses_what_no_receiver_should_have(url: str) -> None:
    with pytest.raises(RefusedDestination):
        check_destination(url, allow_private=True, resolve=RESOLVE)
