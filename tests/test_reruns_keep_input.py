"""A run writes into no box the user did not ask it to change.

A value the script puts into a widget's key is sent to the browser, which shows it in place of what
is in the box. When the user changes a box while the run of an earlier change is still under way
(a busy server: a second or two), that run's value arrives afterwards and wipes the new choice
without a word; the next click then sends the wiped value. On the worker form a village picked
just after typing the name was lost this way, and Simpan said "Desa/kelurahan domisili wajib
dipilih". So a page may only write into a box on purpose (the NIK fills the district), never on
every run."""

from __future__ import annotations

import pytest

from conftest import DESA_VILLAGE, ROOT
from test_pages import drawn, run

#: The first-start page is only reachable without any user; alamat.py, the hidden page at an address
#: no page has, is only registered for such an address and shows nothing (test_addresses).
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py") if p.name not in ("penyiapan.py", "alamat.py"))


def overwritten(at) -> list[str]:
    """The boxes a user can change whose value this run sent to the browser."""
    return [getattr(e, "key", None) or getattr(e, "label", None) for e in drawn(at.main) + drawn(at.sidebar)
            if getattr(e, "proto", None) is not None and getattr(e.proto, "set_value", False)
            and not getattr(e.proto, "disabled", False)]


@pytest.mark.parametrize("page_file", PAGES)
def test_a_page_run_again_writes_into_no_box(site, page_file):
    at = run("admin", f"pages/{page_file}")
    at.run()
    assert not at.exception, at.exception
    assert overwritten(at) == [], f"{page_file} writes into {overwritten(at)} on every run"


def test_the_village_list_filled_from_the_nik_is_left_to_the_user(site):
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("3324016508900003").run()
    assert at.selectbox(key="f_district").value == "33.24.01"
    assert at.selectbox(key="f_village").options  # the district's villages to choose from
    at.text_input(key="f_name").set_value("Sri Wahyuni").run()
    assert overwritten(at) == []


def test_a_village_of_another_district_still_goes(site):
    """Streamlit drops a value that is no longer among the options (and only then sends it)."""
    at = run("admin", "pages/pekerja_form.py")
    at.selectbox(key="f_district").set_value("33.24.01").run()
    at.selectbox(key="f_village").set_value(DESA_VILLAGE).run()
    at.selectbox(key="f_district").set_value("33.24.02").run()
    assert at.selectbox(key="f_village").value is None
    assert at.selectbox(key="f_village").options  # the other district's villages


def test_the_dashboard_filters_of_a_district_are_left_to_the_user(site):
    at = run("admin", "pages/beranda.py", query={"kecamatan": "33.24.01"})
    at.run()
    village = next(s for s in at.selectbox if s.label == "Desa/kelurahan")
    assert not village.disabled and len(village.options) > 1  # the district's villages to choose from
    assert overwritten(at) == []

