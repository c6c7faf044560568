"""Streamlit helpers shared by the pages: session, login guard, widgets, panels.

This is the only package besides ``pages/`` and ``app.py`` that imports Streamlit; the core
(``payung``) and the data layer (``db``) never do.
"""
