"""Skema: every loaded scheme in plain words, with its targets and progress; plugins that
could not be loaded are listed with their error instead of hiding the app. An administrator
creates a scheme, copies one for another regency (saved as a TOML file), edits (each save a
version) or retires a scheme in the scheme editor (``ui.scheme_editor``)."""

import streamlit as st

from payung.auth.access import allowed
from payung.finance.claims import protection_panel
from payung.schemes.data import reader_for
from payung.base.months import current_month, format_month
from payung.base.formats import count, day
from payung.schemes.overview import scheme_overview
from payung.base.sponsor_types import SPONSOR_TYPES
from ui.reference_forms import occupation_form, regency_form
from ui.scheme_editor import chooser, editor
from ui.session import connection, payung, require
from ui.widgets import panel, plain, show_saved_message

actor = require("scheme.read")
app = payung()
st.title("Skema")
show_saved_message()
with connection() as db:
    overview = scheme_overview(db, app.plugins, actor=actor)
    for item in overview:
        scheme = item["scheme"]
        with st.expander(f"**{plain(scheme.name)}** · {item['regency']}", expanded=len(overview) == 1):
            if item["retired_at"]:
                st.warning(f"Dipensiunkan pada {day(item['retired_at'])}: tidak menerima kepesertaan baru.",
                           icon=":material/archive:")
            st.markdown(plain(scheme.description))
            facts = [("Dasar hukum", scheme.legal_basis), ("Sumber dana", scheme.funding_source),
                     ("Kode wadah BPJS", f"{scheme.funding_code} ({app.settings.funding_codes.get(scheme.funding_code, '')})"),
                     ("Penyandang dana", ", ".join(SPONSOR_TYPES[t].label for t in scheme.sponsor_types) or "semua jenis"),
                     ("Program", " + ".join(scheme.programs)),
                     ("Lama kepesertaan", " atau ".join(f"{m} bulan" for m in scheme.months))]
            st.markdown("  \n".join(f"**{label}:** {plain(value)}" for label, value in facts if value))
            if scheme.rules:
                st.markdown("**Aturan:**\n" + "\n".join(f"- {plain(rule.description)}" for rule in scheme.rules))
            fields = app.plugins.fields(scheme)
            if fields:
                st.markdown("**Isian khusus:** " + ", ".join(plain(f.label) + (" (wajib)" if f.required else "")
                                                             for f in fields))
            st.metric("Pekerja ditanggung", count(item["live"]),
                      help="Pekerja dengan kepesertaan yang belum selesai (bulan ini atau sesudahnya); kepesertaan "
                           "yang bulannya sudah lewat tidak dihitung.")
            # Each bar says each figure once, what it counts and the target last, as the Beranda's bars
            # do: "Target ...: 200.000 (54.000 ... + 68 pekerja ditanggung)" beside the panel's bar of
            # the same target said 200.000 four times in two bars, and no bar without
            # ``already_covered`` said what it counted. It counts what the Beranda's bar and the
            # scheme's own panel under it count, the workers whose month is paid: it said "+ 68
            # pekerja ditanggung = 54.068" right above the panel's "+ 29 terlindungi ... 54.029".
            paid = f"terlindungi (lunas {format_month(current_month())})"
            for target in item["targets"]:
                reached = item["protected"] + target.already_covered
                share = min(1.0, reached / target.value) if target.value else 0.0
                counted = (f"{count(target.already_covered)} sudah terlindungi sebelumnya + {count(item['protected'])} "
                           f"{paid} = {count(reached)}" if target.already_covered else
                           f"{count(item['protected'])} {paid}")
                st.progress(share, text=f"{plain(target.label)}: {counted} dari target {count(target.value)}")
            panel(protection_panel(db, scheme_code=scheme.code, actor=actor), key=f"s_{scheme.code}_protection")
            if allowed(actor, "scheme.manage"):  # for the developer who maintains it, not in the facts
                st.caption(f"Berkas skema di folder plugin: {plain(item['plugin'])}")
            for i, p in enumerate(app.plugins.panels(scheme, reader_for(db, actor=actor), current_month())):
                panel(p, key=f"s_{scheme.code}_{i}")
if not overview:
    st.info("Belum ada skema yang dimuat. Tambahkan modul skema di folder plugins/ (lihat docs/plugins/tutorial.md).")
problems = [s for s in app.plugins.statuses if s.state != "aktif"]
if problems:
    st.subheader("Plugin yang tidak dimuat")
    for status in problems:
        (st.error if status.state == "galat" else st.info)(
            f"**{plain(status.name)}** ({'galat' if status.state == 'galat' else 'dinonaktifkan'}): {plain(status.error)}",
            icon=":material/extension_off:")


if allowed(actor, "reference.manage"):
    st.subheader("Kabupaten dan pekerjaan")
    regencies_tab, occupations_tab = st.tabs(["Kabupaten", "Pekerjaan"])
    with regencies_tab:
        regency_form(actor)
    with occupations_tab:
        occupation_form(actor)

if allowed(actor, "scheme.manage"):
    st.subheader("Buat atau ubah skema")
    st.caption("Buat skema baru, salin skema yang ada (Python atau TOML) untuk kabupaten lain, atau ubah skema TOML. "
               "Seluruh skema dalam formulir: data skema, program, lama kepesertaan, penyandang dana, target, isian "
               "dan aturan dari pustaka aturan. Disimpan sebagai berkas TOML di folder plugin, langsung aktif.")
    chooser(app)
    editor(actor)
