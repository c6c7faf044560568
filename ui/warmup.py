"""The browser fetches (and compiles) the next page's code while a person types their password.

Streamlit's browser code comes in pieces: the pieces that draw a select box, a figure or a
chart are fetched only when a page first shows one. After Masuk, Beranda needs about forty
of them, one after another (a chart's piece asks for Vega's, which asks for its own), and
the browser parses them before it draws the page: 0,3 s of a first sign-in on this machine's
Chromium with the server idle, more on a busy laptop, and one round trip per step of that
chain on a village's mobile link.

The login page therefore asks the browser, once it is idle, to load the pieces Beranda
starts from (``NEXT_PAGE_SCRIPTS``); each brings the pieces it imports. They are Streamlit's
own files from ``/static/``, loaded the way Streamlit loads them, so when Beranda asks for
them they are already there. No element is drawn and nothing runs on the server.

The pieces' names carry a hash that changes with each Streamlit release: they are found in
the installed Streamlit's folder, and a name that is missing or not unique is left out (the
page is then as fast as before, never broken). ``tests/test_warmup.py`` checks every name
against the pinned Streamlit.
"""

from __future__ import annotations

import functools
import json
import re

import streamlit as st

from payung.operations.serve import STREAMLIT_STATIC

#: What Beranda draws first after a sign-in, as Streamlit names its browser pieces: the
#: filters, the figures, the charts and Vega, which draws them.
NEXT_PAGE_SCRIPTS = ("Selectbox", "Metric", "Button", "ArrowVegaLiteChart", "embed", "vega-interpreter")

#: Runs once per browser tab, when the browser has nothing else to do (the login page drawn,
#: the person typing); a piece that fails to load is left to Streamlit to load later.
_SCRIPT = """<script>(() => {
  if (window.__payungNextPage) return;
  const main = document.querySelector('script[type="module"][src*="/static/js/index."]');
  if (!main) return;
  window.__payungNextPage = true;
  const load = () => %s.forEach(f => import(new URL(f, main.src).href).catch(() => {}));
  if (window.requestIdleCallback) requestIdleCallback(load, {timeout: 2000}); else setTimeout(load, 500);
})();</script>"""


@functools.cache
def next_page_files() -> tuple[str, ...]:
    """The file of each of ``NEXT_PAGE_SCRIPTS`` in the installed Streamlit (a name found
    once, as ``Name.<hash>.js``)."""
    names = [path.name for path in (STREAMLIT_STATIC / "js").glob("*.js")]
    found = []
    for script in NEXT_PAGE_SCRIPTS:
        pattern = re.compile(rf"{re.escape(script)}\.[A-Za-z0-9_-]{{8}}\.js")
        matches = [name for name in names if pattern.fullmatch(name)]
        if len(matches) == 1:
            found.append(matches[0])
    return tuple(found)


#: The login page drew a chart out of sight too, so that the browser compiled Vega before Masuk.
#: Since a village operator's Beranda draws no chart at sign-in (one village: its charts when
#: asked for), it cost every first visit's login page 0,1-0,15 s of the browser (a fresh
#: Chromium, the server idle: median 1,60 s with it, 1,49 s without, eight of each, alternately)
#: and no longer shortened an administrator's first sign-in (median 1,05 s with, 0,98 s
#: without): it is gone. The code is still loaded while the person types.


def load_next_page_scripts() -> None:
    """Draw, on the login page, the line that has the browser load the next page's code."""
    files = next_page_files()
    if files:
        st.html(_SCRIPT % json.dumps(files), unsafe_allow_javascript=True)
