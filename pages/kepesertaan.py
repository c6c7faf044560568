"""Daftarkan kepesertaan: a scheme, a sponsor and one or many workers, on one screen; or
every eligible uncovered worker of a district, village or occupation at once.

"Periksa" runs every check (the scheme plugin's too) and shows each problem beside its field
and the cost; "Simpan" then writes exactly what was checked, all or nothing. Both go through
the bulk planner, so a quota or a budget line is counted across the workers chosen together.
"""

import streamlit as st

from payung.auth.access import schemes_for

from payung.enrolment.bulk import apply_bulk, plan_bulk, plan_eligible, preview
from payung.base.errors import NotFound, Problem
from payung.base.formats import count
from payung.base.months import current_month, format_month
from payung.people.regions import district_choices, village_choices
from payung.base.sponsor_types import SPONSOR_TYPES
from payung.people.sponsors import search_sponsors
from payung.people.workers import get_worker
from payung.schemes.editing import taking_enrolments
from payung.enrolment.sponsorships import describe_cost, eligible_workers, schemes_for_worker, start_months
from ui.session import connection, payung, require
from ui.widgets import (attempt, declared_field, field_errors, nik_note, remember_problems, rupiah, saved,
                        show_saved_message)
from ui.widgets import distinct, or_all, plain, progress_to_the_end, sponsor_label, table, worker_label

FORM = "kepesertaan"
SPONSOR_CHOICES = 200
#: Workers the picker holds at once; a typed name is searched among all of them.
ELIGIBLE_SHOWN = 200
actor = require("sponsorship.write")
app = payung()
state = st.session_state
show_saved_message()
st.title("Daftarkan kepesertaan")

#: Session key of a worker sent by the form that registered them (its link "Daftarkan
#: kepesertaan", ?pekerja=): picked by id among the workers the scheme takes, below. Their full
#: NIK was put in the search box for it: a list shows none (``access.listed``), and the box kept it
#: on screen. The search box is left as it was.
SENT = "_k_sent_worker"
found_worker = None
if "pekerja" in st.query_params:
    sent_worker = st.query_params.pop("pekerja")
    with connection() as db:
        try:
            found_worker = get_worker(db, int(sent_worker), actor=actor)
        except (ValueError, NotFound):
            found_worker = None
    if found_worker is None:
        st.warning("Pekerja yang dikirim ke halaman ini tidak ditemukan: cari namanya di kotak pekerja di bawah.")
    else:
        state.update({"k_mode": "satu", SENT: (found_worker["id"], found_worker["name"])})

with connection() as db:  # a retired scheme takes no new enrolment: not offered
    schemes = taking_enrolments(db, schemes_for(app.plugins, actor, "sponsorship.write"))
if not schemes:
    st.warning("Belum ada skema yang menerima kepesertaan baru di wilayah Anda. Lihat halaman Skema.")
    st.stop()
if found_worker is not None:
    # The sent worker's page opens on a scheme that can enrol them: of their regency, with a sponsor
    # this person may choose (a village operator landed on Kendal ASN, whose sponsors are ASN they
    # cannot see, and the page stopped at "Belum ada penyandang dana" until they changed the scheme).
    with connection() as db:
        fits = schemes_for_worker(db, schemes, found_worker, actor=actor)
    if fits.usable:
        if state.get("k_scheme") not in fits.usable:
            state["k_scheme"] = fits.usable[0]
    elif fits.unsponsored:
        state["k_scheme"] = fits.unsponsored[0]
        st.warning(plain(f"{found_worker['name']} belum dapat didaftarkan: skema "
                         f"{', '.join(schemes[c].name for c in fits.unsponsored)} belum punya penyandang dana "
                         "yang dapat Anda pilih. Tambahkan dahulu di halaman Penyandang Dana, lalu kembali ke sini dan "
                         "cari nama pekerja ini."), icon=":material/info:")
    else:
        st.warning(plain(f"{found_worker['name']} belum dapat didaftarkan: tidak ada skema di kabupaten pekerja "
                         "ini yang menerima kepesertaan baru dan dapat Anda pakai. Lihat halaman Skema."),
                   icon=":material/info:")
code = st.selectbox("Skema *", list(schemes), key="k_scheme", format_func=lambda c: schemes[c].name, placeholder="Pilih...")
scheme = schemes[code]
st.caption(plain(scheme.description))

# Widgets whose choices depend on the scheme carry its code in their key: a value chosen under one
# scheme (6 months, JHT) never carries over to another. A regency has thousands of sponsors (every
# ASN of Kendal): the list shows the first SPONSOR_CHOICES matching what is typed.
sponsor_key = f"k_sponsor_{code}"
query = st.text_input("Cari penyandang dana", key=f"k_sponsor_q_{code}", placeholder="nama, NIP atau OPD")
with connection() as db:
    found = search_sponsors(db, actor=actor, text=query, types=scheme.sponsor_types or None,
                            prefer_regency=scheme.regency_code, page_size=SPONSOR_CHOICES)
    by_id = {s["id"]: s for s in found.rows}
    sent, current = state.get("enrol_sponsor_id"), state.get(sponsor_key)  # sent: from a sponsor's page
    for wanted in {sent, current} - {None} - set(by_id):
        by_id.update({s["id"]: s for s in search_sponsors(
            db, actor=actor, types=scheme.sponsor_types or None, prefer_regency=scheme.regency_code,
            only_id=wanted, page_size=1).rows})
if sent in by_id:
    state[sponsor_key] = state.pop("enrol_sponsor_id")
elif current not in by_id:
    state.pop(sponsor_key, None)
if not by_id:
    st.warning("Tidak ada penyandang dana yang cocok dengan pencarian." if query.strip() else
               "Belum ada penyandang dana yang boleh membiayai skema ini "
               f"({', '.join(SPONSOR_TYPES[t].label for t in scheme.sponsor_types) or 'semua jenis'}). "
               "Tambahkan dahulu di halaman Penyandang Dana.")
    st.stop()
if found.total > len(found.rows):
    st.caption(f"Menampilkan {count(len(found.rows))} dari {count(found.total)} penyandang dana; ketik nama, NIP "
               "atau OPD untuk mempersempit.")
sponsor_labels = distinct({i: sponsor_label(s) for i, s in by_id.items()})
sponsor_id = st.selectbox("Penyandang dana *", list(by_id), key=sponsor_key, index=None,
                          placeholder="Pilih penyandang dana", format_func=sponsor_labels.get)
field_errors(FORM, "sponsor_id")

left, middle, right = st.columns(3)
this_month = current_month()
# None before the scheme began: the list offered them, and Periksa refused them.
month_options = start_months(scheme, app.settings)
if state.get("k_start") not in month_options:
    state.pop("k_start", None)
start = left.selectbox("Bulan mulai *", month_options, key="k_start", format_func=format_month, placeholder="Pilih...",
                       index=month_options.index(this_month) if this_month in month_options else 0)
months = middle.selectbox("Lama (bulan) *", list(scheme.months), key=f"k_months_{code}", placeholder="Pilih...")
# Where JHT is not offered the box is disabled and unticked: a tick a session gave it before the
# scheme was edited is dropped, so what the box shows is what is sent (the rule refuses the rest).
if "JHT" not in scheme.offered_programs:
    state[f"k_jht_{code}"] = False
jht = right.checkbox("Ikut JHT (tabungan hari tua)", key=f"k_jht_{code}", value="JHT" in scheme.programs,
                     disabled="JHT" not in scheme.offered_programs,
                     help=None if "JHT" in scheme.offered_programs else "Skema ini tidak membiayai JHT.")
payment_period = left.selectbox("Periode pembayaran", scheme.allowed_periods(app.settings), key=f"k_period_{code}",
                                format_func=lambda n: "Bulanan" if n == 1 else f"{n} bulan di muka",
                                help="Seberapa sering penyandang dana membayar: bulanan, atau 3, 6, 12 bulan di muka.", placeholder="Pilih...")
field_errors(FORM, "start_month")
field_errors(FORM, "months")
field_errors(FORM, "programs")

fields = app.plugins.fields(scheme)
values = {}
if fields:
    st.subheader(f"Isian khusus {plain(scheme.name)}")
    for f in fields:
        values[f.name] = declared_field(f, form=FORM, key=f"k_field_{code}_{f.name}")

st.subheader("Pekerja")
sponsor = by_id.get(sponsor_id)
programs = list(scheme.programs) + (["JHT"] if jht and "JHT" not in scheme.programs else [])
mode = st.radio("Cara memilih pekerja", ["satu", "semua"], horizontal=True, key="k_mode",
                format_func={"satu": "Pilih satu per satu", "semua": "Semua yang memenuhi syarat"}.get)
if mode == "semua":
    # Select all: every eligible uncovered worker of a district / village / occupation, planned
    # at once by the bulk planner (the same checks as one by one), previewed, then saved.
    a_col, b_col, c_col = st.columns(3)
    with connection() as db:
        districts = district_choices(db, actor=actor, regency_codes=(scheme.regency_code,))
        district = a_col.selectbox("Kecamatan", **or_all(districts, "Semua kecamatan", key="k_all_district"))
        villages = village_choices(db, district, actor=actor) if district else {}
    village = b_col.selectbox("Desa/kelurahan", **or_all(villages, "Semua desa", key="k_all_village"))
    occupations = app.settings.occupations
    occupation = c_col.selectbox("Pekerjaan", **or_all(occupations, "Semua pekerjaan", key="k_all_occupation"))
    selection = dict(scheme_code=code, sponsor_id=sponsor_id, start_month=start, months=months, programs=programs,
                     fields=values, payment_period=payment_period, region=village or district, occupation=occupation)
    bulk_fingerprint = repr(selection)
    if st.button("Hitung dan pratinjau", icon=":material/fact_check:", key="k_all_check"):
        if sponsor_id is None:
            remember_problems(FORM, [Problem("sponsor_id", "Pilih penyandang dana.")])
            st.rerun()
        bar = st.progress(0.0, text="Memeriksa...")
        with connection() as db:
            bulk = plan_eligible(db, app.plugins, actor=actor, progress=lambda f, t: bar.progress(f, text=t),
                                 **selection)
        bar.empty()
        state["_k_bulk"] = {"fingerprint": bulk_fingerprint, "plan": bulk}
    checked_bulk = state.get("_k_bulk")
    if not checked_bulk or checked_bulk["fingerprint"] != bulk_fingerprint:
        if checked_bulk:
            st.info("Pilihan berubah sejak dihitung. Tekan Hitung dan pratinjau lagi.")
        st.stop()
    bulk = checked_bulk["plan"]
    accepted, refused = bulk.accepted, bulk.refused
    one, two, three = st.columns(3)
    one.metric("Memenuhi syarat", count(len(accepted)))
    two.metric("Biaya per bulan", rupiah(bulk.monthly))
    three.metric(f"Biaya {months} bulan", rupiah(bulk.total))
    if accepted:
        st.caption(f"Pratinjau {min(len(accepted), 50)} dari {count(len(accepted))} pekerja")
        table([{"Pekerja": w["name"], "NIK": w["nik"], "Pekerjaan": occupations.get(w["occupation"], w["occupation"]),
                "Rincian": w["cost"]} for w in preview(bulk, actor=actor, limit=50)], hide_index=True, width="stretch")
        nik_note(actor)
    if refused:
        reasons: dict[str, list] = {}
        for r in refused:
            for p in r.problems:
                reasons.setdefault(p.rule or p.message, []).append(p.message)
        st.warning(f"{count(len(refused))} pekerja tidak memenuhi syarat skema.")
        table([{"Aturan": rule, "Pekerja": len(messages), "Contoh": messages[0]}
                      for rule, messages in sorted(reasons.items(), key=lambda kv: -len(kv[1]))],
                     hide_index=True, width="stretch")
    if accepted and st.button(f"Simpan {count(len(accepted))} kepesertaan", type="primary",
                              icon=":material/save:", key="k_all_save"):
        with progress_to_the_end("Menyimpan...") as progress, connection() as db:
            counts = attempt(FORM, lambda: apply_bulk(db, app.plugins, bulk, actor=actor, progress=progress))
        state.pop("_k_bulk", None)
        saved(f"{counts['imported']} kepesertaan tersimpan di {scheme.name}."
              + (f" {counts['rejected']} tidak memenuhi syarat." if counts["rejected"] else ""))
    st.stop()


def search_typed() -> None:
    """A name typed in the picker and entered (the picker holds the first ELIGIBLE_SHOWN names
    only, and found nothing else): it becomes the search, and a single worker found is picked."""
    typed = [v for v in state.get("k_workers", []) if isinstance(v, str)]
    if typed:
        state["k_workers"] = [v for v in state["k_workers"] if not isinstance(v, str)]
        state["k_search"] = typed[-1].strip()
        state["_k_pick_found"] = True


text = st.text_input("Cari pekerja yang belum ditanggung", key="k_search", placeholder="nama atau NIK")
with connection() as db:
    candidates = eligible_workers(db, app.plugins, scheme_code=code, sponsor=sponsor, start_month=start,
                                  months=months, actor=actor, text=text, limit=ELIGIBLE_SHOWN)
known = {w["id"]: w for w in candidates} | state.get("_k_known", {})
if SENT in state:
    sent, sent_name = state.pop(SENT)
    with connection() as db:
        takes = eligible_workers(db, app.plugins, scheme_code=code, sponsor=sponsor, start_month=start,
                                 months=months, actor=actor, worker_id=sent, limit=1)
    if takes:
        known[sent] = takes[0]
        if sent not in state.get("k_workers", []):
            state["k_workers"] = [*state.get("k_workers", []), sent]
    else:
        st.warning(plain(f"{sent_name} tidak memenuhi syarat wilayah {scheme.name} atau sudah ditanggung "
                         "pada bulan-bulan ini: pilih skema atau bulan lain."))
state["_k_known"] = known
worker_labels = distinct({i: worker_label(w) for i, w in known.items()})
if state.pop("_k_pick_found", False):
    if len(candidates) == 1 and candidates[0]["id"] not in state.get("k_workers", []):
        state["k_workers"] = [*state.get("k_workers", []), candidates[0]["id"]]
    elif not candidates:
        st.warning(plain(f"Tidak ada pekerja bernama \"{text}\" yang memenuhi syarat dan belum ditanggung."))
    else:
        st.info(plain(f"{count(len(candidates))} pekerja cocok dengan \"{text}\": pilih di kotak di bawah."))
st.caption((f"{count(len(candidates))} pekerja" if len(candidates) < ELIGIBLE_SHOWN else
            f"Lebih dari {count(ELIGIBLE_SHOWN)} pekerja")
           + " memenuhi syarat wilayah dan belum ditanggung pada bulan-bulan ini"
           + (" di desa penyandang dana" if sponsor and sponsor["type"] == "pemerintah_desa" else "")
           + (f" dan cocok dengan \"{plain(text)}\"." if text else ". Ketik nama di kotak di bawah lalu Enter untuk "
              "mencari di antara semuanya."))
chosen = st.multiselect("Pekerja yang ditanggung *", list(known), key="k_workers", on_change=search_typed,
                        format_func=lambda i: worker_labels.get(i, str(i)), accept_new_options=True,
                        placeholder="Ketik nama pekerja, lalu pilih atau tekan Enter")
chosen = [w for w in chosen if w in known]
field_errors(FORM, "worker_id")
nik_note(actor)

choices = dict(scheme_code=code, sponsor_id=sponsor_id, start_month=start, months=months, programs=programs,
               fields=values)
fingerprint = repr((choices, sorted(chosen)))

if st.button("Periksa", icon=":material/fact_check:"):
    if sponsor_id is None or not chosen:
        remember_problems(FORM, [p for p in (
            Problem("sponsor_id", "Pilih penyandang dana.") if sponsor_id is None else None,
            Problem("worker_id", "Pilih paling sedikit satu pekerja.") if not chosen else None) if p])
        st.rerun()
    # One list through the bulk planner: the form's checks, with quotas, pledges and budget
    # lines counted across the workers chosen together.
    with connection() as db:
        bulk = plan_bulk(db, app.plugins, [dict(choices, worker_id=w, payment_period=payment_period, row=n)
                                           for n, w in enumerate(chosen, 1)], actor=actor)
    plans = {r.request["worker_id"]: r for r in bulk.rows}
    problems, seen = [], set()
    for row in plans.values():
        for p in row.problems:
            if (p.field, p.message) not in seen:
                seen.add((p.field, p.message))
                problems.append(p)
    remember_problems(FORM, problems)
    state["_k_checked"] = {"fingerprint": fingerprint, "ok": not problems, "plan": bulk,
                           "cost": {w: (r.plan.monthly_amount, r.plan.total, describe_cost(r.plan))
                                    for w, r in plans.items() if r.status == "new"}}
    st.rerun()

checked = state.get("_k_checked")
if checked and checked["fingerprint"] == fingerprint:
    if checked["ok"]:
        total = sum(c[1] for c in checked["cost"].values())
        monthly = sum(c[0] for c in checked["cost"].values())
        st.success(f"Semua syarat terpenuhi. Biaya: {rupiah(monthly)} per bulan untuk {len(chosen)} pekerja; "
                   f"{rupiah(total)} selama {months} bulan.", icon=":material/payments:")
        table([{"Pekerja": worker_labels.get(w, str(w)), "Rincian": c[2]} for w, c in checked["cost"].items()],
                     hide_index=True, width="stretch")
        if st.button("Simpan kepesertaan", type="primary", icon=":material/save:"):
            # All or nothing; planned again under the write lock if anything changed meanwhile.
            with progress_to_the_end("Menyimpan...") as progress, connection() as db:
                counts = attempt(FORM, lambda: apply_bulk(db, app.plugins, checked["plan"], actor=actor,
                                                          progress=progress))
            refused = [f"{known[r.request['worker_id']]['name']}: {r.problems[0].message}"
                       for r in checked["plan"].refused if r.problems]
            for key in ("k_workers", "_k_checked", "_k_known"):
                state.pop(key, None)
            saved(f"{counts['imported']} kepesertaan tersimpan di {scheme.name}."
                  + (" Tidak tersimpan: " + "; ".join(refused) if refused else ""))
    else:
        st.error("Perbaiki hal yang ditandai merah di atas, lalu periksa lagi.")
elif checked:
    st.info("Isian berubah sejak diperiksa. Tekan Periksa lagi untuk melihat biaya.")
