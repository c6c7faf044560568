"""The login page has the browser load the next page's code while a person types
(``ui.warmup``): the names it looks for exist in the pinned Streamlit, and only the login page
draws the line. What it saves is measured in Chromium (test_browser_beranda.py)."""

from __future__ import annotations

import re

from test_pages import drawn, run
from ui import warmup


def test_every_piece_is_found_once_in_the_installed_streamlit():
    # A Streamlit upgrade that renames a piece fails here, not silently on the login page.
    files = warmup.next_page_files()
    assert len(files) == len(warmup.NEXT_PAGE_SCRIPTS), files
    for name, file in zip(warmup.NEXT_PAGE_SCRIPTS, files):
        assert re.fullmatch(rf"{re.escape(name)}\.[A-Za-z0-9_-]{{8}}\.js", file), file
        assert (warmup.STREAMLIT_STATIC / "js" / file).is_file()


def test_a_name_missing_or_found_twice_is_left_out(tmp_path, monkeypatch):
    folder = tmp_path / "js"
    folder.mkdir()
    for name in ("Metric.abcdEF12.js", "Selectbox.abcdEF12.js", "Selectbox.zyxwVU98.js", "Metric.abcdEF12.js.map",
                 "ArrowVegaLiteChart.short.js", "embed.abcd_-12.js", "embedded.abcdEF12.js"):
        (folder / name).write_text("")
    monkeypatch.setattr(warmup, "STREAMLIT_STATIC", tmp_path)
    warmup.next_page_files.cache_clear()
    try:
        assert warmup.next_page_files() == ("Metric.abcdEF12.js", "embed.abcd_-12.js")
    finally:
        warmup.next_page_files.cache_clear()


def _warm_up_lines(at) -> list[str]:
    return [e.proto.body for e in drawn(at.main)
            if getattr(e, "type", None) == "html" and "__payungNextPage" in e.proto.body]


def test_only_the_login_page_draws_it(site):
    at = run(None)
    lines = _warm_up_lines(at)
    assert len(lines) == 1
    for file in warmup.next_page_files():
        assert f'"{file}"' in lines[0]
    # No chart out of sight any more: it cost every first visit's login page 0,1-0,15 s.
    assert not [e for e in drawn(at.main) if getattr(e, "type", None) == "vega_lite_chart"]
    signed_in = run("admin")
    assert _warm_up_lines(signed_in) == []
