"""The directory as an Open Referral UK feed: the HSDS 3.0 API's JSON (`/services`, `/services/{id}`,
`/organizations`, `/taxonomies`, `/taxonomy_terms`), built from the same rows as the HSDS export
(`hsds_export.public_rows`), so the file and the feed say the same thing.

What is published is decided by the caller (`referrals.access.PUBLIC_DIRECTORY_WITHHELD`, the fields left
out, and `referrals.access.published_in_directory`, which organisations appear): this module lays it out.
Volunteers and residents never appear. Each One Route In organisation is one HSDS organization with one
service, as in the export.

Lists are paged as the HSDS API describes (`total_items`, `total_pages`, `page_number`, `size`,
`first_page`, `last_page`, `empty`, `contents`); a page past the last is empty, not an error. Lists are
filtered and paged in memory over the published organisations (a council directory is hundreds of rows, and
HSDS ids are derived from our keys, not stored).
"""

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.hsds import NEEDS_TAXONOMY, normalise_term_name, stable_id
from directory.hsds_export import (
    FIELD_TYPES,
    Row,
    need_codes_of,
    public_rows,
    service_id_of,
    taxonomies,
    terms,
)
from directory.models import Organisation
from geo import Geocoder

HSDS_VERSION = "3.0"
PROFILE = "https://docs.openreferral.org/en/v3.0/"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500


def page(contents: list, total: int, number: int, per_page: int) -> dict:
    total_pages = max(1, math.ceil(total / per_page))
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": number,
        "size": len(contents),
        "first_page": number == 1,
        "last_page": number >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def paged(items: list, number: int, per_page: int, lay_out: Callable = lambda item: item) -> dict:
    chosen = items[(number - 1) * per_page : number * per_page]
    return page([lay_out(item) for item in chosen], len(items), number, per_page)


@dataclass(frozen=True)
class Filters:
    search: str = ""
    taxonomy_term_id: str = ""
    taxonomy_id: str = ""
    organization_id: str = ""


class Feed:
    """One request's view of the published directory."""

    def __init__(
        self,
        session: Session,
        geocoder: Geocoder,
        withheld: Collection[str],
        published: Callable[[Organisation], bool],
    ) -> None:
        self._geocoder = geocoder
        self._withheld = frozenset(withheld)
        query = select(Organisation).order_by(Organisation.id)
        self._organisations = [org for org in session.scalars(query) if published(org)]
        self._by_service = {service_id_of(org): org for org in self._organisations}
        self._by_organization = {stable_id("organization", sid): org for sid, org in self._by_service.items()}
        terms_rows = terms(need_codes_of(self._organisations))
        self._terms = [_typed(row) for row in terms_rows if self._term_published(row)]
        self._terms_by_id = {row["id"]: row for row in self._terms}
        self._taxonomies = [_typed(row) for row in taxonomies()]

    def _term_published(self, row: Row) -> bool:
        return row["taxonomy"] == NEEDS_TAXONOMY or row["code"] not in self._withheld

    def _rows(self, org: Organisation) -> dict[str, list[Row]]:
        return public_rows(org, self._geocoder, self._withheld)

    # Services
    def services(self, filters: Filters, number: int, per_page: int) -> dict:
        chosen = [org for org in self._organisations if self._matches(org, filters)]
        return paged(chosen, number, per_page, self._service_summary)

    def service(self, service_id: str) -> dict | None:
        org = self._by_service.get(service_id)
        return self.full_service(org) if org is not None else None

    def _matches(self, org: Organisation, filters: Filters) -> bool:
        if filters.search and normalise_term_name(filters.search) not in normalise_term_name(
            f"{org.name} {org.description}"
        ):
            return False
        service_id = service_id_of(org)
        if filters.organization_id and stable_id("organization", service_id) != filters.organization_id:
            return False
        if filters.taxonomy_term_id or filters.taxonomy_id:
            linked = [self._terms_by_id.get(row["taxonomy_term_id"]) for row in self._rows(org)["attribute"]]
            linked = [term for term in linked if term is not None]
            if filters.taxonomy_term_id and all(term["id"] != filters.taxonomy_term_id for term in linked):
                return False
            if filters.taxonomy_id and all(term["taxonomy_id"] != filters.taxonomy_id for term in linked):
                return False
        return True

    def _service_summary(self, org: Organisation) -> dict:
        rows = self._rows(org)
        summary = _typed(rows["service"][0])  # the service row holds only its one-to-one fields
        summary["organization"] = _typed(rows["organization"][0])
        return summary

    def full_service(self, org: Organisation) -> dict:
        """A service with everything linked to it, as compiled/service.json describes."""
        rows = self._rows(org)
        service = _typed(rows["service"][0])
        locations = {row["id"]: _typed(row) for row in rows["location"]}
        for location in locations.values():
            location["addresses"] = [
                _typed(row) for row in rows["address"] if row["location_id"] == location["id"]
            ]
        service.update(
            organization=_typed(rows["organization"][0]),
            phones=[_typed(row) for row in rows["phone"]],
            schedules=[_typed(row) for row in rows["schedule"]],
            service_at_locations=[
                {**_typed(row), "location": locations[row["location_id"]]}
                for row in rows["service_at_location"]
            ],
            attributes=[
                {**_typed(row), "taxonomy_term": self._terms_by_id[row["taxonomy_term_id"]]}
                for row in rows["attribute"]
            ],
            contacts=[],
        )
        return service

    # Organizations
    def organizations(self, search: str, number: int, per_page: int) -> dict:
        chosen = [org for org in self._organisations if self._matches(org, Filters(search=search))]
        return paged(chosen, number, per_page, lambda org: _typed(self._rows(org)["organization"][0]))

    def organization(self, organization_id: str) -> dict | None:
        org = self._by_organization.get(organization_id)
        if org is None:
            return None
        rows = self._rows(org)
        organization = _typed(rows["organization"][0])
        organization["services"] = [self._service_summary(org)]
        organization["locations"] = [_typed(row) for row in rows["location"]]
        return organization

    # Taxonomies
    def taxonomies(self, number: int, per_page: int) -> dict:
        return paged(self._taxonomies, number, per_page)

    def taxonomy(self, taxonomy_id: str) -> dict | None:
        return next((row for row in self._taxonomies if row["id"] == taxonomy_id), None)

    def taxonomy_terms(self, taxonomy_id: str, search: str, number: int, per_page: int) -> dict:
        wanted = normalise_term_name(search)
        chosen = [
            row
            for row in self._terms
            if (not taxonomy_id or row["taxonomy_id"] == taxonomy_id)
            and (not wanted or wanted in normalise_term_name(f"{row['code']} {row['name']}"))
        ]
        return paged(chosen, number, per_page)

    def taxonomy_term(self, term_id: str) -> dict | None:
        return self._terms_by_id.get(term_id)


def about(openapi_url: str) -> dict:
    """The answer of `/`: which HSDS version this feed speaks and where its API description is."""
    return {"version": HSDS_VERSION, "profile": PROFILE, "openapi_url": openapi_url}


def _typed(row: Row) -> dict:
    """A row as JSON: empty cells left out, numbers as numbers."""
    return {
        key: _number(value) if key in FIELD_TYPES["number"] else value for key, value in row.items() if value
    }


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value
