"""Coded values in imports (``payung.imports.values``) as regency staff type them: synonyms, any
case and spacing, close spellings, suggestions, the value mapping kept in the import template."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from payung.auth.access import Actor
from payung.imports import auto_map, file_hash, plan_import, read_table
from payung.imports.templates import save_template, templates
from payung.imports.values import NOT_A_CODE, SYNONYMS, ValueMatcher, mapping_options, synonyms_for
from payung.base.occupations import OCCUPATIONS

from conftest import ROOT, write_config
from test_import import HEADER

ADMIN = Actor("admin", "admin")
MATCHER = ValueMatcher(OCCUPATIONS, synonyms_for("occupation"))

TYPED = {
    "Marbot Masjid": "takmir_marbot", "marbot": "takmir_marbot", "TAKMIR": "takmir_marbot",
    "Guru TPQ": "guru_tpa_tpq", "guru ngaji": "guru_tpa_tpq", "Guru  TPA": "guru_tpa_tpq", "ojek": "tukang_ojek",
    "Ojol": "tukang_ojek", "tani": "petani", " Petani ": "petani", "PKL": "pedagang_kaki_lima",
    "pedagang sayur": "tukang_sayur", "Buruh Harian": "buruh_harian_lepas", "buruh harian lepas": "buruh_harian_lepas",
    "Nelayan": "nelayan", "peternak": "peternak", "Pedagang Pasar": "pedagang_pasar", "Pédagang pasar": "pedagang_pasar",
    "sopir": "sopir", "supir": "sopir", "Takmir/Marbot Masjid": "takmir_marbot", "guru tpa/tpq": "guru_tpa_tpq",
    "petanni": "petani", "nelayn": "nelayan", "wiraswasta": "pekerja_mandiri", "Ketua RT": "ketua_rt",
}


@pytest.mark.parametrize("typed,code", TYPED.items())
def test_occupations_match_as_people_type_them(typed, code):
    assert MATCHER.match(typed).code == code


def test_a_word_inside_a_longer_name_is_suggested_not_taken():
    found = MATCHER.match("Guru")
    assert found.code is None and found.suggestions[0][0] == "guru_tpa_tpq"


def test_a_name_of_two_occupations_is_ambiguous_never_guessed():
    found = ValueMatcher({"a": "Pedagang", "b": "Pedagang"}).match("pedagang")
    assert found.code is None and found.ambiguous and {c for c, _, _ in found.suggestions} == {"a", "b"}


def test_an_unknown_value_gets_suggestions_in_its_message():
    found = MATCHER.match("pedagang kelontong")
    assert found.code is None
    assert "Pedagang" in found.hint()


DUKCAPIL = {
    "Petani/Pekebun": "petani", "Peternak": "peternak", "Nelayan/Perikanan": "nelayan",
    "Buruh Tani/Perkebunan": "buruh_tani", "Buruh Nelayan/Perikanan": "nelayan", "Buruh Peternakan": "peternak",
    "Buruh Harian Lepas": "buruh_harian_lepas", "Pedagang": "pedagang_pasar", "Wiraswasta": "pekerja_mandiri",
    "Sopir": "sopir", "Tukang Ojek": "tukang_ojek", "Imam Masjid": "pegawai_sara",
    "Ustadz/Mubaligh": "pekerja_sosial_keagamaan", "Karyawan Honorer": "tenaga_non_asn",
    "Perangkat Desa": "aparatur_desa",
}
NOT_WORKERS = ["Mengurus Rumah Tangga", "Pelajar/Mahasiswa", "Belum/Tidak Bekerja", "Karyawan Swasta", "PNS",
               "Pegawai Negeri Sipil", "Pensiunan", "IRT", "ibu rumah tangga", "Karyawan BUMN"]
REFUSING = ValueMatcher(OCCUPATIONS, synonyms_for("occupation"), refused=NOT_A_CODE["occupation"])


@pytest.mark.parametrize("typed,code", DUKCAPIL.items())
def test_dukcapil_occupations_of_informal_workers_match(typed, code):
    """The KTP occupation list (Permendagri 109/2019), as SIAK exports it."""
    assert REFUSING.match(typed).code == code


@pytest.mark.parametrize("typed", NOT_WORKERS)
def test_dukcapil_occupations_of_non_workers_stay_unknown_and_say_why(typed):
    found = REFUSING.match(typed)
    assert found.code is None and found.prefill is None and not found.suggestions
    assert "bukan pekerjaan sektor informal" in found.refused
    # A regency that does register them (its own [occupations]) still gets its code.
    assert ValueMatcher({**OCCUPATIONS, "irt": "Ibu rumah tangga"}, {"ibu rumah tangga": "irt", "irt": "irt"},
                        refused=NOT_A_CODE["occupation"]).match("IRT").code == "irt"


@pytest.mark.parametrize("typed,prefill", [
    ("IRT", None), ("ibu rt", None), ("pns", None), ("karyawan swasta", None), ("tukang parkir", None),
    ("tukang kayu", None), ("tukang becak", None), ("guru honorer", None), ("guru", None), ("ustadz", None),
    ("Petani Tambak", None), ("Peternak Lele", None), ("sopir angkot desa", "sopir"),
])
def test_only_a_confident_unambiguous_suggestion_is_pre_filled(typed, prefill):
    assert REFUSING.match(typed).prefill == prefill


# Occupations with extra words (issue #22, point 9) --------------------------------------------

WORDS = ValueMatcher(OCCUPATIONS, synonyms_for("occupation"), refused=NOT_A_CODE["occupation"], by_words=True)
WITH_EXTRA_WORDS = {
    "Petani padi sawah": "petani", "petani cengkeh": "petani", "Nelayan tradisional": "nelayan",
    "nelayan rajungan": "nelayan", "peternak itik": "peternak", "Pedagang keliling online": "pedagang_kaki_lima",
    "Pedagang kaki lima bakso": "pedagang_kaki_lima", "Marbot musholla Al Falah": "takmir_marbot",
    "Ojek online Grab": "tukang_ojek", "Ketua RT 07 / RW 02": "ketua_rt", "Kadus II": "aparatur_desa",
    # Short forms of a word.
    "Tkg sayur keliling": "tukang_sayur", "Pdg kaki lima": "pedagang_kaki_lima", "Bh harian lepas": "buruh_harian_lepas",
    # Several names in it: the most specific one, when it is the only one that specific.
    "Penyuluh agama honorer": "pekerja_sosial_keagamaan", "buruh tani musiman": "buruh_tani",
    # A close spelling of a whole two-word name beats one word of another ("dagang" alone is a trader).
    "Dagang sayur": "tukang_sayur",
}
STILL_AMBIGUOUS = {
    "Petani dan pedagang": {"petani", "pedagang_pasar"}, "Buruh tani/harian": {"buruh_tani", "buruh_harian_lepas"},
    "Nelayan & buruh": {"nelayan", "buruh_harian_lepas"}, "Peternak/petani": {"peternak", "petani"},
    "pedagang sayur di pasar": {"tukang_sayur", "pedagang_pasar"},
}


@pytest.mark.parametrize("typed,code", WITH_EXTRA_WORDS.items())
def test_an_occupation_with_extra_words_is_matched_by_its_words(typed, code):
    assert WORDS.match(typed).code == code


@pytest.mark.parametrize("typed,codes", STILL_AMBIGUOUS.items())
def test_two_occupations_as_specific_stay_ambiguous_with_both_suggested(typed, codes):
    found = WORDS.match(typed)
    assert found.code is None and found.ambiguous and found.prefill is None
    assert codes <= {code for code, _, _ in found.suggestions}


@pytest.mark.parametrize("typed", ["Guru SD", "Tukang parkir", "Tukang becak", "Penjahit", "PNS / petani",
                                   "Ibu rumah tangga, pedagang", "Karyawan swasta"])
def test_no_whole_name_in_it_or_a_non_worker_in_it_is_not_taken(typed):
    """A word of a longer name is not enough ("guru" of Guru TPA/TPQ, "tukang" of Tukang ojek),
    and a value that also names a non-worker's occupation is never taken by its words."""
    assert WORDS.match(typed).code is None


def test_other_coded_columns_are_not_matched_by_words():
    """Only the columns of BY_WORDS: "bukan miskin" is not Ya by its word "miskin"."""
    flags = ValueMatcher({True: "Ya", False: "Tidak"}, synonyms_for("flag"))
    assert flags.match("bukan miskin").code is None


def _register_of_a_village() -> list[tuple[str, str]]:
    """tests/data/register_pekerjaan.csv: occupations as village registers type them, written
    apart from the synonym table, with what a person would choose ("?": several fit, "-": none)."""
    import csv
    text = (ROOT / "tests" / "data" / "register_pekerjaan.csv").read_text(encoding="utf-8")
    rows = list(csv.reader((line for line in text.splitlines() if line and not line.startswith("#")), delimiter=";"))
    return [tuple(row) for row in rows[1:]]


def register_figures(matcher: ValueMatcher) -> dict[str, int]:
    """How ``matcher`` reads the register: right, wrong (taken, but not what a person chose),
    undecided (ambiguous, unknown or refused: asked in the value mapping step) where a person
    would choose one occupation, and undecided where a person would not."""
    figures = dict.fromkeys(("right", "wrong", "undecided", "undecided_rightly"), 0)
    for typed, wanted in _register_of_a_village():
        code = matcher.match(typed).code
        if code is None:
            figures["undecided_rightly" if wanted in "?-" else "undecided"] += 1
        else:
            figures["right" if code == wanted else "wrong"] += 1
    return figures


def test_a_village_register_is_read_by_the_words_of_its_occupations():
    """137 occupations as registers type them: before the match by words 46 were read right,
    1 wrong (Anggota BPD as Anggota BHP) and 68 of those a person reads at once were left to
    ask; now about 100 are read right, and what is read wrongly stays as rare."""
    figures = register_figures(REFUSING_WORDS)
    print(figures)
    assert len(_register_of_a_village()) >= 100
    assert figures["right"] >= 95 and figures["wrong"] <= 2 and figures["undecided_rightly"] >= 21, figures


REFUSING_WORDS = ValueMatcher(OCCUPATIONS, synonyms_for("occupation"), refused=NOT_A_CODE["occupation"],
                              by_words=True)


def test_import_reads_an_occupation_with_extra_words_and_asks_for_two(importer):
    data = (HEADER + "1;3324011708759001;Ani Lestari;Kendal, 17-08-1975;L;Blumah;Plantungan;Petani padi sawah;;1000000\n"
                     "2;3324011708759002;Budi Utomo;Kendal, 17-08-1975;L;Blumah;Plantungan;Petani dan pedagang;;1000000\n"
            ).encode()
    plan = importer(data, write=False)
    assert [w["occupation"] for w in plan.new] == ["petani"]
    [error] = plan.errors
    assert 'Pekerjaan "Petani dan pedagang" ambigu' in error.message and "Petani" in error.message
    assert "Pedagang pasar" in error.message


def test_mapping_options_list_the_suggestions_first():
    codes = {"a": "A", "b": "B", "c": "C", "d": "D"}
    assert mapping_options(codes, [("c", "C"), ("a", "A")]) == ([None, "c", "a", "b", "d"], 0)
    assert mapping_options(codes, [("c", "C")], "c") == ([None, "c", "a", "b", "d"], 1)
    assert mapping_options(codes, [("x", "X")], "x") == ([None, "a", "b", "c", "d"], 0)


def test_import_says_why_a_non_worker_is_refused(importer):
    data = (HEADER + "1;3324015708759001;Ani Lestari;Kendal, 17-08-1975;P;Blumah;Plantungan;Mengurus Rumah Tangga;;1000000\n"
            ).encode()
    plan = importer(data, write=False)
    [error] = plan.errors
    assert error.message.startswith('Pekerjaan "Mengurus Rumah Tangga" bukan pekerjaan sektor informal')
    assert plan.unknown["occupation"]["Mengurus Rumah Tangga"]["refused"]


def test_the_template_value_mapping_wins():
    assert ValueMatcher(OCCUPATIONS, synonyms_for("occupation"), {"Marbot langgar": "takmir_marbot"}).match(
        "marbot  LANGGAR").code == "takmir_marbot"


def _register() -> bytes:
    """A village register as regency staff typed it: 40 good rows in many spellings, 9 bad."""
    spellings = list(TYPED) + ["Petani", "PETANI", "petani ", "Nelayan", "Peternak", "Tukang Ojek", "Pedagang",
                               "pedagang kaki lima", "Buruh tani", "Guru Ngaji", "marbot masjid", "ojol", "tani", "Pkl"]
    lines = []
    for n, occupation in enumerate(spellings[:40], start=1):
        nik = f"332401170875{5000 + n:04d}"
        lines.append(f"{n};{nik};Warga {n};Kendal, 17-08-1975;L;Blumah;Plantungan;{occupation};;1.000.000")
    bad = [
        "3324011708759001;Kerja Aneh;Kendal, 17-08-1975;L;Blumah;Plantungan;Astronot;;1000000",
        "3324011708759002;Kerja Kosong;Kendal, 17-08-1975;L;Blumah;Plantungan;;;1000000",
        "33240117087;NIK Pendek;Kendal, 17-08-1975;L;Blumah;Plantungan;Petani;;1000000",
        "3324011708759004;;Kendal, 17-08-1975;L;Blumah;Plantungan;Petani;;1000000",
        "3324011708759005;Desa Salah;Kendal, 17-08-1975;L;Atlantis;Plantungan;Petani;;1000000",
        "3324011708759006;Kelamin Aneh;Kendal, 17-08-1975;X;Blumah;Plantungan;Petani;;1000000",
        "3324011708759007;Tanggal Salah;Kendal, 31-02-1975;L;Blumah;Plantungan;Petani;;1000000",
        "3324011708759008;Upah Minus;Kendal, 17-08-1975;L;Blumah;Plantungan;Petani;;-5",
        "3324011708755001;NIK Dobel;Kendal, 17-08-1975;L;Blumah;Plantungan;Petani;;1000000",
    ]
    lines += [f"{41 + n};{row}" for n, row in enumerate(bad)]
    return (HEADER + "\n".join(lines) + "\n").encode()


def test_village_register_imports_every_good_row_and_refuses_every_bad_one(importer):
    plan = importer(_register(), write=False)
    errors = {e.row: e.message for e in plan.errors}
    assert plan.counts["imported"] == 40, errors
    assert plan.counts["rejected"] == 9, errors
    assert "Astronot" in errors[42] and "tidak dikenal" in errors[42]


def test_unknown_values_are_counted_for_the_mapping_step_with_suggestions(importer):
    data = (HEADER + "1;3324011708759001;Ani Lestari;Kendal, 17-08-1975;L;Blumah;Plantungan;Pedagng kelontong;;1000000\n"
                     "2;3324011708759002;Budi Utomo;Kendal, 17-08-1975;L;Blumah;Plantungan;pedagng  kelontong;;1000000\n"
                     "3;3324011708759003;Citra Dewi;Kendal, 17-08-1975;L;Blumah;Plantungan;Astronot;;1000000\n").encode()
    plan = importer(data, write=False)
    unknown = plan.unknown["occupation"]
    assert unknown["Pedagng kelontong"]["count"] == 1 and unknown["pedagng  kelontong"]["count"] == 1
    assert unknown["Pedagng kelontong"]["suggestions"][0][0] in ("pedagang_pasar", "pedagang_kaki_lima")
    assert "mungkin maksud Anda" in plan.errors[0].message


def test_value_mapping_saved_in_the_template_maps_the_next_file(importer, schemes_app):
    data = (HEADER + "1;3324011708759001;Ani Lestari;Kendal, 17-08-1975;L;Blumah;Plantungan;Penjual kelontong;;1000000\n"
            ).encode()
    assert importer(data, write=False).counts["imported"] == 0  # unknown without the template
    mapping = auto_map(read_table(data, "f.csv").headers, "workers")
    save_template(importer.db, kind="workers", name="Kantor Desa Blumah", mapping=mapping,
                  values={"occupation": {"Penjual kelontong": "pedagang_pasar"}}, actor=ADMIN)
    saved = templates(importer.db, "workers", actor=ADMIN)["Kantor Desa Blumah"]
    table = read_table(data, "f.csv")
    plan = plan_import(importer.db, schemes_app.plugins, kind="workers", sheet=table, mapping=saved.columns,
                       actor=ADMIN, file_name="f.csv", data_hash=file_hash(data), values=saved.values)
    assert plan.counts["imported"] == 1 and plan.new[0]["occupation"] == "pedagang_pasar"


def test_cli_import_uses_the_template_value_mapping(tmp_path):
    config = write_config(tmp_path)
    db = tmp_path / "cli.db"
    data = (HEADER + "1;3324011708759001;Ani Lestari;Kendal, 17-08-1975;L;Blumah;Plantungan;Merbot langgar;;1000000\n").encode()
    (tmp_path / "f.csv").write_bytes(data)
    env = {"PAYUNG_CONFIG": str(config)}

    def payung(*args):
        return subprocess.run([sys.executable, "-m", "payung", *args, "--db", str(db)], cwd=ROOT, capture_output=True,
                              text=True, env={**__import__("os").environ, **env}, timeout=120)
    assert payung("init").returncode == 0
    first = json.loads(payung("import", "workers", str(tmp_path / "f.csv"), "--json", "--dry-run").stdout)
    assert first["rejected"] == 1 and first["unknown_values"] == {"occupation": {"Merbot langgar": 1}}
    from db import open_database
    with open_database(db) as conn:
        save_template(conn, kind="workers", name="Blumah", mapping=auto_map(read_table(data, "f.csv").headers, "workers"),
                      values={"occupation": {"merbot langgar": "takmir_marbot"}}, actor=ADMIN)
    second = json.loads(payung("import", "workers", str(tmp_path / "f.csv"), "--json", "--template", "Blumah").stdout)
    assert second["imported"] == 1 and second["rejected"] == 0


def test_a_regency_adds_its_own_words_in_config(tmp_path):
    from payung.core import Payung
    config = write_config(tmp_path, extra='[import_synonyms.occupation]\n"penderes nira" = "petani"\n',
                          plugins_dir=str(tmp_path / "none"))
    app = Payung.load(config, entry_points=False)
    db = app.open_db()
    app.initialise(db)
    data = (HEADER + "1;3324011708759001;Ani Lestari;Kendal, 17-08-1975;L;Blumah;Plantungan;Penderes Nira;;1000000\n").encode()
    table = read_table(data, "f.csv")
    plan = plan_import(db, app.plugins, kind="workers", sheet=table, mapping=auto_map(table.headers, "workers"),
                       actor=ADMIN, file_name="f.csv", data_hash=file_hash(data))
    db.close()
    assert plan.new and plan.new[0]["occupation"] == "petani"


def test_every_built_in_synonym_names_a_known_code():
    from payung.base.sponsor_types import SPONSOR_TYPES
    assert set(SYNONYMS["occupation"].values()) <= set(OCCUPATIONS)
    assert set(SYNONYMS["sponsor_type"].values()) <= set(SPONSOR_TYPES)


# On the pages ---------------------------------------------------------------------------------

def test_impor_page_asks_what_an_unknown_value_means_and_remembers_it_in_the_template(site):
    from test_pages import open_db, run
    data = (HEADER + "1;3324011708759001;Ani Lestari;Kendal, 17-08-1975;L;Blumah;Plantungan;Merbot langgar;;1000000\n"
                     "2;3324011708759002;Budi Utomo;Kendal, 17-08-1975;L;Blumah;Plantungan;merbot  LANGGAR;;1000000\n"
            ).encode()
    at = run("admin", "pages/impor.py")
    at.file_uploader(key="i_file").set_value(("pekerja.csv", data, "text/csv")).run()
    next(b for b in at.button if b.label == "Periksa").click().run()
    assert "Pencocokan nilai" in [s.value for s in at.subheader]
    boxes = [b for b in at.selectbox if b.key and b.key.startswith("i_value_workers_occupation_")]
    # Not a confident match: not pre-filled, but the suggestion comes first in the box.
    assert len(boxes) == 2 and all(b.value is None and b.options[1] == "Takmir/marbot masjid" for b in boxes)
    for box in boxes:
        box.set_value("takmir_marbot")
    next(b for b in at.button if b.label == "Terapkan pencocokan nilai dan periksa ulang").click().run()
    assert [m.value for m in at.metric][:1] == ["2"] and "Pencocokan nilai" not in [s.value for s in at.subheader]
    at.text_input(key="i_template_name").set_value("Kantor Desa Blumah").run()
    next(b for b in at.button if b.label == "Simpan templat").click().run()
    assert 'Templat "Kantor Desa Blumah" tersimpan.' in [s.value for s in at.success]
    with open_db(site) as db:
        saved = templates(db, "workers", actor=ADMIN)["Kantor Desa Blumah"]
    assert saved.values["occupation"] == {"Merbot langgar": "takmir_marbot", "merbot  LANGGAR": "takmir_marbot"}
    next(b for b in at.button if b.label == "Simpan templat").click().run()  # the same name again: one's own, replaced
    assert 'Templat "Kantor Desa Blumah" Anda diperbarui.' in [s.value for s in at.success]


def test_impor_page_pre_fills_only_a_confident_match(site):
    """One click on "Terapkan" used to save IRT as Ketua RT, "tukang parkir" as Tukang sayur:
    now only a confident, unambiguous match is pre-selected; the rest stay refused, with the
    suggestions first in the box; a Dukcapil label of a non-worker says why it is refused.
    Values whose words name one occupation ("sopir angkot desa", "guru honorer") are imported
    without asking; two occupations at once ("Petani dan pedagang") are asked."""
    from test_pages import run
    rows = {"tukang parkir": None, "ojekpangkalan desa": "tukang_ojek", "Mengurus Rumah Tangga": None,
            "tukang kayu": None, "Petani dan pedagang": None}
    known = ["sopir angkot desa", "guru honorer"]
    data = (HEADER + "".join(f"{n};33240117087590{n:02d};Pekerja {n};Kendal, 17-08-1975;L;Blumah;Plantungan;{typed};;1000000\n"
                             for n, typed in enumerate([*rows, *known], 1))).encode()
    at = run("admin", "pages/impor.py")
    at.file_uploader(key="i_file").set_value(("pekerja.csv", data, "text/csv")).run()
    next(b for b in at.button if b.label == "Periksa").click().run()
    shown = [t.value.split("  (")[0] for t in at.text]
    boxes = {text: box for text, box in zip(shown, [b for b in at.selectbox
                                                   if b.key and b.key.startswith("i_value_workers_occupation_")])}
    assert set(boxes) == set(rows)
    assert {text: box.value for text, box in boxes.items()} == rows
    assert boxes["tukang parkir"].options[:2] == ["(tetap ditolak)", "Tukang sayur"]
    assert boxes["Petani dan pedagang"].options[1:3] == ["Pedagang pasar", "Petani"]
    assert boxes["Mengurus Rumah Tangga"].options[1] == "Petani"  # no suggestion: the list as it is
    assert any("Bukan pekerjaan sektor informal" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Terapkan pencocokan nilai dan periksa ulang").click().run()
    assert [m.value for m in at.metric][:1] == ["3"]  # the ojek driver, the sopir and the teacher


def test_enrolment_form_keeps_its_choices_per_scheme(site):
    """JHT ticked under one scheme does not carry over to the next: its box shows that scheme's default."""
    from test_pages import run
    schemes = site["app"].plugins.schemes
    assert len(schemes) >= 2
    first, second = list(schemes)[:2]
    at = run("admin", "pages/kepesertaan.py")
    at.selectbox(key="k_scheme").set_value(first).run()
    at.checkbox(key=f"k_jht_{first}").set_value("JHT" not in schemes[first].programs).run()
    at.selectbox(key="k_scheme").set_value(second).run()
    assert at.checkbox(key=f"k_jht_{second}").value == ("JHT" in schemes[second].programs)
    at.selectbox(key="k_scheme").set_value(first).run()
    assert at.checkbox(key=f"k_jht_{first}").value == ("JHT" in schemes[first].programs)
