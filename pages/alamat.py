"""The hidden page at an address no page has (ui.addresses): app.py sends the person on before
this would run; should it run, it goes to Beranda."""

import streamlit as st

st.switch_page("pages/beranda.py")
