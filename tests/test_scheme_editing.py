"""Edit, version and retire a scheme (issue 26, point 3): each save is a version with who, when
and the diff; sponsorships keep the version they were made under and their amounts; a retired
scheme takes no new enrolment and keeps its code; the file keeps its comments."""

from __future__ import annotations

import json

import pytest

from db import queries
from payung.base import formats
from payung.base.errors import ValidationError
from payung.enrolment.bulk import apply_bulk, plan_bulk
from payung.schemes import editing
from payung.schemes.copying import check_copy

from test_regency_rules import CODE, csr  # noqa: F401 - the fixture

COMMENTED = "# Skema uji: komentar ini tetap ada.\n"


def _edit(csr, change):
    data = editing.copy_declaration(csr.app.plugins, CODE)
    change(data)
    saved = editing.save_scheme(csr.db, csr.app.plugins, data, actor=csr.actor, editing=CODE)
    csr.app.reload_schemes(csr.db)
    return saved


def _file(csr):
    return csr.app.settings.plugins_dir / f"{CODE}.toml"


def test_an_edit_is_a_new_version_and_old_sponsorships_stay_as_they_were(csr):
    path = _file(csr)
    path.write_text(COMMENTED + path.read_text(encoding="utf-8"), encoding="utf-8")
    csr.app.reload_schemes(csr.db)
    before = csr.enrol(CODE, csr.company, csr.worker(csr.in_a, "nelayan"))
    lines = list(csr.db.query("SELECT month, amount FROM contribution_lines WHERE sponsorship_id = ?", [before]))
    assert csr.db.execute("SELECT scheme_version FROM sponsorships").fetchone()[0] is None, "never edited yet"

    saved = _edit(csr, lambda d: d.update(name="Uji CSR nelayan 2026", months=[12, 6]))
    assert (saved.version, saved.summary) == (2, "diubah: nama skema, lama kepesertaan")
    assert path.read_text(encoding="utf-8").startswith(COMMENTED), "the file's comment is kept"
    assert csr.app.plugins.scheme(CODE).months == (12, 6)
    assert [v["version"] for v in editing.versions(csr.db, CODE)] == [2, 1]
    assert '+name = "Uji CSR nelayan 2026"' in editing.versions(csr.db, CODE)[0]["diff"]
    entry = csr.db.execute("SELECT actor, after FROM audit_log WHERE action = 'scheme.save'").fetchone()
    assert entry[0] == "admin" and '+months = [12, 6]' in json.loads(entry[1])["diff"]

    csr.enrol(CODE, csr.company, csr.worker(csr.in_a, "nelayan"), months=6)
    listed = plan_bulk(csr.db, csr.app.plugins, [{"scheme_code": CODE, "sponsor_id": csr.company, "start_month": "2025-01",
                                                  "worker_id": csr.worker(csr.in_b, "nelayan")}], actor=csr.actor)
    apply_bulk(csr.db, csr.app.plugins, listed, actor=csr.actor)
    version = [r["scheme_version"] for r in csr.db.query("SELECT scheme_version FROM sponsorships ORDER BY id")]
    assert version == [1, 2, 2], "made before the edit, by the form after it, by a list after it"
    assert list(csr.db.query("SELECT month, amount FROM contribution_lines WHERE sponsorship_id = ?", [before])) == lines


def test_a_new_rule_binds_new_enrolments_with_the_loaders_checks(csr):
    with pytest.raises(ValidationError) as refused:
        _edit(csr, lambda d: d["rules"].append({"rule": "workers_at_most", "limit": 1, "per": "rt"}))
    assert "parameter per aturan workers_at_most harus salah satu dari" in str(refused.value)
    assert queries.latest_scheme_version(csr.db, CODE) is None, "a refused save records nothing"
    _edit(csr, lambda d: d["rules"].append({"rule": "workers_at_most", "limit": 1, "per": "village"}))
    csr.enrol(CODE, csr.company, csr.worker(csr.in_a, "nelayan"))
    problems = csr.refused(CODE, csr.company, csr.worker(csr.in_a, "nelayan"))
    assert [p.rule for p in problems] == ["workers_at_most"]


def test_the_code_and_regency_of_an_edited_scheme_stay(csr):
    for change in ({"code": "uji_lain_zz"}, {"regency_code": "33.24"}):
        data = editing.copy_declaration(csr.app.plugins, CODE) | change
        scheme, problems = editing.check_scheme(csr.app.plugins, data, db=csr.db, editing=CODE)
        assert scheme is None and problems


def test_a_retired_scheme_takes_no_enrolment_and_keeps_its_code(csr):
    kept = csr.enrol(CODE, csr.company, csr.worker(csr.in_a, "nelayan"))
    editing.retire_scheme(csr.db, csr.app.plugins, CODE, actor=csr.actor)
    csr.app.reload_schemes(csr.db)
    worker = csr.worker(csr.in_b, "nelayan")
    problems = csr.refused(CODE, csr.company, worker)
    assert problems[0].rule == "scheme_retired" and "sudah dipensiunkan" in problems[0].message
    bulk = plan_bulk(csr.db, csr.app.plugins, [{"scheme_code": CODE, "sponsor_id": csr.company, "worker_id": worker,
                                                "start_month": "2025-01"}], actor=csr.actor)
    assert bulk.rows[0].problems[0].rule == "scheme_retired"
    assert queries.sponsorship(csr.db, kept, __import__("db.scope").scope.EVERYTHING)["status"] == "diajukan"
    copy = editing.copy_declaration(csr.app.plugins, CODE)
    _, taken = check_copy(csr.app.plugins, copy | {"legal_basis": "x", "started": "2025-01-01"}, db=csr.db)
    assert any("sudah dipakai" in p for p in taken)
    with pytest.raises(Exception, match="sudah dipensiunkan"):
        editing.retire_scheme(csr.db, csr.app.plugins, CODE, actor=csr.actor)


def test_a_copy_leaving_python_rules_out_is_refused_until_agreed_then_audited_as_a_copy(csr):
    """Rule: the editor's copy writes what the old copy form wrote: a copy whose source has
    rules in Python the copy cannot check is refused (nothing written) until the administrator
    agreed; saved, its audit entry is ``scheme.copy`` naming the source and what was left out,
    and so does the file's header."""
    from conftest import snapshot
    data = editing.copy_declaration(csr.app.plugins, CODE) | {
        "code": "uji_salinan_zz", "name": "Uji salinan", "legal_basis": "Perbup 2/2026", "started": "2026-01-01"}
    left_out = ["aturan Python uji (tidak ada di pustaka)"]
    before = snapshot(csr.db)
    with pytest.raises(ValidationError) as refused:
        editing.save_scheme(csr.db, csr.app.plugins, data, actor=csr.actor, copied_from=CODE, left_out=left_out)
    assert "Saya mengerti: salin tanpa aturan tersebut" in str(refused.value)
    assert "aturan Python uji" in str(refused.value)
    assert snapshot(csr.db) == before and not (csr.app.settings.plugins_dir / "uji_salinan_zz.toml").exists()

    saved = editing.save_scheme(csr.db, csr.app.plugins, data, actor=csr.actor, copied_from=CODE, left_out=left_out,
                                agreed=True)
    header = saved.path.read_text(encoding="utf-8").split("\n\n")[0]
    assert header.startswith("# Uji salinan\n") and f"Disalin dari skema {CODE} oleh admin" in header
    assert "Tidak ikut disalin" in header and "aturan Python uji" in header
    actions = [r[0] for r in csr.db.execute("SELECT action FROM audit_log WHERE row_id = 'uji_salinan_zz'")]
    assert actions == ["scheme.copy"]
    entry = json.loads(csr.db.execute("SELECT after FROM audit_log WHERE action = 'scheme.copy'").fetchone()[0])
    assert (entry["copied_from"], entry["left_out"], entry["version"]) == (CODE, left_out, 1)


def test_a_new_scheme_from_scratch_is_version_1_and_loads(csr):
    data = editing.blank_declaration(csr.app.settings) | {
        "code": "uji_baru_zz", "name": "Uji baru", "regency_code": "33.27", "legal_basis": "Perbup 1/2026",
        "started": "2025-01-01", "rules": [{"rule": "worker_age_between", "low": 18, "high": 60}]}
    saved = editing.save_scheme(csr.db, csr.app.plugins, data, actor=csr.actor)
    csr.app.reload_schemes(csr.db)
    assert saved.version == 1 and csr.app.plugins.scheme("uji_baru_zz").rules[0].name == "worker_age_between"
    assert saved.path.read_text(encoding="utf-8").startswith("# Uji baru\n")


def test_a_save_over_a_file_changed_since_the_form_opened_is_refused_and_undoes_nothing(csr):
    path = _file(csr)
    opened = path.read_text(encoding="utf-8")  # two administrators open the same scheme
    mine = editing.copy_declaration(csr.app.plugins, CODE) | {"name": "Nama dari admin kedua"}
    first = editing.save_scheme(csr.db, csr.app.plugins, editing.copy_declaration(csr.app.plugins, CODE)
                                | {"months": [12, 6]}, actor=csr.actor, editing=CODE, base=opened)
    with pytest.raises(ValidationError) as refused:
        editing.save_scheme(csr.db, csr.app.plugins, mine, actor=csr.actor, editing=CODE, base=opened)
    assert refused.value.problems[0].rule == "scheme_changed"
    assert "versi 2 oleh admin" in refused.value.problems[0].message
    # When, in local time as every page says it, not the stored UTC text ("2026-12-07T11:47").
    stored = queries.scheme_versions(csr.db, CODE)[0]["created_at"]
    assert f"pada {formats.date(stored)})" in refused.value.problems[0].message and "T" not in formats.date(stored)
    assert path.read_text(encoding="utf-8") == first.text, "the first save's months stay"
    assert queries.latest_scheme_version(csr.db, CODE) == 2

    path.write_text(first.text + "# diubah di disk\n", encoding="utf-8")  # a hand edit on disk
    with pytest.raises(ValidationError, match="di luar halaman Skema"):
        editing.save_scheme(csr.db, csr.app.plugins, mine, actor=csr.actor, editing=CODE, base=first.text)
    saved = editing.save_scheme(csr.db, csr.app.plugins, mine, actor=csr.actor, editing=CODE,
                                base=path.read_text(encoding="utf-8"))
    assert saved.version == 3 and "# diubah di disk" in saved.text


def test_an_edit_stores_its_texts_as_typed_texts_are_stored(csr):
    """A scheme name with a no-break space, two spaces or a line break (pasted) was written to the
    TOML as typed, a twin of the name with one space."""
    _edit(csr, lambda d: d.update({"name": "Skema\u00a0Uji  Kendal\n", "description": "Untuk pekerja\u200b rentan.\n"}))
    scheme = csr.app.plugins.schemes[CODE]
    assert (scheme.name, scheme.description) == ("Skema Uji Kendal", "Untuk pekerja rentan.")


def test_a_regency_name_is_stored_as_typed_texts_are(csr):
    from payung.people.reference import save_regency
    saved = save_regency(csr.db, csr.app.settings, code="33.24", name="Kabupaten\u00a0 Kendal\n", actor=csr.actor)
    assert saved["name"] == "Kabupaten Kendal"


@pytest.mark.parametrize("change", [{"name": "Uji\x1b[31m merah"}, {"description": "a\x00b"},
                                    {"targets": [{"label": "Target\x07", "value": 10}]}])
def test_an_edit_with_control_characters_is_refused_like_a_copy(csr, change):
    before = _file(csr).read_text(encoding="utf-8")
    with pytest.raises(ValidationError, match="karakter kendali"):
        _edit(csr, lambda d: d.update(change))
    assert _file(csr).read_text(encoding="utf-8") == before
    assert queries.latest_scheme_version(csr.db, CODE) is None


def _a_save(csr, new: bool, code: str = CODE):
    """What a failing save is asked to write, and the file it writes: a new scheme ``code``, or
    the test scheme renamed."""
    if not new:
        return editing.copy_declaration(csr.app.plugins, CODE) | {"name": "Nama yang tidak jadi"}, _file(csr)
    data = editing.blank_declaration(csr.app.settings) | {
        "code": code, "name": "Uji gagal", "regency_code": "33.27", "legal_basis": "Perbup 1/2026",
        "started": "2025-01-01"}
    return data, csr.app.settings.plugins_dir / f"{code}.toml"


@pytest.mark.parametrize("new", [False, True])
def test_a_save_whose_commit_fails_leaves_the_file_as_it_was(csr, monkeypatch, new):
    """The file is written inside the save's transaction, after every check: a COMMIT that then
    fails (a disk full, a lost PostgreSQL connection) rolled the version back and left the file
    written, a scheme no version records. The file is put back as it was (a new one removed)."""
    from contextlib import contextmanager

    from payung.base.errors import DatabaseError
    real = editing.store.transaction

    @contextmanager
    def failing_commit(db):
        outermost = not db.in_transaction
        with real(db):
            yield db
            if outermost:  # the save's own transaction, after all its work: its COMMIT
                raise DatabaseError("Basis data tidak dapat menyimpan (uji: COMMIT gagal).")

    path = _file(csr)
    before = path.read_text(encoding="utf-8")
    versions = [v["version"] for v in editing.versions(csr.db, CODE)]
    data, path = _a_save(csr, new, "uji_gagal_zz")
    monkeypatch.setattr(editing.store, "transaction", failing_commit)
    with pytest.raises(DatabaseError):
        editing.save_scheme(csr.db, csr.app.plugins, data, actor=csr.actor, editing=None if new else CODE)
    if new:
        assert not path.exists()
    else:
        assert path.read_text(encoding="utf-8") == before
        assert [v["version"] for v in editing.versions(csr.db, CODE)] == versions
    assert not list(path.parent.glob(".*.baru")), "no half-written file left beside it"


@pytest.mark.parametrize("new", [False, True])
def test_a_file_the_disk_cannot_hold_is_refused_in_words_and_leaves_nothing_half_written(csr, monkeypatch, new):
    """A disk full in the middle of the write: the save is refused with the reason, no version is
    recorded, the old file stays whole and nothing half written is left beside it (a new file,
    half written, stayed under the scheme's name: the next start read a broken scheme)."""
    import errno
    from pathlib import Path

    from payung.base.errors import PayungError

    def full(self, text, *args, **kwargs):  # writes part, then the disk is full
        with open(self, "w", encoding="utf-8") as out:
            out.write(text[:10])
        raise OSError(errno.ENOSPC, "No space left on device")

    class Full:
        def __init__(self, path):
            self.file = open(path, "x", encoding="utf-8")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, text):
            self.file.write(text[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

    path = _file(csr)
    before = path.read_text(encoding="utf-8")
    versions = [v["version"] for v in editing.versions(csr.db, CODE)]
    data, path = _a_save(csr, new, "uji_penuh_zz")
    if new:
        monkeypatch.setattr(editing, "open", lambda p, mode, **kw: Full(p), raising=False)
    else:
        monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(PayungError, match="tidak dapat ditulis"):
        editing.save_scheme(csr.db, csr.app.plugins, data, actor=csr.actor, editing=None if new else CODE)
    monkeypatch.undo()
    assert not path.exists() if new else path.read_text(encoding="utf-8") == before
    assert [v["version"] for v in editing.versions(csr.db, CODE)] == versions
    assert not list(path.parent.glob(".*.baru"))


def test_a_part_emptied_is_said_once_as_removed():
    """Targets emptied in the editor (the key kept, its list empty), a description blanked: the
    summary said "diubah: target; dihapus: target", a part both changed and removed."""
    before = {"code": "uji", "name": "Uji", "targets": [{"label": "x", "value": 1}], "description": "Lama",
              "rules": [{"name": "r"}]}
    after = {"code": "uji", "name": "Uji", "targets": [], "description": "", "rules": [{"name": "s"}]}
    assert editing.changes(before, after) == "diubah: aturan; dihapus: target, uraian skema"
    assert editing.changes(before, {**after, "rules": before["rules"]}) == "dihapus: target, uraian skema"


def test_a_saves_summary_names_what_changed_in_the_forms_words():
    """The message after Simpan skema and the version history said "diubah: fields": the file's
    keys, which the form never shows. Every part a scheme file can have is named as the form
    names it; a key it does not know is said as written."""
    from payung.schemes.declarative import SCHEME_KEYS
    before = {"code": "uji", "name": "Uji", "fields": [{"name": "a"}], "description": "Lama"}
    after = {"code": "uji", "name": "Uji Baru", "fields": [{"name": "b"}], "targets": [{"label": "x", "value": 1}],
             "extra": 1}
    assert editing.changes(before, after) == ("diubah: nama skema, isian khusus; ditambah: target, extra; "
                                              "dihapus: uraian skema")
    unnamed = [key for key in SCHEME_KEYS if key not in editing.PART_WORDS]
    assert not unnamed, unnamed
    assert all(word and word == word.lower() and not any(ch == "_" for ch in word)
               for word in editing.PART_WORDS.values())
