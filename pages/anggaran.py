"""Anggaran: each scheme's budget lines with what is committed and paid, new lines, and the
planner ("how many workers does Rp X cover", "what do N workers cost")."""


import streamlit as st

from payung.base import clock
from payung.auth.access import allowed, schemes_for
from payung.finance.budgets import SOURCES, budget_lines, categories, cost_of_workers, create_budget_line, workers_for_budget
from payung.base.errors import ValidationError
from payung.base.formats import count, short_name, whole_percent
from payung.base.months import add_months, current_month, format_month
from payung.people.sponsors import search_sponsors
from ui.session import connection, payung, require
from ui.widgets import chars, attempt, clear_inputs, field_errors, problem_summary, rupiah, saved, show_saved_message
from ui.widgets import plain, rupiah_input, rupiah_value
from ui.widgets import or_all, scheme_column, sponsor_label, table

FORM = "anggaran"
actor = require("budget.read")
app = payung()
schemes = schemes_for(app.plugins, actor, "budget.read")
show_saved_message()
st.title("Anggaran")
left, right = st.columns([3, 1])
code = left.selectbox("Skema", **or_all(schemes, "Semua skema", key="a_scheme"))
year = right.number_input("Tahun", min_value=2015, max_value=2100, step=1, value=clock.today().year, key="a_year")
with connection() as db:
    lines = budget_lines(db, code, int(year), actor=actor)
if lines:
    # The line and its figures first: at 1366 px Pagu, Terikat and Sisa were off screen behind the
    # scheme's name. Lines of several schemes (all schemes shown) start with their scheme's short
    # name: two "APBD 2026" lines of two schemes looked alike at 1366 px, and a phone cut off a
    # scheme's name written after a long line name.
    several = len({l["scheme_code"] for l in lines}) > 1

    def scheme_of(line: dict) -> str:
        scheme = schemes.get(line["scheme_code"])
        return short_name(scheme.name) if scheme else line["scheme_code"]
    table([{
        "Pos anggaran": f"{scheme_of(l)} · {l['name']}" if several else l["name"], "Pos": l["name"],
        "Pagu": rupiah(l["amount"]), "Terikat": rupiah(l["committed"]),
        "Sisa pagu": rupiah(l["remaining"]), "Terpakai": whole_percent(l["committed"], l["amount"]),
        "Dibayar": rupiah(l["paid"]), "Sumber": SOURCES.get(l["source"], l["source"]),
        "Untuk": l["sponsor_name"] or l["category"] or "Semua",
        "Skema": scheme_of(l),
    } for l in lines], hide_index=True, width="stretch", key="a_lines",
        # Whole percents: the browser writes a printf decimal with a point ("1.7%"), never "1,7%";
        # the exact figures are Terikat and Sisa pagu beside it. A line with anything committed never
        # reads "0%", nor one with room left "100%" (formats.whole_percent).
        # "Terikat", not "Terpakai": the share committed, which read as money already spent.
        column_config={"Terpakai": st.column_config.ProgressColumn("Terikat (% pagu)", min_value=0, max_value=100,
                                                                   format="%.0f%%"),
                       "Skema": scheme_column(s.name for s in schemes.values()),
                       "Pos": None},  # the phone's (below); a wider screen has "Pos anggaran"
        # On a phone the line's long name took the screen, and the bar was off it: the line's own name
        # and the bar, then its scheme (a scheme's long name before it cut the line's off).
        phone=["Pos", "Terpakai", "Skema"],
        phone_options={"column_config": {
            "Pos": st.column_config.TextColumn("Pos anggaran", width=200),
            "Terpakai": st.column_config.ProgressColumn("Terikat %", min_value=0, max_value=100, format="%.0f%%",
                                                        width=85)}},
        laptop=["Pos anggaran", "Pagu", "Terikat", "Sisa pagu", "Terpakai", "Dibayar", "Sumber"])
    st.caption("Terikat = iuran semua bulan kepesertaan yang sudah didaftarkan pada pos ini. Kepesertaan yang "
               "melebihi sisa pagu ditolak.")
else:
    st.info("Belum ada pos anggaran untuk pilihan ini. Skema tanpa pos anggaran tidak dibatasi pagu.")

# The form of a new budget line only for a role that may add one (payung.auth.access; the service refuses
# the others too): a viewer was shown the tab only to be told it may not use it.
can_add = allowed(actor, "budget.write")
planner, *new_line = st.tabs(["Perencana", *(["Tambah pos anggaran"] if can_add else [])])
with planner:
    first, second = st.columns(2)
    starts = [add_months(current_month(), i) for i in range(-12, 25)]
    start = first.selectbox("Bulan mulai", starts, index=12, key="a_plan_start", format_func=format_month,
                            placeholder="Pilih bulan")
    months = second.selectbox("Lama (bulan)", [12, 6, 3, 1], key="a_plan_months", placeholder="Pilih...")
    jht = first.checkbox("Termasuk JHT", key="a_plan_jht")
    programs = ("JKK", "JKM", "JHT") if jht else ("JKK", "JKM")
    rupiah_input("Anggaran tersedia (Rp)", key="a_plan_budget", placeholder="contoh 600.000.000", container=first)
    headcount = second.number_input("Jumlah pekerja", min_value=0, step=100, value=None, key="a_plan_workers")
    try:
        budget = rupiah_value("a_plan_budget", field="budget", label="Anggaran tersedia")
        if budget:
            plan = workers_for_budget(app.settings, int(budget), start_month=start, months=months, programs=programs)
            first.success(f"{rupiah(int(budget))} cukup untuk **{count(plan.workers)} pekerja** selama {months} bulan "
                          f"mulai {format_month(plan.start_month)} ({rupiah(plan.per_worker)} per pekerja); "
                          f"sisa {rupiah(plan.leftover)}.")
        if headcount:
            plan = cost_of_workers(app.settings, int(headcount), start_month=start, months=months, programs=programs)
            second.success(f"{count(plan.workers)} pekerja selama {months} bulan mulai {format_month(plan.start_month)} "
                           f"butuh **{rupiah(plan.total)}** ({rupiah(plan.per_worker)} per pekerja).")
    except ValidationError as exc:
        st.error(plain(exc))
    st.caption(f"Dihitung dari tarif iuran BPJS Ketenagakerjaan yang berlaku pada bulan itu (termasuk keringanan "
               f"yang sedang berjalan), pada penghasilan terendah {rupiah(app.settings.min_income)} per bulan. "
               "Bila tarif berubah, minta pengelola Payung memperbaruinya di pengaturan.")

if not can_add:
    st.stop()
with new_line[0]:
    if not schemes:
        st.info("Belum ada skema di wilayah Anda untuk diberi pos anggaran. Lihat halaman Skema.")
        st.stop()
    problem_summary(FORM, ("scheme_code", "name", "year", "source", "amount", "sponsor_id", "category"))
    scheme_code = st.selectbox("Skema *", list(schemes), key="an_scheme", format_func=lambda c: schemes[c].name, placeholder="Pilih...")
    name = st.text_input("Nama pos anggaran *", key="an_name", max_chars=chars("name"),
                         placeholder="contoh: APBD 2026 iuran pekerja rentan")
    field_errors(FORM, "name")
    left, middle, right = st.columns(3)
    line_year = left.number_input("Tahun anggaran *", min_value=2015, max_value=2100, step=1,
                                  value=clock.today().year, key="an_year")
    source = middle.selectbox("Sumber dana *", list(SOURCES), format_func=SOURCES.get, key="an_source", placeholder="Pilih...")
    rupiah_input("Pagu (Rp) *", key="an_amount", placeholder="contoh 600.000.000", container=right)
    field_errors(FORM, "amount")
    # The scheme's own regency's sponsors first (as Kepesertaan lists them), each with its kind.
    with connection() as db:
        sponsors = search_sponsors(db, actor=actor, types=schemes[scheme_code].sponsor_types or None,
                                   prefer_regency=schemes[scheme_code].regency_code, page_size=1000).rows
    by_id = {s["id"]: sponsor_label(s) for s in sponsors}
    sponsor_id = st.selectbox("Hanya untuk penyandang dana (opsional)",
                              **or_all(by_id, "Semua penyandang dana skema", key="an_sponsor"))
    choices = categories(app.plugins, scheme_code)
    category = st.selectbox("Hanya untuk kategori",
                            **or_all(choices, "Semua kategori", key="an_category")) if choices else None
    if st.button("Simpan pos anggaran", type="primary", icon=":material/save:", key="an_save"):
        def save():
            amount = rupiah_value("an_amount", field="amount", label="Pagu")
            with connection() as db:
                return create_budget_line(db, app.plugins, {
                    "scheme_code": scheme_code, "name": name, "year": int(line_year), "source": source,
                    "amount": amount, "sponsor_id": sponsor_id,
                    "category": category}, actor=actor)
        attempt(FORM, save)
        clear_inputs("an_")
        saved(f"Pos anggaran {name} tersimpan.")
