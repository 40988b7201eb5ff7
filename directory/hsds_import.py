"""Import an Open Referral data package (HSDS 3.0 tabular CSV; HSDS 1.x and Open Referral UK file names are
read too) into the directory.

How HSDS maps to our Organisation rows:
- One Organisation per HSDS *service*: our row is "who provides which needs from where", and an HSDS
  service is the unit that has needs (taxonomy terms), hours, ages and contacts. Its key is
  `external_id = "hsds:<service id>"`, so importing a package again updates its rows, never duplicates them.
- name: "<organisation name> — <service name>" (one of them when the other is missing or the same);
  description: the service's, else the organisation's.
- place: the first of the service's locations (service_at_location order) that lies in a served area, else
  the first with usable coordinates. Coordinates must be real (lat −90..90, lon −180..180) and inside the UK
  box (geo.location.within_uk), otherwise the location row is reported and skipped, never used.
  base_postcode is the location's address postcode (physical before postal), geocoded to find the council
  area (`Areas.for_district`); the location's own coordinates win over the postcode's. base_address is that
  address's address_1 (and address_2, after a comma). Further locations of
  a service are not represented.
- area: a service that cannot be placed in a served area (no location, only skipped locations, no UK
  postcode, or a postcode outside config/areas.yaml) is imported *inactive* with an empty area and reported,
  so staff can review it; matching never sees an inactive organisation.
- active: service status "active" (or blank) and placed in an area.
- services (need codes): the service's taxonomy terms (3.0 attributes, 1.x service_taxonomy rows or the
  taxonomy_ids column) through config/hsds_taxonomy.yaml; unmapped terms are reported, not fatal.
- kind: the mapping file's rules on the organisation's name, else its default (vcs). Coverage: the default
  radius around the place (none without coordinates); capacity: the mapping default.
- opening_hours: weekly schedules (3.0 schedules byday/opens_at/closes_at, 1.x regular_schedules with
  weekday 1 = Monday); none means open at all hours, as everywhere in the directory.
- contacts: the first contact of the service (else of one of its service_at_location rows, else of the
  organisation) gives contact_name and contact_email; contact_phone is its phone, else the public phone.
  public_contact joins the public phone (service, service_at_location, location, organisation), email and
  web address with " · ". Phones must be valid UK numbers (E.164); others are reported and ignored.
- One Route In's own exports carry the remaining fields as attributes (see `directory/hsds.py`); present,
  they win over all of the above (and the description is the service's alone), so export → import
  reproduces the directory.
Organisations missing from a later package are not deactivated; sms_opted_out is never touched. Accepted
rows are written in one transaction.
"""

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
from sqlalchemy.orm import Session
from tqdm import tqdm

from directory.areas import Areas
from directory.hsds import (
    FIELD_TERMS,
    FIELDS_TAXONOMY,
    FIELDS_TAXONOMY_ID,
    ID_PREFIX,
    LIST_SEPARATOR,
    InterchangeReport,
    Package,
    RowError,
    Sessions,
    TaxonomyMapping,
    Term,
    join_name,
    known_need_codes,
    load_taxonomy_mapping,
    opening_hours_from,
    read_package,
    read_schedules,
    upsert_by_external_id,
)
from directory.models import MUTUAL_AID_MODES, ORG_KINDS, Organisation
from directory.phones import InvalidPhone, normalise_phone
from geo import Geocoder, InvalidPostcode, normalise_outcode, normalise_postcode
from geo.location import within_uk

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_TEXT = 200
MAX_PUBLIC_CONTACT = 300
MAX_AGE = 130
UK_COUNTRIES = {"", "gb", "gbr", "uk", "united kingdom", "great britain", "england", "scotland", "wales"}
LINK_COLUMNS = ("service_id", "service_at_location_id", "location_id", "organization_id", "contact_id")
Linked = dict[tuple[str, str], list]  # (link column, id) → linked rows or values


def import_hsds(
    session: Session,
    path: Path | str,
    *,
    geocoder: Geocoder,
    areas: Areas,
    mapping: TaxonomyMapping | Path | str | None = None,
    progress: bool = False,
) -> InterchangeReport:
    package, errors = read_package(path)
    return import_package(
        session, package, errors, geocoder=geocoder, areas=areas, mapping=mapping, progress=progress
    )


def import_package(
    session: Session,
    package: Package,
    errors: list[RowError],
    *,
    geocoder: Geocoder,
    areas: Areas,
    mapping: TaxonomyMapping | Path | str | None = None,
    progress: bool = False,
    before_commit: Callable[[Session, InterchangeReport], None] | None = None,
) -> InterchangeReport:
    """Import tables already read (from files, or from an Open Referral UK feed: `oruk_import.py`).
    `before_commit` adds its writes (the caller's audit event) to the same transaction."""
    need_codes = known_need_codes()
    if mapping is None:
        mapping = load_taxonomy_mapping(need_codes=need_codes)
    elif not isinstance(mapping, TaxonomyMapping):
        mapping = load_taxonomy_mapping(Path(mapping), need_codes)
    report = InterchangeReport(errors=errors)
    if "service" not in package.tables:
        report.errors.append(RowError("services.csv", None, "", "no services table: nothing imported"))
        return report
    reader = _ServiceReader.build(package, geocoder, areas, mapping, need_codes, report.errors)
    planned: dict[str, dict] = {}
    for number, row in tqdm(package.rows("service"), desc="services", unit="service", disable=not progress):
        entry = reader.read(number, row)
        if entry is not None and entry[0] in planned:
            reader.report(number, "id", f"{entry[0]} appears twice: skipped")
            entry = None
        if entry is None:
            report.skipped += 1
        else:
            planned[entry[0]] = entry[1]
    try:
        upsert_by_external_id(session, Organisation, list(planned.items()), report)
        if before_commit is not None:
            before_commit(session, report)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report


@dataclass(frozen=True)
class Place:
    """Where a location is: postcode, coordinates, served area; `problem` says why it has no area."""

    location_id: str
    postcode: str | None
    lat: float | None
    lon: float | None
    area: str | None
    problem: str
    address: str = ""  # address_1 and address_2 of the location's address


@dataclass
class _ServiceReader:
    areas: Areas
    mapping: TaxonomyMapping
    errors: list[RowError]
    source: str
    organisations: dict[str, dict[str, str]]
    places: dict[str, Place]
    locations_of: dict[str, list[str]]  # service id → location ids
    links_of: dict[str, list[str]]  # service id → service_at_location ids
    needs_of: dict[str, list[str]]
    extension_of: dict[str, dict[str, str]]  # service id → our fields, as text
    phones: Linked
    contacts: Linked
    hours: Sessions

    @classmethod
    def build(
        cls,
        package: Package,
        geocoder: Geocoder,
        areas: Areas,
        mapping: TaxonomyMapping,
        need_codes: frozenset[str],
        errors: list[RowError],
    ) -> "_ServiceReader":
        locations_of, links_of = defaultdict(list), defaultdict(list)
        for _, row in package.rows("service_at_location"):
            locations_of[row.get("service_id", "")].append(row.get("location_id", ""))
            links_of[row.get("service_id", "")].append(row.get("id", ""))
        needs_of, extension_of = _service_terms(package, mapping, need_codes, errors)
        return cls(
            areas=areas,
            mapping=mapping,
            errors=errors,
            source=package.source("service"),
            organisations={row.get("id", ""): row for _, row in package.rows("organization")},
            places=locate(package, geocoder, areas, errors),
            locations_of=locations_of,
            links_of=links_of,
            needs_of=needs_of,
            extension_of=extension_of,
            phones=_phones(package, errors),
            contacts=_linked((row, row) for _, row in package.rows("contact")),
            hours=read_schedules(package, errors),
        )

    def report(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(self.source, row, column, message))

    def read(self, number: int, row: dict[str, str]) -> tuple[str, dict] | None:
        service_id = row.get("id", "")
        extension = self.extension_of.get(service_id, {})
        external_id = extension.get("external_id") or f"{ID_PREFIX}{service_id}"
        organisation = self.organisations.get(row.get("organization_id", ""), {})
        org_name = " ".join(organisation.get("name", "").split())
        name = join_name(org_name, " ".join(row.get("name", "").split()))
        if not (service_id and name) or len(external_id) > MAX_TEXT:
            self.report(number, "id", "a service needs an id (of up to 200 characters) and a name: skipped")
            return None
        if row.get("organization_id") and not organisation:
            self.report(number, "organization_id", f"no organization {row['organization_id']}")
        links = [("service_id", service_id)]
        links += [("service_at_location_id", link) for link in self.links_of.get(service_id, [])]
        places = [self.places[i] for i in self.locations_of.get(service_id, []) if i in self.places]
        place = next((p for p in places if p.area), None) or next(
            (p for p in places if p.lat is not None), None
        )
        values = {
            "name": name if len(name) <= MAX_TEXT else name[: MAX_TEXT - 1] + "…",
            "kind": self.mapping.kind_for(org_name or name),
            "area": place.area if place and place.area else "",
            "description": row.get("description")
            or ("" if extension else organisation.get("description", "")),
            "services": self.needs_of.get(service_id, []),
            "coverage_outcodes": [],
            "base_postcode": place.postcode if place else None,
            "base_address": place.address[:MAX_TEXT] if place else "",
            "base_lat": place.lat if place else None,
            "base_lon": place.lon if place else None,
            "radius_km": self.mapping.default_radius_km if place and place.lat is not None else None,
            "capacity": self.mapping.default_capacity,
            "mutual_aid_mode": None,
            "opening_hours": opening_hours_from(s for key in links for s in self.hours.get(key, [])),
            "min_age": self._age(number, row, "minimum_age"),
            "max_age": self._age(number, row, "maximum_age"),
            **self._contact(number, row, organisation, links, place),
        }
        for field, text in extension.items():
            if field != "external_id":
                self._override(number, values, field, text)
        if not values["area"]:
            reason = places[0].problem if places else "it has no usable location"
            self.report(number, "location", f"not in a served area ({reason}): imported inactive, for review")
        if not values["services"]:
            self.report(number, "taxonomy", "no taxonomy term maps to a need code: it will match no need")
        values["active"] = row.get("status", "").casefold() in ("", "active") and bool(values["area"])
        return external_id, values

    def _override(self, number: int, values: dict, field: str, text: str) -> None:
        try:
            values[field] = EXTENSION_READERS[field](text, self.areas)
        except ValueError as exc:
            self.report(number, field, f"{text!r}: {exc}: ignored")

    def _age(self, number: int, row: dict[str, str], column: str) -> int | None:
        try:
            return _whole(row.get(column, ""), 0, MAX_AGE)
        except ValueError:
            self.report(number, column, f"{row[column]!r} is not an age: ignored")
            return None

    def _contact(
        self,
        number: int,
        row: dict[str, str],
        organisation: dict[str, str],
        links: list[tuple[str, str]],
        place: Place | None,
    ) -> dict[str, str]:
        org_link = ("organization_id", organisation.get("id", ""))
        contact = next((c for key in [*links, org_link] for c in self.contacts.get(key, [])), {})
        public_keys = [*links, ("location_id", place.location_id if place else ""), org_link]
        public_phone = next((p for key in public_keys for p in self.phones.get(key, [])), "")
        public_email = self._email(number, row.get("email") or organisation.get("email", ""))
        url = row.get("url") or organisation.get("website") or organisation.get("url", "")
        public = " · ".join(part for part in (_national(public_phone), public_email, url) if part)
        contact_phones = self.phones.get(("contact_id", contact.get("id", "")), [])
        return {
            "contact_name": contact.get("name", "")[:MAX_TEXT],
            "contact_phone": contact_phones[0] if contact_phones else public_phone,
            "contact_email": self._email(number, contact.get("email", "")) or public_email,
            "public_contact": public[:MAX_PUBLIC_CONTACT],
        }

    def _email(self, number: int, text: str) -> str:
        if text and (not EMAIL.fullmatch(text) or len(text) > MAX_TEXT):
            self.report(number, "email", f"{text!r} is not an email address: ignored")
            return ""
        return text


def _choice(allowed: tuple[str, ...], *, optional: bool) -> Callable[[str, Areas], str | None]:
    def read(text: str, _areas: Areas) -> str | None:
        if (text or not optional) and text not in allowed:
            raise ValueError(f"not one of {', '.join(allowed)}")
        return text or None

    return read


def _area(text: str, areas: Areas) -> str:
    """A served area's code, or blank for an organisation not yet placed."""
    if text and text not in areas.by_code:
        raise ValueError("not a served area")
    return text


def _radius(text: str, _areas: Areas) -> float | None:
    value = float(text) if text else None
    if value is not None and not (math.isfinite(value) and value > 0):
        raise ValueError("not a positive number")
    return value


def _text(limit: int) -> Callable[[str, Areas], str]:
    def read(text: str, _areas: Areas) -> str:
        if len(text) > limit:
            raise ValueError(f"longer than {limit} characters")
        return text

    return read


EXTENSION_READERS: dict[str, Callable[[str, Areas], object]] = {
    "kind": _choice(ORG_KINDS, optional=False),
    "area": _area,
    "coverage_outcodes": lambda text, _: [
        normalise_outcode(part) for part in filter(None, map(str.strip, text.split(LIST_SEPARATOR)))
    ],
    "base_postcode": lambda text, _: normalise_postcode(text) if text else None,
    "base_address": _text(MAX_TEXT),
    "radius_km": _radius,
    "capacity": lambda text, _: _whole(text or "blank", 0, 1_000_000),
    "mutual_aid_mode": _choice(MUTUAL_AID_MODES, optional=True),
    "contact_name": _text(MAX_TEXT),
    "contact_phone": lambda text, _: normalise_phone(text),
    "contact_email": _text(MAX_TEXT),
    "public_contact": _text(MAX_PUBLIC_CONTACT),
}


def _whole(text: str, low: int, high: int) -> int | None:
    """A whole number in low..high ("12" or "12.0"), None for blank; ValueError otherwise."""
    if not text:
        return None
    value = float(text)
    if value != int(value) or not low <= value <= high:
        raise ValueError(f"not a whole number from {low} to {high}")
    return int(value)


def _service_terms(
    package: Package, mapping: TaxonomyMapping, need_codes: frozenset[str], errors: list[RowError]
) -> tuple[dict[str, list[str]], dict[str, dict[str, str]]]:
    """Need codes per service id, and our extension fields per service id."""
    needs_by_term: dict[str, tuple[str, ...]] = {}
    field_by_term: dict[str, str] = {}
    for term_id, (source, number, term) in _terms(package).items():
        if term.taxonomy in (FIELDS_TAXONOMY, FIELDS_TAXONOMY_ID) and term.code in FIELD_TERMS:
            field_by_term[term_id] = term.code
            continue
        needs = mapping.needs_for(term, need_codes)
        if needs is None:
            label = f"{term.name!r}" + (f" (code {term.code!r})" if term.code else "")
            message = f"term {label} maps to no need code (see config/hsds_taxonomy.yaml)"
            errors.append(RowError(source, number, "name", message))
        needs_by_term[term_id] = needs or ()
    needs_of: dict[str, list[str]] = defaultdict(list)
    extension_of: dict[str, dict[str, str]] = defaultdict(dict)
    for service_id, term_id, value in _term_links(package):
        if term_id in field_by_term:
            extension_of[service_id][field_by_term[term_id]] = value
        for need in needs_by_term.get(term_id, ()):
            if need not in needs_of[service_id]:
                needs_of[service_id].append(need)
    return needs_of, extension_of


def _terms(package: Package) -> dict[str, tuple[str, int, Term]]:
    """Terms by id, with where they were read. HSDS 1.x keeps its terms in taxonomy.csv."""
    resource = "taxonomy_term" if "taxonomy_term" in package.tables else "taxonomy"
    if package.source(resource) == "taxonomies.csv":  # HSDS 3.0 taxonomies, not terms
        return {}
    terms = {}
    for number, row in package.rows(resource):
        taxonomy = row.get("taxonomy_id") or row.get("taxonomy") or row.get("vocabulary", "")
        if row.get("id"):
            term = Term(row["id"], row.get("code", ""), row.get("name", ""), taxonomy)
            terms[term.id] = (package.source(resource), number, term)
    return terms


def _term_links(package: Package) -> Iterable[tuple[str, str, str]]:
    """(service id, term id, value) in file order."""
    services = {row.get("id", "") for _, row in package.rows("service")}
    for _, row in package.rows("attribute"):
        if row.get("link_id") in services:
            yield row["link_id"], row.get("taxonomy_term_id", ""), row.get("value", "")
    for _, row in package.rows("service_taxonomy"):
        yield row.get("service_id", ""), row.get("taxonomy_term_id") or row.get("taxonomy_id", ""), ""
    for _, row in package.rows("service"):
        for term_id in re.split(r"[,;\s]+", row.get("taxonomy_ids", "")):
            if term_id:
                yield row.get("id", ""), term_id, ""


def _linked(entries: Iterable[tuple[dict[str, str], object]]) -> Linked:
    """Index values by every (link column, id) their row carries."""
    index: Linked = defaultdict(list)
    for row, value in entries:
        for column in LINK_COLUMNS:
            if row.get(column):
                index[(column, row[column])].append(value)
    return index


def _phones(package: Package, errors: list[RowError]) -> Linked:
    valid = []
    for number, row in package.rows("phone"):
        text = row.get("number", "").strip("\"' ")
        try:
            valid.append((row, normalise_phone(text)))
        except InvalidPhone:
            message = f"{text!r} is not a UK phone number: ignored"
            errors.append(RowError(package.source("phone"), number, "number", message))
    return _linked((row, e164) for row, e164 in valid if e164)


def _national(e164: str) -> str:
    if not e164:
        return ""
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)


class _Skip(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def locate(package: Package, geocoder: Geocoder, areas: Areas, errors: list[RowError]) -> dict[str, Place]:
    """Every usable location by id. Rows with impossible or non-UK coordinates are reported and left out."""
    addresses = _addresses(package)
    places = {}
    for number, row in package.rows("location"):
        try:
            if not row.get("id"):
                raise _Skip("id", "a location needs an id")
            coordinates = _coordinates(row)
        except _Skip as skip:
            message = f"{skip}: location skipped"
            errors.append(RowError(package.source("location"), number, skip.column, message))
            continue
        places[row["id"]] = _place(row["id"], coordinates, addresses.get(row["id"]), geocoder, areas, errors)
    return places


def _coordinates(row: dict[str, str]) -> tuple[float, float] | None:
    lat_text, lon_text = row.get("latitude", ""), row.get("longitude", "")
    if not (lat_text or lon_text):
        return None
    if not (lat_text and lon_text):
        raise _Skip("latitude" if lon_text else "longitude", "one coordinate without the other")
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise _Skip("latitude", f"{lat_text!r}, {lon_text!r} are not numbers") from None
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise _Skip("latitude", f"{lat_text} is not a latitude (-90 to 90)")
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise _Skip("longitude", f"{lon_text} is not a longitude (-180 to 180)")
    if not within_uk(lat, lon):
        raise _Skip("latitude", f"{lat_text}, {lon_text} is outside the UK")
    return lat, lon


Address = tuple[str, int, str, str, str]  # source, row, postal code, country, address line(s)


def _addresses(package: Package) -> dict[str, Address]:
    """Each location's address, physical before postal."""
    ranked: list[tuple[int, str, Address]] = []
    for resource in ("address", "physical_address", "postal_address"):
        for number, row in package.rows(resource):
            rank = 1 if resource == "postal_address" or row.get("address_type") == "postal" else 0
            line = ", ".join(part for part in (row.get("address_1", ""), row.get("address_2", "")) if part)
            source = package.source(resource)
            address = (source, number, row.get("postal_code", ""), row.get("country", ""), line)
            ranked.append((rank, row.get("location_id", ""), address))
    chosen: dict[str, Address] = {}
    for _, location_id, address in sorted(ranked, key=lambda entry: entry[0]):
        chosen.setdefault(location_id, address)
    return chosen


def _place(
    location_id: str,
    coordinates: tuple[float, float] | None,
    address: Address | None,
    geocoder: Geocoder,
    areas: Areas,
    errors: list[RowError],
) -> Place:
    lat, lon = coordinates or (None, None)
    if address is None or not address[2]:
        return Place(location_id, None, lat, lon, None, "its location has no postcode")
    source, number, text, country, line = address
    if country.casefold() not in UK_COUNTRIES:
        errors.append(RowError(source, number, "country", f"{country!r} is not in the UK: address ignored"))
        return Place(location_id, None, lat, lon, None, "its address is outside the UK")
    try:
        postcode = normalise_postcode(text)
    except InvalidPostcode as exc:
        errors.append(RowError(source, number, "postal_code", f"{exc}: address ignored"))
        return Place(location_id, None, lat, lon, None, "its location has no UK postcode")
    found = geocoder.geocode(postcode)
    if found is None:
        errors.append(RowError(source, number, "postal_code", f"{postcode} is not a known postcode: ignored"))
        return Place(location_id, None, lat, lon, None, f"{postcode} is not a known postcode")
    area = areas.for_district(found.admin_district_code)
    district = found.admin_district or found.admin_district_code or "an unknown district"
    if coordinates is None:
        lat, lon = found.lat, found.lon
    problem = "" if area else f"{postcode} is in {district}, outside the served areas"
    return Place(location_id, postcode, lat, lon, area.code if area else None, problem, line)
