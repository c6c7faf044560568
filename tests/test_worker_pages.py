"""The worker pages (Pekerja, Tambah pekerja): the form empties after a save and says so beside the
button, NIK mistakes are told once and go when fixed, the list keeps its filters and says what to
do when empty."""

from __future__ import annotations

import pytest

from db.scope import EVERYTHING
from db import queries
from payung.auth.access import Actor
from payung.base.months import current_month
from payung.enrolment.sponsorships import enrol as enrol_worker
from payung.people.sponsors import create_sponsor, search_sponsors
from payung.people.workers import create_worker

from conftest import DESA_VILLAGE, REGENCY_CODES, worker_values
from test_pages import drawn, open_db, run, texts


def _save_new_worker(at, name: str):
    """Fill the worker form with a valid worker named ``name`` and press Simpan."""
    at.text_input(key="f_nik").set_value("3324016508900003").run()
    at.text_input(key="f_name").set_value(name)
    at.selectbox(key="f_district").set_value("33.24.01").run()
    at.selectbox(key="f_village").set_value(DESA_VILLAGE)
    at.selectbox(key="f_occupation").set_value("petani")
    _simpan(at)


def _simpan(at):
    next(b for b in at.button if b.label == "Simpan").click().run()


def test_the_add_form_is_empty_after_a_save(site):
    at = run("admin", "pages/pekerja_form.py")
    _save_new_worker(at, "Sri Wahyuni")
    assert "Sri Wahyuni terdaftar sebagai pekerja." in texts(at)
    assert at.text_input(key="f_nik").value == "" and at.text_input(key="f_name").value == ""
    assert at.selectbox(key="f_district").value is None and at.selectbox(key="f_village").value is None
    assert at.date_input(key="f_birth_date").value is None and at.radio(key="f_gender").value is None
    # A second Simpan is about an empty form, not "the village is missing" of the saved worker.
    _simpan(at)
    assert "NIK wajib diisi." in [e.value for e in at.error]


def test_the_saved_message_is_where_the_eye_is_after_simpan(site):
    """On a phone (and at 768 px high) Simpan is below the fold: the message at the top of the
    form was off screen, and the user saw an empty form and no word that it saved. It is now
    right above the button, and a toast too; a refused save is also said beside the button."""
    at = run("admin", "pages/pekerja_form.py")
    _simpan(at)
    shown = drawn(at.main)
    button = next(i for i, e in enumerate(shown) if getattr(e, "label", None) == "Simpan")
    assert "perbaiki yang ditandai merah di atas" in shown[button - 1].value
    _save_new_worker(at, "Sri Wahyuni")
    shown = drawn(at.main)
    button = next(i for i, e in enumerate(shown) if getattr(e, "label", None) == "Simpan")
    assert shown[button - 1].value == "Sri Wahyuni terdaftar sebagai pekerja."
    assert [t.value for t in at.toast] == ["Sri Wahyuni terdaftar sebagai pekerja."]
    assert "Sri Wahyuni terdaftar sebagai pekerja." not in [s.value for s in shown[:button - 1] if hasattr(s, "value")]


def test_a_fixed_nik_loses_its_red_error_before_simpan(site):
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("332401570875").run()
    _simpan(at)
    assert "NIK harus 16 digit angka (yang diisi: 12 digit)." in [e.value for e in at.error]
    at.text_input(key="f_nik").set_value("3324016508900003").run()
    assert not any("16 digit" in e.value for e in at.error)


def test_a_short_nik_is_told_once_and_the_saved_name_is_the_stored_one(site):
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("3324015708").run()
    said = [w.value for w in at.warning] + [e.value for e in at.error]
    assert said.count("NIK harus 16 digit angka (yang diisi: 10 digit).") == 1
    _simpan(at)
    said = [w.value for w in at.warning] + [e.value for e in at.error]
    assert said.count("NIK harus 16 digit angka (yang diisi: 10 digit).") == 1, said
    # Typed in lower case, stored (and announced) as names are written.
    _save_new_worker(at, "sri  wahyuni uji")
    assert "Sri Wahyuni Uji terdaftar sebagai pekerja." in texts(at)


def test_a_registered_nik_is_said_as_it_is_typed_and_once_after_simpan(site):
    with open_db(site) as db:
        nik, name = db.execute("SELECT nik, name FROM workers ORDER BY id LIMIT 1").fetchone()
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value(nik).run()
    assert [w.value for w in at.warning if "sudah terdaftar" in w.value] == [
        next(w.value for w in at.warning if f"atas nama {name}" in w.value)]
    _simpan(at)  # the rest still empty: the NIK is refused beside them, said once, in red
    said = [w.value for w in at.warning] + [e.value for e in at.error]
    assert len([t for t in said if f"atas nama {name}" in t]) == 1 and "Nama (sesuai KTP) wajib diisi." in said


def test_a_village_operator_starts_on_their_kecamatan_and_desa(site):
    """Their only choice, picked for them (also after a save); an office user picks their own."""
    at = run("desa", "pages/pekerja_form.py")
    assert at.selectbox(key="f_district").value == DESA_VILLAGE[:8]
    assert at.selectbox(key="f_village").value == DESA_VILLAGE
    _save_new_worker(at, "Sri Wahyuni")
    assert "Sri Wahyuni terdaftar sebagai pekerja." in texts(at)
    assert at.text_input(key="f_name").value == ""
    assert (at.selectbox(key="f_district").value, at.selectbox(key="f_village").value) == (DESA_VILLAGE[:8],
                                                                                            DESA_VILLAGE)
    office = run("operator", "pages/pekerja_form.py")
    assert office.selectbox(key="f_district").value is None and office.selectbox(key="f_village").value is None


def test_a_kecamatan_is_named_with_its_kabupaten_only_for_who_sees_several(site):
    """", Kabupaten Kendal" after every kecamatan of an operator of Kendal cut the names off in a
    laptop's box and told nothing; an administrator of five regencies needs it."""
    office = run("operator", "pages/pekerja_form.py").selectbox(key="f_district")
    assert office.options and not any("," in label for label in office.options), office.options[:3]
    admin = run("admin", "pages/pekerja_form.py").selectbox(key="f_district")
    assert all(", " in label for label in admin.options) and "Plantungan, Kabupaten Kendal" in admin.options


def test_an_operator_of_two_villages_in_two_kecamatan_gets_the_one_desa_of_the_one_they_pick(site):
    """The desa of the kecamatan left behind is not kept: the new kecamatan's only one is picked."""
    from payung.auth.access import Actor
    from payung.auth.users import add_user
    from conftest import PASSWORD
    with open_db(site) as db:
        other = db.execute("SELECT code FROM regions WHERE level = 4 AND code LIKE ? AND code NOT LIKE ?"
                           " ORDER BY code LIMIT 1", [DESA_VILLAGE[:5] + ".%", DESA_VILLAGE[:8] + ".%"]).fetchone()[0]
        add_user(db, username="desa.dua", name="Operator Dua Desa", role="desa", password=PASSWORD,
                 actor=Actor.system(), villages=(DESA_VILLAGE, other))
    at = run("desa.dua", "pages/pekerja_form.py")
    assert at.selectbox(key="f_district").value is None  # two kecamatan: theirs to pick
    at.selectbox(key="f_district").set_value(DESA_VILLAGE[:8]).run()
    assert at.selectbox(key="f_village").value == DESA_VILLAGE
    at.selectbox(key="f_district").set_value(other[:8]).run()
    assert at.selectbox(key="f_village").value == other


def test_a_nik_from_elsewhere_names_its_kecamatan(site):
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("3374015708750001").run()
    assert "kecamatan Semarang Tengah, Kota Semarang." in " ".join(c.value for c in at.caption)


def test_a_nik_excel_wrote_as_a_number_is_explained(site):
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("3,32701E+15").run()
    assert any("angka ilmiah (Excel)" in w.value for w in at.warning)


def test_back_to_the_list_leaves_the_worker(site):
    with open_db(site) as db:
        worker_id = db.execute("SELECT id FROM workers ORDER BY id LIMIT 1").fetchone()[0]
        name = queries.worker(db, worker_id, EVERYTHING)["name"]
    at = run("admin", "pages/pekerja.py", query={"id": str(worker_id)})
    assert at.title[0].value.startswith(name)
    at.button(key="kembali").click().run()
    assert "id" not in at.query_params
    assert at.title[0].value == "Daftar pekerja" and at.dataframe


def test_an_office_serving_several_regencies_filters_the_list_by_one(site):
    """Admin serves every configured regency: a Kabupaten/kota box, kept across a worker's visit;
    a regency's operator sees only theirs, and no box."""
    with open_db(site) as db:
        regencies = dict(db.execute("SELECT regency_code, COUNT(*) FROM workers WHERE active = 1"
                                    " GROUP BY regency_code").fetchall())
    assert len(regencies) > 1
    at = run("admin", "pages/pekerja.py")
    box = at.selectbox(key="filter_kabupaten")
    with open_db(site) as db:
        names = dict(db.execute("SELECT code, name FROM regions WHERE level = 2").fetchall())
    assert box.value is None and box.options == ["Semua kabupaten/kota", *(names[code] for code in REGENCY_CODES)]
    regency = min(regencies, key=regencies.get)
    box.set_value(regency).run()
    with open_db(site) as db:
        listed = {db.execute("SELECT regency_code FROM workers WHERE id = ?", [i]).fetchone()[0]
                  for i in at.session_state["_pekerja_ids"]}
    assert listed == {regency}
    assert f"dari {regencies[regency]}" in " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    at.query_params["id"] = str(at.session_state["_pekerja_ids"][0])
    at.run()
    at.button(key="kembali").click().run()
    assert at.selectbox(key="filter_kabupaten").value == regency
    operator = run("operator", "pages/pekerja.py")
    assert not [b for b in operator.selectbox if b.key == "filter_kabupaten"]


def test_back_to_the_list_keeps_the_filters_it_shows(site):
    """The list came back filtered while the search box was empty: the boxes and the list agree."""
    with open_db(site) as db:
        worker = db.execute("SELECT id, name, occupation FROM workers ORDER BY id LIMIT 1").fetchone()
    at = run("admin", "pages/pekerja.py")
    at.text_input(key="cari_pekerja").set_value(worker[1])
    at.selectbox(key="filter_pekerjaan").set_value(worker[2]).run()
    shown = at.caption[-1].value if at.caption else ""
    filtered = len(at.dataframe[0].value)
    at.query_params["id"] = str(worker[0])
    at.run()
    assert at.title[0].value.startswith(worker[1])
    at.button(key="kembali").click().run()
    # Set again, not merely kept in the session: the browser draws the boxes anew and would show
    # them empty (set_value is what makes it show the value).
    assert at.text_input(key="cari_pekerja").value == worker[1] and at.text_input(key="cari_pekerja").proto.set_value
    assert at.selectbox(key="filter_pekerjaan").value == worker[2] and at.selectbox(key="filter_pekerjaan").proto.set_value
    assert len(at.dataframe[0].value) == filtered and shown in [c.value for c in at.caption]


def test_an_empty_registry_says_what_to_do_not_that_nothing_matched(empty_site):
    at = run("admin", "pages/pekerja.py")
    said = " ".join(i.value for i in at.info)
    assert "Belum ada pekerja terdaftar" in said and "Impor data" in said and "cocok" not in said


def test_an_empty_search_says_so_without_a_pager(site):
    """"Menampilkan 0-0 dari 0 data" under an empty search; a page box with one page to pick."""
    at = run("admin", "pages/pekerja.py")
    at.text_input(key="cari_pekerja").set_value("zzzqqq").run()
    assert "Tidak ada pekerja yang cocok" in texts(at)
    assert not [c for c in at.caption if "Menampilkan" in c.value] and not at.number_input
    at = run("admin", "pages/pekerja.py")
    at.text_input(key="cari_pekerja").set_value(at.dataframe[0].value["Nama"][0]).run()
    shown = [c.value for c in at.caption if "Menampilkan" in c.value]
    assert shown and "halaman_pekerja" not in [n.key for n in at.number_input]


def test_an_empty_search_advises_only_the_filters_that_narrow_it(site):
    """A name matching nobody, with Semua pekerjaan chosen: the advice said "Kosongkan kotak
    pencarian atau pilih Semua pekerjaan", which a newcomer read as a fault of the occupation box.
    It names what narrows the list now, and the inactive workers a search leaves out."""
    at = run("admin", "pages/pekerja.py")
    at.text_input(key="cari_pekerja").set_value("zzzqqq").run()
    [said] = [i.value for i in at.info]
    assert said == ("Tidak ada pekerja yang cocok dengan pencarian ini. Kosongkan kotak pencarian untuk melihat "
                    "semua pekerja. Pekerja nonaktif tidak ikut dicari: centang Termasuk nonaktif."), said
    at.selectbox(key="filter_pekerjaan").set_value(next(iter(at.selectbox(key="filter_pekerjaan").options[1:])))
    at.checkbox(key="filter_nonaktif").check().run()
    [said] = [i.value for i in at.info]
    assert "Kosongkan kotak pencarian dan pilih Semua pekerjaan untuk melihat semua pekerja." in said, said
    assert "nonaktif" not in said


def test_the_forms_boxes_take_no_more_than_the_service_takes(site):
    """Each box stops at the characters its field takes (payung.base.text.max_chars), so a
    pasted document is cut in the browser before the service refuses it."""
    from payung.base.text import LINE_MAX, TEXT_MAX
    for page, boxes in (("pages/pekerja_form.py", {"f_name": LINE_MAX, "f_birth_place": LINE_MAX,
                                                    "f_address": TEXT_MAX}),
                        ("pages/penyandang_dana_form.py", {"s_name": LINE_MAX, "s_address": TEXT_MAX})):
        at = run("admin", page)
        assert not at.exception, at.exception
        for key, limit in boxes.items():
            box = next(b for b in [*at.text_input, *at.text_area] if b.key == key)
            assert box.proto.max_chars == limit, (page, key)


def test_the_list_offers_its_download_with_its_count_or_says_why_not(site, monkeypatch):
    """Streamlit's own table download is off (it could not be logged); the list's own button
    takes every page of it (``payung.people.worker_list``), or says to narrow a list too long."""
    from payung.people import worker_list
    at = run("admin", "pages/pekerja.py")
    [button] = at.get("download_button")
    total = next(c for c in [button.proto.label] if "pekerja, XLSX" in c)
    assert total.startswith("Unduh daftar (") and "Log audit" in button.proto.help
    monkeypatch.setattr(worker_list, "MAX_ROWS", 1)
    at = run("admin", "pages/pekerja.py")
    assert not at.get("download_button")
    assert any("Persempit pencarian" in c.value for c in at.caption)


def test_a_village_no_box_offered_is_refused_in_words_and_nothing_is_written(site, monkeypatch):
    """A browser can send a value no box offered (another village's code in place of the chosen
    one, sent by an attack helper over the websocket): the service refuses it, and the page says so in
    Indonesian, not with Streamlit's traceback (server paths, and buttons that send the error text off
    the laptop)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    from streamlit.testing.v1.element_tree import Selectbox
    with open_db(site) as db:
        before = db.execute("SELECT COUNT(*) FROM workers").fetchone()[0]
        other = db.execute("SELECT code FROM regions WHERE level = 4 AND code LIKE ? AND code != ? ORDER BY code LIMIT 1",
                           [DESA_VILLAGE[:8] + ".%", DESA_VILLAGE]).fetchone()[0]
    at = run("desa", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("3324016508900003").run()
    at.text_input(key="f_name").set_value("Sri Wahyuni")
    at.selectbox(key="f_occupation").set_value("petani")
    chosen = Selectbox._widget_state.fget

    def tampered(box):  # what the browser sends for the village box: another village's code
        state = chosen(box)
        if box.key == "f_village":
            state = WidgetState(id=box.id, string_value=other)
        return state
    monkeypatch.setattr(Selectbox, "_widget_state", property(tampered))
    _simpan(at)
    assert not at.exception, at.exception
    assert any("di luar wilayah tugas Anda" in e.value for e in at.error), [e.value for e in at.error]
    with open_db(site) as db:
        assert db.execute("SELECT COUNT(*) FROM workers").fetchone()[0] == before


def test_past_the_days_answers_a_nik_registered_elsewhere_looks_like_a_free_one(site):
    """Once an account has had its day's "registered elsewhere" answers, the form shows the same
    for a NIK registered in another village as for a free one of the same kecamatan and birth
    date: the same caption, no warning (else the difference would be the answer)."""
    from db import store
    from payung.people.workers import ELSEWHERE, ELSEWHERE_ACTION
    with open_db(site) as db:
        taken = db.execute("SELECT nik FROM workers WHERE village_code NOT LIKE ? ORDER BY id LIMIT 1",
                           [DESA_VILLAGE[:8] + "%"]).fetchone()[0]
        free = next(taken[:12] + f"{n:04d}" for n in range(9999, 0, -1)
                    if not queries.worker_by_nik(db, taken[:12] + f"{n:04d}"))
        with store.transaction(db):  # the day's 30 answers, spent
            for n in range(site["app"].settings.limits.nik_elsewhere_per_day):
                store.audit(db, "desa", ELSEWHERE_ACTION, "workers", 900_000 + n, None, {"note": "uji"})
    shown = {}
    for nik in (taken, free):
        at = run("desa", "pages/pekerja_form.py")
        at.text_input(key="f_nik").set_value(nik).run()
        shown[nik] = texts(at)
    assert ELSEWHERE not in shown[taken] and "Batas harian jawaban" in shown[taken]
    assert shown[taken] == shown[free]


def test_a_sex_that_disagrees_with_the_nik_is_said_once_under_jenis_kelamin(site):
    """The disagreement was a problem of the NIK box: after Simpan it is said in red under Jenis
    kelamin (the box to change), not also as the NIK's warning, and goes when either is fixed."""
    said = "Jenis kelamin menurut NIK (perempuan) tidak sama dengan yang diisi (laki-laki)."
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("3324016508900003").run()  # fills Perempuan
    at.radio(key="f_gender").set_value("L").run()
    assert [w.value for w in at.warning if said in w.value]  # said as it is typed
    _simpan(at)
    assert len([e for e in at.error if said in e.value]) == 1 and not [w for w in at.warning if said in w.value]
    shown = drawn(at.main)
    radio = next(i for i, e in enumerate(shown) if getattr(e, "label", None) == "Jenis kelamin *")
    assert said in shown[radio + 1].value and shown[radio + 1] in at.error
    # Another NIK, of a man: the red disagreement is gone before Simpan.
    at.text_input(key="f_nik").set_value("3324012508900003").run()
    assert not [e for e in [*at.error, *at.warning] if said in e.value]


def test_a_sex_that_disagrees_with_the_nik_is_warned_under_jenis_kelamin_before_simpan_too(site):
    """The live warning was drawn under the NIK box before Simpan and under Jenis kelamin after:
    it is one place, under Jenis kelamin (the NIK is usually right), both times; the NIK box
    still says what the NIK holds."""
    said = "Jenis kelamin menurut NIK (perempuan) tidak sama dengan yang diisi (laki-laki)."
    at = run("admin", "pages/pekerja_form.py")
    at.text_input(key="f_nik").set_value("3324016508900003").run()  # fills Perempuan
    at.radio(key="f_gender").set_value("L").run()
    shown = drawn(at.main)
    nik = next(i for i, e in enumerate(shown) if getattr(e, "label", None) == "NIK *")
    radio = next(i for i, e in enumerate(shown) if getattr(e, "label", None) == "Jenis kelamin *")
    warned = [i for i, e in enumerate(shown) if said in str(getattr(e, "value", ""))]
    assert warned == [radio + 1] and shown[radio + 1] in at.warning
    assert "Dari NIK: lahir 25/08/1990, perempuan" in " ".join(
        str(getattr(e, "value", "")) for e in shown[nik + 1:radio])
    _simpan(at)
    shown = drawn(at.main)
    radio = next(i for i, e in enumerate(shown) if getattr(e, "label", None) == "Jenis kelamin *")
    assert [i for i, e in enumerate(shown) if said in str(getattr(e, "value", ""))] == [radio + 1]


@pytest.mark.parametrize("page, table, table_of_ids", [
    ("pages/pekerja.py", "tabel_pekerja", "SELECT id FROM workers ORDER BY id LIMIT 1"),
    ("pages/penyandang_dana.py", "tabel_sponsor", "SELECT id FROM sponsors ORDER BY id LIMIT 1"),
])
def test_back_to_the_list_draws_the_list_with_nothing_picked(site, page, table, table_of_ids):
    """A sponsor picked in the list, then "Kembali ke daftar": the same sponsor opened again (the
    browser sent back the row picked in the list, kept under its key). Each list whose row opens a
    record is drawn after "Kembali" under a key of its own (``ui.widgets.list_key``), which no
    row was picked in: the browser's old pick answers nothing."""
    with open_db(site) as db:
        record = db.execute(table_of_ids).fetchone()[0]

    def keys(at) -> set[str]:
        return {f.proto.id.rsplit(table, 1)[1].split("-")[0] for f in at.dataframe if table in f.proto.id}

    at = run("admin", page)
    first = keys(at)
    assert len(first) == 1, first
    for _ in range(2):
        at.query_params["id"] = str(record)
        at.run()
        assert not keys(at)  # the record, not the list
        at.button(key="kembali").click().run()
        assert not at.exception and "id" not in at.query_params
        again = keys(at)
        assert len(again) == 1 and again.isdisjoint(first), (first, again)
        first = again


def _links(at) -> dict:
    """The page links drawn: label -> (page, query string)."""
    return {link.proto.label: (link.proto.page, link.proto.query_string) for link in at.get("page_link")}


def test_after_a_save_the_worker_and_their_enrolment_are_a_click_away(site):
    """"... terdaftar sebagai pekerja." led nowhere: the worker's page and their enrolment in a
    scheme are links under it, and Kepesertaan opens with the worker picked."""
    at = run("operator", "pages/pekerja_form.py")
    _save_new_worker(at, "Sri Wahyuni")
    with open_db(site) as db:
        worker = queries.worker_by_nik(db, "3324016508900003")["id"]
    links = _links(at)
    assert not at.exception, at.exception
    assert set(links) == {"Lihat data pekerja", "Daftarkan kepesertaan"}, links
    assert links["Lihat data pekerja"][1] == f"id={worker}" and links["Daftarkan kepesertaan"][1] == f"pekerja={worker}"
    at.run()  # the message seen, and gone at the next run: its links with it
    assert not _links(at)
    enrol = run("operator", "pages/kepesertaan.py", query={"pekerja": worker})
    assert enrol.multiselect(key="k_workers").value == [worker]
    assert "pekerja" not in enrol.query_params


def _into_view_scripts(at) -> list[str]:
    """The scripts that scroll the page to a part of it (``ui.widgets.bring_into_view``)."""
    return [e.proto.body for e in at.sidebar.get("html") if "scrollIntoView" in e.proto.body]


def test_the_saved_message_and_its_links_are_brought_into_view_once_per_save(site):
    """On a phone the links under "... terdaftar sebagai pekerja." were drawn under Simpan, off
    screen. The message, Simpan and the links are one container, brought into view in the run that
    shows them (test_browser sees it on a phone), not at the next (a click further down would
    jump back), and again after the next save."""
    at = run("operator", "pages/pekerja_form.py")
    assert not _into_view_scripts(at)
    _save_new_worker(at, "Sri Wahyuni")
    assert [body.count(".st-key-f_saved") for body in _into_view_scripts(at)] == [1]
    assert set(_links(at)) == {"Lihat data pekerja", "Daftarkan kepesertaan"}
    at.run()
    assert not _into_view_scripts(at)
    with open_db(site) as db:
        worker = queries.worker_by_nik(db, "3324016508900003")["id"]
    at.session_state["edit_worker_id"] = worker
    at.run()
    _simpan(at)
    assert "Data Sri Wahyuni tersimpan." in texts(at)
    assert [body.count(".st-key-f_saved") for body in _into_view_scripts(at)] == [1]


def test_enrolment_opened_for_a_worker_picks_them_without_their_full_nik_in_the_search_box(site):
    """Kepesertaan reached from "Daftarkan kepesertaan" (?pekerja=) put the worker's full NIK in
    its search box to find them: a list shows none (the picker's label masks it), and the box kept
    it on screen. The worker is picked by id; the search box stays empty and the full NIK is
    nowhere on the page."""
    nik = "3324016508900003"
    _save_new_worker(run("operator", "pages/pekerja_form.py"), "Sri Wahyuni")
    with open_db(site) as db:
        worker = queries.worker_by_nik(db, nik)["id"]
    enrol = run("operator", "pages/kepesertaan.py", query={"pekerja": worker})
    assert not enrol.exception, enrol.exception
    picker = enrol.multiselect(key="k_workers")
    assert picker.value == [worker], picker.value
    assert enrol.text_input(key="k_search").value == ""
    shown = [texts(enrol), *(w.value for w in enrol.text_input), *picker.options,
             *(o for box in enrol.selectbox for o in box.options)]
    assert not [s for s in shown if nik in str(s)], [s for s in shown if nik in str(s)]
    assert any("Sri Wahyuni" in o for o in picker.options)


def test_enrolment_opened_for_a_worker_the_scheme_does_not_take_says_so(site):
    """A worker sent to Kepesertaan whom the scheme chosen does not take is not picked, and the
    page says why instead of searching for their number. Another regency's scheme chosen before
    is left for one of the worker's regency (``schemes_for_worker``); a worker covered already in
    those months under the scheme it opens on is still said so."""
    _save_new_worker(run("operator", "pages/pekerja_form.py"), "Sri Wahyuni")
    with open_db(site) as db:
        worker = queries.worker_by_nik(db, "3324016508900003")["id"]
    enrol = run("admin", "pages/kepesertaan.py", query={"pekerja": worker},
                state={"k_scheme": "mempawah_1desa100"})
    assert not enrol.exception, enrol.exception
    assert enrol.selectbox(key="k_scheme").value == "kendal_asn_peduli"
    assert enrol.multiselect(key="k_workers").value == [worker]
    with open_db(site) as db:
        asn = search_sponsors(db, actor=Actor.system(), types=("asn",), page_size=1).rows[0]["id"]
        enrol_worker(db, site["app"].plugins, actor=Actor.system(), scheme_code="kendal_asn_peduli", sponsor_id=asn,
                     worker_id=worker, start_month=current_month(), months=12, fields={"payment_method": "transfer"})
    enrol = run("admin", "pages/kepesertaan.py", query={"pekerja": worker})
    assert not enrol.exception, enrol.exception
    assert enrol.multiselect(key="k_workers").value == []
    assert any("Sri Wahyuni tidak memenuhi syarat wilayah" in w.value for w in enrol.warning), \
        [w.value for w in enrol.warning]


def test_a_role_that_may_not_enrol_gets_no_enrolment_link(site, monkeypatch):
    from payung.auth import access
    monkeypatch.setitem(access.ACTIONS, "sponsorship.write", (("admin",), "mendaftarkan kepesertaan"))
    at = run("operator", "pages/pekerja_form.py")
    _save_new_worker(at, "Sri Wahyuni")
    assert not at.exception, at.exception  # a link to a page not in its navigation is an error
    assert set(_links(at)) == {"Lihat data pekerja"}


def test_enrolment_opened_for_a_worker_opens_on_a_scheme_the_person_can_enrol_them_in(site):
    """A village operator following "Daftarkan kepesertaan" landed on the first scheme, Kendal
    ASN, whose sponsors (ASN) are none they may choose: the page stopped at "Belum ada penyandang
    dana" and the worker was picked only after the scheme was changed. It opens on a scheme of the
    worker's regency with a sponsor they may choose, the worker picked."""
    _save_new_worker(run("desa", "pages/pekerja_form.py"), "Sri Wahyuni")
    with open_db(site) as db:
        worker = queries.worker_by_nik(db, "3324016508900003")["id"]
        # A donor already paying for a worker of the village: the one sponsor the operator may choose.
        donor = create_sponsor(db, site["app"].settings, {"type": "perorangan", "name": "Donatur Desa",
                                                          "regency_code": "33.24"}, actor=Actor.system())
        covered = create_worker(db, site["app"].settings, worker_values(nik="3324015708750009", village_code=DESA_VILLAGE),
                                actor=Actor.system())
        enrol_worker(db, site["app"].plugins, actor=Actor.system(), scheme_code="gn_lingkaran", sponsor_id=donor,
                     worker_id=covered, start_month=current_month(), months=12, fields={"channel": "langsung", "pledge": 5})
    enrol = run("desa", "pages/kepesertaan.py", query={"pekerja": worker})
    assert not enrol.exception, enrol.exception
    assert enrol.selectbox(key="k_scheme").value == "gn_lingkaran", enrol.selectbox(key="k_scheme").value
    assert "Belum ada penyandang dana" not in texts(enrol)
    assert enrol.multiselect(key="k_workers").value == [worker]
    # A scheme chosen before that can enrol them is kept (the regency team's Kendal ASN).
    enrol = run("operator", "pages/kepesertaan.py", query={"pekerja": worker}, state={"k_scheme": "gn_lingkaran"})
    assert enrol.selectbox(key="k_scheme").value == "gn_lingkaran"
    enrol = run("operator", "pages/kepesertaan.py", query={"pekerja": worker})
    assert enrol.selectbox(key="k_scheme").value == "kendal_asn_peduli"
    assert enrol.multiselect(key="k_workers").value == [worker]


def test_enrolment_opened_for_a_worker_no_scheme_can_take_says_why_and_what_to_do(site):
    """No scheme of the worker's regency has a sponsor the person may choose: said plainly, with
    what to do, on the page it opens."""
    _save_new_worker(run("desa", "pages/pekerja_form.py"), "Sri Wahyuni")
    with open_db(site) as db:
        worker = queries.worker_by_nik(db, "3324016508900003")["id"]
        create_sponsor(db, site["app"].settings, {"type": "asn", "name": "ASN Kabupaten", "nip": "198001012005011001",
                                                  "opd": "Dinsos", "regency_code": "33.24"}, actor=Actor.system())
    enrol = run("desa", "pages/kepesertaan.py", query={"pekerja": worker})
    assert not enrol.exception, enrol.exception
    said = [w.value for w in enrol.warning]
    assert any("Sri Wahyuni belum dapat didaftarkan" in w and "Penyandang Dana" in w for w in said), said
