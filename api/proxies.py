"""Whose X-Forwarded-For to believe (TRUSTED_PROXIES), applied with werkzeug's ProxyFix.

The client address decides the per-address delays after failed sign-ins and bad tokens, and is audited, so it
must not be whatever a caller writes in a header. By default no header is believed: the client is the socket's
peer. Behind proxies, TRUSTED_PROXIES says which to believe:

- a number N: exactly N proxies always stand in front of the app (say 1 for a load balancer); ProxyFix takes
  the address the N-th proxy from the app saw, and what a caller wrote before that is ignored;
- addresses or networks, separated by commas ("10.0.0.5, 10.1.0.0/16"): a header is believed only when the
  socket's peer is one of them, and only as far back as the entries that are themselves these proxies, so a
  request that reaches the app without passing them cannot choose its address.
"""

import ipaddress
from collections.abc import Callable, Iterable

from werkzeug.middleware.proxy_fix import ProxyFix

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxiesError(ValueError):
    pass


def parse_trusted_proxies(value: object) -> int | tuple[Network, ...]:
    """0 (none), a number of hops, or the proxies' networks."""
    text = str(value if value is not None else "").strip()
    if not text:
        return 0
    if text.isdigit():
        return int(text)
    networks = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise TrustedProxiesError(
                f"TRUSTED_PROXIES is a number of proxy hops or their addresses separated by commas; {part!r} "
                "is neither"
            ) from exc
    return tuple(networks)


def _is_one_of(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


class ListedProxies:
    """ProxyFix for as many hops as are listed proxies, counted from the socket's peer back."""

    def __init__(self, app: Callable, networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks

    def __call__(self, environ, start_response):
        hops = 0
        if _is_one_of(environ.get("REMOTE_ADDR", ""), self.networks):
            forwarded = [
                part.strip() for part in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
            ]
            hops = 1
            while hops < len(forwarded) and _is_one_of(forwarded[-hops], self.networks):
                hops += 1
        if not hops:
            return self.app(environ, start_response)
        return ProxyFix(self.app, x_for=hops, x_proto=1)(environ, start_response)


def trust_proxies(wsgi_app: Callable, setting: object) -> Callable:
    trusted = parse_trusted_proxies(setting)
    if isinstance(trusted, int):
        return ProxyFix(wsgi_app, x_for=trusted, x_proto=trusted) if trusted else wsgi_app
    return ListedProxies(wsgi_app, trusted) if trusted else wsgi_app
