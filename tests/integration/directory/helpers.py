"""The HSDS packages in tests/data/hsds, and ways to compare what an import left in the directory."""

import csv
from pathlib import Path

from sqlalchemy import select

from directory.models import Organisation

HSDS_DATA = Path(__file__).resolve().parents[2] / "data" / "hsds"
OFFICIAL_3_0 = HSDS_DATA / "openreferral-3.0"
SAMPLE_1_1 = HSDS_DATA / "sample-1.1"
UK_FICTIONAL = HSDS_DATA / "uk-fictional"
UNCOMPARED = {"id", "created_at", "updated_at"}


def snapshot(session, model: type = Organisation) -> dict[str, dict]:
    """Every row by external_id, with every field but the database's own."""
    session.rollback()
    columns = [column.key for column in model.__table__.columns if column.key not in UNCOMPARED]
    rows = session.scalars(select(model).order_by(model.external_id)).all()
    return {row.external_id: {name: getattr(row, name) for name in columns} for row in rows}


def messages(report) -> list[str]:
    return [str(error) for error in report.errors]


def write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    """A CSV file whose header is every key the rows use, in first-seen order; missing cells are blank."""
    header = list(dict.fromkeys(key for row in rows for key in row))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path
