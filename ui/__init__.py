"""Streamlit helpers shared by the pages: session, login guard, widgets, panels.

This is the only package besides ``pages/`` and ``app.py`` that imports Streamlit; the core
(``payung``) and the data layer (``db``) never do. Imports the services of ``payung``, never
``db``: pages and ui reach the data through the services, which apply access.
"""
