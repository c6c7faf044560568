"""Reading the audit log (admins only): who changed what, and when."""

from __future__ import annotations

import datetime as dt
import json

from db import queries
from db.store import DERIVED_COLUMNS

from payung.auth.access import ROLES, Actor, require
from payung.base import formats
from payung.base.formats import local_day_start
from payung.base.identity import GENDERS
from payung.base.paging import Paged

TABLE_LABELS = {
    "workers": "Pekerja", "sponsors": "Penyandang dana", "sponsorships": "Kepesertaan",
    "contribution_lines": "Iuran bulanan", "payments": "Pembayaran", "payment_allocations": "Alokasi pembayaran",
    "claims": "Klaim", "users": "Pengguna", "user_villages": "Desa operator", "schemes": "Skema",
    "regions": "Wilayah", "sessions": "Sesi masuk", "login": "Percobaan masuk", "letterhead": "Kop surat",
    "letterheads": "Kop surat", "budget_lines": "Pos anggaran", "import_log": "Impor data",
}
ACTION_LABELS = {"insert": "tambah", "update": "ubah", "delete": "hapus", "bulk_insert": "tambah massal",
                 "bulk_update": "ubah massal", "login_failed": "gagal masuk",
                 "login_throttled": "masuk ditolak (terlalu sering)",
                 "login_address_throttled": "masuk ditolak (alamat jaringan terlalu sering gagal)",
                 "first_admin_refused": "penyiapan ditolak",
                 "letterhead_logo": "logo kop surat diganti", "export": "unduh data",
                 "nik_elsewhere": "NIK wilayah lain dicek", "nip_elsewhere": "NIP wilayah lain dicek",
                 "kpj_elsewhere": "KPJ wilayah lain dicek"}
_SECRET = {"password_hash", "token_hash", "changed_secrets"}
#: What a stored column is called on screen. A column not listed keeps its name.
FIELD_LABELS = {
    "id": "Nomor", "name": "Nama", "nik": "NIK", "nip": "NIP", "kpj": "KPJ", "username": "Nama pengguna",
    "role": "Peran", "email": "Email", "active": "Aktif", "regency_code": "Kabupaten", "district_code": "Kecamatan",
    "village_code": "Desa/kelurahan", "birth_place": "Tempat lahir", "birth_date": "Tanggal lahir",
    "gender": "Jenis kelamin", "phone": "No. HP/WA", "address": "Alamat", "occupation": "Pekerjaan",
    "declared_income": "Penghasilan", "poverty_flag": "Terdaftar miskin", "poverty_source": "Sumber data kemiskinan",
    "wage_earner": "Penerima upah", "type": "Jenis", "opd": "OPD", "scheme_code": "Skema", "sponsor_id": "Penyandang dana",
    "worker_id": "Pekerja", "start_month": "Bulan mulai", "end_month": "Bulan akhir", "months": "Lama (bulan)",
    "programs": "Program", "payment_period": "Periode bayar", "monthly_amount": "Iuran per bulan", "status": "Status",
    "fields": "Isian skema", "bpjs_note": "Catatan BPJS", "amount": "Jumlah", "paid_amount": "Dibayar",
    "paid_on": "Tanggal bayar", "from_month": "Dari bulan", "to_month": "Sampai bulan", "reference": "Referensi",
    "scheme_version": "Versi skema", "retired_at": "Dipensiunkan", "retired_by": "Dipensiunkan oleh",
    "party_label": "Pihak", "party_kind": "Jenis pihak", "party_key": "Kode pihak", "recorded_at": "Dicatat",
    "recorded_by": "Dicatat oleh", "reversed_at": "Dibatalkan", "reversed_by": "Dibatalkan oleh",
    "reversal_reason": "Alasan pembatalan", "created_at": "Dibuat", "created_by": "Dibuat oleh",
    "updated_at": "Diubah", "expires_at": "Berakhir", "last_seen_at": "Terakhir aktif", "ended_at": "Diakhiri",
    "ended_reason": "Alasan diakhiri", "ip_address": "Alamat IP", "user_agent": "Peramban", "user_id": "Pengguna",
    "year": "Tahun", "source": "Sumber dana", "category": "Kategori", "program": "Program",
    "incident_date": "Tanggal kejadian", "benefit_amount": "Manfaat", "government": "Pemerintah",
    "office": "Nama kantor", "official": "Pejabat", "official_title": "Jabatan", "month": "Bulan",
    "file": "Berkas", "bytes": "Ukuran (byte)", "rows": "Baris", "note": "Catatan", "ip": "Alamat IP",
    "reason": "Alasan", "jkk": "JKK", "jkm": "JKM", "jht": "JHT", "password_hash": "Kata sandi",
    "token_hash": "Kode sesi", "metadata": "Uraian skema", "plugin": "Berkas skema",
    # What a bulk write or a set-based change records (``db.store.bulk_insert`` / ``execute``).
    "count": "Banyaknya", "first_id": "Nomor pertama", "last_id": "Nomor terakhir", "change": "Perubahan",
    "payment_id": "Pembayaran", "sponsorship_id": "Kepesertaan", "line_id": "Baris iuran",
    "budget_line_id": "Pos anggaran", "kept_session": "Sesi yang tetap", "web": "Dari halaman",
}
_MONEY = {"declared_income", "monthly_amount", "amount", "paid_amount", "benefit_amount", "jkk", "jkm", "jht"}
_FLAGS = {"active", "poverty_flag", "wage_earner"}
_REGIONS = {"regency_code", "district_code", "village_code"}
#: Columns not said as a change: a timestamp, a secret, and a column ``db.store`` derives from
#: another of the row (a name's search key: the change of its source says it all).
_UNSAID = {"updated_at", *_SECRET, *(column for column, _, _ in DERIVED_COLUMNS.values())}
_SKIPPED = {"id", *_UNSAID}


def field_value(key: str, value, names: dict[str, str] | None = None) -> str:
    """A stored value as people read it: money in Rupiah, times in local time, months and dates
    the Indonesian way, flags as Ya/Tidak, region codes as names, roles and states as words."""
    if value is None or value == "":
        return "-"
    if key == "metadata":  # a scheme's whole description as loaded: technical, not for reading here
        return "(uraian skema dimuat ulang)"
    try:
        if key in _FLAGS:
            return "Ya" if value in (1, True, "1") else "Tidak"
        if key in _MONEY and isinstance(value, int):
            return formats.rupiah(value)
        if key.endswith("_at") and isinstance(value, str):
            return formats.moment(value)
        if (key.endswith("_on") or key.endswith("_date")) and isinstance(value, str):
            return formats.date(value)
        if key.endswith("month") and isinstance(value, str) and len(value) == 7:
            return formats.month(value)
        if key in _REGIONS and names:
            return names.get(str(value), str(value))
        if key == "role":
            return ROLES.get(value, value)
        if key == "status":
            return formats.status(value)
        if key == "gender":
            return GENDERS.get(value, value)
    except (TypeError, ValueError):
        pass
    if isinstance(value, int) and not isinstance(value, bool) and key not in ("year", "nik", "nip", "kpj"):
        return formats.count(value)
    return str(value)


def _label(key: str) -> str:
    return FIELD_LABELS.get(key, key.replace("_", " ").capitalize())


def changes(entry: dict, names: dict[str, str] | None = None) -> str:
    """Short text of what changed, in words: ``Nama: Budi → Budi Santoso``, ``Aktif: Ya``;
    secrets never shown."""
    before = json.loads(entry["before"]) if entry["before"] else {}
    after = json.loads(entry["after"]) if entry["after"] else {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return str(after or before)[:300]
    if entry["action"] == "update":
        parts = [f"{_label(k)}: diperbarui" if k == "metadata" else
                 f"{_label(k)}: {field_value(k, before.get(k), names)} → {field_value(k, after.get(k), names)}"
                 for k in after if before.get(k) != after.get(k) and k not in _UNSAID]
        parts += [f"{_label(k)}: (diubah)" for k in after.get("changed_secrets", ())]
        return "; ".join(parts)
    shown = after or before
    return "; ".join(f"{_label(k)}: {field_value(k, v, names)}" for k, v in shown.items()
                     if k not in _SKIPPED and v not in (None, "", "{}"))[:400]


def row_label(entry: dict, names: dict[str, str], schemes: dict[str, str]) -> str:
    """Which record an entry is about: a number (``#12``), or the scheme, region or regency
    a code names (the column held "pringsewu_uc": a scheme's code)."""
    row_id = entry.get("row_id")
    if not row_id:
        return ""
    if entry["table_name"] == "schemes":
        return schemes.get(row_id, row_id)
    if entry["table_name"] in ("regions", "letterheads", "letterhead"):
        return names.get(row_id, row_id)
    return f"#{row_id}" if str(row_id).isdigit() else str(row_id)


def data_choices() -> dict[tuple[str, ...], str]:
    """Log audit's "Data" filter: each name once, for every table it names ("Kop surat": a
    regency's letterhead and the events of its logo; it was listed twice)."""
    grouped: dict[str, list[str]] = {}
    for table, label in TABLE_LABELS.items():
        grouped.setdefault(label, []).append(table)
    return {tuple(tables): label for label, tables in grouped.items()}


def search(db, *, actor: Actor, table: str | tuple[str, ...] | None = None, who: str | None = None,
           since: dt.date | None = None, until: dt.date | None = None, page: int = 1, page_size: int = 100):
    """The audit entries of local days ``since`` to ``until``, newest first, each with
    ``changes`` (in words) and ``row`` (which record); ``table``: one table or several."""
    require(actor, "audit.read")
    rows, total = queries.search_audit(
        db, table=table, actor=who, since=local_day_start(since) if since else None,
        until=local_day_start(until + dt.timedelta(days=1)) if until else None,
        limit=page_size, offset=(max(page, 1) - 1) * page_size,
    )
    names = queries.region_names(db) if rows else {}
    schemes = {r["code"]: r["name"] for r in queries.scheme_rows(db)} if rows else {}
    for row in rows:
        row["changes"] = changes(row, names)
        row["row"] = row_label(row, names, schemes)
    return Paged(rows, total, max(page, 1), page_size)


def actors(db, *, actor: Actor) -> list[str]:
    require(actor, "audit.read")
    return queries.audit_actors(db)
