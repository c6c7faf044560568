"""Skema: every loaded scheme in plain words, with its targets and progress; plugins that
could not be loaded are listed with their error instead of hiding the app."""

import streamlit as st

from payung.claims import protection_panel
from payung.data import reader_for
from payung.months import current_month
from payung.schemes_view import scheme_overview
from payung.sponsor_types import SPONSOR_TYPES
from ui.session import connection, payung, require
from ui.widgets import panel

actor = require("scheme.read")
app = payung()
st.title("Skema")
with connection() as db:
    overview = scheme_overview(db, app.plugins, actor=actor)
    for item in overview:
        scheme = item["scheme"]
        with st.expander(f"**{scheme.name}** · {item['regency']}", expanded=len(overview) == 1):
            st.write(scheme.description)
            facts = [("Dasar hukum", scheme.legal_basis), ("Sumber dana", scheme.funding_source),
                     ("Kode wadah BPJS", f"{scheme.funding_code} ({app.settings.funding_codes.get(scheme.funding_code, '')})"),
                     ("Penyandang dana", ", ".join(SPONSOR_TYPES[t].label for t in scheme.sponsor_types) or "semua jenis"),
                     ("Program", " + ".join(scheme.programs)),
                     ("Lama kepesertaan", " atau ".join(f"{m} bulan" for m in scheme.months)),
                     ("Plugin", item["plugin"])]
            st.markdown("  \n".join(f"**{label}:** {value}" for label, value in facts if value))
            if scheme.rules:
                st.markdown("**Aturan:**\n" + "\n".join(f"- {rule.description}" for rule in scheme.rules))
            fields = app.plugins.fields(scheme)
            if fields:
                st.markdown("**Isian khusus:** " + ", ".join(f.label + (" (wajib)" if f.required else "")
                                                             for f in fields))
            st.metric("Kepesertaan aktif", f"{item['live']:,}".replace(",", "."))
            for target in scheme.targets:
                share = min(1.0, item["live"] / target.value) if target.value else 0.0
                st.progress(share, text=f"Target {target.label}: {target.value:,}".replace(",", "."))
            panel(protection_panel(db, scheme_code=scheme.code, actor=actor))
            for p in app.plugins.panels(scheme, reader_for(db, actor=actor), current_month()):
                panel(p)
if not overview:
    st.info("Belum ada skema yang dimuat. Tambahkan modul skema di folder plugins/ (lihat plugins/README.md).")
problems = [s for s in app.plugins.statuses if s.state != "aktif"]
if problems:
    st.subheader("Plugin yang tidak dimuat")
    for status in problems:
        (st.error if status.state == "galat" else st.info)(
            f"**{status.name}** ({'galat' if status.state == 'galat' else 'dinonaktifkan'}): {status.error}",
            icon=":material/extension_off:")
