"""Export the directory as an HSDS 3.0 tabular data package: one CSV per resource, with the official column
names and order, and a datapackage.json that lists them.

Each Organisation row becomes one HSDS organization with one service, at one location when it has a base
(postcode → addresses.csv, coordinates → locations.csv), linked by service_at_location. The name splits back
into organisation and service at " — " (the inverse of the import's join). Service ids are the HSDS ids the
row was imported with ("hsds:<uuid>"), else stable UUIDs derived from the external_id, so exporting the same
directory twice gives the same package. Rows without an external_id get one from their database id; importing
the package elsewhere keys them "hsds:<that id>", and importing it back here adds them a second time.

Need codes are attributes linking the service to terms of the "one-route-in-needs" taxonomy; the fields
HSDS has no lossless column for travel as attributes of "one-route-in-fields" (see `directory/hsds.py`).
The package therefore holds the referral contacts (contact_name, contact_phone, contact_email) as well as
the public ones: share it with partners under the council's data-sharing agreement, do not publish it.
Volunteers are never exported.

Addresses: an organisation's address row is written only when it is complete as HSDS requires it: its
address line (base_address, building and street) as address_1, the postcode's local authority district as
city and its nation (England, Wales, Scotland, Northern Ireland, from the ONS district code) as
state_province, both from the geocoder. Nothing is made up to fill a gap: an organisation with a postcode but
no address line (or a postcode the geocoder does not place) has its location and coordinates without an
address row, and its postcode and address line travel as attributes, so the import still gets them back.
`public_rows` (for the public Open Referral UK feed, `directory/oruk.py`) leaves out the referral contacts
and the attributes that are not for the public.
"""

import contextlib
import json
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.hsds import (
    FIELD_TERMS,
    FIELDS_TAXONOMY,
    FIELDS_TAXONOMY_ID,
    ID_PREFIX,
    LIST_SEPARATOR,
    NEEDS_TAXONOMY,
    NEEDS_TAXONOMY_ID,
    ExportReport,
    extension_term_id,
    known_need_codes,
    schedule_rows,
    split_name,
    stable_id,
)
from directory.models import Organisation
from directory.phones import InvalidPhone, normalise_phone
from geo import Geocoder, InvalidPostcode
from geo.location import Location
from safe_text import cells

# name: (file, columns as in the HSDS 3.0 datapackage.json, foreign keys column → resource)
RESOURCES: dict[str, tuple[str, str, dict[str, str]]] = {
    "organization": (
        "organizations.csv",
        "id name alternate_name description email website tax_status tax_id year_incorporated legal_status "
        "logo uri parent_organization_id",
        {},
    ),
    "service": (
        "services.csv",
        "id organization_id program_id name alternate_name description url email status "
        "interpretation_services application_process fees_description wait_time fees accreditations "
        "eligibility_description minimum_age maximum_age assured_date assurer_email licenses alert "
        "last_modified",
        {"organization_id": "organization"},
    ),
    "location": (
        "locations.csv",
        "id location_type url organization_id name alternate_name description transportation latitude "
        "longitude external_identifier external_identifier_type",
        {"organization_id": "organization"},
    ),
    "service_at_location": (
        "service_at_location.csv",
        "id service_id location_id description",
        {"service_id": "service", "location_id": "location"},
    ),
    "address": (
        "addresses.csv",
        "id location_id attention address_1 address_2 city region state_province postal_code country "
        "address_type",
        {"location_id": "location"},
    ),
    "contact": (
        "contacts.csv",
        "id organization_id service_id service_at_location_id location_id name title department email",
        {"service_id": "service"},
    ),
    "phone": (
        "phones.csv",
        "id location_id service_id organization_id contact_id service_at_location_id number extension type "
        "description",
        {"service_id": "service", "contact_id": "contact"},
    ),
    "schedule": (
        "schedules.csv",
        "id service_id location_id service_at_location_id valid_from valid_to dtstart timezone until count "
        "wkst freq interval byday byweekno bymonthday byyearday description opens_at closes_at "
        "schedule_link attending_type notes",
        {"service_id": "service"},
    ),
    "taxonomy": ("taxonomies.csv", "id name description uri version", {}),
    "taxonomy_term": (
        "taxonomy_terms.csv",
        "id code name description parent_id taxonomy language taxonomy_id term_uri",
        {"taxonomy_id": "taxonomy"},
    ),
    "attribute": (
        "attributes.csv",
        "id link_id taxonomy_term_id link_type link_entity value",
        {"taxonomy_term_id": "taxonomy_term"},
    ),
}
FIELD_TYPES = {
    "number": {"latitude", "longitude", "minimum_age", "maximum_age", "extension", "year_incorporated"},
    "time": {"opens_at", "closes_at"},
}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PUBLIC_CONTACT_SEPARATORS = re.compile(r"\s*[·|;,\n]\s*")

Row = dict[str, str]


class ExportError(RuntimeError):
    """The package could not be written (a full disk, a folder that cannot be written); nothing was left."""


def export_hsds(session: Session, out_dir: Path | str, *, geocoder: Geocoder) -> ExportReport:
    """Write the package into `out_dir`, whole or not at all: every file is written under a temporary name
    and renamed into place only once all are written, so a full disk or an unwritable folder leaves neither
    a partial file nor a package with some files from this export and some from an older one."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the folder {out}: {exc.strerror or exc}") from exc
    tables: dict[str, list[Row]] = {name: [] for name in RESOURCES}
    organisations = session.scalars(select(Organisation).order_by(Organisation.id)).all()
    tables["taxonomy"] = taxonomies()
    tables["taxonomy_term"] = terms(need_codes_of(organisations))
    for org in organisations:
        for name, rows in organisation_rows(org, geocoder).items():
            tables[name].extend(rows)
    report = ExportReport(out, organisations=len(organisations))
    written: list[tuple[Path, Path]] = []  # (temporary, final)
    try:
        for name, (file, columns, _) in RESOURCES.items():
            written.append((_partial(out / file), out / file))
            _write_csv(written[-1][0], columns.split(), tables[name])
            report.files[file] = len(tables[name])
        written.append((_partial(out / "datapackage.json"), out / "datapackage.json"))
        descriptor = json.dumps(_descriptor(), indent=2) + "\n"
        written[-1][0].write_text(descriptor, encoding="utf-8")
        for partial, final in written:
            partial.replace(final)
    except OSError as exc:
        for partial, _final in written:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
        where = exc.filename or out
        raise ExportError(
            f"the HSDS package could not be written to {out} ({exc.strerror or exc}: {where}); "
            "the partial files were removed, and any package already there is as it was"
        ) from exc
    return report


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def service_id_of(org: Organisation) -> str:
    imported = (org.external_id or "").removeprefix(ID_PREFIX)
    if org.external_id and org.external_id.startswith(ID_PREFIX) and _is_uuid(imported):
        return imported
    return stable_id("organisation", org.external_id or f"id:{org.id}")


def need_codes_of(organisations: Iterable[Organisation]) -> list[str]:
    return sorted(set(known_need_codes()).union(*(org.services for org in organisations)))


def public_rows(org: Organisation, geocoder: Geocoder, withheld: Iterable[str]) -> dict[str, list[Row]]:
    """An organisation's rows without its referral contacts (contact rows and their phones) and without the
    attributes of the withheld fields (for the public feed)."""
    rows = organisation_rows(org, geocoder)
    private_terms = {extension_term_id(FIELDS_TAXONOMY, name) for name in withheld}
    rows["contact"] = []
    rows["phone"] = [row for row in rows["phone"] if not row["contact_id"]]
    rows["attribute"] = [row for row in rows["attribute"] if row["taxonomy_term_id"] not in private_terms]
    return rows


def district_of(org: Organisation, geocoder: Geocoder) -> Location | None:
    """Where the organisation's base postcode is, when the geocoder knows its district and nation."""
    if not org.base_postcode:
        return None
    try:
        found = geocoder.geocode(org.base_postcode)
    except InvalidPostcode:
        return None
    return found if found is not None and found.admin_district and found.nation else None


def organisation_rows(org: Organisation, geocoder: Geocoder) -> dict[str, list[Row]]:
    service_id = service_id_of(org)
    organization_id = stable_id("organization", service_id)
    org_name, service_name = split_name(org.name)
    public_phones, public_email, url = _public_parts(org.public_contact)
    rows: dict[str, list[Row]] = {name: [] for name in RESOURCES}
    rows["organization"].append(
        {
            "id": organization_id,
            "name": org_name,
            "description": org.description or org_name,  # required by HSDS; the import reads the service's
            "email": public_email,
            "website": url,
        }
    )
    rows["service"].append(
        {
            "id": service_id,
            "organization_id": organization_id,
            "name": service_name,
            "description": org.description,
            "url": url,
            "email": public_email,
            "status": "active" if org.active else "inactive",
            "minimum_age": _text(org.min_age),
            "maximum_age": _text(org.max_age),
        }
    )
    if org.base_postcode or org.base_lat is not None:
        location_id = stable_id("location", service_id)
        rows["location"].append(
            {
                "id": location_id,
                "location_type": "physical",
                "organization_id": organization_id,
                "name": org.name,
                "latitude": _text(org.base_lat),
                "longitude": _text(org.base_lon),
            }
        )
        link = {"id": stable_id("service_at_location", service_id), "service_id": service_id}
        rows["service_at_location"].append(link | {"location_id": location_id})
        district = district_of(org, geocoder) if org.base_address else None
        if district is not None:
            rows["address"].append(
                {
                    "id": stable_id("address", service_id),
                    "location_id": location_id,
                    "address_1": org.base_address,
                    "city": district.admin_district or "",
                    "state_province": district.nation or "",
                    "postal_code": org.base_postcode or "",
                    "country": "GB",
                    "address_type": "physical",
                }
            )
    if org.contact_name or org.contact_email or org.contact_phone:
        contact_id = stable_id("contact", service_id)
        rows["contact"].append(
            {"id": contact_id, "service_id": service_id, "name": org.contact_name, "email": org.contact_email}
        )
        if org.contact_phone:
            rows["phone"].append(
                _phone(stable_id("phone", service_id, "contact"), org.contact_phone, contact_id)
            )
    for index, number in enumerate(public_phones):
        rows["phone"].append(_phone(stable_id("phone", service_id, str(index)), number, None, service_id))
    for index, (byday, opens, closes) in enumerate(schedule_rows(org.opening_hours)):
        rows["schedule"].append(
            {
                "id": stable_id("schedule", service_id, str(index)),
                "service_id": service_id,
                "freq": "WEEKLY",
                "byday": byday,
                "opens_at": opens,
                "closes_at": closes,
            }
        )
    rows["attribute"] = [_attribute(service_id, NEEDS_TAXONOMY, code, "") for code in org.services]
    rows["attribute"] += [
        _attribute(service_id, FIELDS_TAXONOMY, name, _text(getattr(org, name)))
        for name in FIELD_TERMS
        if name != "external_id" or org.external_id
    ]
    return rows


def _public_parts(public_contact: str) -> tuple[list[str], str, str]:
    """Phones, the first email and the first web address in a "020 7946 0100 · a@b.org · https://…" text."""
    phones, emails, urls = [], [], []
    for part in filter(None, PUBLIC_CONTACT_SEPARATORS.split(public_contact or "")):
        if EMAIL.fullmatch(part):
            emails.append(part)
        elif part.startswith(("http://", "https://", "www.")):
            urls.append(part)
        else:
            try:
                phones.append(normalise_phone(part))
            except InvalidPhone:
                continue
    return phones, next(iter(emails), ""), next(iter(urls), "")


def _phone(phone_id: str, number: str, contact_id: str | None, service_id: str | None = None) -> Row:
    links = {"contact_id": contact_id or "", "service_id": service_id or ""}
    return {"id": phone_id, **links, "number": number, "type": "voice"}


def _attribute(service_id: str, taxonomy: str, code: str, value: str) -> Row:
    return {
        "id": stable_id("attribute", service_id, taxonomy, code),
        "link_id": service_id,
        "taxonomy_term_id": extension_term_id(taxonomy, code),
        "link_type": taxonomy,
        "link_entity": "service",
        "value": value,
    }


def taxonomies() -> list[Row]:
    return [
        {
            "id": NEEDS_TAXONOMY_ID,
            "name": NEEDS_TAXONOMY,
            "description": "One Route In need codes: what a resident needs help with",
            "version": "1",
        },
        {
            "id": FIELDS_TAXONOMY_ID,
            "name": FIELDS_TAXONOMY,
            "description": "One Route In directory fields that HSDS has no column for, in the value",
            "version": "1",
        },
    ]


def terms(need_codes: Iterable[str]) -> list[Row]:
    entries = [(NEEDS_TAXONOMY, NEEDS_TAXONOMY_ID, code, "need") for code in need_codes]
    entries += [(FIELDS_TAXONOMY, FIELDS_TAXONOMY_ID, name, "directory field") for name in FIELD_TERMS]
    return [
        {
            "id": extension_term_id(taxonomy, code),
            "code": code,
            "name": code.replace("_", " ").capitalize(),
            "description": f"One Route In {what}: {code}",
            "taxonomy": taxonomy,
            "language": "en",
            "taxonomy_id": taxonomy_id,
        }
        for taxonomy, taxonomy_id, code, what in entries
    ]


def _descriptor() -> dict:
    resources = []
    for name, (file, columns, foreign_keys) in RESOURCES.items():
        fields = [{"name": column, "type": _type(column)} for column in columns.split()]
        schema: dict = {"fields": fields, "primaryKey": "id"}
        if foreign_keys:
            schema["foreignKeys"] = [
                {"fields": column, "reference": {"resource": target, "fields": "id"}}
                for column, target in foreign_keys.items()
            ]
        resources.append(
            {
                "name": name,
                "path": file,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "profile": "tabular-data-resource",
                "schema": schema,
            }
        )
    return {
        "name": "one-route-in-directory",
        "title": "One Route In directory",
        "description": "Human Services Data Specification (HSDS) 3.0 tabular export of a One Route In "
        "directory. Need codes and directory fields are attributes of the one-route-in taxonomies.",
        "profile": "tabular-data-package",
        "homepage": "https://openreferral.org/",
        "resources": resources,
    }


def _type(column: str) -> str:
    return next((kind for kind, columns in FIELD_TYPES.items() if column in columns), "string")


def _write_csv(path: Path, columns: list[str], rows: list[Row]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = cells.DictWriter(handle, fieldnames=columns, extrasaction="raise")
        writer.writeheader()
        writer.writerows({column: row.get(column, "") for column in columns} for row in rows)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return repr(value) if isinstance(value, float) else str(value)


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False
