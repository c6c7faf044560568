"""Pengguna (admin): the users, their roles and villages; add, deactivate, reset password."""

import streamlit as st

from payung.access import ROLES
from payung.errors import ValidationError
from payung.regions import district_choices, village_choices
from payung.users import add_user, list_users, reset_password, set_user_active
from ui.session import connection, payung, require
from ui.widgets import attempt, field_errors, problem_summary, saved, show_saved_message
from ui.widgets import plain

FORM = "pengguna"
actor = require("admin")
app = payung()
state = st.session_state
show_saved_message()
st.title("Pengguna")
with connection() as db:
    users = list_users(db, actor=actor)
regencies = {r.code: r.name for r in app.settings.regencies}
st.dataframe([{"Nama pengguna": u["username"], "Nama": u["name"], "Peran": ROLES[u["role"]],
               "Kabupaten": regencies.get(u["regency_code"], "Semua") if u["role"] != "desa" else "",
               "Desa": u["villages"] or "", "Aktif": "Ya" if u["active"] else "Tidak"} for u in users],
             hide_index=True, width="stretch")

st.subheader("Tambah pengguna")
problem_summary(FORM, ("username", "name", "role", "villages", "password"))
left, right = st.columns(2)
left.text_input("Nama pengguna *", key="u_username", placeholder="huruf kecil, contoh: ani.dinsos")
with left:
    field_errors(FORM, "username")
left.text_input("Nama lengkap *", key="u_name")
with left:
    field_errors(FORM, "name")
left.text_input("Kata sandi awal *", key="u_password", type="password", help="Minimal 8 karakter, huruf dan angka.")
with left:
    field_errors(FORM, "password")
role = right.selectbox("Peran *", list(ROLES), key="u_role", format_func=ROLES.get)
villages: list[str] = []
regency = None
with connection() as db:
    if role in ("operator", "viewer"):
        regency = right.selectbox("Kabupaten", [None, *regencies], key="u_regency",
                                  format_func=lambda c: "Semua kabupaten" if c is None else regencies[c])
    elif role == "desa":
        districts = district_choices(db, actor=actor, regency_codes=app.settings.regency_codes)
        district = right.selectbox("Kecamatan", list(districts), key="u_district", format_func=districts.get,
                                   index=None)
        options = village_choices(db, district, actor=actor)
        villages = right.multiselect("Desa yang ditangani *", list(options), key="u_villages",
                                     format_func=options.get)
        with right:
            field_errors(FORM, "villages")
if st.button("Tambah pengguna", type="primary", icon=":material/person_add:"):
    with connection() as db:
        attempt(FORM, lambda: add_user(
            db, username=state.get("u_username"), name=state.get("u_name"), role=role,
            password=state.get("u_password"), actor=actor, villages=tuple(villages),
            regency_code=regency if role != "desa" else (villages[0][:5] if villages else None)))
    name = state.get("u_username")
    for key in ("u_username", "u_name", "u_password", "u_villages"):
        state.pop(key, None)
    saved(f"Pengguna {name} dibuat.")

st.subheader("Ubah pengguna")
by_name = {u["username"]: u for u in users}
who = st.selectbox("Pengguna", list(by_name), key="u_target", index=None, placeholder="Pilih pengguna")
if who:
    target = by_name[who]
    a, b = st.columns(2)
    new_password = a.text_input("Kata sandi baru", type="password", key="u_reset")
    if a.button("Atur ulang kata sandi"):
        with connection() as db:
            try:
                reset_password(db, target["id"], new_password, actor=actor)
            except ValidationError as exc:
                st.error(plain(exc))
                st.stop()
        saved(f"Kata sandi {who} diatur ulang.")
    if b.button("Nonaktifkan" if target["active"] else "Aktifkan kembali"):
        with connection() as db:
            try:
                set_user_active(db, target["id"], not target["active"], actor=actor)
            except ValidationError as exc:
                st.error(plain(exc))
                st.stop()
        saved(f"Pengguna {who} {'dinonaktifkan' if target['active'] else 'diaktifkan kembali'}.")
