"""The scheme editor on the Skema page (issue 26, point 1): a scheme from a copy or from scratch,
edited in the form with live rule sentences, saved through the loader's checks as a readable
TOML file that loads without a restart; an edit is a new version; a scheme can be retired."""

from __future__ import annotations

import re

import tomllib

from payung.core import Payung

from test_declarative import _button, _key, _skema, _skema_site


def _open(at, mode, code=None):
    at.radio(key="ed_mode").set_value(mode).run()
    if code:
        at.selectbox(key=f"ed_pick_{mode}").set_value(code).run()
    for agreement in [c for c in at.checkbox if c.key == f"ed_agree_{code}"]:  # a copy leaving Python rules out
        agreement.check().run()
    _button(at, "Buka di formulir").click().run()
    assert not at.exception, at.exception
    return at


def _picker(at):
    return next(s for s in at.selectbox if s.label == "Aturan dari pustaka")


def _markdown(at):
    return "\n".join(m.value for m in at.markdown)


def test_a_copy_is_edited_with_live_sentences_flagged_and_saved_as_toml(tmp_path, monkeypatch, db_location):
    folder, config = _skema_site(tmp_path, monkeypatch, "mempawah_1desa100.py", location=db_location)
    at = _open(_skema("admin"), "salin", "mempawah_1desa100")
    at.text_input(key=_key(at, "code")).set_value("uji_desa_zz").run()
    at.selectbox(key=_key(at, "regency")).set_value("33.27").run()
    # The description copied from Mempawah names Mempawah: flagged before saving.
    assert any("masih menyebut Mempawah" in w.value for w in at.warning)
    # A rule from the library, its sentence following each edit.
    at.selectbox(key="ed_r_pick").set_value("workers_at_most").run()
    _button(at, "Tambah aturan").click().run()
    assert "Paling banyak 50 pekerja per kecamatan." in _markdown(at)
    rules = at.session_state["_ed_draft"]["data"]["rules"]
    index = len(rules) - 1
    at.number_input(key=_key(at, f"r{index}_limit")).set_value(100).run()
    at.selectbox(key=_key(at, f"r{index}_per")).set_value("village").run()
    assert "Paling banyak 100 pekerja per desa." in _markdown(at)
    assert any("Rp 16.800 per pekerja per bulan" in i.value for i in at.info)
    at.text_area(key=_key(at, "description")).set_value("Setiap pemerintah desa di Kabupaten Pemalang menanggung iuran.")
    at.text_input(key=_key(at, "legal_basis")).set_value("Inpres 2/2021; Perbup Pemalang 3/2026").run()
    assert not any("masih menyebut Mempawah (kabupaten skema asal): \"Setiap" in w.value for w in at.warning)
    _button(at, "Simpan skema").click().run()
    assert not at.exception, at.exception
    assert any("uji\\_desa\\_zz.toml (versi 1" in s.value for s in at.success), [s.value for s in at.success]
    text = (folder / "uji_desa_zz.toml").read_text(encoding="utf-8")
    assert text.startswith("# ") and "[[rules]]" in text and 'per = "village"' in text
    scheme = Payung.load(config, entry_points=False).plugins.scheme("uji_desa_zz")
    assert scheme.rules[-1].description == "Paling banyak 100 pekerja per desa."
    assert tomllib.loads(text)["regency_code"] == "33.27"


def test_a_toml_scheme_edited_twice_has_two_versions_and_can_be_retired(tmp_path, monkeypatch, db_location):
    folder, config = _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml", location=db_location)
    at = _open(_skema("admin"), "ubah", "gn_lingkaran")
    at.text_input(key=_key(at, "name")).set_value("GN Lingkaran Kendal").run()
    _button(at, "Simpan skema").click().run()
    assert not at.exception, at.exception
    assert any("versi 2: diubah: nama skema" in s.value for s in at.success), [s.value for s in at.success]
    assert (folder / "gn_lingkaran.toml").read_text(encoding="utf-8").startswith("# GN Lingkaran:"), "comments kept"
    assert any("Riwayat versi (2)" in e.label for e in at.expander)
    assert '+name = "GN Lingkaran Kendal"' in "\n".join(c.value for c in at.code)
    at.checkbox(key=_key(at, "retire_sure")).check().run()
    _button(at, "Pensiunkan").click().run()
    assert not at.exception, at.exception
    assert any("Dipensiunkan pada" in w.value for w in at.warning)
    # The day as every page writes it (dd/mm/yyyy), not the stored ISO text (2026-12-07).
    retired = next(w.value for w in at.warning if "Dipensiunkan pada" in w.value)
    assert re.search(r"Dipensiunkan pada \d{2}/\d{2}/\d{4}:", retired), retired


def test_a_rule_picked_while_the_form_is_drawn_again_stays_picked_and_is_added(tmp_path, monkeypatch, db_location):
    """Rule: on a busy server a person picks a rule (and clicks Tambah aturan) on the form as it
    was drawn before the last change; the form drawn after that change keeps the pick and adds
    the rule. Keyed by the form's generation, the pick was lost and the button stayed disabled
    (a flaky browser test in CI)."""
    _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml", location=db_location)
    at = _open(_skema("admin"), "baru")
    _picker(at).set_value("workers_at_most").run()
    generation = at.session_state["_ed_draft"]["gen"]
    _button(at, "Tambah isian").click().run()  # a change: the form is drawn again, new widget keys
    assert at.session_state["_ed_draft"]["gen"] == generation + 1
    assert _picker(at).value == "workers_at_most"
    _button(at, "Tambah aturan").click().run()
    assert not at.exception, at.exception
    assert [r["rule"] for r in at.session_state["_ed_draft"]["data"]["rules"]] == ["workers_at_most"]


def test_tambah_aturan_is_never_disabled_and_with_nothing_picked_says_so(tmp_path, monkeypatch, db_location):
    """Rule: the button's state is not the last run's guess about the picker (a click right
    after a pick, before its run came back, landed on a disabled button); with nothing picked
    it says what to do and adds nothing."""
    _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml", location=db_location)
    at = _open(_skema("admin"), "baru")
    button = _button(at, "Tambah aturan")
    assert not button.disabled
    button.click().run()
    assert not at.exception, at.exception
    assert any("Pilih dulu aturan dari pustaka" in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.session_state["_ed_draft"]["data"]["rules"] == []


def test_a_pick_adds_its_rule_once_and_a_second_press_says_pick_first(tmp_path, monkeypatch, db_location):
    """Rule: a pick is used up by Tambah aturan. On a slow server a person presses again when
    nothing seems to happen (the browser test's click does too, after 20 s): the picker kept its
    pick for the whole session, so the same rule was added twice (CI: 5 rules where 4 were
    meant). Picked again, the same rule is added again (two caps are a real scheme's)."""
    _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml", location=db_location)
    at = _open(_skema("admin"), "baru")
    _picker(at).set_value("workers_at_most").run()
    _button(at, "Tambah aturan").click().run()
    assert _picker(at).value is None
    _button(at, "Tambah aturan").click().run()
    assert not at.exception, at.exception
    assert any("Pilih dulu aturan dari pustaka" in w.value for w in at.warning), [w.value for w in at.warning]
    assert [r["rule"] for r in at.session_state["_ed_draft"]["data"]["rules"]] == ["workers_at_most"]
    _picker(at).set_value("workers_at_most").run()
    _button(at, "Tambah aturan").click().run()
    assert [r["rule"] for r in at.session_state["_ed_draft"]["data"]["rules"]] == ["workers_at_most"] * 2


def test_a_rule_picked_before_the_run_after_an_add_reached_the_picker_is_kept(tmp_path, monkeypatch, db_location):
    """Rule: the picker is emptied after an add only if it still holds the rule added. On a
    slow server the run after an add is cut short by the next pick before it draws the picker;
    the run the pick starts must keep that new pick, not empty it."""
    _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml", location=db_location)
    at = _open(_skema("admin"), "baru")
    _picker(at).set_value("workers_at_most").run()
    _button(at, "Tambah aturan").click().run()
    at.session_state["_ed_used_pick"] = ("ed_r", "workers_at_most")  # as left by a run cut short
    _picker(at).set_value("worker_age_between").run()
    assert _picker(at).value == "worker_age_between"
    _button(at, "Tambah aturan").click().run()
    assert [r["rule"] for r in at.session_state["_ed_draft"]["data"]["rules"]] == ["workers_at_most",
                                                                                   "worker_age_between"]


def test_a_save_the_loader_refuses_says_why_and_writes_nothing(tmp_path, monkeypatch, db_location):
    folder, _ = _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml", location=db_location)
    at = _open(_skema("admin"), "baru")
    at.text_input(key=_key(at, "code")).set_value("uji_kosong_zz")
    at.text_input(key=_key(at, "name")).set_value("Uji").run()
    at.text_input(key=_key(at, "months")).set_value("12, 99").run()
    _button(at, "Simpan skema").click().run()
    assert any("«months» paling lama 60 bulan" in e.value for e in at.error), [e.value for e in at.error]
    assert not (folder / "uji_kosong_zz.toml").exists()


def test_only_admins_see_the_editor(tmp_path, monkeypatch, db_location):
    _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml", location=db_location)
    at = _skema("lihat")
    assert "Buat atau ubah skema" not in [s.value for s in at.subheader]


def test_an_admin_adds_a_regency_and_an_occupation_and_the_editor_offers_them(tmp_path, monkeypatch, db_location):
    _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml", location=db_location)
    at = _skema("admin")
    at.text_input(key="ref_reg_code").set_value("61.99")
    next(b for b in at.button if b.label == "Simpan kabupaten").click().run()
    assert any("tidak dikenal data wilayah Kemendagri" in e.value for e in at.error)
    at.text_input(key="ref_reg_code").set_value("61.07")
    at.text_input(key="ref_reg_umk").set_value("2.700.000")
    next(b for b in at.button if b.label == "Simpan kabupaten").click().run()
    assert not at.exception, at.exception
    at.text_input(key="ref_occ_label__baru").set_value("Buruh nelayan")
    at.text_input(key="ref_occ_syn__baru").set_value("ABK, pandega")
    next(b for b in at.button if b.label == "Simpan pekerjaan").click().run()
    assert not at.exception, at.exception
    at = _open(at, "baru")
    assert "Kabupaten Bengkayang (61.07)" in at.selectbox(key=_key(at, "regency")).options
    at.selectbox(key="ed_r_pick").set_value("worker_occupation_in").run()
    _button(at, "Tambah aturan").click().run()
    assert "Buruh nelayan" in at.multiselect(key=_key(at, "r0_codes")).options


def test_fields_are_added_typed_reordered_and_removed_and_a_rule_nested_under_when(tmp_path, monkeypatch, db_location):
    folder, config = _skema_site(tmp_path, monkeypatch, "gn_lingkaran.toml", location=db_location)
    at = _open(_skema("admin"), "baru")
    at.text_input(key=_key(at, "code")).set_value("uji_isian_zz")
    at.text_input(key=_key(at, "name")).set_value("Uji isian").run()
    for _ in range(2):
        _button(at, "Tambah isian").click().run()
    at.text_input(key=_key(at, "f1_name")).set_value("pilar")
    at.text_input(key=_key(at, "f1_label")).set_value("Pilar").run()
    at.selectbox(key=_key(at, "f1_type")).set_value("choice").run()
    at.text_area(key=_key(at, "f1_choices")).set_value("pemerintah = Pemerintah\ndbhcht = DBHCHT").run()
    at.checkbox(key=_key(at, "f1_req")).check().run()
    at.button(key=_key(at, "f1_up")).click().run()
    at.button(key=_key(at, "f1_remove")).click().run()  # the first field, now second
    fields = at.session_state["_ed_draft"]["data"]["fields"]
    assert [f["name"] for f in fields] == ["pilar"]
    at.selectbox(key="ed_r_pick").set_value("when").run()
    _button(at, "Tambah aturan").click().run()
    at.text_input(key=_key(at, "r0_field")).set_value("pilar").run()  # the example names a field not here
    at.selectbox(key="ed_r_pick").set_value("worker_age_between").run()
    at.button(key="ed_r_add").click().run()
    _button(at, "Masukkan ke aturan «Bila» di atas").click().run()
    assert not at.exception, at.exception
    rules = at.session_state["_ed_draft"]["data"]["rules"]
    assert [r["rule"] for r in rules] == ["when"] and rules[0]["rules"][0]["rule"] == "worker_age_between"
    _button(at, "Simpan skema").click().run()
    assert not at.exception, at.exception
    assert any("uji\\_isian\\_zz.toml (versi 1" in s.value for s in at.success), [e.value for e in at.error]
    scheme = Payung.load(config, entry_points=False).plugins.scheme("uji_isian_zz")
    assert scheme.fields[0].choices == (("pemerintah", "Pemerintah"), ("dbhcht", "DBHCHT")) and scheme.fields[0].required
    assert scheme.rules[0].description.startswith("Bila pilar DBHCHT: Umur pekerja 55-65 tahun")
