"""Daftar pekerja: search and page the registry in SQL; ?id=N shows one worker."""

import streamlit as st

from payung.auth.access import allowed
from payung.base import formats
from payung.base.coverage import STATUS_LABELS
from payung.base.errors import NotFound, ValidationError
from payung.base.identity import GENDERS
from payung.base.paging import Paged
from payung.finance.claims import protection_panel
from payung.people.regions import regency_choices
from payung.people.worker_list import too_many, workers_xlsx
from payung.people.workers import has_history, month_status, search_workers, set_worker_active, worker_detail

from ui.session import connection, live_download, payung, require
from ui.widgets import (back_to_list_button, current_page, list_key, date_text, ended_note, nik_note, pager, panel, picked_rows, plain,
                        rupiah, saved, scheme_column, show_saved_message, table)
from ui.widgets import or_all

PAGE_SIZE = 50
actor = require("worker.read")
app = payung()
occupations = app.settings.occupations
show_saved_message()


#: The list's name for ``list_key``: its key changes after "Kembali ke daftar".
LIST = "tabel_pekerja"


def open_picked() -> None:
    """A row picked in the list: open that worker (only on a new pick, as a callback)."""
    picked = picked_rows(list_key(LIST))
    ids = st.session_state.get("_pekerja_ids", [])
    if picked and picked[0] < len(ids):
        st.query_params["id"] = str(ids[picked[0]])


def back_button() -> None:
    back_to_list_button(LIST)


def detail(worker_id: int) -> None:
    with connection() as db:
        try:
            info = worker_detail(db, worker_id, actor=actor)
        except NotFound as exc:  # another village's worker, a mistyped address: said, with the way back
            st.error(plain(exc))
            back_button()
            return
        history = has_history(db, worker_id, actor=actor)
        status = month_status(db, app.settings, worker_id, actor=actor)
    w = info["worker"]
    back_button()
    st.title(plain(w["name"]) + ("" if w["active"] else " (nonaktif)"))
    # What a village operator opens a worker for, first (the sponsorships' table is further down).
    st.markdown(f"**Status bulan ini:** {STATUS_LABELS[status]}")
    a, b, c = st.columns(3)
    born = date_text(w["birth_date"]) if w["birth_date"] else f"tahun {w.get('birth_year') or '-'}"
    a.markdown(f"**NIK** {w['nik']}  \n**Lahir** {plain(w['birth_place'] or '')} {born}  \n"
               f"**Jenis kelamin** {GENDERS[w['gender']]}")
    b.markdown(f"**Desa/kelurahan** {plain(info['village']['name'] if info['village'] else w['village_code'])}  \n"
               f"**Kecamatan** {plain(info['district']['name'] if info['district'] else w['district_code'])}  \n"
               f"**Alamat** {plain(w['address'] or '-')}")
    c.markdown(f"**Pekerjaan** {plain(occupations.get(w['occupation'], w['occupation']))}  \n"
               f"**Penghasilan** {rupiah(w['declared_income'])} per bulan  \n"
               f"**Miskin (DTKS/P3KE)** {('Ya' + (', ' + w['poverty_source'] if w['poverty_source'] else '')) if w['poverty_flag'] else 'Tidak'}  \n"
               f"**HP** {plain(w['phone'] or '-')}")
    st.subheader("Kepesertaan")
    if info["sponsorships"]:
        names = {code: s.name for code, s in app.plugins.schemes.items()}
        table([{
            "Skema": formats.short_name(names.get(s["scheme_code"], s["scheme_code"])),
            "Status": formats.status(s["state"]), "Penyandang dana": s["sponsor_name"],
            "Mulai": formats.month_short(s["start_month"]), "Sampai": formats.month_short(s["end_month"]),
            "Iuran/bulan": rupiah(s["monthly_amount"]), "Bulan lunas": f"{s['months_paid']} dari {s['months']}",
            "Dibayar": rupiah(s["paid"]), "Program": s["programs"].replace(",", "+"), "KPJ": s["kpj"] or "-",
        } for s in info["sponsorships"]], hide_index=True, width="stretch", key="pekerja_kepesertaan",
            column_config={"Skema": scheme_column(names.values())},
            # At 1366 px Status was off screen: what decides first, then the money (Program and KPJ
            # on a wider screen).
            laptop=["Skema", "Status", "Penyandang dana", "Mulai", "Sampai", "Iuran/bulan", "Bulan lunas", "Dibayar"],
            phone=["Skema", "Status", "Bulan lunas", "Sampai"])
        ended_note((s["state"] for s in info["sponsorships"]), app.settings.lapse_months)
    else:
        st.caption("Belum pernah ditanggung.")
    st.subheader("Klaim")
    with connection() as db:
        panel(protection_panel(db, worker_id=worker_id, actor=actor))
    if info["claims"]:
        table([{"Program": c["program"], "Tanggal kejadian": date_text(c["incident_date"]),
                       "Manfaat dibayar": rupiah(c["benefit_amount"]), "Status": formats.status(c["status"])}
                      for c in info["claims"]], hide_index=True, width="stretch")
    else:
        st.caption("Tidak ada klaim.")
    if allowed(actor, "worker.write"):
        left, right = st.columns(2)
        if left.button("Ubah data", icon=":material/edit:"):
            st.session_state["edit_worker_id"] = worker_id
            st.switch_page("pages/pekerja_form.py")
        label = "Nonaktifkan" if w["active"] else "Aktifkan kembali"
        if right.button(label, icon=":material/person_off:" if w["active"] else ":material/person:"):
            with connection() as db:
                try:
                    set_worker_active(db, worker_id, not w["active"], actor=actor)
                except ValidationError as exc:
                    st.error(plain(exc))
                    st.stop()
            saved(f"{w['name']} {'dinonaktifkan' if w['active'] else 'diaktifkan kembali'}.")
        if history and w["active"]:
            st.caption("Pekerja yang sudah punya riwayat tidak dihapus, hanya dinonaktifkan.")


if "id" in st.query_params:
    st.session_state["_pekerja_detail_shown"] = True
    try:
        detail(int(st.query_params["id"]))
    except ValueError:
        st.error("Nomor pekerja tidak valid.")
        back_button()
    st.stop()

st.title("Daftar pekerja")
# The filters (and the page) survive a visit to a worker: a widget's value is dropped by
# Streamlit while the widget is not drawn (the detail view), so each is also kept under a key of
# its own and put back into its box before it is drawn. The list and the boxes always agree.
FILTERS = {"cari_pekerja": "", "filter_pekerjaan": None, "filter_kabupaten": None, "filter_nonaktif": False,
           "halaman_pekerja": 1}
# Coming back from a worker (Kembali, or the browser's back button), the boxes are drawn anew and
# would show empty while the session still filters: the values are set again, which the browser obeys.
returning = st.session_state.pop("_pekerja_detail_shown", False)
for widget, empty in FILTERS.items():
    if returning or widget not in st.session_state:
        st.session_state[widget] = st.session_state.get(f"_kept_{widget}", empty)
with connection() as db:
    regencies = regency_choices(db, actor=actor, regency_codes=app.settings.regency_codes)
# A kabupaten box only for those who see more than one (a province's or several regencies' office).
search_col, occupation_col, *regency_col, inactive_col = st.columns([4, 3, 3, 2] if len(regencies) > 1 else [3, 2, 1])
# A role that sees masked NIKs cannot search by NIK (payung.people.workers refuses it): its box says so.
by_nik = allowed(actor, "worker.full_nik")
text = search_col.text_input("Cari nama atau NIK" if by_nik else "Cari nama", key="cari_pekerja",
                             placeholder="contoh: Siti, atau 3324" if by_nik else "contoh: Siti")
occupation = occupation_col.selectbox("Pekerjaan", **or_all(occupations, "Semua pekerjaan", key="filter_pekerjaan"))
region = regency_col[0].selectbox("Kabupaten/kota",
                                  **or_all(regencies, "Semua kabupaten/kota",
                                          key="filter_kabupaten")) if regency_col else None
include_inactive = inactive_col.checkbox("Termasuk nonaktif", key="filter_nonaktif")
for widget in FILTERS:
    st.session_state[f"_kept_{widget}"] = st.session_state.get(widget)
refused = None
with connection() as db:
    try:
        result = search_workers(db, app.settings, actor=actor, text=text, occupation=occupation, region=region,
                                include_inactive=include_inactive, page=current_page("halaman_pekerja"),
                                page_size=PAGE_SIZE)
    except ValidationError as exc:  # a NIK typed by a role that may not search by NIK: told so
        refused, result = exc, Paged([], 0, 1, PAGE_SIZE)
schemes = {code: formats.short_name(s.name) for code, s in app.plugins.schemes.items()}
rows = [{
    # What decides first comes first: the name and the status (a phone showed NIK/Nama/Desa and hid
    # the status; at 1366 px Skema was cut).
    "Nama": r["name"], "Status bulan ini": STATUS_LABELS[r["status"]], "NIK": r["nik"], "Desa/Kel.": r["village"],
    "Pekerjaan": occupations.get(r["occupation"], r["occupation"]),
    "Skema": schemes.get(r["scheme_code"], r["scheme_code"] or "-"), "Kecamatan": r["district"],
} for r in result.rows]
if refused is not None:
    st.warning(plain(refused), icon=":material/search_off:")
elif not rows and (text or occupation or region or result.total):
    # Only what narrows the list now: "pilih Semua pekerjaan" read as a fault when it was chosen.
    steps = [step for step, narrows in (("kosongkan kotak pencarian", text), ("pilih Semua pekerjaan", occupation),
                                        ("pilih Semua kabupaten/kota", region)) if narrows]
    st.info("Tidak ada pekerja yang cocok dengan pencarian ini."
            + (f" {formats.joined(steps)[:1].upper()}{formats.joined(steps)[1:]} untuk melihat semua pekerja."
               if steps else "")
            + ("" if include_inactive else " Pekerja nonaktif tidak ikut dicari: centang Termasuk nonaktif."))
elif not rows:
    st.info("Belum ada pekerja terdaftar" + (" yang aktif" if not include_inactive else "") + ". "
            + ("Tambahkan dengan tombol Tambah pekerja di bawah, atau impor daftar pekerja dari Excel di "
               "halaman Impor data." if allowed(actor, "worker.write") else
               "Pekerja didaftarkan oleh operator kabupaten atau desa."))
else:
    st.session_state["_pekerja_ids"] = [r["id"] for r in result.rows]
    table(rows, hide_index=True, width="stretch", on_select=open_picked, selection_mode="single-row",
          key=list_key(LIST), phone=["Nama", "Status bulan ini", "Desa/Kel."],
          column_config={"Skema": scheme_column(s.name for s in app.plugins.schemes.values())},
          laptop=["Nama", "Status bulan ini", "NIK", "Desa/Kel.", "Skema", "Pekerjaan"])
    st.caption("Pilih satu baris untuk melihat rinciannya.")
    nik_note(actor, here=True)
pager(result.total, PAGE_SIZE, key="halaman_pekerja")
if rows and (too_big := too_many(result.total)):
    st.caption(too_big)
elif rows:
    def list_file(actor) -> bytes:
        """Made (and logged) when the button is clicked, not on every run of the page."""
        with connection() as db:
            return workers_xlsx(db, app.plugins, actor=actor, text=text, occupation=occupation,
                                include_inactive=include_inactive, region=region)[0]
    st.download_button(f"Unduh daftar ({formats.count(result.total)} pekerja, XLSX)",
                       live_download(list_file, "worker.read"),
                       "daftar-pekerja.xlsx", icon=":material/table:", key="pekerja_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       help="Semua halaman daftar ini, dengan NIK "
                            + ("lengkap" if by_nik else "disamarkan") + ". Setiap unduhan dicatat di Log audit.")
if allowed(actor, "worker.write") and st.button("Tambah pekerja", icon=":material/person_add:", type="primary"):
    st.session_state.pop("edit_worker_id", None)
    st.switch_page("pages/pekerja_form.py")
