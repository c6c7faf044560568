"""Reading the audit log (admins only): who changed what, and when."""

from __future__ import annotations

import datetime as dt
import json

from db import queries

from .access import Actor, require
from .paging import Paged

TABLE_LABELS = {
    "workers": "Pekerja", "sponsors": "Penyandang dana", "sponsorships": "Kepesertaan",
    "contribution_lines": "Iuran bulanan", "payments": "Pembayaran", "payment_allocations": "Alokasi pembayaran",
    "claims": "Klaim", "users": "Pengguna", "user_villages": "Desa operator", "schemes": "Skema",
    "regions": "Wilayah", "sessions": "Sesi masuk", "login": "Percobaan masuk", "letterhead": "Kop surat",
}
ACTION_LABELS = {"insert": "tambah", "update": "ubah", "delete": "hapus", "bulk_insert": "tambah massal",
                 "bulk_update": "ubah massal", "login_failed": "gagal masuk",
                 "login_throttled": "masuk ditolak (terlalu sering)", "first_admin_refused": "penyiapan ditolak",
                 "letterhead_logo": "logo kop surat diganti"}
_SECRET = {"password_hash", "token_hash", "changed_secrets"}


def changes(entry: dict) -> str:
    """Short text of what changed: ``name: Budi → Budi Santoso``; secrets never shown."""
    before = json.loads(entry["before"]) if entry["before"] else {}
    after = json.loads(entry["after"]) if entry["after"] else {}
    if entry["action"] == "update":
        parts = [f"{k}: {before.get(k)} → {after.get(k)}" for k in after
                 if before.get(k) != after.get(k) and k not in ("updated_at", *_SECRET)]
        parts += [f"{k}: (diubah)" for k in after.get("changed_secrets", ())]
        return "; ".join(parts)
    shown = after or before
    return ", ".join(f"{k}={v}" for k, v in shown.items() if k not in _SECRET and v not in (None, "", "{}"))[:300]


def search(db, *, actor: Actor, table: str | None = None, who: str | None = None, since: dt.date | None = None,
           until: dt.date | None = None, page: int = 1, page_size: int = 100):
    require(actor, "audit.read")
    rows, total = queries.search_audit(
        db, table=table, actor=who, since=since.isoformat() if since else None,
        until=(until + dt.timedelta(days=1)).isoformat() if until else None,
        limit=page_size, offset=(max(page, 1) - 1) * page_size,
    )
    for row in rows:
        row["changes"] = changes(row)
    return Paged(rows, total, max(page, 1), page_size)


def actors(db, *, actor: Actor) -> list[str]:
    require(actor, "audit.read")
    return queries.audit_actors(db)
