"""Skema: every loaded scheme, and the plugins that could not be loaded."""

import streamlit as st

app = st.session_state["payung"]
st.title("Skema")
for scheme in app.plugins.schemes.values():
    with st.container(border=True):
        st.subheader(scheme.name)
        st.caption(f"{scheme.regency_code} · {scheme.legal_basis}")
        st.write(scheme.description)
if not app.plugins.schemes:
    st.info("Belum ada skema yang dimuat. Tambahkan modul skema di folder plugins/.")
for status in app.plugins.statuses:
    if status.state != "aktif":
        st.warning(f"Plugin {status.name} {status.state}: {status.error}")
