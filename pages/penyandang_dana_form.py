"""Tambah/ubah penyandang dana: the fields follow the sponsor's type."""

import streamlit as st

from payung.base.errors import NotFound
from payung.people.regions import district_choices, village_choices
from payung.base.sponsor_types import SPONSOR_TYPES
from payung.base.text import stored_text
from payung.people.sponsors import create_sponsor, get_sponsor, update_sponsor
from ui.session import connection, payung, require
from ui.widgets import chars, attempt, clear_inputs, field_errors, problem_summary, saved

FORM = "sponsor"
actor = require("sponsor.write")
app = payung()
state = st.session_state
editing = state.get("edit_sponsor_id")
if editing and state.get("_loaded_sponsor") != editing:
    with connection() as db:
        try:
            s = get_sponsor(db, editing, actor=actor)
        except NotFound:
            st.error("Penyandang dana tidak ditemukan.")
            st.stop()
    # A name another program stored as bytes (payung check: name_texts) is typed again; the
    # other texts open as stored (one that only looks like bytes is no name to ask again).
    state.update({f"s_{k}": s[k] if isinstance(s[k], str) else "" for k in (
        "nip", "employee_number", "opd", "phone", "email", "address")})
    state["s_name"] = stored_text(s["name"]) or ""
    state["_s_name_not_text"] = stored_text(s["name"]) is None
    state.update({"s_type": s["type"], "s_village": s["village_code"], "s_district": s["district_code"],
                  "s_regency": s["regency_code"], "_loaded_sponsor": editing})
elif not editing and state.get("_loaded_sponsor"):
    clear_inputs("s_")
    state.pop("_loaded_sponsor", None)

st.title("Ubah penyandang dana" if editing else "Tambah penyandang dana")
problem_summary(FORM, ("type", "name", "nip", "opd", "village_code", "district_code", "regency_code", "phone",
                       "email"))
kind = st.selectbox("Jenis penyandang dana *", list(SPONSOR_TYPES), key="s_type", index=None,
                    format_func=lambda k: SPONSOR_TYPES[k].label, placeholder="Pilih jenis")
field_errors(FORM, "type")
if editing and state.get("_s_name_not_text"):
    st.warning("Nama penyandang dana ini tersimpan bukan sebagai teks (ditulis program lain), sehingga tidak "
               "ditemukan pencarian: ketik ulang namanya, lalu Simpan.")
st.text_input("Nama *", key="s_name", max_chars=chars("name"),
              help="Nama orang, perusahaan, organisasi, atau pemerintah desa.")
field_errors(FORM, "name")
with connection() as db:
    districts = district_choices(db, actor=actor, regency_codes=app.settings.regency_codes)
    regencies = {r.code: r.name for r in app.settings.regencies}
    if kind == "asn":
        st.text_input("NIP (PNS)", key="s_nip", help="18 digit. ASN non-PNS mengisi nomor pegawai.")
        field_errors(FORM, "nip")
        st.text_input("Nomor pegawai (non-PNS)", key="s_employee_number", max_chars=chars("employee_number"))
        st.text_input("OPD (unit kerja) *", key="s_opd", max_chars=chars("opd"))
        field_errors(FORM, "opd")
    if kind in ("pemerintah_desa", "pemerintah_kecamatan"):
        st.selectbox("Kecamatan *", list(districts), key="s_district", format_func=districts.get, index=None, placeholder="Pilih...")
        field_errors(FORM, "district_code")
    if kind == "pemerintah_desa":
        villages = village_choices(db, state.get("s_district"), actor=actor)
        st.selectbox("Desa *", list(villages), key="s_village", format_func=villages.get, index=None,
                     placeholder="Pilih kecamatan dahulu" if not villages else "Pilih desa")
        field_errors(FORM, "village_code")
    if kind and kind not in ("pemerintah_desa", "pemerintah_kecamatan"):
        st.selectbox("Kabupaten" + (" *" if kind == "apbd_kabupaten" else ""), list(regencies), key="s_regency",
                     format_func=regencies.get, index=None, placeholder="Pilih...")
        field_errors(FORM, "regency_code")
st.text_input("No. HP/WA", key="s_phone")
field_errors(FORM, "phone")
st.text_input("Email", key="s_email", max_chars=chars("email"))
field_errors(FORM, "email")
st.text_area("Alamat", key="s_address", height=80, max_chars=chars("address"))

if st.button("Simpan", type="primary", icon=":material/save:"):
    values = {"type": kind, "name": state.get("s_name"), "phone": state.get("s_phone"),
              "email": state.get("s_email"), "address": state.get("s_address")}
    if kind == "asn":
        values |= {"nip": state.get("s_nip"), "employee_number": state.get("s_employee_number"),
                   "opd": state.get("s_opd")}
    if kind == "pemerintah_desa":
        values |= {"village_code": state.get("s_village")}
    elif kind == "pemerintah_kecamatan":
        values |= {"district_code": state.get("s_district")}
    else:
        values |= {"regency_code": state.get("s_regency")}
    with connection() as db:
        attempt(FORM, lambda: update_sponsor(db, app.settings, editing, values, actor=actor) if editing
                else create_sponsor(db, app.settings, values, actor=actor))
    clear_inputs("s_")
    state.pop("edit_sponsor_id", None)
    state.pop("_loaded_sponsor", None)
    saved(f"Penyandang dana {values['name']} tersimpan.", rerun=lambda: st.switch_page("pages/penyandang_dana.py"))
