"""The scheme editor under hostile input (attack session): a number no form could mean, typed in a
box of the editor, is refused with a message and breaks neither the editor nor, once saved, the
pages that draw the scheme's fields."""

from __future__ import annotations

import tomllib

import pytest
from test_declarative import _button, _key, _skema, _skema_site


def _gn_in_the_form():
    """The Skema page of an administrator, GN Lingkaran's file opened in the editor's form."""
    at = _skema("admin")
    at.radio(key="ed_mode").set_value("ubah").run()
    at.selectbox(key="ed_pick_ubah").set_value("gn_lingkaran").run()
    _button(at, "Buka di formulir").click().run()
    return at


def _open_gn(tmp_path, monkeypatch):
    folder, _ = _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml")
    at = _gn_in_the_form()
    assert not at.exception, at.exception
    return folder, at


@pytest.mark.parametrize("box", ["months", "f1_minimum", "f1_maximum", "f1_default"])
def test_a_number_of_thousands_of_digits_is_refused_not_a_crash(tmp_path, monkeypatch, box):
    """Python refuses to read a whole number of more than 4.300 digits (ValueError): the editor
    crashed on every run after, the form unusable and what was typed lost on a reload."""
    folder, at = _open_gn(tmp_path, monkeypatch)
    before = (folder / "gn_lingkaran.toml").read_text(encoding="utf-8")
    at.text_input(key=_key(at, box)).set_value("9" * 5000).run()
    assert not at.exception, at.exception
    _button(at, "Simpan skema").click().run()
    assert not at.exception, at.exception
    assert at.error, "refused with a message"
    assert (folder / "gn_lingkaran.toml").read_text(encoding="utf-8") == before


@pytest.mark.parametrize("box, typed", [("f1_minimum", "-99999999999999999999999"),
                                        ("f1_maximum", "99999999999999999999999"),
                                        ("f1_default", "99999999999999999999999")])
def test_a_bound_or_default_no_number_box_can_take_is_refused(tmp_path, monkeypatch, box, typed):
    """A whole-number field's minimum, maximum or default beyond what a browser's number box holds
    exactly (2^53 - 1) was saved, and the enrolment page of the scheme then crashed for every
    operator (StreamlitJSNumberBoundsError in st.number_input)."""
    folder, at = _open_gn(tmp_path, monkeypatch)
    before = (folder / "gn_lingkaran.toml").read_text(encoding="utf-8")
    at.text_input(key=_key(at, box)).set_value(typed).run()
    _button(at, "Simpan skema").click().run()
    assert not at.exception, at.exception
    assert any("terlalu besar" in e.value for e in at.error), [e.value for e in at.error]
    assert (folder / "gn_lingkaran.toml").read_text(encoding="utf-8") == before


def test_a_hand_written_scheme_with_such_a_bound_is_an_error_not_a_broken_page(tmp_path):
    import tomllib
    from pathlib import Path

    from conftest import write_config

    from payung.base.config import load_settings
    from payung.schemes.declarative import DeclarationError, load_scheme
    source = (Path(__file__).parent.parent / "plugins" / "gn_lingkaran.toml").read_text(encoding="utf-8")
    text = source.replace("default = 25\nminimum = 1", "default = 25\nminimum = -9007199254740992")
    assert text != source and tomllib.loads(text)
    settings = load_settings(write_config(tmp_path))
    with pytest.raises(DeclarationError, match="terlalu besar"):
        load_scheme(text, settings)


@pytest.mark.parametrize("box", ["f1_minimum", "f1_maximum", "f1_default"])
def test_a_zero_typed_as_a_bound_or_default_is_saved_not_dropped(tmp_path, monkeypatch, box):
    """0 was taken for "nothing typed" (0 == False): a minimum of 0 was saved as no minimum at
    all, so the field then took negative numbers, with a message saying it was saved."""
    import tomllib
    folder, at = _open_gn(tmp_path, monkeypatch)
    if box != "f1_minimum":  # a maximum or default of 0 needs a minimum (1 in the file) at or below it
        at.text_input(key=_key(at, "f1_minimum")).set_value("-1").run()
    if box == "f1_maximum":
        at.text_input(key=_key(at, "f1_default")).set_value("").run()
    at.text_input(key=_key(at, box)).set_value("0").run()
    _button(at, "Simpan skema").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    pledge = tomllib.loads((folder / "gn_lingkaran.toml").read_text(encoding="utf-8"))["fields"][1]
    assert pledge[box.removeprefix("f1_")] == 0, pledge


def test_a_zero_bound_written_by_hand_survives_an_edit_of_another_part(tmp_path, monkeypatch):
    """The declaration the form opens dropped a bound of 0 too: renaming the scheme removed it."""
    import tomllib
    folder, _ = _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml")
    path = folder / "gn_lingkaran.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("minimum = 1", "minimum = 0"), encoding="utf-8")
    at = _gn_in_the_form()
    at.text_input(key=_key(at, "name")).set_value("GN Lingkaran Kendal").run()
    _button(at, "Simpan skema").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert tomllib.loads(path.read_text(encoding="utf-8"))["fields"][1]["minimum"] == 0


def test_a_second_click_on_simpan_adds_no_version_that_changes_nothing(tmp_path, monkeypatch):
    """A double click on Simpan skema: the second run saved the same file again as a new version
    ("tidak ada perubahan"), audited as a change, cluttering the history every edit is read from."""
    _, at = _open_gn(tmp_path, monkeypatch)
    at.text_input(key=_key(at, "name")).set_value("GN Lingkaran Kendal").run()
    _button(at, "Simpan skema").click().run()
    _button(at, "Simpan skema").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Riwayat versi (2)" in e.label for e in at.expander), [e.label for e in at.expander]
    assert any("versi 2" in s.value and "tidak ada perubahan" in s.value for s in at.success), \
        [s.value for s in at.success]


def test_a_refused_save_shows_only_its_errors_not_the_last_saves_success(tmp_path, monkeypatch):
    """The success of an earlier save ("... tersimpan ...") stayed on the page beside the errors
    of a later, refused save: the administrator read both and could not tell which held."""
    _, at = _open_gn(tmp_path, monkeypatch)
    at.text_input(key=_key(at, "name")).set_value("GN Lingkaran Kendal").run()
    _button(at, "Simpan skema").click().run()
    assert [s.value for s in at.success if "tersimpan" in s.value] and not at.error
    at.text_input(key=_key(at, "legal_basis")).set_value("").run()
    _button(at, "Simpan skema").click().run()
    assert not at.exception, at.exception
    assert any("dasar hukum" in e.value for e in at.error), [e.value for e in at.error]
    assert not [s.value for s in at.success if "tersimpan" in s.value]
    at.text_input(key=_key(at, "legal_basis")).set_value("Inpres 2/2021").run()
    _button(at, "Simpan skema").click().run()
    assert not at.error and [s.value for s in at.success if "versi 3" in s.value], [e.value for e in at.error]


def test_the_first_save_of_a_shipped_file_writes_only_what_was_changed(tmp_path, monkeypatch):
    """The first save of plugins/gn_lingkaran.toml added ``per = "regency"`` to its target (what
    leaving it out means): a change nobody made, in the version's diff and the history."""
    folder, at = _open_gn(tmp_path, monkeypatch)
    before = (folder / "gn_lingkaran.toml").read_text(encoding="utf-8")
    at.text_input(key=_key(at, "name")).set_value("GN Lingkaran Kendal").run()
    _button(at, "Simpan skema").click().run()
    assert any("versi 2: diubah: nama skema)" in s.value for s in at.success), [s.value for s in at.success]
    after = (folder / "gn_lingkaran.toml").read_text(encoding="utf-8")
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == ['name = "GN Lingkaran Kendal"'], changed


def test_the_saved_message_names_the_scheme_as_saved_without_invisible_characters(tmp_path, monkeypatch):
    """The save tidies a name (a zero-width space, a no-break space, two spaces dropped or made
    one); its message repeated the name as typed, invisible characters and all."""
    folder, at = _open_gn(tmp_path, monkeypatch)
    at.text_input(key=_key(at, "name")).set_value("GN\u200b Lingkaran\u00a0\u00a0Kendal\u2060").run()
    _button(at, "Simpan skema").click().run()
    assert not at.error, [e.value for e in at.error]
    said = [s.value for s in at.success if "tersimpan" in s.value]
    assert said and said[0].startswith("Skema GN Lingkaran Kendal tersimpan"), said
    assert 'name = "GN Lingkaran Kendal"' in (folder / "gn_lingkaran.toml").read_text(encoding="utf-8")
    assert at.text_input(key=_key(at, "name")).value == "GN Lingkaran Kendal", "the form holds the saved name"


def test_a_files_text_choice_and_yes_no_defaults_survive_a_save_of_another_value(tmp_path, monkeypatch):
    """A hand-written file whose text field says ``default = "007"``, whose choices are numbers
    (``choices = [1, 2, 3]``, ``default = 1``) and whose yes/no field says ``default = true``
    could not be saved from the form at all, whatever was changed: the form read "007" as the
    number 7 ("harus teks"), wrote the choices back as text ("1": the default no longer one of
    them) and the yes/no default as "True". A save changes only what was changed."""
    folder, _ = _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml")
    path = folder / "gn_lingkaran.toml"
    text = path.read_text(encoding="utf-8")
    extra = ('[[fields]]\nname = "kode_wilayah"\nlabel = "Kode wilayah donatur"\ndefault = "007"\ncarry_over = true\n\n'
             '[[fields]]\nname = "tahap"\nlabel = "Tahap"\ntype = "choice"\nchoices = [1, 2, 3]\ndefault = 1\n\n'
             '[[fields]]\nname = "aktif"\nlabel = "Donatur aktif"\ntype = "bool"\ndefault = true\n\n')
    at_rules = text.index("[[rules]]")
    path.write_text(text[:at_rules] + extra + text[at_rules:], encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    at = _gn_in_the_form()
    at.text_input(key=_key(at, "name")).set_value("GN Lingkaran Kendal").run()
    _button(at, "Simpan skema").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    after = path.read_text(encoding="utf-8")
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == ['name = "GN Lingkaran Kendal"'], changed


def test_a_fields_carry_over_is_a_checkbox_at_its_types_default_and_written_only_when_it_differs(tmp_path, monkeypatch):
    """The form had no control for a field's ``carry_over`` (whether "Perpanjang" into a new year
    copies it): only a file's value was kept. The checkbox starts as the model has it (a text is
    not copied, other types are, a file's own value wins); a save writes it only where it is not
    the type's default, and keeps a file's own."""
    folder, _ = _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml")
    path = folder / "gn_lingkaran.toml"
    text = path.read_text(encoding="utf-8")
    extra = ('[[fields]]\nname = "nomor_dpa"\nlabel = "Nomor DPA"\n\n'
             '[[fields]]\nname = "jabatan"\nlabel = "Jabatan donatur"\ncarry_over = true\n\n')
    at_rules = text.index("[[rules]]")
    path.write_text(text[:at_rules] + extra + text[at_rules:], encoding="utf-8")
    at = _gn_in_the_form()
    kinds = {"channel": "choice", "pledge": "integer", "nomor_dpa": "text", "jabatan": "text"}
    index = {at.text_input(key=_key(at, f"f{i}_name")).value: i for i in range(len(kinds))}
    box = {name: at.checkbox(key=_key(at, f"f{index[name]}_carry_{kind}")) for name, kind in kinds.items()}
    assert {name: b.value for name, b in box.items()} == {
        "channel": True, "pledge": True, "nomor_dpa": False, "jabatan": True}
    assert all(b.label == "Disalin saat diperpanjang ke tahun berikutnya" for b in box.values())
    at.text_input(key=_key(at, "name")).set_value("GN Lingkaran Kendal").run()
    _button(at, "Simpan skema").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    saved = path.read_text(encoding="utf-8")
    assert saved.count("carry_over") == 1 and "carry_over = true" in saved, "the defaults are not written"
    at.checkbox(key=_key(at, f"f{index['nomor_dpa']}_carry_text")).check().run()
    at.checkbox(key=_key(at, f"f{index['pledge']}_carry_integer")).uncheck().run()
    _button(at, "Simpan skema").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    fields = {f["name"]: f for f in tomllib.loads(path.read_text(encoding="utf-8"))["fields"]}
    assert {name: f.get("carry_over") for name, f in fields.items()} == {
        "channel": None, "pledge": False, "nomor_dpa": True, "jabatan": True}
