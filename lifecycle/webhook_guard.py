"""Server-side request forgery guard: webhooks go to public addresses only.

The host is resolved and every address it resolves to must be public (not private, loopback,
link-local, shared, multicast, reserved or unspecified; IPv4 and IPv6, IPv4-mapped IPv6
included). The dispatcher checks again before each send, so a name that later resolves
inward is refused then too. ``allow_private`` (``DOM_WEBHOOK_ALLOW_PRIVATE=1``) lifts the rule
for development and tests.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

from models import InvalidInput

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

RESOLVE_TIMEOUT_S = 3.0
_resolver_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dom-resolve")


class RefusedDestination(InvalidInput):
    """A webhook URL the server will not call."""

    title = "Webhook destination refused"


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, bounded in time (getaddrinfo has no timeout)."""
    future = _resolver_pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=RESOLVE_TIMEOUT_S)
    except FutureTimeout as error:
        raise OSError(f"resolving {host} took longer than {RESOLVE_TIMEOUT_S:.0f} s") from error
    return [str(info[4][0]) for info in infos]


# IETF protocol assignments (RFC 6890): the relay/dummy addresses there are no webhook's
# destination, though Python counts most of them as global
_PROTOCOL_ASSIGNMENTS = ipaddress.ip_network("192.0.0.0/24")


def is_public(address: IPAddress) -> bool:
    """A routable address of the public internet. An IPv6 address that carries an IPv4 one
    (mapped ``::ffff:a.b.c.d``, or 6to4 ``2002:AABB:CCDD::``, which a 6to4 relay delivers to
    a.b.c.d) is judged by the address it carries."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = address.ipv4_mapped or address.sixtofour
        if carried is not None:
            address = carried
    if address in _PROTOCOL_ASSIGNMENTS:
        return False
    return address.is_global and not (
        address.is_private or address.is_loopback or address.is_link_local
        or address.is_multicast or address.is_reserved or address.is_unspecified)


def check_destination(url: str, *, allow_private: bool,
                      resolve: Resolver = system_resolver) -> None:
    """Raise ``RefusedDestination`` unless ``url`` is http(s) to a public address."""
    try:
        parts = urlsplit(url)  # a bracketed host that is no IPv6 address raises here
    except ValueError as error:
        raise RefusedDestination(f"the webhook url is not a valid URL: {error}",
                                 loc=("body", "url")) from error
    if parts.scheme not in ("http", "https"):
        raise RefusedDestination("the webhook url must start with http:// or https://",
                                 loc=("body", "url"))
    try:
        given = parts.port
        port = (443 if parts.scheme == "https" else 80) if given is None else given
    except ValueError as error:
        raise RefusedDestination(f"the webhook url has an invalid port: {error}",
                                 loc=("body", "url")) from error
    if port == 0:
        raise RefusedDestination("the webhook url has port 0, which nothing listens on",
                                 loc=("body", "url"))
    if parts.username is not None or parts.password is not None:
        # the url is listed back to every admin: put the receiver's credential in the
        # signing secret's place, not in the url
        raise RefusedDestination("the webhook url may not carry user:password@; deliveries "
                                 "are signed with the subscription's secret",
                                 loc=("body", "url"))
    host = parts.hostname
    if not host:
        raise RefusedDestination("the webhook url has no host", loc=("body", "url"))
    _check_host_name(host)
    if allow_private:
        return
    for address in _addresses(host, port, resolve):
        if not is_public(address):
            raise RefusedDestination(
                f"{host} resolves to {address}, a private, loopback, link-local or reserved "
                "address; webhooks only go to public addresses (server-side request forgery "
                "guard; DOM_WEBHOOK_ALLOW_PRIVATE=1 lifts it for development)",
                loc=("body", "url"))


def _check_host_name(host: str) -> None:
    """A host name DNS could carry: labels of 1-63 characters once encoded (IDNA), so a typo
    such as ``a..example.com`` is refused as such, not left to the resolver."""
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        pass
    try:
        host.encode("idna")
    except UnicodeError as error:
        raise RefusedDestination(f"the webhook host {host!r} is not a valid host name (empty "
                                 "label, or one longer than 63 characters)",
                                 loc=("body", "url")) from error


def _addresses(host: str, port: int, resolve: Resolver) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = resolve(host, port)
    except OSError as error:
        raise RefusedDestination(f"the webhook host {host} cannot be resolved ({error})",
                                 loc=("body", "url")) from error
    if not found:
        raise RefusedDestination(f"the webhook host {host} has no address", loc=("body", "url"))
    # getaddrinfo may add a scope to link-local IPv6 (fe80::1%eth0); the address is before it.
    return [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
