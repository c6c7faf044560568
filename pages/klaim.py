"""Klaim: record a JKK or JKM claim, warned when the incident month was not paid, and see
what the protection paid back against what was paid in."""


import streamlit as st

from payung.base import clock
from payung.auth.access import allowed
from payung.finance.claims import PROGRAMS, STATUSES, benefits_against_contributions, check_claim, list_claims, record_claim
from payung.finance.claims import ALL_MONTHS_NOTE, PAID_ALL_MONTHS, update_claim
from payung.base.errors import ValidationError
from payung.people.workers import search_workers
from ui.session import connection, payung, require
from ui.widgets import (chars, attempt, clear_inputs, date_text, field_errors, nik_note, problem_summary, rupiah,
                        saved, show_saved_message)
from ui.widgets import distinct, plain, worker_label
from ui.widgets import picked, table as grid
from ui.widgets import DATE_HELP, rupiah_input, rupiah_value

FORM = "klaim"
actor = require("claim.read")
app = payung()
schemes = app.plugins.schemes
state = st.session_state
show_saved_message()
st.title("Klaim")

with connection() as db:
    totals = benefits_against_contributions(db, actor=actor)
a, b, c = st.columns(3)
a.metric(PAID_ALL_MONTHS, rupiah(totals["contributions_paid"]), help=ALL_MONTHS_NOTE)
b.metric("Manfaat dibayar", rupiah(totals["benefits_paid"]))
c.metric("Klaim dibayar", totals["claims"])

with connection() as db:
    claims = list_claims(db, actor=actor)
st.subheader("Daftar klaim")
if claims:
    table = grid([{
        "Pekerja": r["worker_name"], "Status": STATUSES.get(r["status"], r["status"]), "Program": r["program"],
        "Manfaat dibayar": rupiah(r["benefit_amount"]), "Tanggal kejadian": date_text(r["incident_date"]),
        "NIK": r["nik"], "Skema": schemes[r["scheme_code"]].name if r["scheme_code"] in schemes else "-",
        "Tanggal dibayar": date_text(r["paid_on"]) or "-",
    } for r in claims], hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
        key="c_table", phone=["Pekerja", "Status", "Program"])
    nik_note(actor)
    claim = picked(table, claims)
else:
    st.caption("Belum ada klaim.")
    claim = None

if not allowed(actor, "claim.write"):
    st.stop()

if claim:
    with st.container(border=True):
        st.markdown(f"**Perbarui klaim {claim['program']} {plain(claim['worker_name'])}** "
                    f"(kejadian {date_text(claim['incident_date'])})")
        status = st.selectbox("Status", list(STATUSES), index=list(STATUSES).index(claim["status"]),
                              format_func=STATUSES.get, key="cu_status", placeholder="Pilih...")
        benefit_key = f"cu_benefit_{claim['id']}"
        state.setdefault(benefit_key, claim["benefit_amount"])
        rupiah_input("Manfaat dibayar (Rp)", key=benefit_key)
        field_errors("klaim_ubah", "benefit_amount")
        paid_on = st.date_input("Tanggal manfaat dibayar", value=None, format="DD/MM/YYYY", key="cu_paid_on", help=DATE_HELP)
        field_errors("klaim_ubah", "paid_on")
        if st.button("Simpan perubahan", icon=":material/save:", key="cu_save"):
            def update():
                benefit = rupiah_value(benefit_key, field="benefit_amount", label="Manfaat dibayar") or 0
                with connection() as db:
                    update_claim(db, claim["id"], status=status, benefit_amount=benefit, paid_on=paid_on,
                                 actor=actor)
            attempt("klaim_ubah", update)
            clear_inputs("cu_")
            saved("Klaim diperbarui.")

st.subheader("Catat klaim baru")
problem_summary(FORM, ("worker_id", "program", "incident_date", "status", "benefit_amount", "paid_on"))
text = st.text_input("Cari pekerja (nama atau NIK)", key="c_search")
with connection() as db:
    found = search_workers(db, app.settings, actor=actor, text=text, page_size=30).rows if text else []
options = {w["id"]: w for w in found}
worker_labels = distinct({i: worker_label(w) for i, w in options.items()})
worker_id = st.selectbox("Pekerja *", list(options), index=None, key="c_worker", placeholder="Cari lalu pilih",
                         format_func=worker_labels.get)
if found and not claims:  # else said under the list of claims
    nik_note(actor)
field_errors(FORM, "worker_id")
left, right = st.columns(2)
program = left.selectbox("Program *", list(PROGRAMS), format_func=PROGRAMS.get, key="c_program", placeholder="Pilih...")
incident = right.date_input("Tanggal kejadian *", value=None, format="DD/MM/YYYY", key="c_incident", help=DATE_HELP,
                            max_value=clock.today())
field_errors(FORM, "incident_date")
status = left.selectbox("Status", list(STATUSES), format_func=STATUSES.get, key="c_status", placeholder="Pilih...")
rupiah_input("Manfaat dibayar (Rp)", key="c_benefit", placeholder="0 bila belum dibayar", container=right)
field_errors(FORM, "benefit_amount")
paid_on = left.date_input("Tanggal manfaat dibayar", value=None, format="DD/MM/YYYY", key="c_paid_on", help=DATE_HELP)
field_errors(FORM, "paid_on")
note = right.text_input("Catatan", key="c_note", max_chars=chars("note"), placeholder="contoh: nomor berkas klaim BPJS")
try:
    benefit = rupiah_value("c_benefit", field="benefit_amount", label="Manfaat dibayar") or 0
except ValidationError:
    benefit = None  # said beside the box when Simpan klaim is pressed
values = {"worker_id": worker_id, "program": program, "incident_date": incident, "status": status,
          "benefit_amount": benefit or 0, "paid_on": paid_on, "note": note}
if worker_id and incident:
    with connection() as db:
        for warning in check_claim(db, values, actor=actor).warnings:
            st.warning(plain(warning), icon=":material/warning:")
if st.button("Simpan klaim", type="primary", icon=":material/save:", key="c_save"):
    def save():
        amount = rupiah_value("c_benefit", field="benefit_amount", label="Manfaat dibayar") or 0
        with connection() as db:
            return record_claim(db, values | {"benefit_amount": amount}, actor=actor)
    claim_id, warnings = attempt(FORM, save)
    clear_inputs("c_")
    saved(f"Klaim #{claim_id} tersimpan." + (" Perhatian: " + " ".join(warnings) if warnings else ""))
