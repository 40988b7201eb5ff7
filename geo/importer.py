"""Bulk import of a full postcode file into the `postcode` table (`flask --app wsgi geo import PATH`).

Rows are upserted in batches, each batch in its own transaction: a batch that fails is rolled back whole,
its rows are counted as skipped and the failure is listed in the report, and the import carries on.
Re-running an import is idempotent: existing postcodes are updated in place (rows whose values have not
changed are not rewritten), so a re-run after a partial failure fills in what was missing.
"""

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Executable, inspect, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from tqdm import tqdm

from geo.centroids import default_outcode_centroids
from geo.models import Postcode
from geo.sources import Row, open_postcode_file

DEFAULT_BATCH_SIZE = 5000
MAX_LISTED_ERRORS = 1000
EXISTENCE_QUERY_KEYS = 10_000
DUPLICATE_REASON = "postcode repeated in the file: the later row kept"
_UPSERT_DIALECTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@dataclass
class ImportReport:
    """rows_read = imported + updated + skipped. Errors name a file and line (or a failed batch) and why."""

    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    errors_not_listed: int = 0
    seconds: float = 0.0

    def add_errors(self, errors: Iterable[tuple[str, str]]) -> None:
        for error in errors:
            if len(self.errors) < MAX_LISTED_ERRORS:
                self.errors.append(error)
            else:
                self.errors_not_listed += 1

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        error_count = len(self.errors) + self.errors_not_listed
        return (
            f"{self.rows_read:,} rows read: {self.imported:,} imported, {self.updated:,} updated, "
            f"{self.skipped:,} skipped, {error_count:,} errors in {self.seconds:.1f} s "
            f"({self.rows_per_second:,.0f} rows/s)"
        )


def import_postcodes(
    session_factory: Callable[[], Session],
    path: Path | str,
    progress: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    source: str | None = None,
) -> ImportReport:
    """Load a Code-Point Open zip or a derived postcode CSV (plain or gzipped) into the `postcode` table.

    `source` overrides the provenance label stored on each row (default: the Code-Point version, or the
    CSV's `source` column or file name). The progress bar goes to stderr.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.perf_counter()
    postcode_file = open_postcode_file(Path(path), default_outcode_centroids().district_names, source)
    upsert = _upsert_statement(_checked_dialect(session_factory))
    report = ImportReport()
    pending: dict[str, Row] = {}
    with tqdm(
        total=postcode_file.size,
        desc=f"import {postcode_file.description}",
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        disable=not progress,
    ) as bar:
        for chunk in postcode_file.chunks:
            report.rows_read += chunk.rows_read
            report.skipped += chunk.skipped
            report.add_errors(chunk.errors)
            for row in chunk.rows:
                if pending.pop(row["postcode"], None) is not None:
                    report.skipped += 1
                    report.add_errors([(str(row["postcode"]), DUPLICATE_REASON)])
                pending[row["postcode"]] = row
                if len(pending) >= batch_size:
                    _write_batch(session_factory, upsert, pending, report)
                    pending = {}
            bar.update(chunk.position - bar.n)
            bar.set_postfix(rows=f"{report.rows_read:,}", refresh=False)
        if pending:
            _write_batch(session_factory, upsert, pending, report)
    report.seconds = time.perf_counter() - started
    return report


def _checked_dialect(session_factory: Callable[[], Session]) -> str:
    with session_factory() as session:
        connection = session.connection()
        dialect = connection.dialect.name
        if dialect not in _UPSERT_DIALECTS:
            raise ValueError(f"postcode import supports SQLite and PostgreSQL, not {dialect}")
        if not inspect(connection).has_table(Postcode.__tablename__):
            raise RuntimeError("the postcode table does not exist: run the database migrations first")
    return dialect


def _upsert_statement(dialect: str) -> Executable:
    table = Postcode.__table__
    insert = _UPSERT_DIALECTS[dialect](table)
    changing = [column.name for column in table.columns if not column.primary_key]
    return insert.on_conflict_do_update(
        index_elements=[table.c.postcode],
        set_={name: insert.excluded[name] for name in changing},
        where=or_(*(table.c[name].is_distinct_from(insert.excluded[name]) for name in changing)),
    )


def _write_batch(
    session_factory: Callable[[], Session], upsert: Executable, rows: dict[str, Row], report: ImportReport
) -> None:
    postcodes = list(rows)
    try:
        with session_factory() as session, session.begin():
            existing = _count_existing(session, postcodes)
            session.execute(upsert, list(rows.values()))
    except SQLAlchemyError as error:
        report.skipped += len(rows)
        cause = getattr(error, "orig", None) or error
        report.add_errors(
            [
                (
                    f"batch {postcodes[0]} … {postcodes[-1]}",
                    f"{len(rows):,} rows rolled back: {type(cause).__name__}: {cause}",
                )
            ]
        )
        return
    report.updated += existing
    report.imported += len(rows) - existing


def _count_existing(session: Session, postcodes: list[str]) -> int:
    return sum(
        len(session.scalars(select(Postcode.postcode).where(Postcode.postcode.in_(keys))).all())
        for keys in (
            postcodes[start : start + EXISTENCE_QUERY_KEYS]
            for start in range(0, len(postcodes), EXISTENCE_QUERY_KEYS)
        )
    )
