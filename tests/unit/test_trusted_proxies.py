"""TRUSTED_PROXIES (`api/proxies.py`): whose X-Forwarded-For decides the client address, through werkzeug's
ProxyFix; none by default."""

import pytest
from werkzeug.test import Client

from api.proxies import TrustedProxiesError, parse_trusted_proxies, trust_proxies


def seen_address(setting: str, peer: str, forwarded: str | None) -> str:
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["REMOTE_ADDR"].encode()]

    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    client = Client(trust_proxies(app, setting))
    return client.get("/", headers=headers, environ_base={"REMOTE_ADDR": peer}).get_data(as_text=True)


@pytest.mark.parametrize(
    ("setting", "peer", "forwarded", "client"),
    [
        ("", "10.0.0.1", "203.0.113.5", "10.0.0.1"),  # off: the header is not believed
        ("0", "10.0.0.1", "203.0.113.5", "10.0.0.1"),
        ("1", "10.0.0.1", "203.0.113.5", "203.0.113.5"),  # one proxy: the address it saw
        ("1", "10.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # what the caller wrote first is ignored
        ("2", "10.0.0.1", "6.6.6.6, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        ("10.0.0.0/8", "10.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        ("10.0.0.0/8", "10.0.0.1", "6.6.6.6, 203.0.113.5, 10.0.0.9", "203.0.113.5"),  # two listed hops
        ("10.0.0.0/8", "198.51.100.1", "203.0.113.5", "198.51.100.1"),  # not through a listed proxy
        ("10.0.0.1, 2001:db8::/32", "2001:db8::1", "203.0.113.5", "203.0.113.5"),
        ("10.0.0.0/8", "10.0.0.1", None, "10.0.0.1"),
    ],
)
def test_the_client_address_follows_the_trusted_proxies(setting, peer, forwarded, client):
    assert seen_address(setting, peer, forwarded) == client


def test_a_setting_that_is_neither_a_count_nor_addresses_is_refused():
    assert parse_trusted_proxies("2") == 2
    with pytest.raises(TrustedProxiesError, match="load-balancer"):
        parse_trusted_proxies("10.0.0.1, load-balancer")
