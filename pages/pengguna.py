"""Pengguna (admin): the users, their roles and villages; add, change access, deactivate,
reset password, see a user's sessions and end them ("Keluarkan dari semua perangkat").
Resetting one's own password or ending one's own sessions ends this tab's session too; the tab
gets a new one and a new cookie (``ui.auth.renew_login``)."""

import streamlit as st

from payung.auth.access import ROLES
from payung.base.errors import ValidationError
from payung.base.formats import zone_label
from payung.people.regions import district_choices, village_choices
from payung.auth.sessions import end_user_sessions, user_sessions
from payung.auth.passwords import PASSWORD_HELP
from payung.auth.users import add_user, change_access, list_users, reset_password, set_user_active
from ui.auth import renew_login
from ui.session import connection, live_callback, payung, require, session_policy
from ui.widgets import chars, clear_problems, date_text, field_errors, plain, problem_summary, remember_problems
from ui.widgets import saved, show_saved_message
from ui.widgets import or_all, table

FORM = "pengguna"
actor = require("user.manage")
app = payung()
state = st.session_state
show_saved_message()
st.title("Pengguna")
with connection() as db:
    users = list_users(db, actor=actor)
regencies = {r.code: r.name for r in app.settings.regencies}
table([{"Nama pengguna": u["username"], "Nama": u["name"], "Peran": ROLES[u["role"]],
               "Kabupaten": "" if u["role"] == "desa" else "Semua" if u["role"] == "admin"
               else regencies.get(u["regency_code"], "Semua"),
               "Desa": u["village_names"] or "", "Aktif": "Ya" if u["active"] else "Tidak"} for u in users],
             hide_index=True, width="stretch")

st.subheader("Tambah pengguna")
problem_summary(FORM, ("username", "name", "role", "villages", "password"))
# The role and its area first, outside the form (they change which boxes are asked); no role is
# chosen for the admin: a slip must not make an administrator.
left, right = st.columns(2)
role = left.selectbox("Peran *", list(ROLES), key="u_role", format_func=ROLES.get, index=None,
                      placeholder="Pilih peran")
with left:
    field_errors(FORM, "role")
with connection() as db:
    if role in ("operator", "viewer"):
        right.selectbox("Kabupaten", **or_all(regencies, "Semua kabupaten", key="u_regency"))
    elif role == "desa":
        districts = district_choices(db, actor=actor, regency_codes=app.settings.regency_codes)
        district = right.selectbox("Kecamatan", list(districts), key="u_district", format_func=districts.get,
                                   index=None, placeholder="Pilih...")
        options = village_choices(db, district, actor=actor)
        right.multiselect("Desa yang ditangani *", list(options), key="u_villages",
                          format_func=options.get, placeholder="Pilih...")
        with right:
            field_errors(FORM, "villages")


def add(*, actor) -> None:
    """Tambah pengguna, as the form's callback: it runs before the page is drawn again, so after
    a save the boxes are drawn empty in the browser (values dropped from the session in the
    script stayed in the browser, and a second click said the username was taken)."""
    chosen = state.get("u_role")
    villages = tuple(state.get("u_villages") or ()) if chosen == "desa" else ()
    regency = state.get("u_regency") if chosen in ("operator", "viewer") else (villages[0][:5] if villages else None)
    try:
        with connection() as db:
            add_user(db, username=state.get("u_username"), name=state.get("u_name"), role=chosen,
                     password=state.get("u_password"), actor=actor, villages=villages, regency_code=regency)
    except ValidationError as exc:
        remember_problems(FORM, exc.problems)
        return
    clear_problems()
    name = (state.get("u_username") or "").strip().lower()
    state.update({"u_username": "", "u_name": "", "u_password": "", "u_role": None})
    for key in ("u_regency", "u_district", "u_villages"):
        state.pop(key, None)
    state["_payung_saved"] = f"Pengguna {name} dibuat."


# Typed boxes in a form: a form sends what is in its boxes when it is submitted. Outside one, a
# password box kept its text only once "committed" (Enter, or leaving it for another box); Tab
# to its show-password button lost it, and Tambah pengguna then said "minimal 10 karakter".
with st.form("u_new", border=False):
    left, right = st.columns(2)
    left.text_input("Nama pengguna *", key="u_username", placeholder="huruf kecil, contoh: ani.dinsos")
    with left:
        field_errors(FORM, "username")
    right.text_input("Nama lengkap *", key="u_name", max_chars=chars("name"))
    with right:
        field_errors(FORM, "name")
    left.text_input("Kata sandi awal *", key="u_password", type="password", help=PASSWORD_HELP)
    with left:
        field_errors(FORM, "password")
    st.form_submit_button("Tambah pengguna", type="primary", icon=":material/person_add:", on_click=live_callback(add, "user.manage"))

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
        if who == actor.username:
            renew_login(actor.username, f"Kata sandi {who} diatur ulang; sesinya di semua perangkat diakhiri "
                                        "(sesi di tab ini diperbarui).")
        saved(f"Kata sandi {who} diatur ulang; sesinya di semua perangkat diakhiri.")
    if b.button("Nonaktifkan" if target["active"] else "Aktifkan kembali"):
        with connection() as db:
            try:
                set_user_active(db, target["id"], not target["active"], actor=actor)
            except ValidationError as exc:
                st.error(plain(exc))
                st.stop()
        saved(f"Pengguna {who} {'dinonaktifkan' if target['active'] else 'diaktifkan kembali'}.")

    st.markdown("**Peran dan wilayah**")
    st.caption("Mengubah peran, kabupaten atau desa mengakhiri semua sesi pengguna ini: ia masuk lagi "
               "dengan hak yang baru.")
    c, d = st.columns(2)
    new_role = c.selectbox("Peran", list(ROLES), index=list(ROLES).index(target["role"]), key=f"e_role_{who}",
                           format_func=ROLES.get, placeholder="Pilih...")
    new_regency = target["regency_code"]
    new_villages: list[str] = []
    with connection() as db:
        if new_role == "admin":
            new_regency = None
        elif new_role in ("operator", "viewer"):
            new_regency = d.selectbox("Kabupaten", **or_all(regencies, "Semua kabupaten", value=target["regency_code"],
                                                         key=f"e_regency_{who}"))
        else:
            current = [v.strip() for v in (target["villages"] or "").split(",") if v.strip()]
            districts = district_choices(db, actor=actor, regency_codes=app.settings.regency_codes)
            district = d.selectbox("Kecamatan", list(districts), key=f"e_district_{who}", format_func=districts.get,
                                   index=list(districts).index(current[0][:8]) if current and current[0][:8]
                                   in districts else None, placeholder="Pilih...")
            options = {code: code for code in current} | village_choices(db, district, actor=actor)
            new_villages = d.multiselect("Desa yang ditangani", list(options), default=current,
                                         key=f"e_villages_{who}", format_func=options.get, placeholder="Pilih...")
            # A village operator's regency follows their villages (kept as it is while they are unchanged).
            new_regency = (target["regency_code"] if target["role"] == "desa" and set(new_villages) == set(current)
                           else new_villages[0][:5] if new_villages else None)
    if c.button("Simpan peran dan wilayah", icon=":material/save:"):
        with connection() as db:
            try:
                changed = change_access(db, target["id"], role=new_role, regency_code=new_regency,
                                        villages=tuple(new_villages), actor=actor)
            except ValidationError as exc:
                st.error(plain(str(exc)))
                st.stop()
        saved(f"Peran dan wilayah {who} diubah; semua sesinya diakhiri." if changed else "Tidak ada perubahan.")

    st.markdown("**Sesi masuk**")
    with connection() as db:
        open_sessions = user_sessions(db, target["id"], actor=actor, policy=session_policy())
    if open_sessions:
        zone = zone_label()  # date_text shows stored (UTC) times in local time
        table([{f"Mulai ({zone})": date_text(s["created_at"]), f"Terakhir aktif ({zone})": date_text(s["last_seen_at"]),
                       f"Berakhir paling lambat ({zone})": date_text(s["expires_at"]), "Alamat IP": s["ip_address"] or "",
                       "Peramban": s["user_agent"] or ""} for s in open_sessions], hide_index=True, width="stretch")
    else:
        st.caption("Tidak ada sesi yang masih berlaku.")
    mine = who == actor.username
    if st.button("Keluarkan dari semua perangkat", icon=":material/logout:", disabled=not open_sessions,
                 help="Mengakhiri semua sesi pengguna ini" + (
                     "; sesi di tab ini diganti dengan sesi baru." if mine else ".")):
        with connection() as db:
            ended = end_user_sessions(db, target["id"], actor=actor)
        if mine:
            renew_login(actor.username, f"{ended} sesi {who} diakhiri; sesi di tab ini diperbarui.")
        saved(f"{ended} sesi {who} diakhiri.")
