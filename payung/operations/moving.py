"""Moving up (``python -m payung pindah postgresql://...``): a regency's SQLite database copied
into a province's PostgreSQL, then ``payung check`` on both sides and every figure compared.

The target must be empty (migrated by this command if it is new): nothing already there is
overwritten or mixed in. The copy is one transaction on the target: a failure leaves it as it
was. The source is only read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import db as database
from db import transfer

from payung.base.errors import PayungError
from payung.operations.checks import Report, run_checks


class MoveRefused(PayungError):
    """The move cannot start (the target is not PostgreSQL, not empty...): nothing was written."""


@dataclass
class MoveReport:
    """What was copied, each side's check, and every figure that differs (none: a good move)."""
    copied: dict[str, int]
    source_check: Report
    target_check: Report
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences and self.source_check.ok and self.target_check.ok


def filled_words(filled: dict[str, int]) -> str:
    """``transfer.filled_tables`` in words: "regions: 1525 baris, workers: 3 baris"."""
    return ", ".join(f"{t}: {n} baris" for t, n in sorted(filled.items()))


def move(source_location: str, target_url: str, *, busy_timeout_ms: int = 10000) -> MoveReport:
    """Copy the database of ``source_location`` into the PostgreSQL database ``target_url``
    (created empty beforehand by its administrator), check both and compare."""
    if database.engine_of(target_url) != "postgresql":
        raise MoveRefused("Tujuan pindah harus basis data PostgreSQL (postgresql://...).")
    if database.engine_of(source_location) != "sqlite":
        raise MoveRefused("Sumber pindah harus basis data SQLite (berkas .db).")
    source = database.open_database(source_location, busy_timeout_ms=busy_timeout_ms, upgrade=False)
    try:
        if database.migrations.pending(source):
            raise MoveRefused("Basis data sumber belum diperbarui ke versi Payung ini: jalankan dulu "
                              "'python -m payung init' padanya.")
        target = database.open_database(target_url, busy_timeout_ms=busy_timeout_ms)
        try:
            filled = transfer.filled_tables(target)
            if filled:
                raise MoveRefused(f"Basis data tujuan tidak kosong ({filled_words(filled)}); pindah hanya "
                                  "ke basis data baru.")
            copied = transfer.copy_tables(source, target)
            return compare(source, target, copied)
        finally:
            target.close()
    finally:
        source.close()


def compare(source, target, copied: dict[str, int] | None = None) -> MoveReport:
    """``payung check`` on both databases, and every figure of both compared: each check's
    counts, each table's rows and the digest of its contents."""
    report = MoveReport(copied or {}, run_checks(source), run_checks(target))
    for mine, theirs in zip(report.source_check.results, report.target_check.results, strict=False):
        if mine.name.endswith("_check"):
            continue  # the file's own checks: pages of a file against a server's
        if (mine.name, mine.checked, mine.differences) != (theirs.name, theirs.checked, theirs.differences):
            report.differences.append(f"{mine.name}: {mine.line()} / {theirs.line()}")
    counts, copies = transfer.rows_in(source), transfer.rows_in(target)
    for table in sorted(set(counts) | set(copies)):
        if counts.get(table) != copies.get(table):
            report.differences.append(f"{table}: {counts.get(table)} baris / {copies.get(table)} baris")
            continue
        columns = transfer.columns_of(source, table)
        if transfer.table_digest(source, table, columns) != transfer.table_digest(target, table, columns):
            report.differences.append(f"{table}: isi berbeda")
    return report
