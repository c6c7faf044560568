"""Read-only access to Payung's data for rules and panels.

Plugins never see a connection or SQL: they ask a ``DataReader`` questions by name. Each
method delegates to ``db.queries``, where the SQL lives, inside the reader's scope: a
panel shown to a village operator counts only its villages' workers; the reader handed to
rules sees everything (a quota counts the whole scheme).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace

from db import billing, queries
from db.scope import EVERYTHING, Scope

from payung.auth.access import scope_of
from payung.base.coverage import LIVE_STATUSES  # noqa: F401  (read here by finance, enrolment, operations)


class DataReader:
    """What rules and panels may read, by name, inside ``scope`` (the slice of data of the user
    it reads for). Payung hands plugins their readers; a plugin's tests make one with
    ``DataReader.unscoped(db)``, or ``DataReader(db, scope, place=code)`` for a panel of a
    kecamatan or desa chosen on the Beranda (``place``: that code, read by ``area_name``)."""

    def __init__(self, db, scope: Scope | None = None, *, place: str | None = None):
        if scope is None:
            warnings.warn(
                "DataReader(db) without a scope is deprecated since Payung 0.6 (plugin API 1.1) and stops working "
                "in 0.8: write DataReader.unscoped(db) for a reader that sees every row (as the one rules get).",
                DeprecationWarning, stacklevel=2)
            scope = EVERYTHING
        self._db = db
        self.scope = scope
        #: The kecamatan or desa chosen on the Beranda (``scope`` is already cut down to it), or None.
        self.place = place

    @classmethod
    def unscoped(cls, db) -> "DataReader":
        """A reader that sees every row, like the one handed to rules (for tests and tools)."""
        return cls(db, EVERYTHING)

    def region(self, code: str) -> dict | None:
        """The Kemendagri region row of ``code`` (``code``, ``name``, ``level``...), or None."""
        return queries.region(self._db, code)

    def region_name(self, code: str | None) -> str:
        """The name of a region (``""`` when ``code`` is unknown or empty)."""
        row = queries.region(self._db, code) if code else None
        return row["name"] if row else (code or "")

    def sees_whole_regency(self, regency_code: str) -> bool:
        """Whether this reader counts every village of the regency: set a regency-wide target
        beside a panel's figures only then (a village operator's panel shows its villages'
        figures, without the regency's target)."""
        return self.scope.sees_whole_regency(regency_code)

    def area_name(self, regency_code: str) -> str:
        """The area this reader counts inside the regency, named for a panel's text: "Kabupaten
        Pemalang" (the whole regency), "Kecamatan Moga" or "Desa Plakaran" (the kecamatan or desa
        chosen on the Beranda, or a village operator's only village), "wilayah Anda" (a village
        operator's villages), "wilayah Anda di Kecamatan Moga" (some of a chosen kecamatan's
        villages, a village operator's). Write it where a panel would name the regency: with a kecamatan
        chosen, its figures are of that kecamatan only."""
        if self.place:
            row = queries.region(self._db, self.place)
            name = _named(row) if row else self.place
            if row and row["level"] == 3 and self.scope.villages is not None and len(self.scope.villages) < len(
                    queries.regions_in(self._db, self.place, 4)):
                return f"wilayah Anda di {name}"  # a village operator's villages of that kecamatan
            return name
        if self.scope.sees_whole_regency(regency_code):
            return self.region_name(regency_code)
        inside = [v for v in self.scope.villages or () if v.startswith(regency_code + ".")]
        row = queries.region(self._db, inside[0]) if len(inside) == 1 else None
        return _named(row) if row else "wilayah Anda"

    def villages(self, parent_code: str) -> list[dict]:
        """Desa/kelurahan inside a regency or district (those of the scope)."""
        return [v for v in queries.regions_in(self._db, parent_code, 4) if self.scope.covers_village(v["code"])]

    def districts(self, regency_code: str) -> list[dict]:
        """The kecamatan of a regency."""
        return queries.regions_in(self._db, regency_code, 3)

    def count_sponsorships(
        self, scheme_code: str, *, field_equals: dict | None = None, worker_village: str | None = None,
        sponsor_id: int | None = None, sponsor_village: str | None = None, statuses: Sequence[str] = LIVE_STATUSES,
        worker_district: str | None = None, month: str | None = None,
    ) -> int:
        """Live sponsorships of a scheme, filtered on scheme field values (``{"budget_year": 2025}``),
        the worker's village or kecamatan, the sponsor or the sponsor's village, and ``month``
        (``"2025-07"``: only those whose months include it, as a cap counts: a sponsorship whose
        months have ended holds no place even while its status is still "aktif"). In a list
        enrolment it also counts the rows of the list accepted before."""
        return queries.count_sponsorships(
            self._db, scheme_code, field_equals=field_equals, statuses=statuses,
            worker_village=worker_village, sponsor_id=sponsor_id, sponsor_village=sponsor_village,
            worker_district=worker_district, month=month, scope=self.scope,
        )

    def covers_worker(self, scheme_code: str, worker_id: int | None, *, month: str | None = None) -> bool:
        """Whether the worker already holds a live sponsorship of the scheme (in ``month``, if given:
        a renewal or a second sponsor takes no new place under a cap on workers). In a list
        enrolment the rows of the list accepted before count too."""
        return worker_id is not None and queries.covers_worker(
            self._db, scheme_code, worker_id, statuses=LIVE_STATUSES, scope=self.scope, month=month)

    def count_workers(self, scheme_code: str, statuses: Sequence[str] = LIVE_STATUSES, *,
                      worker_village: str | None = None, worker_district: str | None = None,
                      besides: int | None = None, month: str | None = None) -> int:
        """Distinct workers the scheme covers (a renewed worker, or one with two sponsorships, counts
        once), of a village or kecamatan, other than the worker ``besides`` (the one being
        enrolled: renewing a worker adds nobody), in ``month`` if given (see ``count_sponsorships``).
        In a list enrolment it also counts the workers of the rows accepted before."""
        return queries.count_workers(self._db, scheme_code, statuses=statuses, scope=self.scope,
                                     worker_village=worker_village, worker_district=worker_district, besides=besides,
                                     month=month)

    def by_sponsor(self, scheme_code: str, *, month: str | None = None) -> list[dict]:
        """Live sponsorships per sponsor, most workers first: rows ``sponsor_id, name, type, opd,
        village_code, workers, distinct_workers``. With ``month`` (``"2025-07"``), only those whose
        months include it: a panel that names the month it counts passes it (without it, every
        live sponsorship ever registered counts, a renewed worker twice)."""
        return queries.sponsorships_by_sponsor(self._db, scheme_code, LIVE_STATUSES, self.scope, month)

    def by_worker_region(self, scheme_code: str, level: int, field_equals: dict | None = None, *,
                         month: str | None = None) -> list[dict]:
        """Live sponsorships per kecamatan (level 3) or desa (level 4) of the workers: rows ``code,
        name, workers``; with ``month``, only those whose months include it (see ``by_sponsor``)."""
        return queries.sponsorships_by_worker_region(self._db, scheme_code, level, LIVE_STATUSES, field_equals,
                                                     scope=self.scope, month=month)

    def by_field(self, scheme_code: str, key: str, *, month: str | None = None) -> list[dict]:
        """Live sponsorships and their committed Rupiah per value of a scheme field: rows ``value,
        workers, committed``; with ``month``, only those whose months include it (see ``by_sponsor``)."""
        return queries.sponsorships_by_field(self._db, scheme_code, key, LIVE_STATUSES, self.scope, month)

    def count_eligible_uncovered(self, region_prefix: str, month: str, occupations=None) -> int:
        """Active workers of a region (code prefix) who earn no wage and have no line in ``month``
        (of ``occupations`` when given)."""
        return queries.count_eligible_workers(self._db, region_prefix=region_prefix, month=month,
                                              occupations=occupations, scope=self.scope)

    def sponsorships_with_field(self, scheme_code: str, key: str, value) -> list[dict]:
        """The sponsorships of a scheme whose field ``key`` equals ``value``."""
        return queries.sponsorships_with_field(self._db, scheme_code, key, value, self.scope)

    def covered_by_district(self, month: str) -> list[dict]:
        """Protected workers (the month's line paid in full) per kecamatan."""
        return queries.covered_by_district(self._db, month, self.scope)

    def covered_by_scheme(self, month: str) -> list[dict]:
        """Protected workers (the month's line paid in full) per scheme."""
        return queries.covered_by_scheme(self._db, month, self.scope)

    def budget_lines(self, scheme_code: str, year: int | None = None) -> list[dict]:
        """The scheme's budget lines (``category``, ``amount``) with ``committed`` and ``paid``."""
        return billing.budget_lines(self._db, scheme_code, year, scope=self.scope)


def _named(region: dict) -> str:
    """A kecamatan or desa/kelurahan with its kind ("Kecamatan Moga", "Kelurahan Pekuncen"); a
    regency's name says its kind already ("Kabupaten Kendal")."""
    return f"{region['kind'].capitalize()} {region['name']}" if region["level"] >= 3 else region["name"]


def narrowed(db, scope: Scope, district: str | None = None, village: str | None = None) -> Scope:
    """``scope`` cut down to the workers of one district or village (the Beranda's filter), so
    panels and totals follow the filter in force. Without either, ``scope`` itself."""
    if not district and not village:
        return scope
    if village:
        wanted = (village,)
    else:
        wanted = tuple(v["code"] for v in queries.regions_in(db, district, 4))
    inside = tuple(v for v in wanted if scope.covers_village(v))
    return replace(scope, villages=inside)


def reader_for(db, *, actor, district: str | None = None, village: str | None = None) -> DataReader:
    """The reader a page hands to plugin panels: inside the actor's scope (and, on the Beranda,
    inside the district or village chosen there)."""

    return DataReader(db, narrowed(db, scope_of(actor), district, village), place=village or district)
