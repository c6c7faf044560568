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
from types import MappingProxyType

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
  const load = () => {
    %s.forEach(f => import(new URL(f, main.src).href).catch(() => {}));
    document.body.dataset.payungWarmUp = "1";  // and the chart out of sight is drawn (WARM_UP_CHART)
  };
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


#: A chart the login page draws out of sight. Loading Vega's code is not all of a first
#: sign-in's wait: the browser also compiles it (and the chart's pieces of Streamlit) the first
#: time it draws a chart, 0,2 s on this machine's Chromium. Drawn while the person types, that
#: is done before Masuk (a fresh Chromium's first sign-in: 1,10-1,22 s before, 0,94-1,07 s
#: after, with the server idle). It is drawn only once the login page is idle (``_SCRIPT``
#: marks the page), so the form is not drawn later for it.
WARM_UP_KEY = "payung_warmup"
_WARM_UP_CSS = ("<style>.st-key-%(key)s { display: none; position: absolute; left: -10000px; top: 0; "
                "width: 600px; visibility: hidden; pointer-events: none; } "
                "body[data-payung-warm-up] .st-key-%(key)s { display: flex; }</style>" % {"key": WARM_UP_KEY})
WARM_UP_CHART = MappingProxyType({
    "data": {"values": [{"a": "x", "b": 1}, {"a": "y", "b": 2}]}, "mark": "bar",
    "encoding": {"x": {"field": "a", "type": "nominal"}, "y": {"field": "b", "type": "quantitative"}}})


def load_next_page_scripts() -> None:
    """Draw, on the login page, the line that has the browser load the next page's code, and a
    chart out of sight that has it compile Vega (``WARM_UP_CHART``)."""
    files = next_page_files()
    if files:
        st.html(_SCRIPT % json.dumps(files), unsafe_allow_javascript=True)
    st.html(_WARM_UP_CSS)
    with st.container(key=WARM_UP_KEY):
        st.vega_lite_chart(dict(WARM_UP_CHART), width=400)
