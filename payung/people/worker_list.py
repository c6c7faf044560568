"""The Pekerja list as a spreadsheet: what the actor sees on screen, every page of it.

Streamlit's own table download is off (``[client] disableDataExport``): it could not be logged,
and a list carries NIKs. This one is: each download is an ``export`` entry in the audit log
with the search and the workers it held (UU PDP: who took whose data out of Payung). The NIKs
are those the actor sees on a worker's page (full; a masked role's stay masked), where the list
on screen masks them all, and the rows those its scope reaches, by the same search as the page
(``search_workers``).
"""

from __future__ import annotations

import datetime as dt

from db import store

from payung.auth.access import Actor, require
from payung.base.coverage import STATUS_LABELS
from payung.base.errors import Problem, ValidationError
from payung.base.formats import count
from payung.base.spreadsheets import xlsx_bytes
from payung.people.workers import search_workers
from payung.schemes.registry import PluginRegistry

#: The most workers one download holds: a kecamatan's list, not a regency's whole registry (the
#: file is made in the server while others wait; a whole registry is a backup, Cadangan).
MAX_ROWS = 20_000
HEADERS = ("NIK", "Nama", "Desa/Kel.", "Kecamatan", "Pekerjaan", "Skema", "Status bulan ini")


def too_many(total: int) -> str | None:
    """Why a list of ``total`` workers cannot be downloaded at once, or None."""
    if total <= MAX_ROWS:
        return None
    return (f"Daftar ini berisi {count(total)} pekerja; satu unduhan paling banyak {count(MAX_ROWS)}. "
            "Persempit pencarian (nama atau pekerjaan), lalu unduh lagi.")


def workers_xlsx(db, registry: PluginRegistry, *, actor: Actor, text: str = "", occupation: str | None = None,
                 include_inactive: bool = False, region: str | None = None,
                 today: dt.date | None = None) -> tuple[bytes, int]:
    """The list the search gives the actor, as .xlsx, and its row count; logged as an export."""
    require(actor, "worker.read")
    found = search_workers(db, registry.settings, actor=actor, text=text, occupation=occupation,
                           include_inactive=include_inactive, region=region, page=1, page_size=MAX_ROWS,
                           today=today, for_export=True)
    if problem := too_many(found.total):
        raise ValidationError(Problem("export", problem, "export_too_big"))
    occupations = registry.settings.occupations
    names = {code: scheme.name for code, scheme in registry.schemes.items()}
    data = xlsx_bytes([("Pekerja", HEADERS, (
        (r["nik"], r["name"], r["village"], r["district"], occupations.get(r["occupation"], r["occupation"]),
         names.get(r["scheme_code"], r["scheme_code"] or "-"), STATUS_LABELS[r["status"]]) for r in found.rows))])
    with store.transaction(db):
        store.audit(db, actor.username, "export", "workers", None, None, {
            "note": "daftar pekerja", "search": text or "", "occupation": occupation,
            "include_inactive": include_inactive, "region": region, "rows": len(found.rows), "worker_ids": [r["id"] for r in found.rows],
        })
    return data, len(found.rows)
