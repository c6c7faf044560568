"""Beranda: how many vulnerable workers are protected, where, by whom and at what cost.

Filters (month, scheme, district, village) live in the URL, so a view can be bookmarked and
shared. Numbers are aggregated in SQL and cached per filter until the data changes.
"""

import streamlit as st

from payung.auth.access import allowed, schemes_for
from payung.reports import charts
from payung.finance.claims import protection_panel
from payung.reports.dashboard import MONTHS_BACK, View, build, data_version, is_empty, month_choices, progress_lines
from payung.schemes.data import reader_for
from payung.operations.demo import generate
from payung.base import clock
from payung.base.formats import count, month_short, short_name
from payung.base.money import format_rupiah_short
from payung.base.months import current_month, format_month
from payung.people.regions import district_choices, village_choices
from ui.session import connection, payung, require, scope_key
from ui.widgets import date_text, or_all, panel, plain, progress_to_the_end, rupiah, saved, show_saved_message

#: Narrow screens (a phone): the figures before the filters. Each keyed container sits in a layout
#: wrapper, a child of the page's flex column: the filters go after the figures, and everything
#: after the figures after the filters.
PHONE_ORDER = """<style>
@media (max-width: 640px) {
  [data-testid="stLayoutWrapper"]:has(> .st-key-b_filters) { order: 1; }
  [data-testid="stLayoutWrapper"]:has(> .st-key-b_figures) ~ * { order: 2; }
}
</style>"""
actor = require("dashboard.read")
app = payung()
schemes = schemes_for(app.plugins, actor, "dashboard.read")
show_saved_message()
st.title("Beranda")


@st.cache_data(max_entries=64, show_spinner="Menghitung...")
def dashboard(database: str, version: int, view: View, _actor, scope: tuple, today):
    """Cached per database, data version (moved by the writes that change these figures, not by
    a sign-in or a new worker), view, slice of data and day (the arrears are today's)."""
    with connection() as db:
        return build(db, app.plugins, view, actor=_actor, today=today)


@st.cache_data(max_entries=64, show_spinner=False)
def chart_specs(database: str, version: int, view: View, _actor, scope: tuple, today) -> dict[str, dict]:
    """The charts of those figures, cached with the same key: built and checked once, not in
    every run."""
    return charts.beranda_specs(dashboard(database, version, view, _actor, scope, today))


@st.cache_data(max_entries=64, show_spinner=False)
def month_list(database: str, version: int, _actor, scope: tuple, today, asked: str) -> list[str]:
    """The months of the Bulan list (one to come only once paid ahead), cached like the figures."""
    with connection() as db:
        return month_choices(db, app.plugins, actor=_actor, asked=asked, today=today)


with connection() as db:
    version = data_version(db, actor=actor)
    empty = is_empty(db, actor=actor)
    districts = district_choices(db, actor=actor, regency_codes=app.settings.regency_codes)
view = View.from_params(st.query_params.to_dict(), current_month())


def set_params(**changes) -> None:
    params = view.as_params() | {k: v for k, v in changes.items()}
    st.query_params.from_dict({k: v for k, v in params.items() if v})


#: The view the filter boxes showed on this tab's last run of the page.
SHOWN_VIEW = "_beranda_shown_view"
#: What an address asked for that the boxes could not show (a link edited by hand, an old bookmark).
DROPPED = "_beranda_dropped"
# This month first, then the last ones, newest first: the list opened on two months to come with
# nothing in them (their lines are only billed ahead). A month to come is offered only once a
# contribution of it is paid ahead, after the past ones and named as one; a month an address asked
# for outside them takes its place in that order.
month_options = month_list(app.settings.database_url, version, actor, scope_key(actor), clock.today(), view.month)
# On a phone the four filters stacked above the figures pushed the first figure a long scroll
# down: there, CSS (``PHONE_ORDER``) draws the figures first, then the filters.
filters = st.container(key="b_filters")
a, b, c, d = filters.columns(4)
# The address says what the page shows, and the boxes say it too: set from it whenever it changes
# under them. The browser's Back left the boxes on the month just left, and they wrote it back
# into the address, so Back did nothing.
FILTER_KEYS = ("beranda_month", "beranda_scheme", "beranda_district", "beranda_village")
from_address = st.session_state.get(SHOWN_VIEW) != view or not all(k in st.session_state for k in FILTER_KEYS)
if from_address:
    st.session_state.update(zip(FILTER_KEYS, (view.month, view.scheme if view.scheme in schemes else None,
                                              view.district if view.district in districts else None, view.village)))
this_month = current_month()
month = a.selectbox("Bulan", month_options, key="beranda_month", placeholder="Pilih...",
                    format_func=lambda m: format_month(m) + (" (mendatang)" if m > this_month else ""),
                    help=f"Bulan ini dan {MONTHS_BACK} bulan sebelumnya. Bulan mendatang ada di akhir daftar, hanya "
                         "bila iurannya sudah dibayar di muka.")
scheme = b.selectbox("Skema", **or_all(schemes, "Semua skema", key="beranda_scheme"))
if scheme in app.plugins.schemes:  # its regency's kecamatan only: another's has none of its figures
    prefix = app.plugins.schemes[scheme].regency_code + "."  # (one chosen before goes: Semua kecamatan)
    districts = {code: name for code, name in districts.items() if code.startswith(prefix)}
own = {}  # an account of one village: its kecamatan and desa are the page's, said so
if len(districts) == 1:
    with connection() as db:
        own = village_choices(db, next(iter(districts)), actor=actor)
if len(own) == 1:
    villages, district_name, village_name = own, next(iter(districts.values())), next(iter(own.values()))
    one_place = f"Akun Anda hanya untuk desa {village_name}: semua angka di halaman ini untuk desa itu."
    # Each box says the account's kecamatan or desa, for "Semua" and for its one code, and only
    # for those: a box whose words fit any value kept any code an address put in it (a neighbouring
    # desa), named over figures that are the account's village's (the SQL scope). Another code
    # reads as itself, which is no option, so Streamlit sets the box back to "Semua".
    district = c.selectbox("Kecamatan", disabled=True, help=one_place,
                           **or_all(districts, district_name, key="beranda_district")
                           | {"format_func": lambda code: district_name if code is None or code in districts else str(code)})
    village = d.selectbox("Desa/kelurahan", disabled=True, help=one_place,
                          **or_all(own, village_name, key="beranda_village")
                          | {"format_func": lambda code: village_name if code is None or code in own else str(code)})
else:
    district = c.selectbox("Kecamatan", **or_all(districts, "Semua kecamatan", key="beranda_district"))
    villages = {}
    if district:
        with connection() as db:
            villages = village_choices(db, district, actor=actor)
    # Greyed until a kecamatan is picked: the help says why (a newcomer could not tell).
    village = d.selectbox("Desa/kelurahan", disabled=not district,
                          help=None if district else "Pilih kecamatan dulu: daftar desa/kelurahan mengikuti kecamatan "
                                                     "yang dipilih.",
                          **or_all(villages, "Semua desa", key="beranda_village"))
chosen = View(month, scheme, district, village if district else None)
st.session_state[SHOWN_VIEW] = chosen
dropped = chosen.left_out(st.query_params.to_dict()) if from_address else []
if dropped:
    st.session_state[DROPPED] = dropped  # said after the address is written anew
if chosen != view or dropped:  # the address says what is shown: what was left out goes from it too
    view = chosen
    set_params()
    st.rerun()
if said := st.session_state.pop(DROPPED, None):
    named = said[0] if len(said) == 1 else f"{', '.join(said[:-1])} dan {said[-1]}"
    st.info(f"Alamat halaman ini memilih {named} yang tidak dapat ditampilkan (tidak ada, atau di luar wilayah "
            "Anda); Beranda menampilkan pilihan yang ada.", icon=":material/info:")

#: The figures' cache key, and their charts': one day, one version, one slice of data for both.
cached_as = (app.settings.database_url, version, view, actor, scope_key(actor), clock.today())
result = dashboard(*cached_as)
figures = st.container(key="b_figures")
figures.caption(f"{plain(result.title)} · tautan halaman ini menyimpan pilihan bulan, skema dan wilayah")
st.html(PHONE_ORDER)

m1, m2, m3, m4, m5 = figures.columns(5)
# The month the figures are of, as a label says it: "bulan ini", or the month chosen ("Agu 2026"),
# since a past month's figures said "bulan ini".
in_month = "bulan ini" if view.month == current_month() else month_short(view.month)
# An arrow only for a change, green up only when there is more: "+0 dari bulan lalu" and
# "0,0% tercapai" carried a green up arrow.
m1.metric("Terlindungi", count(result.protected),
          delta=f"{count(result.change, signed=True)} dari bulan lalu",
          delta_color="normal" if result.change else "off", delta_arrow="auto" if result.change else "off",
          help=f"Pekerja yang iuran {format_month(view.month)} sudah lunas.")
place = (villages.get(view.village) if view.village else None) or (districts.get(view.district) if view.district
                                                                  else None)
# What the Target counts, said as it is: a kecamatan's target is the sum of its villages' targets;
# a regency-wide target is not split by place, and a view without any target says so (it read "-",
# under a note about village targets that were not there).
where = f"untuk desa {plain(place)}" if view.village else f"untuk {plain(place)}" if place else "untuk wilayah Anda"
summed = (f"Target per desa untuk desa {plain(place)}." if view.village else
          f"Jumlah target per desa dari desa-desa di {plain(place) if place else 'wilayah Anda'}.")
# Only for whoever sees the regency's target: a village operator's "all" is their villages.
to_regency = " Pilih Semua kecamatan untuk melihat target kabupaten." if view.district and not actor.villages else ""
# The regency-wide targets by name, and what the share divides: Kendal's "0,0% tercapai" of
# 200.000 could not be told from its panel's "54.044 dari 200.000" (a count of another thing). The
# share itself says what it counts, the sum the bars below show ("54.029 tercapai (27,0%)").
named = "; ".join(f"{plain(label)} ({count(value)})" for label, value in result.regency_targets)
share = (f" Persen tercapai: pekerja Terlindungi (iuran {format_month(view.month)} lunas) dibagi target." if not
         result.already_covered else (f" Persen tercapai: {count(result.already_covered)} pekerja yang sudah "
                                      f"terlindungi sebelumnya (angka tetap dari pengaturan) ditambah pekerja Terlindungi "
                                      f"(iuran {format_month(view.month)} lunas), dibagi target."))
if result.protected_without_target:  # Terlindungi counts them, the share does not (no bar does)
    share += (f" {count(result.protected_without_target)} pekerja Terlindungi dari skema tanpa target di sini "
              "tidak dihitung.")
if result.target and result.regency_targets_left_out:
    target_help = (f"{summed} Target tingkat kabupaten tidak dibagi per kecamatan atau desa, jadi tidak dihitung "
                   f"di sini.{to_regency}{share}")
elif result.target and result.village_targets:
    target_help = summed + (f" Ditambah target tingkat kabupaten: {named}." if named else "") + share
elif result.target:
    target_help = f"Target skema yang ditampilkan: {named}.{share}"
elif result.regency_targets_left_out:
    target_help = (f"Target skema yang ditampilkan ditetapkan untuk seluruh kabupaten dan tidak dibagi per kecamatan "
                   f"atau desa, jadi tidak ada target {where}.{to_regency}")
else:
    target_help = "Skema yang ditampilkan tidak menetapkan target jumlah pekerja."
# "Tidak ada", not "Tanpa target": the value of a fifth of a 1366 px laptop's width is 168 px,
# and "Tanpa target" was cut to "Tanpa ta...".
m2.metric("Target", count(result.target) if result.target else "Tidak ada",
          delta=result.reached_text if result.target else None,
          delta_color="off", delta_arrow="off", help=target_help)
m3.metric(f"Iuran dibayar {in_month}", format_rupiah_short(result.paid_month),
          help=f"{rupiah(result.paid_month)}: iuran untuk {format_month(view.month)} yang sudah dibayar, dari "
               f"{rupiah(result.billed_month)} tagihan.")
m4.metric(f"Iuran dibayar {view.month[:4]}", format_rupiah_short(result.paid_year),
          help=f"{rupiah(result.paid_year)}: iuran Januari sampai {format_month(view.month)} yang sudah dibayar.")
m5.metric("Tunggakan hari ini", format_rupiah_short(result.late["amount"]),
          delta=f"{count(result.late['workers'])} pekerja" if result.late["workers"] else None,
          delta_color="inverse", delta_arrow="off",  # how many, not a change
          help=f"{rupiah(result.late['amount'])} per {date_text(result.as_of)}: iuran lewat jatuh tempo yang belum "
               "dibayar dan masih dapat dibayar, sama dengan halaman Tunggakan (apa pun bulan yang dipilih).")
figures.caption(f"Klaim dibayar {in_month}: {result.claims['claims']} klaim, {rupiah(result.claims['benefits'])}.")

if empty and allowed(actor, "demo.load"):
    st.info("Basis data masih kosong. Ingin melihat Payung berjalan dengan data contoh?")
    if st.button("Coba dengan data contoh", type="primary", icon=":material/auto_awesome:"):
        with progress_to_the_end("Menyiapkan data contoh...") as progress, connection() as db:
            counts = generate(app, db, workers=400, actor=actor, progress=progress)
        saved(f"Data contoh dimuat: {count(counts['workers'])} pekerja, {count(counts['sponsors'])} penyandang dana, "
              f"{count(counts['sponsorships'])} kepesertaan.")

if result.regency_targets_left_out:
    st.caption("Target tingkat kabupaten tidak dibagi per kecamatan atau desa; " + (
        "yang tampil hanya jumlah target per desa." if result.target else
        f"tidak ada target {where}.{to_regency}"))
bars, untargeted = progress_lines(result)
for share, text in bars:
    st.progress(share, text=plain(text))
if untargeted:  # a scheme without a target has no bar: said why, or it looks broken
    st.caption(plain(untargeted))

if empty:
    st.info("Belum ada pekerja. Mulai dari Tambah pekerja, atau impor daftar pekerja di Impor data.",
            icon=":material/info:")
    st.stop()
# Charts of nothing are blank boxes: say what to do instead. The scheme panels below are still
# drawn: which villages registered nobody, or budgeted nothing, matters most where nobody is covered.
no_lines = not any(r["protected"] for r in result.by_region) and not any(t["protected"] or t["paid"]
                                                                        for t in result.trend)
if no_lines:
    st.info("Belum ada kepesertaan" + (f" di {plain(place)}" if place else "") + " untuk pilihan ini. " + (
        "Mulai dari Daftarkan kepesertaan." if view.month >= current_month() else
        "Pilih bulan atau wilayah lain di atas, atau daftarkan kepesertaan di Daftarkan kepesertaan."),
        icon=":material/info:")


def draw_charts(specs: dict[str, dict], *, by_region: bool) -> None:
    """The charts of the figures; ``by_region``: the bars per kecamatan or desa, whose click
    picks one. A month without a protected worker in the view has its trend and budget only:
    its four charts of this month's protected workers were empty boxes with a "-"."""
    if not result.protected:
        scheme = app.plugins.schemes.get(view.scheme) if view.scheme else None
        # A month to come is said to be one: its zeros read as workers who lost their cover.
        ahead = " (bulan yang belum berjalan: iurannya belum jatuh tempo)" if view.month > current_month() else ""
        st.info(f"Belum ada pekerja terlindungi{f' skema {plain(short_name(scheme.name))}' if scheme else ''}"
                f"{f' di {plain(place)}' if place else ''} pada {format_month(view.month)}{ahead}, jadi grafik per "
                "wilayah, skema, jenis kelamin dan umur, dan pekerjaan tidak digambar. Tren 12 bulan ada di bawah; "
                "pilih bulan atau wilayah lain di atas.",
                icon=":material/info:")
        st.vega_lite_chart(spec=specs["trend"], width="stretch")
        if "budget" in specs:
            st.vega_lite_chart(spec=specs["budget"], width="stretch")
        return
    left, right = st.columns(2)
    if by_region:
        event = left.vega_lite_chart(spec=specs["region"], on_select="rerun", key="b_region", width="stretch")
        # The bar clicked, as the browser says it: anything else than a point with a code of text (a
        # message written by hand) picks nothing.
        points = event.selection.get("wilayah") if event and event.selection else None
        first = points[0] if isinstance(points, list) and points else None
        clicked = first.get("code") if isinstance(first, dict) and isinstance(first.get("code"), str) else None
        if clicked and clicked != (view.village or view.district):
            if view.district:
                set_params(desa=clicked)
            else:
                set_params(kecamatan=clicked, desa=None)
            st.rerun()
        if view.district:
            left.caption("Klik batang desa untuk memilihnya.")
        else:
            left.caption("Klik batang kecamatan untuk melihat desa-desanya.")
        right.vega_lite_chart(spec=specs["scheme"], width="stretch")
        right.vega_lite_chart(spec=specs["gender_age"], width="stretch")
    else:
        left.vega_lite_chart(spec=specs["scheme"], width="stretch")
        right.vega_lite_chart(spec=specs["gender_age"], width="stretch")
    left, right = st.columns(2)
    left.vega_lite_chart(spec=specs["occupation"], width="stretch")
    right.vega_lite_chart(spec=specs["trend"], width="stretch")
    if "budget" in specs:
        st.vega_lite_chart(spec=specs["budget"], width="stretch")


# One village (picked, or a village operator's only one): a bar per region would be a single bar,
# and the other charts are of a village's few workers, which the figures above already say. They
# are drawn when asked for: drawing them was half the browser's work after a village operator's
# Masuk (0,35 s of a laptop's CPU with the server idle, three times that with the machine busy,
# more on a phone).
if no_lines:
    pass  # nothing to draw, said above; the scheme panels follow
elif view.village or len(villages if view.district else actor.villages) == 1:
    if view.village and len(actor.villages) != 1:
        st.caption(f"Desa {plain(place)} dipilih; pilih Semua desa di atas untuk melihat desa lainnya.")
    shown = st.expander("Grafik: per skema, jenis kelamin dan umur, pekerjaan, tren 12 bulan",
                        icon=":material/bar_chart:", key="b_charts", on_change="rerun")
    if shown.open:
        with shown:
            draw_charts(chart_specs(*cached_as), by_region=False)
else:
    draw_charts(chart_specs(*cached_as), by_region=True)

st.subheader("Panel skema")
if view.scheme in schemes:
    # A panel that counts the protected workers says "terlindungi" (Kendal's progress, as the bar above).
    st.caption("Panel skema menghitung kepesertaan yang berjalan (terdaftar, lunas atau belum), kecuali yang menyebut "
               f"terlindungi: seperti angka Terlindungi di atas, hanya pekerja yang iuran {format_month(view.month)} "
               "sudah lunas.")
    st.caption(f"Angka panel untuk {plain(place)}." if place else "Angka panel untuk seluruh wilayah Anda.")
    with connection() as db:
        panel(protection_panel(db, scheme_code=view.scheme, actor=actor, district=view.district,
                               village=view.village), key="b_protection")
        for i, p in enumerate(app.plugins.panels(schemes[view.scheme],
                                                 reader_for(db, actor=actor, district=view.district,
                                                            village=view.village), view.month)):
            panel(p, key=f"b_{i}")
else:
    st.caption("Pilih satu skema di atas untuk melihat panel khususnya (target, partisipasi, anggaran).")
