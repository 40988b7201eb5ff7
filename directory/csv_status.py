"""Deactivating and reactivating by CSV: a file whose columns are an id (`id`, the number the directory pages
show, or `external_id`) and `active` changes whether each row's organisation or volunteer is active, and
nothing else: no name or postcode is needed, and no other field is touched (an update file with a blank phone
column would blank the phone). An id the directory does not hold is a row error. Written in batches like any
import (`csv_import._write`)."""

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.csv_import import FALSE, TRUE, Column, RowValidation, ValidRow, columns, write_validated
from directory.hsds import InterchangeReport, RowError, read_csv

KEYS = ("id", "external_id")


def _unused(_text: str, _context) -> dict:
    return {}


STATUS_COLUMNS = columns(
    Column("id", False, _unused, "the number the directory page shows (or use external_id)", "12"),
    Column("external_id", False, _unused, "or your own id, as imported (use one of the two)", ""),
    Column("active", True, _unused, "no to deactivate, yes to reactivate", "no"),
)


def is_status_file(header: Sequence[str]) -> bool:
    """Only an id column (or two) and `active`: a file that changes whether each is active, nothing else."""
    present = {name.strip() for name in header}
    return "active" in present and bool(present & set(KEYS)) and present <= {"active", *KEYS}


def validate_status_rows(
    session: Session,
    model: type,
    header: Sequence[str],
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    source: str,
) -> RowValidation:
    """Each row → a ValidRow whose external_id is the directory id (as text) and whose values set `active`.
    A row names its record by `id` or by `external_id` (one of them filled in)."""
    result = RowValidation()
    rows = list(rows)
    ids = {key: _ids(session, model, key, {_cell(row, key) for _, row in rows}) for key in KEYS}
    seen: dict[int, int] = {}
    for number, row in rows:
        problem = _problem(row, ids, seen)
        if problem:
            result.errors.append(RowError(source, number, *problem))
            continue
        key = "id" if _cell(row, "id") else "external_id"
        entity_id = ids[key][_cell(row, key)]
        seen[entity_id] = number
        result.valid.append(
            ValidRow(number, str(entity_id), {"active": _cell(row, "active").casefold() in TRUE})
        )
    return result


def _cell(row: Mapping[str, str], name: str) -> str:
    return (row.get(name) or "").strip()


def _problem(row: Mapping[str, str], ids: dict[str, dict[str, int]], seen: dict[int, int]) -> tuple | None:
    given = [key for key in KEYS if _cell(row, key)]
    active = _cell(row, "active").casefold()
    if row.get(""):
        return "", "more cells than the header has columns"
    if len(given) != 1:
        return "id", "fill in id or external_id, not both" if given else "required: id or external_id"
    key, text = given[0], _cell(row, given[0])
    if text not in ids[key]:
        return key, f"no record with {key} {text!r} in the directory"
    if active not in TRUE | FALSE:
        return "active", f"{active!r} is not yes or no" if active else "required: yes or no"
    if ids[key][text] in seen:
        return key, f"{text!r} is also on row {seen[ids[key][text]]}"
    return None


def _ids(session: Session, model: type, key: str, wanted: set[str]) -> dict[str, int]:
    wanted = wanted - {""}
    if not wanted:
        return {}
    if key == "id":
        numbers = [int(text) for text in wanted if text.isdigit()]
        found = session.scalars(select(model.id).where(model.id.in_(numbers)))
        return {str(entity_id): entity_id for entity_id in found}
    found = session.execute(select(model.external_id, model.id).where(model.external_id.in_(wanted)))
    return dict(found.all())


def import_status_csv(
    session: Session, model: type, path: Path | str, *, batch_size: int | None = None
) -> InterchangeReport:
    header, rows = read_csv(path)
    validation = validate_status_rows(session, model, header, rows, source=Path(path).name)
    session.rollback()  # the look-ups' transaction: each batch writes in its own
    return write_validated(session, model, Path(path).name, rows, validation, batch_size, set_active)


def set_active(session: Session, model: type, batch: list[ValidRow], counts: InterchangeReport) -> None:
    """Set `active` on the rows the batch names (by directory id), and nothing else."""
    wanted = {int(entry.external_id): entry.values["active"] for entry in batch}
    for row in session.scalars(select(model).where(model.id.in_(wanted))):
        if row.active == wanted[row.id]:
            counts.unchanged += 1
        else:
            row.active = wanted[row.id]
            counts.updated += 1
