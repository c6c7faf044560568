"""Daftar penyandang dana: list, and ?id=N for whom a sponsor pays and what they owe now."""

import streamlit as st

from payung.base import formats
from payung.auth.access import allowed
from payung.base.errors import NotFound
from payung.base.months import current_month, format_month
from payung.base.sponsor_types import SPONSOR_TYPES
from payung.people.sponsors import search_sponsors, sponsor_detail
from ui.session import connection, payung, require
from ui.widgets import current_page, ended_note, nik_note, pager, rupiah, show_saved_message
from ui.widgets import plain
from ui.widgets import back_to_list_button, list_key, or_all, picked, scheme_column, table

PAGE_SIZE = 50
#: The list's name for ``list_key``: its key changes after "Kembali ke daftar" (the row picked before
#: opened the same sponsor again).
LIST = "tabel_sponsor"
#: The phone list's Jenis column: the widest short label of a kind ("Pemerintah desa") and the cell's margins.
PHONE_KIND_WIDTH = 118
actor = require("sponsor.read")
app = payung()
show_saved_message()
month = current_month()


def detail(sponsor_id: int) -> None:
    with connection() as db:
        try:
            info = sponsor_detail(db, sponsor_id, actor=actor, month=month)
        except NotFound as exc:  # another regency's sponsor, a mistyped address: said, with the way back
            st.error(plain(exc))
            back_to_list_button(LIST)
            return
    s = info["sponsor"]
    back_to_list_button(LIST)
    st.title(plain(s["name"]))
    st.caption(SPONSOR_TYPES[s["type"]].label)
    facts = [("ID penyandang dana", s["id"]), ("NIP", s["nip"]), ("Nomor pegawai", s["employee_number"]),
             ("OPD", s["opd"]), ("Desa", s.get("village") or s["village_code"]), ("HP", s["phone"]),
             ("Email", s["email"])]
    st.markdown("  \n".join(f"**{label}** {plain(value)}" for label, value in facts if value) or "")
    due = info["due"]
    a, b, c = st.columns(3)
    a.metric("Pekerja ditanggung", info["covered"],
             help="Pekerja yang kepesertaannya belum selesai (bulan ini atau sesudahnya); yang sudah selesai "
                  "tidak dihitung.")
    b.metric(f"Iuran {format_month(month)}", rupiah(due["amount"]))
    c.metric("Belum dibayar bulan ini", rupiah(due["unpaid"]))
    st.subheader("Kepesertaan")  # also those whose months ended ("Selesai"), which the count above leaves out
    if info["sponsorships"]:
        names = {code: sc.name for code, sc in app.plugins.schemes.items()}
        # Who and the status first, schemes by their short names and short months: on a phone Status
        # was off screen (the table wider than the screen, and nobody knows to scroll it), at 1366 px
        # too (the scheme's whole name took a third of the width).
        table([{
            "Nama": x["worker_name"], "Status": formats.status(x["state"]),
            "Skema": formats.short_name(names.get(x["scheme_code"], x["scheme_code"])),
            "Mulai": formats.month_short(x["start_month"]), "Sampai": formats.month_short(x["end_month"]),
            "Iuran/bulan": rupiah(x["monthly_amount"]), "Desa/Kel.": x["village"], "NIK": x["nik"],
        } for x in info["sponsorships"]], hide_index=True, width="stretch", key="sponsor_kepesertaan",
            column_config={"Skema": scheme_column(names.values())},
            phone=["Nama", "Status", "Sampai"])
        ended_note((x["state"] for x in info["sponsorships"]), app.settings.lapse_months)
        nik_note(actor)
    else:
        st.caption("Belum menanggung pekerja.")
    if allowed(actor, "sponsor.write"):
        left, right = st.columns(2)
        if left.button("Ubah data", icon=":material/edit:"):
            st.session_state["edit_sponsor_id"] = sponsor_id
            st.switch_page("pages/penyandang_dana_form.py")
        if right.button("Tanggung pekerja", icon=":material/how_to_reg:"):
            st.session_state["enrol_sponsor_id"] = sponsor_id
            st.switch_page("pages/kepesertaan.py")


if "id" in st.query_params:
    try:
        detail(int(st.query_params["id"]))
    except ValueError:
        st.error("Nomor penyandang dana tidak valid.")
        back_to_list_button(LIST)
    st.stop()

st.title("Daftar penyandang dana")
left, right = st.columns([3, 2])
text = left.text_input("Cari nama, NIP atau OPD", key="cari_sponsor")
kind = right.selectbox("Jenis", **or_all({code: kind.label for code, kind in SPONSOR_TYPES.items()}, "Semua jenis",
                                        key="filter_jenis"))
with connection() as db:
    result = search_sponsors(db, actor=actor, text=text, types=[kind] if kind else None,
                             page=current_page("halaman_sponsor"), page_size=PAGE_SIZE)
if not result.rows:
    st.info("Belum ada penyandang dana yang cocok.")
else:
    # On a phone "Pekerja ditanggung" was off screen (the table wider than the screen): there, the
    # name and the count, then the kind, in narrower columns; the kind by its short label, which
    # fits its column ("ASN (PNS/non-PNS)" was cut at the screen's edge).
    labels = {kind.label: kind.short_label for kind in SPONSOR_TYPES.values()}
    listed = table([{
        "ID": r["id"], "Nama": r["name"], "Jenis": SPONSOR_TYPES[r["type"]].label, "OPD/Desa": r["opd"] or r["village"] or "",
        "Pekerja ditanggung": r["sponsorships"],
    } for r in result.rows], hide_index=True, width="stretch", on_select="rerun", counts=["Pekerja ditanggung"],
        selection_mode="single-row", key=list_key(LIST), phone=["Nama", "Pekerja ditanggung", "Jenis"],
        phone_options={"column_config": {
            "Nama": st.column_config.TextColumn(width=126),
            "Pekerja ditanggung": st.column_config.NumberColumn("Ditanggung", width=80),
            "Jenis": st.column_config.SelectboxColumn(width=PHONE_KIND_WIDTH, options=list(labels),
                                                      format_func=labels.get)}})
    chosen = picked(listed, result.rows)
    if chosen:
        st.query_params["id"] = str(chosen["id"])
        st.rerun()
pager(result.total, PAGE_SIZE, key="halaman_sponsor")
if allowed(actor, "sponsor.write") and st.button("Tambah penyandang dana", type="primary",
                                                    icon=":material/add_business:"):
    st.session_state.pop("edit_sponsor_id", None)
    st.switch_page("pages/penyandang_dana_form.py")
