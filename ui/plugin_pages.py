"""Extra pages contributed by plugins (``register_pages``), drawn from their panels."""

from __future__ import annotations

import streamlit as st

from payung.schemes.data import reader_for

from .session import connection, require
from .widgets import panel, plain


def _render(page):
    def render() -> None:
        actor = require("scheme.read")
        st.title(plain(page.title))
        with connection() as db:
            for i, p in enumerate(page.panels(reader_for(db, actor=actor))):
                panel(p, key=f"{page.url_path}_{i}")
    render.__name__ = f"plugin_{page.url_path.replace('-', '_')}"
    return render


def plugin_pages(app) -> list[tuple[str, st.Page]]:
    return [(page.section, st.Page(_render(page), title=page.title, icon=page.icon, url_path=page.url_path))
            for page in app.plugins.pages()]
