"""Tambah/ubah pekerja: typing the NIK fills birth date, gender and district from it."""

import datetime as dt

import streamlit as st

from payung.auth.access import allowed
from payung.base import clock
from payung.base.errors import NotFound, ValidationError
from payung.base.identity import GENDERS, check_nik, fmt_date
from payung.base.text import stored_text
from payung.people.elsewhere import SPENT_NOTE as ELSEWHERE_SPENT_NOTE
from payung.people.regions import district_choices, village_choices
from payung.people.workers import (POVERTY_SOURCES, create_worker, duplicate_nik, elsewhere_answers_left, get_worker,
                                   update_worker)
from ui.session import connection, live_callback, payung, require
from ui.widgets import clear_inputs, clear_problems, field_errors, forget_problems, problem_summary, problems_reminder
from ui.widgets import chars, remember_problems
from ui.widgets import DATE_HELP, SAVED, bring_into_view, plain, problems_for, rupiah, rupiah_input, rupiah_value, show_saved_message

FORM = "pekerja"
#: (the message, the worker) of the last save: the links under that message (``next_steps``).
SAVED_WORKER = "_f_saved_worker"
#: The container of the saved message, Simpan and the links under it (``next_steps``), brought
#: into view after a save.
SAVED_KEY = "f_saved"
FIELDS = ("nik", "name", "birth_place", "birth_date", "gender", "phone", "address", "village_code",
          "occupation", "declared_income", "poverty_source")  # a problem of the whole form: in the summary
#: The form's widgets as a new worker starts them.
EMPTY = {"f_nik": "", "f_name": "", "f_birth_place": "", "f_birth_date": None, "f_gender": None, "f_phone": "",
         "f_address": "", "f_district": None, "f_village": None, "f_occupation": None, "f_income": "",
         "f_poor": False, "f_wage": False}
actor = require("worker.write")
app = payung()
state = st.session_state

editing = state.get("edit_worker_id")
if editing and state.get("_loaded_worker") != editing:
    with connection() as db:
        try:
            w = get_worker(db, editing, actor=actor)
        except NotFound:
            state.pop("edit_worker_id", None)
            st.error("Pekerja tidak ditemukan.")
            st.stop()
    state.update({
        # A name another program stored as bytes (payung check: name_texts) is typed again.
        "f_nik": w["nik"], "f_name": stored_text(w["name"]) or "",
        "_f_name_not_text": stored_text(w["name"]) is None, "f_birth_place": w["birth_place"] or "",
        "f_birth_date": dt.date.fromisoformat(w["birth_date"]), "f_gender": w["gender"],
        "f_phone": w["phone"] or "", "f_address": w["address"] or "", "f_district": w["district_code"],
        "f_village": w["village_code"], "f_occupation": w["occupation"], "f_income": w["declared_income"],
        "f_poor": bool(w["poverty_flag"]), "f_poverty_source": w["poverty_source"],
        "f_wage": bool(w["wage_earner"]), "_loaded_worker": editing,
    })
elif not editing and state.get("_loaded_worker"):
    clear_inputs("f_")
    state.pop("_loaded_worker", None)

with connection() as db:
    districts = district_choices(db, actor=actor, regency_codes=app.settings.regency_codes)


def only_choice(key: str, choices: dict) -> None:
    """A box with one possible answer (a village operator's kecamatan and desa) starts on it."""
    if len(choices) == 1 and state.get(key) not in choices:
        state[key] = next(iter(choices))


only_choice("f_district", districts)


def fill_from_nik() -> None:
    """On NIK change: fill birth date, gender and district where they are still empty; the
    error of the last Simpan about the NIK goes, and so does its gender disagreeing with the NIK
    (said under Jenis kelamin), as the live check below speaks for the new one."""
    forget_problems(FORM, "nik")
    forget_problems(FORM, "gender", rule="nik_gender_mismatch")
    result = check_nik(state.get("f_nik"), regency_codes=app.settings.regency_codes)
    if result.birth_date and not state.get("f_birth_date"):
        state["f_birth_date"] = result.birth_date
    if result.gender and not state.get("f_gender"):
        state["f_gender"] = result.gender
    if result.district_code in districts and not state.get("f_district"):
        state["f_district"] = result.district_code


st.title("Ubah data pekerja" if editing else "Tambah pekerja")
problem_summary(FORM, FIELDS)
st.text_input("NIK *", key="f_nik", on_change=fill_from_nik, max_chars=24,
              help="16 digit sesuai KTP. Tanggal lahir, jenis kelamin dan kecamatan diisi otomatis dari NIK.")
typed_birth, typed_gender = state.get("f_birth_date"), state.get("f_gender")
live = check_nik(state["f_nik"], birth_date=typed_birth, gender=typed_gender,
                 regency_codes=app.settings.regency_codes) if state.get("f_nik") else None


def live_problems(field: str) -> None:
    """The live check's problems of ``field``, drawn under that field's box: the NIK's under the
    NIK, a sex that disagrees with the NIK under Jenis kelamin (the box to change), as Simpan's
    red error is. Once Simpan was refused for the same reason, it is said once, in red."""
    for problem in live.problems if live else ():
        if problem.field == field and problem.message not in problems_for(FORM, field):
            st.warning(plain(problem.message), icon=":material/warning:")


if live:
    live_problems("nik")
    # The NIK itself is sound (a sex that disagrees with it is Jenis kelamin's problem).
    nik_ok = live.nik is not None and not [p for p in live.problems if p.field == "nik"]
    if nik_ok:  # a NIK registered already is said while the rest of the form is still empty
        with connection() as db:
            taken = duplicate_nik(db, live.nik, actor=actor, settings=app.settings, except_id=editing)
            spent = not taken and not elsewhere_answers_left(db, actor=actor, settings=app.settings)
        if taken and taken.message not in problems_for(FORM, "nik"):
            st.warning(plain(taken.message), icon=":material/person_search:")
        if spent:  # said of every NIK, registered or not (else it would be the answer)
            st.caption(ELSEWHERE_SPENT_NOTE)
    for warning in live.warnings:
        st.info(plain(warning), icon=":material/info:")
    if nik_ok and live.birth_date:
        st.caption(f"Dari NIK: lahir {fmt_date(live.birth_date)}, {GENDERS[live.gender].lower()}, "
                   f"kecamatan {districts.get(live.district_code) or live.district_name or live.district_code}.")
field_errors(FORM, "nik")

left, right = st.columns(2)
with left:
    if editing and state.get("_f_name_not_text"):
        st.warning("Nama pekerja ini tersimpan bukan sebagai teks (ditulis program lain), sehingga tidak "
                   "ditemukan pencarian: ketik ulang namanya sesuai KTP, lalu Simpan.")
    st.text_input("Nama lengkap (sesuai KTP) *", key="f_name", max_chars=chars("name"),
                  on_change=forget_problems, args=(FORM, "name"))
    field_errors(FORM, "name")
    st.text_input("Tempat lahir", key="f_birth_place", max_chars=chars("birth_place"))
    st.date_input("Tanggal lahir *", key="f_birth_date", value=None, on_change=forget_problems, args=(FORM, "birth_date"), format="DD/MM/YYYY",
                  min_value=dt.date(1920, 1, 1), max_value=clock.today(), help=DATE_HELP)
    field_errors(FORM, "birth_date")
    st.radio("Jenis kelamin *", list(GENDERS), key="f_gender", on_change=forget_problems, args=(FORM, "gender"), format_func=GENDERS.get, horizontal=True, index=None)
    live_problems("gender")
    field_errors(FORM, "gender")
    st.text_input("No. HP/WA", key="f_phone", on_change=forget_problems, args=(FORM, "phone"), placeholder="0812...")
    field_errors(FORM, "phone")
    st.text_area("Alamat", key="f_address", height=80, max_chars=chars("address"))
with right:
    st.selectbox("Kecamatan *", list(districts), key="f_district", format_func=districts.get, index=None,
                 placeholder="Pilih kecamatan")
    with connection() as db:
        villages = village_choices(db, state.get("f_district"), actor=actor)
    only_choice("f_village", villages)
    # A village of another district is dropped by Streamlit itself. The page must not write None into
    # the box on every run: the browser would show it over a village picked while this run was under
    # way, and Simpan then said "wajib dipilih" (tests/test_reruns_keep_input.py).
    st.selectbox("Desa/kelurahan domisili *", list(villages), key="f_village", on_change=forget_problems, args=(FORM, "village_code"), format_func=villages.get,
                 index=None, placeholder="Pilih kecamatan dahulu" if not villages else "Pilih desa/kelurahan")
    field_errors(FORM, "village_code")
    occupations = app.settings.occupations
    st.selectbox("Pekerjaan *", list(occupations), key="f_occupation", on_change=forget_problems, args=(FORM, "occupation"), format_func=occupations.get, index=None,
                 placeholder="Pilih pekerjaan")
    field_errors(FORM, "occupation")
    lowest = rupiah(app.settings.min_income)
    rupiah_input("Penghasilan yang dilaporkan (Rp per bulan)", key="f_income",
                 placeholder=f"kosongkan bila tidak tahu: {lowest}",
                 help=f"Iuran dihitung dari penghasilan ini; paling rendah {lowest}.")
    field_errors(FORM, "declared_income")
    st.checkbox("Terdaftar miskin (DTKS/P3KE)", key="f_poor")
    if state.get("f_poor"):
        st.selectbox("Sumber data kemiskinan", POVERTY_SOURCES, key="f_poverty_source", placeholder="Pilih...")
        field_errors(FORM, "poverty_source")
    st.checkbox("Penerima upah (bukan pekerja informal)", key="f_wage")

def save(*, actor) -> None:
    """Simpan, as the button's callback: it runs before the page is drawn again, so after a save
    the form is drawn empty (values cleared in the script after the widgets were drawn came
    back from the browser: the last worker's district stayed, the village was asked again and a
    second Simpan looked like a failed save and invited a duplicate). It also runs before
    app.py's session check: ``live_callback`` checks the session and passes the actor of now."""
    try:
        income = rupiah_value("f_income", field="declared_income", label="Penghasilan")
    except ValidationError:
        income = state.get("f_income")  # as typed: the save refuses it beside every other problem
    values = {
        "nik": state.get("f_nik"), "name": state.get("f_name"), "birth_place": state.get("f_birth_place"),
        "birth_date": state.get("f_birth_date"), "gender": state.get("f_gender"), "phone": state.get("f_phone"),
        "address": state.get("f_address"), "village_code": state.get("f_village"),
        "occupation": state.get("f_occupation"), "declared_income": income,
        "poverty_flag": state.get("f_poor", False),
        "poverty_source": state.get("f_poverty_source") if state.get("f_poor") else None,
        "wage_earner": state.get("f_wage", False),
    }
    try:
        with connection() as db:
            if editing:
                update_worker(db, app.settings, editing, values, actor=actor)
            else:
                editing_id = create_worker(db, app.settings, values, actor=actor)
            # The name as stored ("Siti Aminah", however it was typed).
            stored = get_worker(db, editing or editing_id, actor=actor)["name"]
    except ValidationError as exc:
        remember_problems(FORM, exc.problems)
        return
    clear_problems()
    state.update(EMPTY)
    state.pop("f_poverty_source", None)
    state.pop("edit_worker_id", None)
    state.pop("_loaded_worker", None)
    name = stored
    message = f"Data {name} tersimpan." if editing else f"{name} terdaftar sebagai pekerja."
    state[SAVED] = message
    state[SAVED_WORKER] = (message, editing or editing_id)


def next_steps() -> None:
    """Under the message of a worker saved, the steps that follow: their page, and their enrolment
    in a scheme (for a role that may enrol; Kepesertaan picks them by ``?pekerja=``). Links, not
    buttons: a button's click reruns the page, and the message (with its buttons) is gone by then.
    On a phone they were drawn under Simpan, off screen: the message, Simpan and the links are
    brought into view, in the runs that show them (until one has ended: ``show_saved_message``)."""
    message, worker_id = state.get(SAVED_WORKER, (None, None))
    if worker_id is None or state.get(SAVED) != message:
        return
    bring_into_view(SAVED_KEY)
    with st.container(horizontal=True):
        st.page_link("pages/pekerja.py", label="Lihat data pekerja", icon=":material/person:",
                     query_params={"id": worker_id})
        if allowed(actor, "sponsorship.write"):
            st.page_link("pages/kepesertaan.py", label="Daftarkan kepesertaan", icon=":material/how_to_reg:",
                         query_params={"pekerja": worker_id})


# Where the eye is after a save: the button is below the fold (on a phone, and at 768 px high), and
# a message at the top of the form was off screen: the form emptied with no word that it saved.
# The message, Simpan and the links under it are one container: brought into view after a save.
with st.container(key=SAVED_KEY):
    show_saved_message(toast=True)
    problems_reminder(FORM)
    st.button("Simpan", type="primary", icon=":material/save:", on_click=live_callback(save, "worker.write"))
    next_steps()
