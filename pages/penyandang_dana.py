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
from ui.widgets import back_to_list_button, or_all, picked, table

PAGE_SIZE = 50
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
            back_to_list_button()
            return
    s = info["sponsor"]
    back_to_list_button()
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
        table([{
            "NIK": x["nik"], "Nama": x["worker_name"], "Desa/Kel.": x["village"],
            "Skema": names.get(x["scheme_code"], x["scheme_code"]), "Mulai": format_month(x["start_month"]),
            "Sampai": format_month(x["end_month"]), "Iuran/bulan": rupiah(x["monthly_amount"]), "Status": formats.status(x["state"]),
        } for x in info["sponsorships"]], hide_index=True, width="stretch")
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
        back_to_list_button()
    st.stop()

st.title("Daftar penyandang dana")
left, right = st.columns([3, 2])
text = left.text_input("Cari nama, NIP atau OPD", key="cari_sponsor")
kind = right.selectbox("Jenis", key="filter_jenis",
                       **or_all({code: kind.label for code, kind in SPONSOR_TYPES.items()}, "Semua jenis"))
with connection() as db:
    result = search_sponsors(db, actor=actor, text=text, types=[kind] if kind else None,
                             page=current_page("halaman_sponsor"), page_size=PAGE_SIZE)
if not result.rows:
    st.info("Belum ada penyandang dana yang cocok.")
else:
    listed = table([{
        "ID": r["id"], "Nama": r["name"], "Jenis": SPONSOR_TYPES[r["type"]].label, "OPD/Desa": r["opd"] or r["village"] or "",
        "Pekerja ditanggung": r["sponsorships"],
    } for r in result.rows], hide_index=True, width="stretch", on_select="rerun",
        selection_mode="single-row", key="tabel_sponsor")
    chosen = picked(listed, result.rows)
    if chosen:
        st.query_params["id"] = str(chosen["id"])
        st.rerun()
pager(result.total, PAGE_SIZE, key="halaman_sponsor")
if allowed(actor, "sponsor.write") and st.button("Tambah penyandang dana", type="primary",
                                                    icon=":material/add_business:"):
    st.session_state.pop("edit_sponsor_id", None)
    st.switch_page("pages/penyandang_dana_form.py")
