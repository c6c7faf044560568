"""Cadangan (admin): the data's own check, copies of the database, and restoring one."""

from pathlib import Path

import pandas as pd
import streamlit as st

from payung.base import clock
from payung.operations.backups import automatic_backups, backup_settings, backup_suffix, make_backup, restore_backup
from payung.operations.checks import DESCRIPTIONS, NAMES, example_rows, last_audit_id, repair, run_checks
from payung.base.formats import count, decimal
from payung.base.errors import PayungError
from ui.session import LOGIN_NOTICE, connection, live_download, payung, require
from ui.widgets import plain

actor = require("backup.manage")
app = payung()
st.title("Cadangan basis data")

SQLITE = app.settings.engine == "sqlite"
SUFFIX = backup_suffix(app.settings)  # a SQLite file (.db), or a pg_dump archive (.dump) on PostgreSQL
MIME = "application/vnd.sqlite3" if SQLITE else "application/octet-stream"

# Backups ----------------------------------------------------------------------------------------
st.subheader("Buat cadangan")
st.write("Buat salinan lengkap basis data saat aplikasi tetap berjalan. Simpan salinan di tempat lain "
         "(flashdisk atau drive kantor): berkas ini memuat NIK, jadi perlakukan sebagai data pribadi.")
if st.button("Buat cadangan sekarang", type="primary", icon=":material/backup:"):
    try:
        with st.spinner("Membuat cadangan..."), connection() as db:
            path = make_backup(db, app.settings, actor=actor, now=clock.now())
        st.session_state["_last_backup"] = str(path)
    except PayungError as exc:  # pg_dump missing or refused: said, nothing half-written is kept
        st.error(plain(f"Cadangan tidak dapat dibuat: {exc}"))
last = st.session_state.get("_last_backup")
if last:
    st.success(f"Cadangan tersimpan di {last}.")  # a path the app made, in the folder config.toml names
    st.download_button("Unduh cadangan", live_download(lambda actor: Path(last).read_bytes(), "backup.manage"),
                       file_name=last.rsplit("/", 1)[-1], mime=MIME, icon=":material/download:")

config = backup_settings(app.settings)
if not SQLITE:
    st.caption("PostgreSQL: cadangan harian dibuat oleh server basis data (lihat docs/postgresql.md); tombol di atas "
               "membuat arsip pg_dump di folder cadangan Payung.")
elif config.keep:
    autos = automatic_backups(app.settings)
    st.caption(plain(f"Cadangan otomatis: satu per hari di {config.folder}, {config.keep} terakhir disimpan "
                     f"({len(autos)} ada sekarang)."))
else:
    st.caption("Cadangan otomatis dimatikan ([backups] keep = 0 di config.toml).")

# The check ------------------------------------------------------------------------------------
st.subheader("Pemeriksaan data")
st.caption("Keutuhan berkas SQLite, rujukan antartabel, dan setiap angka turunan (rekap iuran, jumlah terbayar, "
           "pembayaran, kepesertaan, pencarian nama, anggaran) dihitung ulang dari baris aslinya.")
# Run on opening (SQLite's quick_check for the file: seconds on a regency's data), again after
# any write (every write is audited, so the audit log's last id tells), in full on request.
full = st.button("Periksa lengkap", icon=":material/fact_check:",
                 help="Termasuk pemeriksaan keutuhan berkas secara penuh (pada data satu kabupaten: setengah menit).")
with connection() as db:
    version = last_audit_id(db)
    if full or st.session_state.get("_check_version") != version:
        with st.spinner("Memeriksa data..."):
            st.session_state["_check"] = run_checks(db, quick=not full)
        st.session_state["_check_version"] = version
report = st.session_state["_check"]
# The result right after the name, the long description last: on a phone (and on a laptop, whose
# description was cut) the result was the column scrolled out of view.
table = pd.DataFrame([{
    "Pemeriksaan": NAMES.get(r.name, r.name), "Hasil": "cocok" if r.ok else "SELISIH",
    "Diperiksa": count(r.checked), "Selisih": count(r.differences), "Keterangan": DESCRIPTIONS.get(r.name, "")}
    for r in report.results])
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"Diperiksa": st.column_config.TextColumn(alignment="right"),
                            "Selisih": st.column_config.TextColumn(alignment="right")})
if report.ok:
    st.success(f"Semua pemeriksaan cocok ({decimal(report.seconds)} detik"
               f"{'; keutuhan berkas diperiksa cepat' if report.quick else ''}).")
else:
    # The repair rebuilds the names' search keys too: a difference of those alone read as one for a
    # technician ("selisih lain perlu diperiksa petugas").
    st.error(f"Ditemukan {count(report.differences)} selisih. Rincian contoh di bawah. Selisih rekap iuran, jumlah "
             "terbayar dan pencarian nama, dan nama yang tersimpan sebagai bita teks, diperbaiki dengan tombol Bangun ulang "
             "tabel turunan di bawah; selisih lain perlu diperiksa petugas.")
    for r in report.results:
        if not r.ok:
            st.markdown(f"**{NAMES.get(r.name, r.name)}**")
            st.dataframe(pd.DataFrame(example_rows(r)), hide_index=True)
    if st.button("Bangun ulang tabel turunan", icon=":material/build:"):
        with connection() as db:
            done = repair(db, actor=actor.username)
        st.session_state["_repaired"] = done
        st.rerun()
if st.session_state.get("_repaired"):
    done = st.session_state.pop("_repaired")
    st.info(f"Dibangun ulang: {count(done['paid_amounts'])} baris jumlah terbayar, "
            f"{count(done['line_totals'])} baris rekap iuran, {count(done['name_texts'])} nama disimpan sebagai teks, "
            f"{count(done['name_keys'])} kunci pencarian nama.")


# Restore ----------------------------------------------------------------------------------------
st.subheader("Pulihkan dari cadangan")
st.write("Berkas diperiksa dulu (basis data Payung, utuh, versi yang dikenal, semua pemeriksaan cocok). Data yang "
         "sekarang disimpan sebagai cadangan sebelum diganti. Akun pengguna tidak ikut dipulihkan: kata sandi, "
         "status aktif, peran dan wilayah tetap seperti sekarang, dan pengguna yang hanya ada di cadangan tidak "
         "dipulihkan. Semua sesi diakhiri, termasuk sesi Anda: setiap pengguna masuk lagi.")
files = sorted((p.name for p in config.folder.glob(f"*{SUFFIX}")), reverse=True) if config.folder.is_dir() else []
source = st.radio("Sumber", ["Berkas di folder cadangan", "Unggah berkas"], key="r_source", horizontal=True)
chosen = uploaded = None
if source == "Unggah berkas":
    uploaded = st.file_uploader(f"Berkas cadangan ({SUFFIX})", key="r_upload")
elif files:
    chosen = st.selectbox("Berkas", files, key="r_file", placeholder="Pilih berkas cadangan")
else:
    st.info("Belum ada berkas di folder cadangan.")
confirmed = st.checkbox("Saya mengerti: seluruh data sekarang diganti dengan isi cadangan ini.", key="r_confirm")
if st.button("Pulihkan", type="primary", icon=":material/restore:", disabled=not (chosen or uploaded)):
    if not confirmed:
        st.error("Centang persetujuan dulu: pemulihan mengganti seluruh data.")
    else:
        try:
            with st.spinner("Memeriksa dan memulihkan..."), connection() as db:
                if uploaded is not None:
                    done = restore_backup(db, app, uploaded.getvalue(), actor=actor, now=clock.now(),
                                          file_name=uploaded.name)
                else:
                    done = restore_backup(db, app, config.folder / chosen, actor=actor, now=clock.now())
            st.session_state["_restore_seen"] = done["at"]
            st.session_state["_restored"] = done
            missing = done["accounts"]["accounts_not_restored"]
            # The restore ended every session, this one too: the login page tells what was done
            # (as text: it quotes a file name).
            st.session_state[LOGIN_NOTICE] = (
                f"Basis data dipulihkan dari {done['file']}. Data sebelumnya disimpan di {done['before']}.",
                "Semua sesi diakhiri oleh pemulihan, termasuk sesi Anda: silakan masuk lagi. Akun pengguna (kata "
                "sandi, status aktif, peran, wilayah) tetap seperti sebelum pemulihan"
                + (f"; pengguna yang hanya ada di cadangan tidak dipulihkan: {', '.join(missing)}."
                   if missing else "."))
            st.rerun()
        except PayungError as exc:
            # The refusal may quote the file (its name, SQLite's report naming its indexes): text.
            st.error(plain(str(exc)))
if st.session_state.get("_restored"):
    done = st.session_state["_restored"]
    st.success(plain(f"Basis data dipulihkan dari {done['file']}. Data sebelumnya disimpan di {done['before']}."))
if SQLITE:
    st.caption("Pindah ke PostgreSQL (provinsi): python -m payung pindah postgresql://... menyalin seluruh data ke "
               "basis data PostgreSQL yang masih kosong lalu membandingkan pemeriksaan kedua sisi "
               "(docs/postgresql.md).")
