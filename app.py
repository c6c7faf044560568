"""Payung: the Streamlit entry point (configuration and navigation)."""

import streamlit as st

from payung.core import Payung

st.set_page_config(page_title="Payung", page_icon=":material/beach_access:", layout="wide")


@st.cache_resource
def load_app() -> Payung:
    """Configuration and plugins are loaded once per server; connections are opened per run."""
    return Payung.load()


st.session_state["payung"] = load_app()
navigation = st.navigation({"Skema": [st.Page("pages/skema.py", title="Skema", icon=":material/category:",
                                              url_path="skema")]})
navigation.run()
