"""Which column holds which field: matched on the names people really type."""

from __future__ import annotations

import re

#: kind -> field -> (label, header aliases). The first matching header wins.
FIELDS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "workers": {
        "nik": ("NIK", ("nik", "no ktp", "nomor ktp", "no nik", "nomor nik", "nomor induk kependudukan", "ktp")),
        "name": ("Nama", ("nama lengkap", "nama", "nama sesuai ktp", "nama peserta", "nama pekerja")),
        "birth_place_date": ("Tempat/Tgl lahir", ("tempat tgl lahir", "tempat tanggal lahir", "ttl",
                                                  "tempat dan tanggal lahir")),
        "birth_place": ("Tempat lahir", ("tempat lahir",)),
        "birth_date": ("Tanggal lahir", ("tgl lahir", "tanggal lahir", "tgl lhr", "tanggal lhr")),
        "gender": ("Jenis kelamin", ("jenis kelamin", "jk", "l p", "kelamin", "gender", "sex")),
        "phone": ("No. HP", ("no hp wa", "no hp", "nomor hp", "hp", "no wa", "telepon", "no telp", "telp", "whatsapp")),
        "address": ("Alamat", ("alamat", "alamat lengkap", "alamat rumah")),
        "village": ("Desa/Kelurahan", ("desa kel", "desa kelurahan", "desa", "kelurahan", "kode desa", "pekon",
                                       "desa pekon")),
        "district": ("Kecamatan", ("kec", "kecamatan")),
        "occupation": ("Pekerjaan", ("pekerjaan", "jenis pekerjaan", "profesi", "mata pencaharian")),
        "declared_income": ("Penghasilan", ("penghasilan", "penghasilan per bulan", "upah", "pendapatan",
                                            "penghasilan dilaporkan", "gaji")),
        "poverty_source": ("DTKS/P3KE", ("dtks p3ke", "dtks", "p3ke", "status dtks", "sumber data kemiskinan")),
        "wage_earner": ("Penerima upah", ("penerima upah", "pu")),
    },
    "sponsors": {
        "nip": ("NIP", ("nip", "nip nrp", "no nip")),
        "employee_number": ("Nomor pegawai", ("nomor pegawai", "no pegawai", "nipppk", "ni pppk", "no induk pegawai")),
        "name": ("Nama", ("nama", "nama lengkap", "nama asn", "nama pegawai", "nama penyandang dana")),
        "type": ("Jenis", ("jenis", "jenis penyandang dana", "tipe")),
        "opd": ("OPD", ("opd", "unit kerja", "satuan kerja", "skpd", "instansi")),
        "village": ("Desa", ("desa", "desa kel", "kelurahan")),
        "district": ("Kecamatan", ("kec", "kecamatan")),
        "phone": ("No. HP", ("no hp wa", "no hp", "hp", "no wa", "telepon")),
        "email": ("Email", ("email", "e mail", "surel")),
        "address": ("Alamat", ("alamat",)),
    },
    "payments": {
        "sponsor": ("Pembayar (NIP, nama penyandang dana, OPD atau pos anggaran)",
                    ("nip", "penyandang dana", "nama penyandang dana", "nama", "pembayar", "opd", "pos anggaran")),
        "scheme": ("Skema", ("skema", "kode skema", "program")),
        "paid_on": ("Tanggal bayar", ("tanggal bayar", "tgl bayar", "tanggal", "tgl")),
        "amount": ("Jumlah", ("jumlah", "jumlah bayar", "nominal", "jumlah rp", "besar iuran")),
        "reference": ("Referensi", ("referensi", "no referensi", "no bukti", "bukti", "keterangan", "no transaksi")),
    },
    "sponsorships": {
        "nik": ("NIK pekerja", ("nik", "nik pekerja", "nik peserta", "no ktp", "nomor ktp", "no nik",
                                "nomor induk kependudukan")),
        "scheme": ("Skema", ("skema", "kode skema", "nama skema")),
        "nip": ("NIP penyandang dana", ("nip", "nip asn", "nip penyandang dana", "nip orang tua asuh", "nip nrp")),
        "sponsor": ("Penyandang dana (nama)", ("penyandang dana", "nama penyandang dana", "orang tua asuh",
                                               "nama orang tua asuh", "nama asn", "donatur")),
        "sponsor_id": ("ID penyandang dana", ("id penyandang dana", "no penyandang dana", "nomor penyandang dana",
                                              "id sponsor", "id donatur")),
        "sponsor_village": ("Desa penyandang dana (pemerintah desa)", ("desa penyandang dana", "pemerintah desa",
                                                                       "desa", "desa kel", "pekon penyandang dana")),
        "district": ("Kecamatan", ("kec", "kecamatan")),
        "budget_line": ("Pos anggaran", ("pos anggaran", "mata anggaran", "anggaran")),
        "start_month": ("Bulan mulai", ("bulan mulai", "mulai", "tmt", "mulai kepesertaan", "bulan awal")),
        "months": ("Lama (bulan)", ("lama", "lama bulan", "lama kepesertaan", "jumlah bulan", "durasi")),
        "programs": ("Program", ("program", "program bpjs", "jenis program")),
        "payment_period": ("Periode bayar", ("periode bayar", "periode pembayaran", "periode")),
    },
}

REQUIRED = {
    "workers": ("nik", "name", "village"),
    "sponsors": ("name",),
    "payments": ("sponsor", "scheme", "paid_on", "amount"),
    "sponsorships": ("nik", "scheme", "start_month"),
}


def header_key(text) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text or "").lower()).strip()


def auto_map(headers: list[str], kind: str) -> dict[str, str]:
    """field -> header, for the headers recognised (each header used once)."""
    keys = {header_key(h): h for h in headers if str(h).strip()}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field, (_, aliases) in FIELDS[kind].items():
        for alias in aliases:
            header = keys.get(alias)
            if header and header not in used:
                mapping[field] = header
                used.add(header)
                break
    if "birth_place_date" in mapping and "birth_date" in mapping:
        del mapping["birth_place_date"]
    return mapping


def missing_required(mapping: dict[str, str], kind: str) -> list[str]:
    return [FIELDS[kind][f][0] for f in REQUIRED[kind] if f not in mapping]
