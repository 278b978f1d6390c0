"""Reading CSV files for the import commands, all-or-nothing.

A file is UTF-8 (a BOM, as Excel writes, is fine). Every row is applied inside one
transaction; problems are collected with their line numbers instead of stopping at the first,
and if there is any problem — or on --dry-run — the transaction is rolled back, so a file with
one bad row changes nothing. Re-running a file that was imported already reports every row
unchanged.
"""

import csv
import datetime as dt
import getpass
import hashlib
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, transaction

from agencies.services import Outcome, RecordError
from audit.services import record_event
from gfms_portal.clock import now


@dataclass(frozen=True)
class Row:
    line: int  # where the record starts in the file (the header is line 1)
    values: dict[str, str]


@dataclass(frozen=True)
class ImportSummary:
    counts: Counter[Outcome]
    rows: int
    sha256: str
    dry_run: bool


class ImportFailed(CommandError):
    """The file was rejected; nothing was changed."""


def read_rows(path: Path, *, required: tuple[str, ...], optional: tuple[str, ...]) -> list[Row]:
    """Parse the whole file or raise ImportFailed naming every structural problem."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFailed(f"cannot read {path}: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportFailed(
            f"{path.name}: line {line}: the file is not UTF-8 (byte 0x{raw[error.start]:02x}). "
            "Save it as 'CSV UTF-8' (in Excel: Save As → CSV UTF-8) and try again."
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise ImportFailed(f"{path.name}: the file is empty") from None
    except csv.Error as error:
        raise ImportFailed(f"{path.name}: line 1: {error}") from None
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name not in required + optional]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if unknown:
        problems.append(
            f"unknown column(s): {', '.join(unknown)} (expected: {', '.join(required + optional)})"
        )
    if duplicated:
        problems.append(f"column(s) given twice: {', '.join(duplicated)}")
    if problems:
        raise ImportFailed(f"{path.name}: line 1 (header): " + "; ".join(problems))
    rows: list[Row] = []
    errors: list[str] = []
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise ImportFailed(f"{path.name}: line {start}: malformed CSV ({error})") from None
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) != len(header):
            errors.append(f"line {line}: {len(cells)} field(s) where the header has {len(header)}")
            continue
        values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        rows.append(
            Row(line=line, values={name: values.get(name, "") for name in required + optional})
        )
    if errors:
        raise ImportFailed(_rejection(path, errors))
    return rows


def _rejection(path: Path, errors: list[str]) -> str:
    return f"{path.name}: {len(errors)} bad row(s); nothing was imported:\n  " + "\n  ".join(errors)


def apply_rows(
    path: Path,
    rows: list[Row],
    apply: Callable[[Row], Outcome],
    *,
    key: Callable[[Row], str],
    dry_run: bool,
    at: dt.datetime,
    audit_action: str,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Apply every row in one transaction; roll back on any problem or on a dry run.

    `key` names the row's identity (a code, a username, a serial) so that a record given twice
    is reported instead of silently applied twice. A successful import writes one audit row
    (`audit_action`) with the file's SHA-256 and the counts.
    """
    counts: Counter[Outcome] = Counter()
    errors: list[tuple[int, str]] = []
    first_seen: dict[str, int] = {}
    summary = ImportSummary(
        counts=counts,
        rows=len(rows),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        dry_run=dry_run,
    )
    with transaction.atomic():
        for row in _with_progress(rows, progress):
            identity = key(row).lower()
            if identity in first_seen:
                errors.append((row.line, f"'{key(row)}' is already on line {first_seen[identity]}"))
                continue
            first_seen[identity] = row.line
            try:
                with transaction.atomic():
                    counts[apply(row)] += 1
            except RecordError as error:
                errors.append((row.line, str(error)))
            except IntegrityError as error:
                # Only the constraint's name: the database's own text can quote stored values.
                constraint = getattr(
                    getattr(error.__cause__, "diag", None), "constraint_name", None
                )
                errors.append(
                    (row.line, f"conflicts with existing data ({constraint or 'a unique value'})")
                )
        if errors:
            transaction.set_rollback(True)
            raise ImportFailed(
                _rejection(path, [f"line {line}: {message}" for line, message in sorted(errors)])
            )
        record_event(
            audit_action,
            at=at,
            actor_label=f"{audit_action} ({getpass.getuser()})",
            data={
                "file": path.name,
                "file_sha256": summary.sha256,
                **{outcome.value: count for outcome, count in counts.items()},
            },
        )
        if dry_run:
            transaction.set_rollback(True)
    return summary


def _with_progress(rows: list[Row], progress: Callable[[int, int], None] | None) -> Iterator[Row]:
    """Report every 1,000 rows on files large enough for anyone to wonder."""
    step = 1000 if progress is not None and len(rows) >= 5000 else 0
    for index, row in enumerate(rows, start=1):
        yield row
        if progress is not None and step and (index % step == 0 or index == len(rows)):
            progress(index, len(rows))


def report(summary: ImportSummary, noun: str) -> str:
    created, updated, unchanged = (
        summary.counts[outcome] for outcome in (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED)
    )
    if summary.dry_run:
        return (
            f"dry run, nothing changed: {summary.rows} {noun}: {created} to create, "
            f"{updated} to update, {unchanged} unchanged"
        )
    return f"{summary.rows} {noun}: {created} created, {updated} updated, {unchanged} unchanged"


class ImportCommand(BaseCommand):
    """A CSV import command: FILE [--dry-run], all-or-nothing, audited, with progress.

    Subclasses name their columns, the column that identifies a row, the audit action and
    the noun to report, and return from `prepare` the function that applies one row.
    """

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    key_column = ""
    audit_action = ""
    noun = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")

    def prepare(self, rows: list[Row], *, path: Path, at: dt.datetime) -> Callable[[Row], Outcome]:
        raise NotImplementedError

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        at = now()
        rows = read_rows(path, required=self.required, optional=self.optional)
        apply = self.prepare(rows, path=path, at=at)
        summary = apply_rows(
            path,
            rows,
            apply,
            key=lambda row: row.values[self.key_column],
            dry_run=bool(options["dry_run"]),
            at=at,
            audit_action=self.audit_action,
            progress=lambda done, total: self.stderr.write(f"  {done:,}/{total:,} rows"),
        )
        self.stdout.write(report(summary, self.noun))
