"""Import another directory's Open Referral UK feed (the HSDS 3.0 API: `/services`, paged, and
`/services/{id}`) into ours.

The feed is read whole first: every page of `/services` in turn (until a page says `last_page`, or is empty,
or `total_pages` is reached), and each listed service in full from `/services/{id}` unless the list already
nests its locations. Any page that cannot be read (no answer within the timeout, not 200, not JSON, not an
HSDS page, too large, or more than `max_pages`) stops the import with a `FeedError` naming the address, and
nothing is written. The services read are then flattened into the HSDS tables and imported by the same
rules as a data package (`hsds_import.import_package`): one transaction, keyed by the feed's service ids
(`hsds:<id>`), so running it again updates the same rows and never duplicates them.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin

import requests
from sqlalchemy.orm import Session

from directory.areas import Areas
from directory.hsds import InterchangeReport, Package
from directory.hsds_import import import_package
from geo import Geocoder

DEFAULT_PER_PAGE = 100
DEFAULT_MAX_PAGES = 1000
DEFAULT_TIMEOUT_SECONDS = 20.0
MAX_RESPONSE_BYTES = 20 * 1024 * 1024

Fetch = Callable[[str], object]  # an address → the JSON it answers, or FeedError


class FeedError(Exception):
    """A page of the feed could not be read: nothing was imported."""


@dataclass(frozen=True)
class HttpFetch:
    """GET a JSON document with a timeout and a size limit."""

    timeout: float = DEFAULT_TIMEOUT_SECONDS
    max_bytes: int = MAX_RESPONSE_BYTES

    def __call__(self, url: str) -> object:
        try:
            with requests.get(
                url, timeout=self.timeout, stream=True, headers={"Accept": "application/json"}
            ) as response:
                if response.status_code != 200:
                    raise FeedError(f"{url} answered {response.status_code} {response.reason}")
                body = response.raw.read(self.max_bytes + 1, decode_content=True)
        except requests.RequestException as exc:
            raise FeedError(f"{url} could not be read: {exc}") from exc
        if len(body) > self.max_bytes:
            raise FeedError(f"{url} answered more than {self.max_bytes} bytes")
        try:
            return json.loads(body)
        except ValueError as exc:
            raise FeedError(f"{url} did not answer JSON: {exc}") from exc


def import_oruk(
    session: Session,
    base_url: str,
    *,
    geocoder: Geocoder,
    areas: Areas,
    fetch: Fetch | None = None,
    per_page: int = DEFAULT_PER_PAGE,
    max_pages: int = DEFAULT_MAX_PAGES,
    before_commit: Callable[[Session, InterchangeReport], None] | None = None,
) -> InterchangeReport:
    services = list(read_services(base_url, fetch or HttpFetch(), per_page=per_page, max_pages=max_pages))
    return import_package(
        session, flatten(services), [], geocoder=geocoder, areas=areas, before_commit=before_commit
    )


def read_services(base_url: str, fetch: Fetch, *, per_page: int, max_pages: int) -> Iterator[dict]:
    """Every service of the feed, in full."""
    base = base_url.rstrip("/") + "/"
    number = 1
    while True:
        if number > max_pages:
            raise FeedError(f"{base} has more than {max_pages} pages of services: stopped")
        url = urljoin(base, "services") + "?" + urlencode({"page": number, "per_page": per_page})
        page = fetch(url)
        if not isinstance(page, dict) or not isinstance(page.get("contents"), list):
            raise FeedError(f"{url} is not a page of services (no contents list)")
        for item in page["contents"]:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
                raise FeedError(f"{url} lists a service without an id")
            yield item if "service_at_locations" in item else _full(base, item["id"], fetch)
        total_pages = page.get("total_pages")
        if (
            not page["contents"]
            or page.get("last_page") is True
            or (isinstance(total_pages, int) and number >= total_pages)
        ):
            return
        number += 1


def _full(base: str, service_id: str, fetch: Fetch) -> dict:
    url = urljoin(base, "services/") + requests.utils.quote(service_id, safe="")
    service = fetch(url)
    if not isinstance(service, dict) or service.get("id") != service_id:
        raise FeedError(f"{url} is not the service {service_id}")
    return service


def flatten(services: list[dict]) -> Package:
    """Nested HSDS 3.0 services → the tables of a data package, as `hsds_import` reads them."""
    tables: dict[str, list[dict[str, str]]] = {}

    def add(resource: str, item: object, **links: str) -> dict:
        if not isinstance(item, dict) or not item.get("id"):
            return {}
        row = {key: _cell(value) for key, value in item.items() if not isinstance(value, list | dict)}
        row.update({key: value for key, value in links.items() if value})
        tables.setdefault(resource, []).append(row)
        return item

    for service in services:
        service_id = service["id"]
        organization = add("organization", service.get("organization"))
        organization_id = str(organization.get("id") or service.get("organization_id") or "")
        add("service", service, organization_id=organization_id)
        _children(add, service, service_id=service_id)
        for link in _items(service, "service_at_locations"):
            location = link.get("location") if isinstance(link.get("location"), dict) else {}
            location_id = str(location.get("id") or link.get("location_id") or "")
            add("service_at_location", link, service_id=service_id, location_id=location_id)
            _children(add, link, service_at_location_id=str(link.get("id", "")))
            if add("location", location):
                for address in _items(location, "addresses"):
                    add("address", address, location_id=location_id)
                _children(add, location, location_id=location_id)
        for attribute in _items(service, "attributes"):
            term = attribute.get("taxonomy_term") if isinstance(attribute.get("taxonomy_term"), dict) else {}
            taxonomy = term.get("taxonomy_detail") if isinstance(term.get("taxonomy_detail"), dict) else {}
            add("taxonomy", taxonomy)
            add("taxonomy_term", term, taxonomy_id=str(taxonomy.get("id", "")))
            term_id = str(attribute.get("taxonomy_term_id") or term.get("id") or "")
            add("attribute", attribute, link_id=service_id, taxonomy_term_id=term_id)
    numbered = {
        resource: [(number, row) for number, row in enumerate(_unique(rows), start=2)]
        for resource, rows in tables.items()
    }
    return Package(numbered, {resource: f"{resource} (feed)" for resource in numbered})


def _children(add: Callable[..., dict], parent: dict, **link: str) -> None:
    """The contacts (with their phones), phones and schedules nested in a service, link or location."""
    for contact in _items(parent, "contacts"):
        add("contact", contact, **link)
        for phone in _items(contact, "phones"):
            add("phone", phone, contact_id=str(contact.get("id", "")))
    for phone in _items(parent, "phones"):
        add("phone", phone, **link)
    for schedule in _items(parent, "schedules"):
        add("schedule", schedule, **link)


def _items(parent: dict, key: str) -> list[dict]:
    value = parent.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _unique(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """One row per id and links (a location shared by two services is listed under each)."""
    seen, kept = set(), []
    for row in rows:
        key = tuple(sorted(row.items()))
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.strip() if isinstance(value, str) else str(value)
