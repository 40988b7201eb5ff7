"""Open Referral's official HSDS 3.0 JSON schemas (tests/data/hsds/schema-3.0, see its README), and checks of
our exports and API answers against them with jsonschema."""

import csv
import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).resolve().parent / "data" / "hsds" / "schema-3.0"
# The API description names its schemas by their address in Open Referral's repository.
SPEC_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"


@cache
def _registry() -> Registry:
    resources = []
    for path in [*SCHEMA_DIR.glob("*.json"), *SCHEMA_DIR.glob("compiled/*.json")]:
        document = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        name = path.relative_to(SCHEMA_DIR).as_posix()
        resources += [(name, resource), (SPEC_BASE + name, resource)]
    return Registry().with_resources(resources)


def validator(name: str) -> Draft202012Validator:
    """A validator for one schema file, e.g. "service.json" or "compiled/tabular.json"; its $refs resolve to
    the other files."""
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    schema = {"$id": SPEC_BASE + name, **schema}
    return Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())


def errors(name: str, document) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator(name).iter_errors(document)
    ]


def package_document(out_dir: Path) -> dict[str, list[dict]]:
    """A tabular data package as the JSON document compiled/tabular.json describes: one list of rows per
    resource, an empty cell left out (a CSV cannot tell empty from absent), numbers as numbers."""
    descriptor = json.loads((out_dir / "datapackage.json").read_text(encoding="utf-8"))
    document = {}
    for resource in descriptor["resources"]:
        types = {field["name"]: field["type"] for field in resource["schema"]["fields"]}
        with open(out_dir / resource["path"], newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        document[resource["name"]] = [
            {name: float(value) if types[name] == "number" else value for name, value in row.items() if value}
            for row in rows
        ]
    return document


def package_errors(out_dir: Path) -> list[str]:
    return errors("compiled/tabular.json", package_document(out_dir))
