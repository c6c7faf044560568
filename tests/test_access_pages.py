"""Access on the pages, each leak tried again (issue #11): a detail page of a record outside one's
slice says "not found" like a missing one, masked NIKs cannot be rebuilt from what a viewer is
shown, the duplicate-NIK message names nobody, a user's import template is theirs alone, and a
village operator's Beranda shows its own villages."""

from __future__ import annotations

import datetime as dt

import pytest

from db import queries, store
from db.scope import EVERYTHING
from payung.reports import dashboard
from payung.auth.access import Actor, shown
from payung.base.errors import ValidationError
from payung.imports.templates import save_template, template_named, templates
from payung.people.sponsors import sponsor_detail
from payung.people.workers import ELSEWHERE, create_worker, get_worker, search_workers, worker_detail

from conftest import DESA_VILLAGE, at_once
from test_pages import drawn, open_db, run, texts

DESA = Actor("desa", "desa", villages=(DESA_VILLAGE,))
KENDAL_OPERATOR = Actor("operator", "operator", regency_code="33.24")
VIEWER = Actor("lihat", "viewer")


def _one(db, sql, params=()):
    return next(iter(db.query(sql, params)))


@pytest.mark.parametrize("page,query_sql,user", [
    ("pages/pekerja.py", "SELECT id FROM workers WHERE village_code != ? LIMIT 1", "desa"),
    ("pages/penyandang_dana.py", "SELECT id FROM sponsors s WHERE NOT (type = 'pemerintah_desa' AND village_code = ?)"
     " AND id NOT IN (SELECT p.sponsor_id FROM sponsorships p JOIN workers w ON w.id = p.worker_id"
     " WHERE w.village_code = ?) LIMIT 1", "desa"),
    ("pages/pembayaran.py", "SELECT id FROM payments WHERE scheme_code NOT IN"
     " (SELECT code FROM schemes WHERE regency_code = '33.24') AND CAST(? AS TEXT) IS NOT NULL LIMIT 1", "operator"),
])
def test_detail_page_of_a_record_outside_the_scope_says_not_found_like_a_missing_one(site, page, query_sql, user):
    with open_db(site) as db:
        outside = _one(db, query_sql, [DESA_VILLAGE] * query_sql.count("?"))["id"]
    seen = run(user, page, query={"id": str(outside)})
    missing = run(user, page, query={"id": "987654"})
    assert "tidak ditemukan" in texts(seen)
    assert [e.value for e in seen.error] == [e.value for e in missing.error]


def _district_digits(village_code: str) -> str:
    return village_code.replace(".", "")[:6]


def _rebuild(masked: str, shown_row: dict, village_code: str) -> str | None:
    """The attack of the issue: region digits from the village shown, the birth date shown
    (women: day + 40), the serial shown. None when the shown fields do not give a full date."""
    birth = shown_row.get("birth_date")
    if not birth:
        return None
    born = dt.date.fromisoformat(str(birth)[:10])
    day = born.day + (40 if shown_row.get("gender") == "P" else 0)
    return f"{_district_digits(village_code)}{day:02d}{born.month:02d}{born.year % 100:02d}{masked[-4:]}"


def test_masked_niks_cannot_be_rebuilt_from_what_a_viewer_is_shown(site):
    with open_db(site) as db:
        settings = site["app"].settings
        rows = search_workers(db, settings, actor=VIEWER, page_size=200).rows
        assert len(rows) == 200
        rebuilt = attempted = 0
        for row in rows:
            detail = worker_detail(db, row["id"], actor=VIEWER)
            real = queries.worker(db, row["id"], EVERYTHING)
            assert real["nik"] not in repr(detail) + repr(row)
            for seen in (row, detail["worker"]):
                attempted += 1
                rebuilt += _rebuild(detail["worker"]["nik"], seen, real["village_code"]) == real["nik"]
        assert rebuilt == 0, f"{rebuilt} of {attempted} masked NIKs rebuilt"
        # The same attack on what an operator sees (full birth date) does rebuild most NIKs:
        # the test above can fail.
        naive = sum(_rebuild(r["nik"], r, r["village_code"]) == r["nik"]
                    for r in (queries.worker(db, row["id"], EVERYTHING) for row in rows))
        assert naive > 100


def test_masked_row_keeps_only_the_birth_year():
    row = shown(VIEWER, {"nik": "3324015708750001", "birth_date": "1975-08-17"})
    assert row == {"nik": "3324********0001", "birth_date": None, "birth_year": "1975"}


def test_masked_role_cannot_search_by_nik(site):
    with open_db(site) as db:
        nik = _one(db, "SELECT nik FROM workers LIMIT 1")["nik"]
        for text in (nik, nik[:8]):
            with pytest.raises(ValidationError, match="tidak dapat mencari dengan NIK"):
                search_workers(db, site["app"].settings, actor=VIEWER, text=text)


def test_duplicate_nik_in_another_village_names_nobody(site):
    with open_db(site) as db:
        other = _one(db, "SELECT * FROM workers WHERE village_code != ? LIMIT 1", [DESA_VILLAGE])
        values = {"nik": other["nik"], "name": "Coba", "birth_date": other["birth_date"], "gender": other["gender"],
                  "village_code": DESA_VILLAGE, "occupation": "petani", "declared_income": 1_000_000}
        with pytest.raises(ValidationError) as refused:
            create_worker(db, site["app"].settings, values, actor=DESA)
        message = str(refused.value)
        assert ELSEWHERE in message
        assert other["name"] not in message and other["birth_date"][:4] not in message


def _limited(settings, per_day: int):
    """``settings`` with ``[limits] nik_elsewhere_per_day`` set."""
    import dataclasses
    return dataclasses.replace(settings, limits=dataclasses.replace(settings.limits, nik_elsewhere_per_day=per_day))


def _outsiders(db, n: int) -> list[dict]:
    return list(db.query("SELECT * FROM workers WHERE village_code != ? ORDER BY id LIMIT ?", [DESA_VILLAGE, n]))


def _complete(nik: str, like: dict) -> dict:
    """A complete, valid worker of the village operator's village with ``nik``."""
    return {"nik": nik, "name": "Coba Tebak", "birth_date": like["birth_date"], "gender": like["gender"],
            "village_code": DESA_VILLAGE, "occupation": "petani", "declared_income": 1_000_000}


def test_a_nik_answered_as_registered_elsewhere_is_logged_once_a_day(site, monkeypatch):
    """A village operator who types a NIK of another village's worker learns it is registered
    elsewhere (and nothing else): a question about someone outside their scope, logged with who
    asked about whom, once a day per worker (the form asks at every rerun); a read, no change
    to the data the dashboards are cached by. One of the operator's own workers is no answer about
    anyone else, and is not logged."""
    from db import versions
    from payung.base import clock
    from payung.people.workers import duplicate_nik
    settings = site["app"].settings
    with open_db(site) as db:
        [other] = _outsiders(db, 1)
        own = _complete("332401" + other["nik"][6:12] + "9991", other) | {"name": "Warga Sendiri"}
        create_worker(db, settings, own, actor=DESA)
        before = versions.read(db)

        def entries():
            return [e for e in queries.audit_entries(db, actor=DESA.username) if e["action"] == "nik_elsewhere"]
        for _ in range(3):
            assert duplicate_nik(db, other["nik"], actor=DESA, settings=settings).message == ELSEWHERE
        assert duplicate_nik(db, own["nik"], actor=DESA, settings=settings).message != ELSEWHERE
        [entry] = entries()
        assert (entry["table_name"], entry["row_id"]) == ("workers", str(other["id"]))
        assert versions.read(db) == before
        # The next day it is logged again.
        tomorrow = clock.utc_now() + dt.timedelta(days=1)
        monkeypatch.setattr(clock, "utc_now", lambda: tomorrow)
        duplicate_nik(db, other["nik"], actor=DESA, settings=settings)
        assert len(entries()) == 2


def test_guessed_niks_find_only_a_days_few_workers_elsewhere_before_anything_is_saved(site):
    """A NIK is a kecamatan, a birth date and a serial: typed one after another into the form (whose
    NIK is checked as it is typed, and whose Simpan reports a registered NIK beside the other
    problems), guessed NIKs found who is registered in other villages (found by an attack helper:
    3.652 guesses in a second, nothing logged or limited). Answers about workers elsewhere given
    before anything is written are now limited per day: past the limit the live check and an
    incomplete Simpan say nothing of such a NIK, as of one nobody has; only a complete worker, which
    a free NIK would have stored, is refused with it. The same worker asked about again is no new
    answer."""
    from payung.people.workers import duplicate_nik
    settings = _limited(site["app"].settings, 2)
    with open_db(site) as db:
        first, second, third = _outsiders(db, 3)
        for worker in (first, second, first, second):
            assert duplicate_nik(db, worker["nik"], actor=DESA, settings=settings).message == ELSEWHERE
        assert duplicate_nik(db, third["nik"], actor=DESA, settings=settings) is None  # as a free NIK
        assert duplicate_nik(db, first["nik"], actor=DESA, settings=settings).message == ELSEWHERE  # asked already
        # Simpan with the rest of the form empty: the other problems, not this one.
        with pytest.raises(ValidationError) as refused:
            create_worker(db, settings, {"nik": third["nik"]}, actor=DESA)
        assert ELSEWHERE not in str(refused.value) and "wajib diisi" in str(refused.value)
        # A complete worker would be stored: told, and logged.
        with pytest.raises(ValidationError, match="wilayah lain"):
            create_worker(db, settings, _complete(third["nik"], third), actor=DESA)
        asked = {e["row_id"] for e in queries.audit_entries(db, actor=DESA.username) if e["action"] == "nik_elsewhere"}
        assert asked == {str(first["id"]), str(second["id"]), str(third["id"])}


def test_past_the_days_answers_no_nik_of_ones_own_worker_is_changed(site):
    """Ubah pekerja on one's own worker was a free guess: a complete worker, so every answer was
    given, and a free NIK was simply saved (found by the review). Past the day's answers a NIK is
    not changed, whatever it is (refused alike, it answers nothing); the rest of the worker still is."""
    from payung.people.workers import NIK_CHANGE_SPENT, update_worker
    settings = _limited(site["app"].settings, 1)
    with open_db(site) as db:
        first, second = _outsiders(db, 2)
        mine = create_worker(db, settings, _complete("332401" + first["nik"][6:12] + "9992", first), actor=DESA)
        def as_(nik, like):
            return {"nik": nik, "birth_date": like["birth_date"], "gender": like["gender"]}
        with pytest.raises(ValidationError, match="wilayah lain"):  # the one answer of the day
            update_worker(db, settings, mine, as_(first["nik"], first), actor=DESA)
        for guess in (as_(second["nik"], second), as_("332401" + first["nik"][6:12] + "9993", first)):  # elsewhere; free
            with pytest.raises(ValidationError) as refused:
                update_worker(db, settings, mine, guess, actor=DESA)
            assert str(refused.value) == NIK_CHANGE_SPENT
        assert update_worker(db, settings, mine, {"name": "Nama Baru"}, actor=DESA)["name"] == "Nama Baru"


def test_the_days_answers_start_again_at_midnight_in_the_regency(site, monkeypatch):
    """"Coba lagi besok" is the regency's tomorrow: 23.30 and 00.30 WIB are two days (one UTC day)."""
    from payung.base import clock
    from payung.people.workers import duplicate_nik
    settings = _limited(site["app"].settings, 1)
    with open_db(site) as db:
        first, second = _outsiders(db, 2)
        late = dt.datetime(2026, 12, 6, 16, 30, tzinfo=dt.timezone.utc)  # 23.30 WIB
        monkeypatch.setattr(clock, "utc_now", lambda: late)
        assert duplicate_nik(db, first["nik"], actor=DESA, settings=settings).message == ELSEWHERE
        assert duplicate_nik(db, second["nik"], actor=DESA, settings=settings) is None  # spent
        monkeypatch.setattr(clock, "utc_now", lambda: late + dt.timedelta(hours=1))  # 00.30 WIB
        assert duplicate_nik(db, second["nik"], actor=DESA, settings=settings).message == ELSEWHERE


def test_an_import_check_tells_a_days_few_workers_elsewhere_then_refuses_every_file(site):
    """An import's check writes nothing: a file of guessed NIKs was the fastest way to find who is
    registered elsewhere. Past the day's answers, the check of a worker file is refused whatever
    the file holds (refused only for a file with such a NIK, the refusal would be the answer)."""
    from payung.imports.engine import MappingError, plan_import
    from payung.imports.reading import Sheet
    from payung.people.workers import ELSEWHERE_LIMIT
    app = site["app"]
    plugins = app.plugins
    limited = _limited(app.settings, 2)
    headers = ["NIK", "Nama", "Desa", "Pekerjaan"]
    mapping = {"nik": "NIK", "name": "Nama", "village": "Desa", "occupation": "Pekerjaan"}

    def check(rows):
        sheet = Sheet(headers=headers, rows=[list(r) for r in rows])
        return plan_import(db, plugins, kind="workers", sheet=sheet, mapping=mapping, actor=DESA,
                           file_name="tebak.xlsx", data_hash="x")
    with open_db(site) as db:
        village = _one(db, "SELECT name FROM regions WHERE code = ?", [DESA_VILLAGE])["name"]
        # Workers no other test asks about: which of them this check logs is what is looked at.
        outsiders = list(db.query("SELECT * FROM workers WHERE village_code != ? ORDER BY id DESC LIMIT 3",
                                  [DESA_VILLAGE]))
        rows = [(w["nik"], "Coba Tebak", village, "Petani") for w in outsiders]
        original = plugins.settings
        plugins.settings = limited
        try:
            with pytest.raises(MappingError, match="batas 2 jawaban"):
                check(rows)  # three of them: one answer too many
            # Refusing the file told that its third NIK is registered elsewhere too: logged as well.
            logged = {e["row_id"] for e in queries.audit_entries(db, actor=DESA.username)
                      if e["action"] == "nik_elsewhere"}
            assert {str(w["id"]) for w in outsiders} <= logged
            # Spent: a file with no such NIK is refused as well.
            with pytest.raises(MappingError) as refused:
                check([("3324016508900003", "Sri Wahyuni", village, "Petani")])
            assert str(refused.value) == ELSEWHERE_LIMIT.format(limit=2)
        finally:
            plugins.settings = original
        # Under the limit, each is told as before.
        plan = check([("3324016508900003", "Sri Wahyuni", village, "Petani"), rows[0]])
        assert [e.message for errors in plan.rejected.values() for e in errors] == [ELSEWHERE]


def test_a_download_of_the_worker_list_moves_no_data_version(site):
    """Logged as an export, but no change: every Beranda in its scope was computed again."""
    from db import versions
    from payung.people.worker_list import workers_xlsx
    with open_db(site) as db:
        before = versions.read(db)
        workers_xlsx(db, site["app"].plugins, actor=DESA)
        assert versions.read(db) == before
        assert queries.audit_entries(db, actor=DESA.username)[0]["action"] == "export"


def test_village_operator_cannot_open_a_worker_of_another_village(site):
    from payung.base.errors import NotFound
    with open_db(site) as db:
        other = _one(db, "SELECT id FROM workers WHERE village_code != ? LIMIT 1", [DESA_VILLAGE])["id"]
        with pytest.raises(NotFound, match="tidak ditemukan"):
            get_worker(db, other, actor=DESA)


@pytest.mark.unchecked  # sponsorships copied without their lines, on purpose
def test_sponsor_detail_shows_a_village_operator_only_its_own_workers(site):
    from db import store
    with open_db(site) as db:
        # One Kendal sponsorship copied onto a worker of the operator's village and one of another.
        mine = _one(db, "SELECT * FROM sponsorships WHERE scheme_code = 'kendal_asn_peduli' LIMIT 1")
        for n, village in enumerate((DESA_VILLAGE, "33.24.01.2002")):
            worker = create_worker(db, site["app"].settings, {
                "nik": f"332401170875{n + 9001}", "name": f"Uji {n}", "birth_date": "1975-08-17", "gender": "L",
                "village_code": village, "occupation": "petani", "declared_income": 1_000_000},
                actor=Actor("admin", "admin"))
            store.insert(db, "sponsorships", {k: mine[k] for k in mine if k not in ("id", "created_at", "updated_at")}
                         | {"worker_id": worker}, actor="uji")
        everyone = sponsor_detail(db, mine["sponsor_id"], actor=Actor("admin", "admin"), month=mine["start_month"])
        detail = sponsor_detail(db, mine["sponsor_id"], actor=DESA, month=mine["start_month"])
    assert {s["village_code"] for s in everyone["sponsorships"]} > {DESA_VILLAGE}
    assert {s["village_code"] for s in detail["sponsorships"]} == {DESA_VILLAGE}


def test_a_template_name_taken_by_another_account_is_neither_overwritten_nor_revealed(site):
    with open_db(site) as db:
        admin = Actor("admin", "admin")
        save_template(db, kind="workers", name="Format Dinsos", mapping={"nik": "NIK"}, actor=admin)
        save_template(db, kind="workers", name="Punya desa", mapping={"nik": "KTP"}, actor=DESA)
        # The operator saves a name the village operator holds: no refusal (which would tell the
        # name exists) and nothing of the village operator's changed.
        assert save_template(db, kind="workers", name="Punya desa", mapping={"nik": "NO KTP"},
                             actor=KENDAL_OPERATOR) is False
        # A name the admin shared is one's own to take as well; both stay, told apart.
        assert save_template(db, kind="workers", name="Format Dinsos", mapping={"nik": "KTP"}, actor=DESA) is False
        mine = templates(db, "workers", actor=DESA)
        assert set(mine) == {"Format Dinsos", "Format Dinsos · admin", "Punya desa"}
        assert mine["Format Dinsos"].columns == {"nik": "KTP"}
        assert mine["Format Dinsos · admin"].columns == {"nik": "NIK"}
        assert mine["Punya desa"].columns == {"nik": "KTP"}
        assert templates(db, "workers", actor=KENDAL_OPERATOR)["Punya desa"].columns == {"nik": "NO KTP"}
        assert "Punya desa · desa" not in templates(db, "workers", actor=KENDAL_OPERATOR)
        # Saving one's own name again replaces one's own only.
        assert save_template(db, kind="workers", name="Punya desa", mapping={"nik": "NIK KTP"}, actor=DESA) is True
        assert templates(db, "workers", actor=DESA)["Punya desa"].columns == {"nik": "NIK KTP"}
        assert templates(db, "workers", actor=KENDAL_OPERATOR)["Punya desa"].columns == {"nik": "NO KTP"}
        everyone = templates(db, "workers", actor=admin)
        assert everyone["Format Dinsos"].columns == {"nik": "NIK"}
        assert everyone["Format Dinsos · desa"].columns == {"nik": "KTP"}
        assert {"Punya desa · desa", "Punya desa · " + KENDAL_OPERATOR.username} <= set(everyone)


def test_one_account_saving_one_new_template_name_from_two_tabs_at_once_replaces_not_refuses(site):
    """Both saves were one's own: the slower was refused "Nama templat ini sudah dipakai"."""
    import threading
    barrier, errors, replaced = threading.Barrier(4), [], []

    def save(n: int) -> None:
        db = open_db(site)
        try:
            barrier.wait()
            replaced.append(save_template(db, kind="workers", name="Balapan", mapping={"nik": f"K{n}"}, actor=DESA))
        except Exception as exc:  # noqa: BLE001 - the test reports any
            errors.append(exc)
        finally:
            db.close()
    at_once(save, 4)
    assert not errors, errors
    assert sorted(replaced) == [False, True, True, True]
    with open_db(site) as db:
        assert list(templates(db, "workers", actor=DESA)).count("Balapan") == 1


def test_a_template_name_cannot_carry_the_owner_mark(site):
    """An operator's own "Bersama · admin" hid the admin's shared "Bersama" from them."""
    operator = Actor("operator", "operator", regency_code="33.24")
    with open_db(site) as db:
        save_template(db, kind="workers", name="Bersama", mapping={"nik": "NIK"}, actor=Actor("admin", "admin"))
        for name in ("Bersama · admin", "Bersama·admin"):
            with pytest.raises(ValidationError, match="tidak boleh memuat"):
                save_template(db, kind="workers", name=name, mapping={"nik": "KTP"}, actor=operator)
        assert templates(db, "workers", actor=operator)["Bersama · admin"].columns == {"nik": "NIK"}


def test_a_template_name_saved_with_the_owner_mark_before_it_was_refused_hides_nobodys(site):
    """A name of one's own stored before the mark was refused ("Bersama · admin") is listed as
    one's own; the admin's "Bersama" is still there under its owner's mark."""
    operator = Actor("operator", "operator", regency_code="33.24")
    with open_db(site) as db:
        save_template(db, kind="workers", name="Bersama", mapping={"nik": "NIK"}, actor=Actor("admin", "admin"))
        store.insert(db, "import_templates", {"kind": "workers", "name": "Bersama · admin",
                                              "mapping": {"columns": {"nik": "KTP"}, "values": {}},
                                              "created_by": "operator"}, actor="operator")
        listed = templates(db, "workers", actor=operator)
        assert {name: t.columns for name, t in listed.items()} == {
            "Bersama · admin": {"nik": "NIK"}, "Bersama · admin · operator": {"nik": "KTP"}}
        assert template_named(db, "workers", "Bersama · admin", actor=operator).columns == {"nik": "NIK"}


@pytest.mark.parametrize("name, said", [("", "Beri nama templat."), ("Format · admin", "tidak boleh memuat"),
                                        ("Format\x1b", "karakter")])
def test_a_template_name_refused_on_the_page_says_why(site, name, said):
    """A refused name was kept for a message the page never showed: Simpan templat did nothing."""
    at = run("operator", "pages/impor.py")
    at.file_uploader(key="i_file").set_value(("pekerja.csv", b"NIK;Nama\n3324011708750001;Siti\n", "text/csv")).run()
    at.text_input(key="i_template_name").set_value(name).run()
    next(b for b in at.button if b.label == "Simpan templat").click().run()
    assert not at.exception and not at.success
    assert any(said in e.value for e in at.error), [e.value for e in at.error]
    # Mended and saved: the refusal is gone, the save said.
    at.text_input(key="i_template_name").set_value("Format desa").run()
    next(b for b in at.button if b.label == "Simpan templat").click().run()
    assert [m.value for m in at.success] == ['Templat "Format desa" tersimpan.'] and not at.error, [
        e.value for e in at.error]


def test_a_template_save_refused_for_no_box_of_its_own_is_said_below_the_button(site, monkeypatch):
    """A refusal tied to no box (the database busy with other users) is drawn below Simpan
    templat, and goes with the next save that works."""
    from payung.base.errors import DatabaseBusy
    from payung.imports import templates as template_service
    real = template_service.save_template

    def busy(*args, **kwargs):
        raise DatabaseBusy()
    monkeypatch.setattr(template_service, "save_template", busy)
    at = run("operator", "pages/impor.py")
    at.file_uploader(key="i_file").set_value(("pekerja.csv", b"NIK;Nama\n3324011708750001;Siti\n", "text/csv")).run()
    at.text_input(key="i_template_name").set_value("Format desa").run()
    next(b for b in at.button if b.label == "Simpan templat").click().run()
    assert not at.exception and not at.success
    expander = next(e for e in at.expander if e.label == "Simpan pencocokan ini sebagai templat")
    shown = drawn(expander)
    button = next(i for i, e in enumerate(shown) if getattr(e, "label", None) == "Simpan templat")
    assert [e.value for e in shown[button + 1:]] == [DatabaseBusy.MESSAGE]
    assert [e.value for e in at.error] == [DatabaseBusy.MESSAGE]
    monkeypatch.setattr(template_service, "save_template", real)
    next(b for b in at.button if b.label == "Simpan templat").click().run()
    assert [m.value for m in at.success] == ['Templat "Format desa" tersimpan.'] and not at.error

def test_village_beranda_has_no_regency_wide_target(site):
    app = site["app"]
    with open_db(site) as db:
        month = _one(db, "SELECT MAX(month) AS m FROM contribution_lines")["m"]
        view = dashboard.View(month)
        regency = dashboard.build(db, app.plugins, view, actor=KENDAL_OPERATOR)
        village = dashboard.build(db, app.plugins, view, actor=DESA)
    kendal_target = sum(s["target"] for s in regency.per_scheme)
    assert kendal_target > 0
    assert village.target < kendal_target
    assert village.covered <= regency.covered


def test_village_beranda_page_shows_its_villages(site):
    at = run("desa", "pages/beranda.py")
    assert not at.exception
    assert "Target" not in " ".join(str(m.label) for m in at.metric) or all(
        "200.000" not in str(m.value) for m in at.metric)
