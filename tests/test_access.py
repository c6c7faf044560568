"""The permission matrix: every public service function x every role x a record inside and one
outside the actor's slice.

The service functions are collected from the modules, so a new service that takes ``db`` and
has no entry here fails ``test_every_service_is_in_the_matrix``. Each entry says which roles
may call it and how to tell whether the record came back; the test then checks:

- a role that may not: refused (``PayungError``, Indonesian message), nothing returned;
- a role that may, on its own record: it works and the record is there;
- any role but admin, on the other regency's record: refused or not in the answer;
- a masked role (viewer): no full NIK anywhere in any answer;
- a list on screen (``LISTS``): no full NIK for any role; the worker's page and the logged
  exports (``FULL_NIK``) keep it for the roles that may see it.

Every case runs inside a transaction that is rolled back, so writes do not leak between cases.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import inspect
import types

import pytest

from db import store
from db.scope import EVERYTHING
from payung.auth import access
from payung.auth.access import ROLES, Actor
from payung.core import Payung
from payung.base.errors import PayungError
from payung.plugin import Scheme, Target, hookimpl, rules

import example_plugin
from conftest import ENGINES, database_on, engine_available, write_config

TODAY = dt.date(2025, 11, 20)
MONTH = "2025-03"
IN_VILLAGE = "33.24.01.2001"
#: Another village of the same regency, in another district: inside an operator's and a
#: viewer's slice, outside the village operator's.
NEAR_VILLAGE = "33.24.02.2002"

# A second scheme, in Pemalang: the "other regency" of every operator, village operator and
# viewer of Kendal below.
_OUTSIDE = Scheme(
    code="contoh_luar", name="Skema Contoh Luar", regency_code="33.27", description="Skema uji di Pemalang.",
    legal_basis="-", funding_source="APBDes", funding_code="SD", sponsor_types=("perorangan", "pemerintah_desa"),
    months=(12,), targets=(Target("Pekerja terlindungi", 50, "pekerja"),), rules=(rules.worker_lives_in_regency(),),
)
outside_plugin = types.ModuleType("outside_plugin")
outside_plugin.register_schemes = hookimpl(lambda settings: [_OUTSIDE])

ACTORS = {
    "admin": Actor("admin", "admin"),
    "operator": Actor("operator", "operator", regency_code="33.24"),
    "desa": Actor("desa", "desa", villages=(IN_VILLAGE,)),
    "viewer": Actor("viewer", "viewer", regency_code="33.24"),
}
ALL = tuple(ROLES)
WRITERS = ("admin", "operator", "desa")
READERS = ("admin", "operator", "viewer")
REGENCY = ("admin", "operator")
ADMIN = ("admin",)


class World:
    """Records on three sides: "in" (the village operator's village, Kendal), "near" (another
    Kendal village: inside the operator's and the viewer's slice, outside the village
    operator's) and "out" (Pemalang: outside every Kendal actor's slice)."""

    def __init__(self, tmp_path, location: str | None = None):
        from payung.finance import budgets, claims, payments
        from payung.people.sponsors import create_sponsor
        from payung.enrolment.sponsorships import enrol
        from payung.people.workers import create_worker

        self.app = Payung.load(write_config(tmp_path, plugins_dir=str(tmp_path / "none"), database=location), entry_points=False,
                               extra_plugins=(("contoh", example_plugin), ("luar", outside_plugin)))
        self.db = self.app.open_db()
        self.app.initialise(self.db)
        self.registry, self.settings = self.app.plugins, self.app.settings
        system = Actor.system()
        from payung.auth.users import add_user
        for actor in ACTORS.values():
            add_user(self.db, username=actor.username, name=actor.username.title(), role=actor.role,
                     password="Payung-uji-2025!", actor=system, regency_code=actor.regency_code,
                     villages=actor.villages)
        self.serial = 0
        out_village = next(r["code"] for r in self.db.query(
            "SELECT code FROM regions WHERE level = 4 AND code LIKE '33.27.%' ORDER BY code LIMIT 1"))
        self.records = {}
        nips = {"in": "198503122010011001", "out": "198503122010011002", "near": "198503122010011003"}
        for side, village, scheme, label in (("in", IN_VILLAGE, "contoh_desa", "Dalam"),
                                             ("near", NEAR_VILLAGE, "contoh_desa", "Dekat"),
                                             ("out", out_village, "contoh_luar", "Luar")):
            values = self.worker_values(village, f"Siti {label}")
            worker = create_worker(self.db, self.settings, values, actor=system)
            free = create_worker(self.db, self.settings, self.worker_values(village, f"Bebas {label}"), actor=system)
            sponsor = create_sponsor(self.db, self.settings, {"type": "pemerintah_desa", "name": f"Pemdes {label}",
                                                              "village_code": village}, actor=system)
            create_sponsor(self.db, self.settings, {
                "type": "asn", "name": f"ASN {label}", "nip": nips[side],
                "opd": "Dinsos", "regency_code": village[:5]}, actor=system)
            sponsorship = enrol(self.db, self.registry, actor=system, scheme_code=scheme, sponsor_id=sponsor,
                                worker_id=worker, start_month="2025-01", months=12,
                                fields={"budget_year": 2025} if scheme == "contoh_desa" else {})
            payment = payments.record_payment(self.db, self.registry, scheme_code=scheme, party_key=str(sponsor),
                                              amount=16_800 * 3, paid_on=dt.date(2025, 3, 1), actor=system,
                                              today=dt.date(2025, 3, 5))
            budget = budgets.create_budget_line(self.db, self.registry, {
                "scheme_code": scheme, "year": 2025, "name": f"APBDes {label}", "source": "APBDes",
                "amount": 10_000_000}, actor=system)
            claim, _ = claims.record_claim(self.db, {"worker_id": worker, "program": "JKM",
                                                     "incident_date": dt.date(2025, 2, 10), "status": "dibayar",
                                                     "benefit_amount": 1_000_000, "paid_on": dt.date(2025, 3, 1)},
                                           actor=system, today=TODAY)
            self.records[side] = {
                "side": side, "worker": worker, "name": values["name"], "nik": values["nik"], "village": village,
                "free": free, "free_name": f"Bebas {label}", "sponsor": sponsor, "sponsor_name": f"Pemdes {label}",
                "asn_nip": nips[side], "asn_name": f"ASN {label}",
                "sponsorship": sponsorship, "scheme": scheme, "payment": payment, "budget": budget, "claim": claim,
            }
        self.niks = [r["nik"] for r in self.db.query("SELECT nik FROM workers")]

    def worker_values(self, village: str, name: str) -> dict:
        self.serial += 1
        return {"nik": village[:8].replace(".", "") + f"5708750{self.serial:03d}", "name": name,
                "birth_date": "1975-08-17", "gender": "P", "village_code": village, "occupation": "petani",
                "declared_income": 1_000_000}


@pytest.fixture(scope="module", params=ENGINES)
def engine(request) -> str:
    """The matrix runs on each engine: one world per engine (module-scoped)."""
    return engine_available(request.param)


@pytest.fixture(scope="module")
def world(tmp_path_factory, engine):
    folder = tmp_path_factory.mktemp("access")
    with database_on(engine, folder) as location:
        w = World(folder, location)
        yield w
        w.db.close()


def _sheet(values: dict):
    from payung.imports.reading import Sheet
    headers = ["NIK", "Nama", "Tanggal lahir", "Jenis kelamin", "Desa", "Kecamatan", "Pekerjaan"]
    return Sheet(headers, [[values["nik"], values["name"], "17/08/1975", "P", values["village_name"],
                            values["district_name"], "Petani"]])


def _import_values(w: World, r: dict) -> dict:
    values = w.worker_values(r["village"], f"Impor {r['side']}")
    names = {row["code"]: row["name"] for row in w.db.query("SELECT code, name FROM regions")}
    return values | {"village_name": names[r["village"]], "district_name": names[r["village"][:8]]}


def _plan_import(w, a, r):
    from payung.imports import auto_map, plan_import
    sheet = _sheet(_import_values(w, r))
    return plan_import(w.db, w.registry, kind="workers", sheet=sheet, mapping=auto_map(sheet.headers, "workers"),
                       actor=a, file_name="f.csv", data_hash="x")


def _apply_import(w, a, r):
    from payung.imports import apply_import
    return apply_import(w.db, w.registry, _plan_import(w, Actor.system(), r), actor=a)


def _answer(w, r):
    return f"NIK;KPJ\n{r['nik']};12345678901\n".encode()


def _apply_answer(w, a, r):
    from payung.imports import bpjs_answer
    plan = bpjs_answer.plan_answer(w.db, w.registry, _answer(w, r), "jawaban.csv", actor=Actor.system())
    return bpjs_answer.apply_answer(w.db, plan, actor=a)


def _resubmit(w, a, r):
    from payung.enrolment import bpjs
    store.update(w.db, "sponsorships", r["sponsorship"], {"status": "ditolak"}, actor="uji")
    return bpjs.resubmit(w.db, w.registry, r["sponsorship"], actor=a)


def _restore(w, a):
    """Restoring is an administrator's: with a file that is no database, an administrator gets
    past the permission and is told the file is refused (a real restore is tests/test_backups.py)."""
    from payung.operations.backups import RestoreRefused, restore_backup
    try:
        return restore_backup(w.db, w.app, b"bukan basis data", actor=a, now=dt.datetime(2025, 1, 1))
    except RestoreRefused as refused:
        return str(refused)


def _sponsor_row(w, r):
    from db import queries
    return queries.sponsor(w.db, r["sponsor"], EVERYTHING)


def _worker_row(w, r):
    from db import queries
    return queries.worker(w.db, r["free"], EVERYTHING)


def _paid_up(w):
    """The world's database with every contribution line paid (for the renewal lists and
    ``renew``, which leave out a membership ended by arrears); only inside ``_attempt``."""
    w.db.execute("UPDATE contribution_lines SET paid_amount = amount")
    return w.db


def _named(key="name"):
    return lambda res, r: r[key] in repr(res)


def _bulk_request(r):
    return {"scheme_code": r["scheme"], "sponsor_id": r["sponsor"], "worker_id": r["free"], "start_month": "2025-01",
            "fields": {"budget_year": 2025}}


def _copy_of_outside(w):
    from payung.schemes.copying import copyable
    data = copyable(w.registry, "contoh_luar").data
    return data | {"code": "contoh_salinan", "regency_code": "33.24", "legal_basis": "Inpres 2/2021",
                   "started": "2025-01-01"}


def _png() -> bytes:
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(out, "PNG")
    return out.getvalue()


_PNG = _png()


def _xlsx_text(data: bytes) -> str:
    import io

    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return repr([list(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)])


def _m(name):
    """``"workers.create_worker"``: a function (or value) of a service module, by its short name."""
    module, function = name.rsplit(".", 1)
    return getattr(importlib.import_module(SERVICE_MODULES.get(module) or HELPER_MODULES[module]), function)


# function -> (roles that may call it, kind, call(world, actor, record), probe(result, record))
# kind "record": about one record (inside / outside); "global": no record (roles only).
MATRIX = {
    "workers.duplicate_nik": (WRITERS, "record", lambda w, a, r: _m("workers.duplicate_nik")(
        w.db, r["nik"], actor=a, settings=w.settings), _named()),
    # Its answer is about a worker outside the caller's slice by design (duplicate_nik asks it about
    # one): roles only.
    "workers.answer_elsewhere": (WRITERS, "global", lambda w, a, r: _m("workers.answer_elsewhere")(
        w.db, w.db.execute("SELECT MIN(id) FROM workers").fetchone()[0], actor=a, settings=w.settings), None),
    "workers.elsewhere_answers_left": (WRITERS, "global", lambda w, a, r: _m("workers.elsewhere_answers_left")(
        w.db, actor=a, settings=w.settings), None),
    "workers.create_worker": (WRITERS, "record", lambda w, a, r: _m("workers.create_worker")(
        w.db, w.settings, w.worker_values(r["village"], "Baru"), actor=a), None),
    "workers.get_worker": (ALL, "record", lambda w, a, r: _m("workers.get_worker")(w.db, r["worker"], actor=a),
                           _named()),
    "workers.update_worker": (WRITERS, "record", lambda w, a, r: _m("workers.update_worker")(
        w.db, w.settings, r["worker"], {"address": "Jl. Baru 1"}, actor=a), None),
    "workers.search_workers": (ALL, "record", lambda w, a, r: _m("workers.search_workers")(
        w.db, w.settings, actor=a, text=r["name"], today=TODAY).rows, _named()),
    "worker_list.workers_xlsx": (ALL, "record", lambda w, a, r: _m("worker_list.workers_xlsx")(
        w.db, w.registry, actor=a, text=r["name"], today=TODAY), lambda res, r: r["name"] in _xlsx_text(res[0])),
    "workers.worker_detail": (ALL, "record", lambda w, a, r: _m("workers.worker_detail")(w.db, r["worker"], actor=a),
                              _named()),
    "workers.has_history": (ALL, "record", lambda w, a, r: _m("workers.has_history")(w.db, r["worker"], actor=a),
                            lambda res, r: res is True),
    "workers.month_status": (ALL, "record", lambda w, a, r: _m("workers.month_status")(
        w.db, w.settings, r["worker"], actor=a, today=TODAY), lambda res, r: res in _m("coverage.STATUS_LABELS")),
    "workers.set_worker_active": (WRITERS, "record", lambda w, a, r: _m("workers.set_worker_active")(
        w.db, r["worker"], False, actor=a), None),
    "sponsors.nip_taken": (ALL, "record", lambda w, a, r: _m("sponsors.nip_taken")(w.db, r["asn_nip"], actor=a),
                           _named("asn_name")),
    # About a sponsor outside the caller's slice by design (an import's check asks it): roles only.
    "sponsors.answer_elsewhere": (WRITERS, "global", lambda w, a, r: _m("sponsors.answer_elsewhere")(
        w.db, w.db.execute("SELECT MIN(id) FROM sponsors").fetchone()[0], actor=a, settings=w.settings), None),
    "sponsors.elsewhere_answers_left": (WRITERS, "global", lambda w, a, r: _m("sponsors.elsewhere_answers_left")(
        w.db, actor=a, settings=w.settings), None),
    "sponsors.create_sponsor": (WRITERS, "record", lambda w, a, r: _m("sponsors.create_sponsor")(
        w.db, w.settings, {"type": "pemerintah_desa", "name": "Pemdes Baru", "village_code": r["village"]}, actor=a),
        None),
    "sponsors.get_sponsor": (ALL, "record", lambda w, a, r: _m("sponsors.get_sponsor")(w.db, r["sponsor"], actor=a),
                             _named("sponsor_name")),
    "sponsors.update_sponsor": (WRITERS, "record", lambda w, a, r: _m("sponsors.update_sponsor")(
        w.db, w.settings, r["sponsor"], {"address": "Balai desa"}, actor=a), None),
    "sponsors.search_sponsors": (ALL, "record", lambda w, a, r: _m("sponsors.search_sponsors")(
        w.db, actor=a, text=r["sponsor_name"]).rows, _named("sponsor_name")),
    "sponsors.sponsor_detail": (ALL, "record", lambda w, a, r: _m("sponsors.sponsor_detail")(
        w.db, r["sponsor"], actor=a, month=MONTH), _named()),
    "sponsorships.plan_enrolment": (WRITERS, "record", lambda w, a, r: _m("sponsorships.plan_enrolment")(
        w.db, w.registry, actor=a, scheme_code=r["scheme"], sponsor_id=r["sponsor"], worker_id=r["free"],
        start_month="2025-01", fields={"budget_year": 2025}), lambda res, r: res.ok),
    "sponsorships.enrol": (WRITERS, "record", lambda w, a, r: _m("sponsorships.enrol")(
        w.db, w.registry, actor=a, scheme_code=r["scheme"], sponsor_id=r["sponsor"], worker_id=r["free"],
        start_month="2025-01", fields={"budget_year": 2025}), None),
    "sponsorships.eligible_workers": (WRITERS, "record", lambda w, a, r: _m("sponsorships.eligible_workers")(
        w.db, w.registry, scheme_code=r["scheme"], sponsor=_sponsor_row(w, r), start_month="2025-01", months=12,
        actor=a), _named("free_name")),
    "sponsorships.schemes_for_worker": (WRITERS, "record", lambda w, a, r: _m("sponsorships.schemes_for_worker")(
        w.db, {r["scheme"]: w.registry.scheme(r["scheme"])}, _worker_row(w, r), actor=a),
        lambda res, r: r["scheme"] in res.usable),
    "bulk.plan_bulk": (WRITERS, "record", lambda w, a, r: _m("bulk.plan_bulk")(
        w.db, w.registry, [_bulk_request(r)], actor=a), lambda res, r: len(res.accepted) == 1),
    "bulk.apply_bulk": (WRITERS, "record", lambda w, a, r: _m("bulk.apply_bulk")(
        w.db, w.registry, _m("bulk.plan_bulk")(w.db, w.registry, [_bulk_request(r)], actor=Actor.system()), actor=a),
        None),
    "bulk.plan_eligible": (WRITERS, "record", lambda w, a, r: _m("bulk.plan_eligible")(
        w.db, w.registry, scheme_code=r["scheme"], sponsor_id=r["sponsor"], start_month="2025-01", months=12,
        fields={"budget_year": 2025}, actor=a), lambda res, r: any(x.worker and x.worker["name"] == r["free_name"]
                                                                    for x in res.accepted)),
    "bills.parties": (ALL, "record", lambda w, a, r: _m("bills.parties")(w.db, w.registry, r["scheme"], None, actor=a),
                      _named("sponsor_name")),
    "bills.party": (ALL, "record", lambda w, a, r: _m("bills.party")(w.db, w.registry, r["scheme"], str(r["sponsor"]),
                                                                     actor=a), _named("sponsor_name")),
    "bills.bill": (ALL, "record", lambda w, a, r: _m("bills.bill")(
        w.db, w.registry, scheme_code=r["scheme"], party_key=str(r["sponsor"]), from_month=None, today=TODAY,
        actor=a).lines, _named()),
    "bills.summary": (ALL, "record", lambda w, a, r: _m("bills.summary")(
        w.db, w.registry, scheme_code=r["scheme"], party_key=str(r["sponsor"]), from_month="2025-01",
        to_month="2025-12", today=TODAY, actor=a), _named("sponsor_name")),
    "bills.bill_page": (ALL, "record", lambda w, a, r: _m("bills.bill_page")(
        w.db, w.registry, _m("bills.summary")(w.db, w.registry, scheme_code=r["scheme"], party_key=str(r["sponsor"]),
                                              from_month="2025-01", to_month="2025-12", today=TODAY,
                                              actor=Actor.system()), page=1, per_page=50, actor=a), _named()),
    "payments.record_payment": (REGENCY, "record", lambda w, a, r: _m("payments.record_payment")(
        w.db, w.registry, scheme_code=r["scheme"], party_key=str(r["sponsor"]), amount=16_800,
        paid_on=dt.date(2025, 4, 1), actor=a, today=TODAY), None),
    "payments.reverse_payment": (REGENCY, "record", lambda w, a, r: _m("payments.reverse_payment")(
        w.db, r["payment"], reason="Salah catat nominal", actor=a), None),
    "payments.payment_with_lines": (READERS, "record", lambda w, a, r: _m("payments.payment_with_lines")(
        w.db, r["payment"], actor=a), _named()),
    "payments.list_payments": (READERS, "record", lambda w, a, r: _m("payments.list_payments")(
        w.db, actor=a, scheme_code=r["scheme"]).rows, _named("sponsor_name")),
    "bpjs.registration_rows": (REGENCY, "record", lambda w, a, r: _m("bpjs.registration_rows")(
        w.db, w.registry, scheme_code=r["scheme"], from_month="2025-01", to_month="2025-01", actor=a), _named()),
    "bpjs.registration_xlsx": (REGENCY, "record", lambda w, a, r: _m("bpjs.registration_xlsx")(
        w.db, w.registry, scheme_code=r["scheme"], from_month="2025-01", to_month="2025-01", actor=a),
        lambda res, r: r["nik"] in _xlsx_text(res[0])),
    "bpjs_answer.plan_answer": (REGENCY, "record", lambda w, a, r: _m("bpjs_answer.plan_answer")(
        w.db, w.registry, _answer(w, r), "jawaban.csv", actor=a), lambda res, r: len(res.activate) == 1),
    "bpjs_answer.apply_answer": (REGENCY, "record", _apply_answer, None),
    "bpjs.resubmit": (REGENCY, "record", _resubmit, None),
    "arrears.late_list": (READERS, "record", lambda w, a, r: _m("arrears.late_list")(
        w.db, w.registry, actor=a, today=TODAY), lambda res, r: r["name"] in repr(res.lapsed)),
    "arrears.late_summary": (ALL, "record", lambda w, a, r: _m("arrears.late_summary")(
        w.db, w.registry, actor=a, today=dt.date(2025, 6, 20), village=r["village"]),
        lambda res, r: res["amount"] > 0),
    "arrears.reminders": (READERS, "record", lambda w, a, r: _m("arrears.reminders")(
        w.db, w.registry, actor=a, today=dt.date(2025, 6, 20)), lambda res, r: r["sponsor_name"] in repr(res)),
    # The world's sponsorships ended by arrears in July 2025 (nine months unpaid): the renewals
    # are asked of them paid up (inside the attempt's transaction, rolled back after it).
    "arrears.ending_soon": (READERS, "record", lambda w, a, r: _m("arrears.ending_soon")(
        _paid_up(w), w.registry, actor=a, today=TODAY), _named()),
    "arrears.ended_unrenewed": (READERS, "record", lambda w, a, r: _m("arrears.ended_unrenewed")(
        _paid_up(w), w.registry, actor=a, today=dt.date(2026, 2, 10)), _named()),  # the world's months end 2025-12
    "arrears.renew": (REGENCY, "record", lambda w, a, r: _m("arrears.renew")(
        _paid_up(w), w.registry, r["sponsorship"], actor=a, today=dt.date(2026, 2, 10)), None),
    "arrears.renewal_plan": (REGENCY, "record", lambda w, a, r: _m("arrears.renewal_plan")(
        _paid_up(w), w.registry, r["sponsorship"], actor=a, today=dt.date(2026, 2, 10)),
        lambda res, r: res.enrolment is not None and res.enrolment.worker["id"] == r["worker"]),
    "budgets.create_budget_line": (REGENCY, "record", lambda w, a, r: _m("budgets.create_budget_line")(
        w.db, w.registry, {"scheme_code": r["scheme"], "year": 2026, "name": "APBDes 2026", "source": "APBDes",
                           "amount": 5_000_000}, actor=a), None),
    "budgets.update_amount": (REGENCY, "record", lambda w, a, r: _m("budgets.update_amount")(
        w.db, r["budget"], 20_000_000, actor=a), None),
    "budgets.budget_lines": (READERS, "record", lambda w, a, r: _m("budgets.budget_lines")(
        w.db, r["scheme"], actor=a), lambda res, r: any(b["id"] == r["budget"] for b in res)),
    "claims.check_claim": (REGENCY, "record", lambda w, a, r: _m("claims.check_claim")(
        w.db, {"worker_id": r["worker"], "program": "JKK", "incident_date": dt.date(2025, 3, 3)}, actor=a,
        today=TODAY), lambda res, r: not res.problems),
    "claims.record_claim": (REGENCY, "record", lambda w, a, r: _m("claims.record_claim")(
        w.db, {"worker_id": r["worker"], "program": "JKK", "incident_date": dt.date(2025, 3, 3)}, actor=a,
        today=TODAY), None),
    "claims.update_claim": (REGENCY, "record", lambda w, a, r: _m("claims.update_claim")(
        w.db, r["claim"], status="diproses", benefit_amount=0, paid_on=None, actor=a, today=TODAY), None),
    "claims.list_claims": (ALL, "record", lambda w, a, r: _m("claims.list_claims")(w.db, actor=a), _named()),
    "claims.benefits_against_contributions": (ALL, "record", lambda w, a, r: _m(
        "claims.benefits_against_contributions")(w.db, actor=a, scheme_code=r["scheme"]),
        lambda res, r: res["contributions_paid"] > 0),
    "claims.protection_panel": (ALL, "record", lambda w, a, r: _m("claims.protection_panel")(
        w.db, actor=a, scheme_code=r["scheme"]), lambda res, r: res.rows[0]["value"] != "Rp0"),
    "dashboard.target_for": (ALL, "record", lambda w, a, r: _m("dashboard.target_for")(
        w.db, w.registry.scheme(r["scheme"]), actor=a), lambda res, r: res > 0),
    "dashboard.already_covered_for": (ALL, "record", lambda w, a, r: _m("dashboard.already_covered_for")(
        w.db, dataclasses.replace(w.registry.scheme(r["scheme"]), targets=(Target("Uji", 100, already_covered=40),)),
        actor=a), lambda res, r: res > 0),
    "dashboard.build": (ALL, "record", lambda w, a, r: _m("dashboard.build")(
        w.db, w.registry, _m("dashboard.View")(MONTH, r["scheme"]), actor=a, today=TODAY),
        lambda res, r: res.covered > 0),
    "letterhead.stored_texts": (ADMIN, "global", lambda w, a, r: _m("letterhead.stored_texts")(w.db, "33.24", actor=a),
                                None),
    "letterhead.save_logo": (ADMIN, "global", lambda w, a, r: _m("letterhead.save_logo")(
        w.db, w.settings, "33.24", _PNG, actor=a), None),
    "letterhead.save_letterhead": (ADMIN, "global", lambda w, a, r: _m("letterhead.save_letterhead")(
        w.db, w.settings, "33.24", {"office": "DINAS SOSIAL KABUPATEN KENDAL"}, actor=a), None),
    "dashboard.data_version": (ALL, "global", lambda w, a, r: _m("dashboard.data_version")(w.db, actor=a), None),
    "dashboard.is_empty": (ALL, "global", lambda w, a, r: _m("dashboard.is_empty")(w.db, actor=a), None),
    "dashboard.month_choices": (ALL, "global", lambda w, a, r: _m("dashboard.month_choices")(
        w.db, w.registry, actor=a, today=TODAY), None),
    "audit.search": (ADMIN, "global", lambda w, a, r: _m("audit.search")(w.db, actor=a), None),
    "audit.actors": (ADMIN, "global", lambda w, a, r: _m("audit.actors")(w.db, actor=a), None),
    "imports.engine.plan_import": (WRITERS, "record", _plan_import, lambda res, r: len(res.new) == 1),
    "imports.engine.apply_import": (WRITERS, "record", _apply_import, lambda res, r: res["imported"] == 1),
    "imports.engine.log_entries": (WRITERS, "global", lambda w, a, r: _m("imports.engine.log_entries")(
        w.db, actor=a), None),
    "imports.templates.templates": (WRITERS, "global", lambda w, a, r: _m("imports.templates.templates")(
        w.db, "workers", actor=a), None),
    "imports.templates.template_named": (WRITERS, "global", lambda w, a, r: (
        _m("imports.templates.save_template")(w.db, kind="workers", name="Bersama", mapping={"nik": "NIK"},
                                              actor=ACTORS["admin"]),
        _m("imports.templates.template_named")(w.db, "workers", "Bersama", actor=a))[1], None),
    "imports.templates.save_template": (WRITERS, "global", lambda w, a, r: _m("imports.templates.save_template")(
        w.db, kind="workers", name=f"Templat {a.username}", mapping={"nik": "NIK"}, actor=a), None),
    "users.add_user": (ADMIN, "global", lambda w, a, r: _m("users.add_user")(
        w.db, username="baru", name="Pengguna Baru", role="viewer", password="Payung-uji-2025!", actor=a), None),
    "users.list_users": (ADMIN, "global", lambda w, a, r: _m("users.list_users")(w.db, actor=a), None),
    "users.reset_password": (ADMIN, "global", lambda w, a, r: _m("users.reset_password")(
        w.db, 1, "Payung-uji-2025!", actor=a), None),
    "users.set_user_active": (ADMIN, "global", lambda w, a, r: _m("users.set_user_active")(w.db, 1, True, actor=a),
                              None),
    "users.change_access": (ADMIN, "global", lambda w, a, r: _m("users.change_access")(
        w.db, 4, role="viewer", regency_code="33.27", actor=a), None),
    "sessions.user_sessions": (ADMIN, "global", lambda w, a, r: _m("sessions.user_sessions")(w.db, 1, actor=a), None),
    "sessions.end_user_sessions": (ADMIN, "global", lambda w, a, r: _m("sessions.end_user_sessions")(
        w.db, 2, actor=a), None),
    "backups.restore_backup": (ADMIN, "global", lambda w, a, r: _restore(w, a), None),
    "backups.make_backup": (ADMIN, "global", lambda w, a, r: _m("backups.make_backup")(
        w.db, w.settings, actor=a, now=dt.datetime(2025, 1, 1)), None),
    "backups.write_backup": (ADMIN, "global", lambda w, a, r: _m("backups.write_backup")(
        w.db, w.settings, w.settings.data_dir / f"salinan-{a.username}", actor=a), None),
    "overview.scheme_overview": (ALL, "record", lambda w, a, r: _m("overview.scheme_overview")(
        w.db, w.registry, actor=a, month=MONTH), lambda res, r: next(x["live"] for x in res if x["scheme"].code == r["scheme"]) > 0),
    "editing.save_scheme": (ADMIN, "global", lambda w, a, r: _m("editing.save_scheme")(
        w.db, w.registry, _copy_of_outside(w), actor=a, copied_from="contoh_luar"), None),
    "editing.retire_scheme": (ADMIN, "global", lambda w, a, r: _m("editing.retire_scheme")(
        w.db, w.registry, "contoh_luar", actor=a), None),
    "regions.district_choices": (ALL, "record", lambda w, a, r: _m("regions.district_choices")(
        w.db, actor=a, regency_codes=w.settings.regency_codes), lambda res, r: r["village"][:8] in res),
    "regions.regency_choices": (ALL, "record", lambda w, a, r: _m("regions.regency_choices")(
        w.db, actor=a, regency_codes=w.settings.regency_codes), lambda res, r: r["village"][:5] in res),
    "regions.village_choices": (ALL, "record", lambda w, a, r: _m("regions.village_choices")(
        w.db, r["village"][:8], actor=a), lambda res, r: r["village"] in res),
}

#: Service functions that take ``db`` but no actor, and why that is safe.
NOT_ACTOR_BOUND = {
    "workers.village_index": "village names of the configured regencies: public Kemendagri data",
    "sponsors.check_sponsor": "validates values against the region table; returns nothing stored",
    "budgets.assign_budget_lines": "called only by enrol, after its permission checks",
    "users.has_users": "whether the first administrator exists (first start)",
    "users.actor_for": "builds the actor itself from the login",
    "users.account_actor": "builds the actor itself from an account named on the server's command line",
    "users.change_password": "changes only the acting user's own password (its actor is the subject)",
    "regions.load_regions": "loads public Kemendagri regions at first start (system)",
    "sessions.throttled_until": "login throttle: whether a username may try again (no data returned)",
    "sessions.address_failures": "login throttle: how many wrong passwords came from a network address (a count)",
    "sessions.login": "checks a password; the login itself",
    "sessions.start_session": "opens the session of the user who just logged in",
    "sessions.check_session": "whether this browser's own session is live (every run)",
    "sessions.end_session": "logout: ends this browser's own session",
    "sessions.check_own_password": "Ganti kata sandi: the acting user's own current password, through the login "
                                   "throttle (called by users.change_password)",
    "setup.create_first_admin": "first start only, with the one-time setup code",
    "editing.versions": "a scheme file's published versions (TOML text, no personal data), shown in the editor",
    "editing.taking_enrolments": "filters loaded schemes by their retired flag (no personal data)",
}

#: Modules the probes read a value from (not services themselves).
HELPER_MODULES = {"coverage": "payung.base.coverage"}
#: The service modules, by the short name the matrix uses -> their module.
SERVICE_MODULES = {
    "workers": "payung.people.workers",
    "worker_list": "payung.people.worker_list",
    "sponsors": "payung.people.sponsors",
    "sponsorships": "payung.enrolment.sponsorships",
    "bulk": "payung.enrolment.bulk",
    "bills": "payung.finance.bills",
    "payments": "payung.finance.payments",
    "bpjs": "payung.enrolment.bpjs",
    "bpjs_answer": "payung.imports.bpjs_answer",
    "arrears": "payung.enrolment.arrears",
    "budgets": "payung.finance.budgets",
    "claims": "payung.finance.claims",
    "dashboard": "payung.reports.dashboard",
    "audit": "payung.auth.audit",
    "imports.engine": "payung.imports.engine",
    "imports.templates": "payung.imports.templates",
    "users": "payung.auth.users",
    "backups": "payung.operations.backups",
    "overview": "payung.schemes.overview",
    "regions": "payung.people.regions",
    "sessions": "payung.auth.sessions",
    "setup": "payung.auth.setup",
    "copying": "payung.schemes.copying",
    "editing": "payung.schemes.editing",
    "letterhead": "payung.reports.letterhead",
}


def service_functions() -> dict[str, object]:
    """Every public function of the service modules whose first parameter is ``db``."""
    found = {}
    for name, path in SERVICE_MODULES.items():
        module = importlib.import_module(path)
        for attr, obj in vars(module).items():
            if attr.startswith("_") or not inspect.isfunction(obj) or obj.__module__ != module.__name__:
                continue
            params = list(inspect.signature(obj).parameters.values())
            if params and params[0].name == "db":
                found[f"{name}.{attr}"] = obj
    return found


def test_every_service_is_in_the_matrix():
    services = service_functions()
    missing = sorted(set(services) - set(MATRIX) - set(NOT_ACTOR_BOUND))
    assert not missing, f"service functions without an entry in the permission matrix: {missing}"
    assert not sorted(set(MATRIX) - set(services)), "matrix entries for functions that no longer exist"


def test_every_service_requires_an_actor_keyword_without_default():
    for name, function in service_functions().items():
        if name in NOT_ACTOR_BOUND and name != "users.change_password":
            continue
        actor = inspect.signature(function).parameters.get("actor")
        assert actor is not None, f"{name} takes no actor"
        assert actor.kind is inspect.Parameter.KEYWORD_ONLY and actor.default is inspect.Parameter.empty, (
            f"{name}: actor must be a required keyword")


def _attempt(world, call, actor, record):
    world.db.execute("BEGIN")
    try:
        return "ok", call(world, actor, record)
    except PayungError as exc:
        assert str(exc).strip(), "a refusal must say why"
        return "refused", exc
    finally:
        world.db.execute("ROLLBACK")


def _no_full_nik(world, result, where):
    text = repr(result)
    leaked = [nik for nik in world.niks if nik in text]
    assert not leaked, f"{where}: a masked role was given full NIKs {leaked}"


#: What a list on screen is made of: no full NIK for any role (``access.listed``), where the
#: worker's own page and the logged exports keep it (``FULL_NIK``).
LISTS = {"workers.search_workers", "sponsors.search_sponsors", "sponsors.sponsor_detail",
         "sponsorships.eligible_workers", "bills.bill", "bills.bill_page", "payments.payment_with_lines",
         "bpjs.registration_rows", "arrears.late_list", "arrears.ending_soon",
         "arrears.ended_unrenewed", "claims.list_claims"}
#: Where a role that may see the full NIK (``worker.full_nik``) finds it: the worker's page and the
#: files exported on purpose, each logged.
FULL_NIK = {"workers.get_worker", "workers.worker_detail", "worker_list.workers_xlsx", "bpjs.registration_xlsx"}

#: Records a role may call the function for but must not see: a village operator sees no regency-wide target and no ASN of the regency
#: (only its village government and the sponsors of its workers).
HIDDEN_FROM = {("dashboard.target_for", "desa"), ("dashboard.already_covered_for", "desa"),
               ("sponsors.nip_taken", "desa")}

CASES = [(name, role) for name in MATRIX for role in ALL]


@pytest.mark.parametrize("name,role", CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_permission_matrix(world, name, role):
    roles, kind, call, probe = MATRIX[name]
    actor = ACTORS[role]
    inside, outside = world.records["in"], world.records["out"]
    outcome, result = _attempt(world, call, actor, inside)
    if role not in roles:
        assert outcome == "refused", f"{name} must refuse {role}, it returned {result!r}"[:400]
        if kind == "record":
            assert _attempt(world, call, actor, outside)[0] == "refused"
        return
    assert outcome == "ok", f"{name} must let {role} act on its own record: {result}"
    if access.scope_of(actor).masked or name in LISTS:
        _no_full_nik(world, result, name)
    elif name in FULL_NIK:
        assert inside["nik"] in repr(result) + (_xlsx_text(result[0]) if name.endswith("_xlsx") else ""), (
            f"{name}: {role} may see the full NIK here")
    if probe is not None:
        expected_visible = (name, role) not in HIDDEN_FROM
        assert probe(result, inside) is expected_visible, f"{name}: {role} should see its own record"
    if kind != "record":
        return
    # Outside: the other regency's record for everyone but the administrator; for a village
    # operator also the record of another village of its own regency.
    others = [outside] + ([world.records["near"]] if access.scope_of(actor).villages is not None else [])
    for other in others:
        outcome, result = _attempt(world, call, actor, other)
        if role == "admin":
            assert outcome == "ok", f"admin must reach every regency: {result}"
            if probe is not None:
                assert probe(result, other), f"{name}: admin should see the other regency's record"
            return
        if outcome == "ok":
            assert probe is not None, f"{name} let {role} write on a record outside its slice ({other['side']})"
            leaked = NEAR_PROBES.get(name, probe) if other["side"] == "near" else probe
            assert not leaked(result, other), f"{name} showed {role} a record outside its slice ({other['side']})"
            if access.scope_of(actor).masked or name in LISTS:
                _no_full_nik(world, result, name)


@pytest.mark.parametrize("role", WRITERS)
def test_the_preview_of_a_bulk_enrolment_masks_nik_like_every_list(world, role):
    """``bulk.preview`` takes a plan, not ``db``, so the matrix does not collect it."""
    actor, record = ACTORS[role], world.records["in"]
    plan = _m("bulk.plan_eligible")(world.db, world.registry, scheme_code=record["scheme"], sponsor_id=record["sponsor"],
                                    start_month="2025-01", months=12, fields={"budget_year": 2025}, actor=actor)
    rows = _m("bulk.preview")(plan, actor=actor)
    assert record["free_name"] in [row["name"] for row in rows]
    _no_full_nik(world, rows, "bulk.preview")


#: For figures of a whole scheme, the village operator's answer about the "near" record (a
#: village of the same scheme) must not count it: its own slice has one worker, Rp50.400 paid
#: (January to March) and one claim paid Rp1.000.000, so anything more is someone else's.
NEAR_PROBES = {
    "claims.benefits_against_contributions": lambda res, r: (res["contributions_paid"], res["benefits_paid"],
                                                             res["claims"]) != (50_400, 1_000_000, 1),
    "claims.protection_panel": lambda res, r: [x["value"] for x in res.rows] != ["Rp50.400", "Rp1.000.000", 1],
    "dashboard.build": lambda res, r: res.covered > 1,
    "overview.scheme_overview": lambda res, r: next(x["live"] for x in res if x["scheme"].code == r["scheme"]) > 1,
    # A village in the operator's own regency: only that regency may be listed, no other.
    "regions.regency_choices": lambda res, r: set(res) != {IN_VILLAGE[:5]},
}


# The leaks of the issue, one by one, on the same world ------------------------------------

def _refused(world, call):
    outcome, result = _attempt(world, lambda w, a, r: call(), None, None)
    assert outcome == "refused", result
    return str(result)


def test_village_operator_cannot_create_a_sponsor_other_than_its_village_government(world):
    from payung.people.sponsors import create_sponsor
    desa = ACTORS["desa"]
    for values in ({"type": "perorangan", "name": "Donatur Baru"},
                   {"type": "pemerintah_desa", "name": "Pemdes Tetangga", "village_code": "33.24.01.2002"}):
        assert "wilayah tugas" in _refused(world, lambda: create_sponsor(world.db, world.settings, values, actor=desa))


def test_village_operator_cannot_enrol_on_a_sponsor_it_cannot_see(world):
    from payung.enrolment.sponsorships import plan_enrolment
    asn = next(iter(world.db.query("SELECT id FROM sponsors WHERE name = 'ASN Dalam'")))["id"]
    inside = world.records["in"]
    plan = plan_enrolment(world.db, world.registry, actor=ACTORS["desa"], scheme_code=inside["scheme"],
                          sponsor_id=asn, worker_id=inside["free"], start_month="2025-01",
                          fields={"budget_year": 2025})
    assert [p.rule for p in plan.problems][:1] == ["sponsor_missing"]


def test_sponsor_import_cannot_change_another_villages_government(world):
    from payung.imports import apply_import, auto_map, plan_import
    from payung.imports.reading import Sheet
    names = {row["code"]: row["name"] for row in world.db.query("SELECT code, name FROM regions")}
    outside = world.records["out"]["village"]
    sheet = Sheet(["Jenis", "Nama", "Desa", "Kecamatan", "Alamat"],
                  [["Pemerintah desa", "Pemdes Luar", names[outside], names[outside[:8]], "Diubah"]])
    world.db.execute("BEGIN")
    try:
        plan = plan_import(world.db, world.registry, kind="sponsors", sheet=sheet,
                           mapping=auto_map(sheet.headers, "sponsors"), actor=ACTORS["desa"], file_name="s.csv",
                           data_hash="x")
        assert plan.counts["rejected"] == 1 and not plan.updates and not plan.new
        assert "di luar wilayah tugas Anda" in plan.errors[0].message
        apply_import(world.db, world.registry, plan, actor=ACTORS["desa"])
        assert next(iter(world.db.query("SELECT address FROM sponsors WHERE name = 'Pemdes Luar'")))["address"] is None
    finally:
        world.db.execute("ROLLBACK")


def test_plugin_panels_count_only_the_actors_slice(world):
    from payung.schemes.data import reader_for
    counts = {role: reader_for(world.db, actor=a).count_sponsorships("contoh_luar") for role, a in ACTORS.items()}
    assert counts == {"admin": 1, "operator": 0, "desa": 0, "viewer": 0}
    assert reader_for(world.db, actor=ACTORS["desa"]).count_sponsorships("contoh_desa") == 1


def test_operator_must_be_bound_to_a_regency_when_several_are_served(world):
    from payung.auth.users import add_user
    message = _refused(world, lambda: add_user(world.db, username="tanpa", name="Tanpa Kabupaten", role="operator",
                                               password="Payung-uji-2025!", actor=Actor.system()))
    assert "harus diberi kabupaten" in message


def test_an_administrator_is_given_no_regency_that_would_not_bind_them(world):
    """An administrator sees every regency (``scope_of``): a regency given on the command line or
    in a change of access was stored and listed ("Administrator · Kabupaten Pemalang") while it
    bound them to nothing. It is refused, saying which role binds to one regency."""
    from payung.auth.users import add_user, change_access
    regency = world.db.execute("SELECT code FROM regions WHERE level = 2 ORDER BY code LIMIT 1").fetchone()[0]
    message = _refused(world, lambda: add_user(world.db, username="adm27", name="Admin Kabupaten", role="admin",
                                               password="Payung-uji-2025!", actor=Actor.system(), regency_code=regency))
    assert "Administrator mengelola semua kabupaten" in message and "Operator kabupaten" in message
    user = add_user(world.db, username="adm28", name="Admin Baru", role="admin", password="Payung-uji-2025!",
                    actor=Actor.system())
    message = _refused(world, lambda: change_access(world.db, user, role="admin", regency_code=regency, villages=(),
                                                    actor=Actor.system()))
    assert "Administrator mengelola semua kabupaten" in message
    assert world.db.execute("SELECT regency_code FROM users WHERE id = ?", [user]).fetchone()[0] is None
    # One stored with a regency before it was refused is an administrator of every regency.
    from payung.auth.users import actor_for
    world.db.execute("UPDATE users SET regency_code = ? WHERE id = ?", [regency, user])
    assert actor_for(world.db, "adm28").regency_code is None


def test_unknown_actions_and_roles_are_refused():
    assert not access.allowed(ACTORS["admin"], "worker.delete_everything")
    assert not access.allowed(Actor("x", "tamu"), "worker.read")
    assert access.scope_of(Actor("x", "tamu")).villages == ()


def test_masked_role_sees_no_birth_date_in_a_nip_and_cannot_search_by_it(world):
    from payung.people.sponsors import search_sponsors
    viewer = ACTORS["viewer"]
    rows = search_sponsors(world.db, actor=viewer, text="ASN Dalam").rows
    assert rows and rows[0]["nip"] == "********2010011001"
    assert not search_sponsors(world.db, actor=viewer, text="19850312").rows
    assert search_sponsors(world.db, actor=ACTORS["operator"], text="19850312").rows


def test_an_id_beyond_64_bits_is_not_found_like_any_other(world):
    from payung.base.errors import NotFound
    from payung.people.workers import get_worker
    with pytest.raises(NotFound, match="tidak ditemukan"):
        get_worker(world.db, 10 ** 20, actor=ACTORS["admin"])


def test_sponsorship_import_tells_nothing_of_another_regencys_nip(world):
    from payung.imports import auto_map, plan_import
    from payung.imports.reading import Sheet
    inside = world.records["in"]
    sheet = Sheet(["NIK", "Skema", "NIP penyandang dana", "Bulan mulai"],
                  [[inside["nik"], "contoh_desa", "198503122010011002", "2026-01"],   # Pemalang's ASN
                   [inside["nik"], "contoh_desa", "198001012010011999", "2026-01"]])  # nobody's
    plan = plan_import(world.db, world.registry, kind="sponsorships", sheet=sheet,
                       mapping=auto_map(sheet.headers, "sponsorships"), actor=ACTORS["operator"],
                       file_name="k.csv", data_hash="x")
    messages = [e.message.replace("198503122010011002", "NIP").replace("198001012010011999", "NIP")
                for e in plan.errors if "NIP" in e.message or "Penyandang" in e.message]
    assert len(messages) == 2 and messages[0] == messages[1], messages


def test_bpjs_answer_tells_nothing_of_another_regencys_nik_or_kpj(world):
    """An operator of Kendal imports a branch answer naming a Pemalang worker awaiting BPJS:
    exactly what it gets for a NIK that exists nowhere. A KPJ already recorded for the Pemalang
    worker is refused without naming whose it is or where they live."""
    from payung.imports import bpjs_answer
    operator, inside, outside = ACTORS["operator"], world.records["in"], world.records["out"]
    nobody = outside["nik"][:12] + "9999"
    assert nobody not in world.niks

    def outcome(actor, text, nik):
        plan = bpjs_answer.plan_answer(world.db, world.registry, text.encode(), "jawaban.csv", actor=actor)
        world.db.execute("BEGIN")
        try:
            counts = bpjs_answer.apply_answer(world.db, plan, actor=actor)
        finally:
            world.db.execute("ROLLBACK")
        shown = [(row, message.replace(nik, "NIK")) for row, message in plan.problems]
        return shown, len(plan.activate), len(plan.reject), counts

    for answer in ("NIK;KPJ\n{nik};12345678901\n", "NIK;KETERANGAN\n{nik};Data tidak lengkap\n",
                   "NIK;KPJ;KETERANGAN\n{nik};12345678901;\n{nik};;Ganda\n"):
        theirs = outcome(operator, answer.format(nik=outside["nik"]), outside["nik"])
        assert theirs == outcome(operator, answer.format(nik=nobody), nobody)
        assert theirs[1:3] == (0, 0) and "tidak dikenal" in theirs[0][0][1]
        # Not a vacuous sameness: the administrator does match the Pemalang worker.
        admin = outcome(ACTORS["admin"], answer.format(nik=outside["nik"]), outside["nik"])
        assert admin[1] + admin[2] == 1

    names = {row["code"]: row["name"] for row in world.db.query("SELECT code, name FROM regions")}
    world.db.execute("BEGIN")
    try:
        world.db.execute("UPDATE sponsorships SET kpj = '22222222222' WHERE id = ?", [outside["sponsorship"]])
        for actor in (operator, ACTORS["admin"]):
            plan = bpjs_answer.plan_answer(world.db, world.registry, f"NIK;KPJ\n{inside['nik']};22222222222\n".encode(),
                                    "jawaban.csv", actor=actor)
            assert plan.problems == [(2, "KPJ 22222222222 sudah tercatat untuk pekerja lain.")]
            for secret in (outside["name"], outside["nik"], outside["village"], names[outside["village"]],
                           names[outside["village"][:8]], outside["sponsor_name"]):
                assert secret not in repr(plan), secret
    finally:
        world.db.execute("ROLLBACK")


def test_every_answer_about_a_record_elsewhere_is_a_named_read():
    """An answer's log entry moves no dashboard's data version (a read, ``db.versions.READS``) and
    is named in Log audit: each of ``elsewhere.ACTIONS``, the KPJ's added last, in both lists."""
    from db.versions import READS
    from payung.auth.audit import ACTION_LABELS
    from payung.people.elsewhere import ACTIONS
    assert set(ACTIONS.values()) <= READS
    assert all(ACTION_LABELS.get(action) for action in ACTIONS.values())


def _kpj_answers(world, actor: str) -> list[dict]:
    from db import queries
    return [e for e in queries.audit_entries(world.db, actor=actor) if e["action"] == "kpj_elsewhere"]


def test_a_kpj_of_another_regencys_worker_is_an_answer_logged_and_limited(world, monkeypatch):
    """A branch answer's check told, for any KPJ guessed beside a worker of one's own, whether a
    worker anywhere has it: a free oracle. When that worker is outside the operator's scope the
    answer is logged once a day and counts against the day's limit with NIKs and NIPs; past it
    an answer with KPJs is refused whatever they are (a refused Terapkan naming the taken rows
    told that the others were free), and one refused where the answers ran out logs that row."""
    import dataclasses
    from payung.base.errors import ValidationError
    from payung.imports import bpjs_answer
    from payung.people.workers import duplicate_nik
    operator, inside, outside = ACTORS["operator"], world.records["in"], world.records["out"]
    limited = dataclasses.replace(world.settings, limits=dataclasses.replace(world.settings.limits,
                                                                            nik_elsewhere_per_day=2))
    monkeypatch.setattr(world.registry, "settings", limited)
    taken = f"NIK;KPJ\n{inside['nik']};22222222222\n"
    free = f"NIK;KPJ\n{inside['nik']};25010000077\n"

    def check(text, actor=operator):
        return bpjs_answer.plan_answer(world.db, world.registry, text.encode(), "jawaban.csv", actor=actor)

    def refused(text) -> str:
        with pytest.raises(ValidationError) as refusal:
            check(text)
        return refusal.value.problems[0].message
    world.db.execute("BEGIN")
    try:
        world.db.execute("UPDATE sponsorships SET kpj = '22222222222' WHERE id = ?", [outside["sponsorship"]])
        for _ in range(2):
            plan = check(taken)
            assert plan.problems == [(2, "KPJ 22222222222 sudah tercatat untuk pekerja lain.")] and not plan.activate
        [entry] = _kpj_answers(world, "operator")
        assert (entry["table_name"], entry["row_id"]) == ("sponsorships", str(outside["sponsorship"]))
        # The administrator sees that worker: told, and no answer about a record outside its scope.
        assert check(taken, ACTORS["admin"]).problems == plan.problems and not _kpj_answers(world, "admin")
        # A NIK of another regency's worker spends the day's second answer: any answer with KPJs
        # is refused, a free KPJ's too.
        assert duplicate_nik(world.db, outside["nik"], actor=operator, settings=limited)
        assert refused(free) == refused(taken) == bpjs_answer.ELSEWHERE_LIMIT.format(limit=2)
        # A branch's refusals alone (no KPJ) are still read.
        assert [r.nik for r in check(f"NIK;KETERANGAN\n{inside['nik']};Data ganda\n").reject] == [inside["nik"]]
    finally:
        world.db.execute("ROLLBACK")
    world.db.execute("BEGIN")
    try:
        world.db.execute("UPDATE sponsorships SET kpj = '22222222222' WHERE id = ?", [outside["sponsorship"]])
        # The day's answers run out while the file is checked (the other answers given from
        # another tab meanwhile): the row where they ran out is refused, and its answer logged.
        left = iter([1, 0, 0])
        monkeypatch.setattr(bpjs_answer.elsewhere, "answers_left", lambda *a, **k: next(left))
        assert refused(taken) == bpjs_answer.ELSEWHERE_LIMIT.format(limit=2)
        [entry] = _kpj_answers(world, "operator")
        assert entry["row_id"] == str(outside["sponsorship"]) and '"told": "refused_file"' in entry["after"]
    finally:
        world.db.execute("ROLLBACK")


def test_applying_an_answer_refuses_a_kpj_recorded_since_its_check(world):
    """Two answers checked side by side give one KPJ to two workers: the second applied is
    refused whole (a KPJ is one person's), and nothing of it is written."""
    from db import queries
    from payung.imports import bpjs_answer
    inside, near = world.records["in"], world.records["near"]
    plans = [bpjs_answer.plan_answer(world.db, world.registry, f"NIK;KPJ\n{r['nik']};33333333333\n".encode(),
                                     "jawaban.csv", actor=ACTORS["operator"]) for r in (inside, near)]
    assert all(len(p.activate) == 1 and not p.problems for p in plans)
    world.db.execute("BEGIN")
    try:
        bpjs_answer.apply_answer(world.db, plans[0], actor=ACTORS["operator"])
        before = queries.sponsorship(world.db, near["sponsorship"], EVERYTHING)
        with pytest.raises(PayungError, match="baris 2 \\(KPJ 33333333333\\)"):
            bpjs_answer.apply_answer(world.db, plans[1], actor=ACTORS["operator"])
        assert queries.sponsorship(world.db, near["sponsorship"], EVERYTHING) == before
        assert queries.sponsorship(world.db, inside["sponsorship"], EVERYTHING)["kpj"] == "33333333333"
    finally:
        world.db.execute("ROLLBACK")


# What an attack on the access model found (issue 11, second round) ------------------------

def _inside_transaction(world, body):
    world.db.execute("BEGIN")
    try:
        return body()
    finally:
        world.db.execute("ROLLBACK")


def test_a_shared_sponsor_shows_a_village_operator_only_its_own_workers_and_money(world):
    """Rule: a sponsor paying in two villages is seen by one village's operator with that
    village's workers, lines, dues and bill only (scope in the sponsor, bill and due queries)."""
    from payung.finance import bills, payments
    from payung.people.sponsors import create_sponsor, search_sponsors, sponsor_detail
    from payung.enrolment.sponsorships import enrol
    from payung.people.workers import create_worker
    system, desa = Actor.system(), ACTORS["desa"]

    def body():
        donor = create_sponsor(world.db, world.settings, {"type": "perorangan", "name": "Donatur Bersama",
                                                          "regency_code": "33.24"}, actor=system)
        mine = create_worker(world.db, world.settings, world.worker_values(IN_VILLAGE, "Bersama Dalam"), actor=system)
        theirs = create_worker(world.db, world.settings, world.worker_values(NEAR_VILLAGE, "Bersama Dekat"),
                               actor=system)
        for worker in (mine, theirs):
            enrol(world.db, world.registry, actor=system, scheme_code="contoh_desa", sponsor_id=donor,
                  worker_id=worker, start_month="2025-01", months=12, fields={"budget_year": 2025})
        payments.record_payment(world.db, world.registry, scheme_code="contoh_desa", party_key=str(donor),
                                amount=16_800 * 2, paid_on=dt.date(2025, 2, 1), actor=system,
                                today=dt.date(2025, 2, 5))
        detail = sponsor_detail(world.db, donor, actor=desa, month="2025-03")
        assert "Bersama Dekat" not in repr(detail) and "Bersama Dalam" in repr(detail)
        assert (detail["due"]["lines"], detail["due"]["amount"]) == (1, 16_800)
        listed = search_sponsors(world.db, actor=desa, text="Donatur Bersama", month="2025-03").rows
        assert [r["sponsorships"] for r in listed] == [1]
        bill = bills.bill(world.db, world.registry, scheme_code="contoh_desa", party_key=str(donor), from_month=None,
                          today=TODAY, actor=desa)
        assert "Bersama Dekat" not in repr(bill.lines) and "Bersama Dalam" in repr(bill.lines)
        party = next(p for p in bills.parties(world.db, world.registry, "contoh_desa", None, actor=desa)
                     if p["party_key"] == str(donor))
        whole = next(p for p in bills.parties(world.db, world.registry, "contoh_desa", None, actor=system)
                     if p["party_key"] == str(donor))
        assert party != whole and "Bersama Dekat" not in repr(party)
    _inside_transaction(world, body)


def test_a_worker_who_moved_shows_nothing_of_the_old_regencys_sponsorship(world):
    """Rule: a worker moved from Pemalang to Kendal: the Kendal operator sees the worker but
    neither the Pemalang sponsorship nor its sponsor, not even in a double-coverage refusal."""
    from payung.enrolment.sponsorships import enrol, plan_enrolment
    from payung.people.workers import create_worker, update_worker, worker_detail
    system, operator = Actor.system(), ACTORS["operator"]
    outside = world.records["out"]

    def body():
        moved = create_worker(world.db, world.settings, world.worker_values(outside["village"], "Pindahan"),
                              actor=system)
        enrol(world.db, world.registry, actor=system, scheme_code="contoh_luar", sponsor_id=outside["sponsor"],
              worker_id=moved, start_month="2025-01", months=12)
        update_worker(world.db, world.settings, moved, {"village_code": IN_VILLAGE}, actor=system)
        detail = worker_detail(world.db, moved, actor=operator)
        assert "contoh_luar" not in repr(detail) and outside["sponsor_name"] not in repr(detail)
        plan = plan_enrolment(world.db, world.registry, actor=operator, scheme_code="contoh_desa",
                              sponsor_id=world.records["in"]["sponsor"], worker_id=moved, start_month="2025-01",
                              fields={"budget_year": 2025})
        refusal = next(p.message for p in plan.problems if p.rule == "double_coverage")
        assert "di luar wilayah Anda" in refusal
        for secret in ("contoh_luar", outside["sponsor_name"], "#"):
            assert secret not in refusal
        # The administrator is told whose sponsorship it is.
        told = plan_enrolment(world.db, world.registry, actor=system, scheme_code="contoh_desa",
                              sponsor_id=world.records["in"]["sponsor"], worker_id=moved, start_month="2025-01",
                              fields={"budget_year": 2025})
        assert outside["sponsor_name"] in next(p.message for p in told.problems if p.rule == "double_coverage")
    _inside_transaction(world, body)


def test_an_operator_without_a_regency_sees_nothing_when_several_are_served(world, monkeypatch):
    """Rule: deny by default: an unbound operator (made when one regency was served) sees
    nothing once several are; with one regency served it works for that one."""
    from payung.auth.users import actor_for, add_user
    from payung.people.workers import search_workers
    unbound = Actor("lama", "operator")
    assert access.scope_of(unbound).villages == ()
    assert not search_workers(world.db, world.settings, actor=unbound, today=TODAY).rows

    def body():
        world.db.execute("UPDATE users SET regency_code = NULL WHERE username = 'operator'")
        assert actor_for(world.db, "operator").regency_code is None  # two regencies are served here
        from db import queries
        served = queries.region_names
        monkeypatch.setattr(queries, "region_names", lambda db, level=None: {
            code: name for code, name in served(db, level).items() if level != 2 or code == "33.24"})  # one served
        assert actor_for(world.db, "operator").regency_code == "33.24"
    _inside_transaction(world, body)
    assert add_user  # the refusal at creation is test_operator_must_be_bound_to_a_regency_when_several_are_served


def test_a_village_operator_is_not_told_the_budget_figures(world):
    """Rule: no budgets for a village operator: an enrolment refused by a budget line says so
    without the line's name, ceiling or what is left; an administrator gets the figures."""
    from payung.finance.budgets import create_budget_line
    from payung.enrolment.sponsorships import plan_enrolment
    inside = world.records["in"]

    def body():
        world.db.execute("UPDATE budget_lines SET amount = 1000 WHERE scheme_code = 'contoh_desa'")
        create_budget_line(world.db, world.registry, {"scheme_code": "contoh_desa", "year": 2026, "name": "Rahasia",
                                                      "source": "APBDes", "amount": 1000}, actor=Actor.system())
        told = {}
        for role in ("desa", "admin"):
            plan = plan_enrolment(world.db, world.registry, actor=ACTORS[role], scheme_code="contoh_desa",
                                  sponsor_id=inside["sponsor"], worker_id=inside["free"], start_month="2026-01",
                                  fields={"budget_year": 2026})
            told[role] = [p.message for p in plan.problems if p.rule.startswith("budget")]
        assert told["desa"] and told["admin"]
        assert "Rahasia" in told["admin"][0] and "Rp1.000" in told["admin"][0]
        for secret in ("Rahasia", "Rp", "pagu", "sisa"):
            assert secret not in told["desa"][0]
    _inside_transaction(world, body)


def test_a_village_operator_cannot_name_a_budget_line_in_an_import(world):
    from payung.imports import auto_map, plan_import
    from payung.imports.reading import Sheet
    inside = world.records["in"]
    nik = next(iter(world.db.query("SELECT nik FROM workers WHERE id = ?", [inside["free"]])))["nik"]
    sheet = Sheet(["NIK", "Skema", "Pos anggaran", "Bulan mulai", "Tahun anggaran"],
                  [[nik, "contoh_desa", "APBDes Dalam", "2025-01", "2025"]])
    plan = plan_import(world.db, world.registry, kind="sponsorships", sheet=sheet,
                       mapping=auto_map(sheet.headers, "sponsorships"), actor=ACTORS["desa"], file_name="k.csv",
                       data_hash="x")
    assert plan.counts["rejected"] == 1 and "hanya untuk operator kabupaten" in plan.errors[0].message


def test_the_sponsorship_import_answers_a_nik_elsewhere_like_an_unknown_one(world):
    """Rule: no oracle: every error of a row whose NIK lies outside the actor's slice is the
    same as for a NIK that exists nowhere (not one message more)."""
    from payung.imports import auto_map, plan_import
    from payung.imports.reading import Sheet
    near, nobody = world.records["near"]["nik"], world.records["near"]["nik"][:12] + "9999"
    assert nobody not in world.niks
    headers = ["NIK", "Skema", "Penyandang dana", "Bulan mulai", "Lama"]

    def errors(nik):
        sheet = Sheet(headers, [[nik, "contoh_desa", "Pemdes Dalam", "2025-01", "99"]])
        plan = plan_import(world.db, world.registry, kind="sponsorships", sheet=sheet,
                           mapping=auto_map(sheet.headers, "sponsorships"), actor=ACTORS["desa"],
                           file_name="k.csv", data_hash="x")
        return [(e.column, e.message.replace(nik, "NIK")) for e in plan.errors]
    assert errors(near) == errors(nobody)
    assert len(errors(nobody)) == 1


def test_a_village_operator_gets_no_regency_wide_target_on_the_skema_page_or_panels(world):
    from payung.schemes.data import reader_for
    from payung.schemes.overview import scheme_overview
    from payung.schemes.standard_panels import targets
    scheme = world.registry.scheme("contoh_desa")
    for role, expected in (("desa", []), ("operator", list(scheme.targets)), ("viewer", list(scheme.targets))):
        item = next(x for x in scheme_overview(world.db, world.registry, actor=ACTORS[role])
                    if x["scheme"].code == "contoh_desa")
        assert item["targets"] == expected, role
        panels = targets(scheme, reader_for(world.db, actor=ACTORS[role]), MONTH)
        assert bool(panels) is bool(expected), role


def test_plugin_panel_readers_count_only_the_actors_slice(world):
    """Rule: every DataReader question is answered inside the actor's slice: a village
    operator's answers leave out the other village, an operator's the other regency."""
    from payung.schemes.data import reader_for
    answers = {}
    for role, actor in ACTORS.items():
        reader = reader_for(world.db, actor=actor)
        answers[role] = {
            "by_sponsor": reader.by_sponsor("contoh_desa") + reader.by_sponsor("contoh_luar"),
            "by_worker_region": reader.by_worker_region("contoh_desa", 4) + reader.by_worker_region("contoh_luar", 4),
            "by_field": reader.by_field("contoh_desa", "budget_year"),
            "with_field": reader.sponsorships_with_field("contoh_desa", "budget_year", 2025),
            "workers": reader.count_workers("contoh_desa") + reader.count_workers("contoh_luar"),
            "by_district": reader.covered_by_district(MONTH),
            "by_scheme": reader.covered_by_scheme(MONTH),
            "budget": reader.budget_lines("contoh_desa") + reader.budget_lines("contoh_luar"),
        }
    text = {role: repr(a) for role, a in answers.items()}
    assert "Pemdes Luar" in text["admin"] and "Pemdes Dekat" in text["admin"]
    assert "Pemdes Luar" not in text["operator"] and "Pemdes Dekat" in text["operator"]
    assert "Pemdes Dekat" not in text["desa"] and "Pemdes Dalam" in text["desa"]
    assert answers["admin"]["workers"] == 3 and answers["operator"]["workers"] == 2 and answers["desa"]["workers"] == 1
    assert len(answers["desa"]["with_field"]) == 1 and len(answers["operator"]["with_field"]) == 2
    assert sum(r["workers"] for r in answers["desa"]["by_worker_region"]) == 1
    assert sum(r.get("workers", r.get("covered", 0)) for r in answers["operator"]["by_district"]) == 2
    assert answers["desa"]["budget"] == [] and len(answers["operator"]["budget"]) == 2
    assert [sum(r["workers"] for r in answers[role]["by_field"]) for role in ("desa", "operator")] == [1, 2]
    covered = {role: {r["scheme_code"]: r for r in answers[role]["by_scheme"]} for role in ("desa", "operator")}
    assert repr(covered["desa"]) != repr(covered["operator"]) and "contoh_luar" not in repr(covered["operator"])
    waiting = {role: reader_for(world.db, actor=a).count_eligible_uncovered("33.24", MONTH)
               for role, a in ACTORS.items()}
    assert waiting["desa"] < waiting["operator"] == waiting["admin"] and waiting["desa"] >= 1


def test_a_list_cannot_enrol_on_or_name_a_sponsor_outside_the_slice(world):
    """Rule: the bulk planner and the list import find sponsors inside the actor's slice only:
    a village operator's list naming another village's government or ASN is refused."""
    from payung.enrolment.bulk import plan_bulk
    from payung.imports import auto_map, plan_import
    from payung.imports.reading import Sheet
    inside, near = world.records["in"], world.records["near"]
    plan = plan_bulk(world.db, world.registry, [{**_bulk_request(inside), "sponsor_id": near["sponsor"]}],
                     actor=ACTORS["desa"])
    assert [p.rule for p in plan.rows[0].problems][:1] == ["sponsor_missing"]
    nik = next(iter(world.db.query("SELECT nik FROM workers WHERE id = ?", [inside["free"]])))["nik"]
    sheet = Sheet(["NIK", "Skema", "Penyandang dana", "Bulan mulai", "Tahun anggaran"],
                  [[nik, "contoh_desa", near["sponsor_name"], "2025-01", "2025"]])
    imported = plan_import(world.db, world.registry, kind="sponsorships", sheet=sheet,
                           mapping=auto_map(sheet.headers, "sponsorships"), actor=ACTORS["desa"], file_name="k.csv",
                           data_hash="x")
    assert [e.message for e in imported.errors] == [f"Penyandang dana \"{near['sponsor_name']}\" tidak ditemukan."]


def test_imported_workers_get_ids_that_do_not_follow_their_nik_order(world):
    """Rule: ids in NIK order plus masked NIKs would give away birth dates (the id is in a
    page's address): a file's workers get their ids in a random order."""
    from payung.imports import apply_import, auto_map, plan_import
    from payung.imports.reading import Sheet
    names = {row["code"]: row["name"] for row in world.db.query("SELECT code, name FROM regions")}
    rows = []
    for n in range(60):
        born = dt.date(1970, 1, 1) + dt.timedelta(days=97 * n)
        nik = f"332401{born.day:02d}{born.month:02d}{born.year % 100:02d}{n + 5000:04d}"
        rows.append([nik, f"Urut {n}", born.strftime("%d/%m/%Y"), "L", names[IN_VILLAGE], names[IN_VILLAGE[:8]],
                     "Petani"])
    sheet = Sheet(["NIK", "Nama", "Tanggal lahir", "Jenis kelamin", "Desa", "Kecamatan", "Pekerjaan"], rows)

    def body():
        plan = plan_import(world.db, world.registry, kind="workers", sheet=sheet,
                           mapping=auto_map(sheet.headers, "workers"), actor=Actor.system(), file_name="f.csv",
                           data_hash="x")
        assert apply_import(world.db, world.registry, plan, actor=Actor.system())["imported"] == 60
        by_id = [r["nik"] for r in world.db.query("SELECT nik FROM workers WHERE name LIKE 'Urut %' ORDER BY id")]
        assert len(by_id) == 60 and by_id != sorted(by_id)
    _inside_transaction(world, body)


def test_the_docs_table_of_actions_is_the_one_the_code_decides():
    """docs/administration.md's table of actions is generated from ``payung.auth.access.ACTIONS``:
    it cannot drift."""
    from conftest import ROOT
    text = (ROOT / "docs" / "administration.md").read_text(encoding="utf-8")
    section = text.split("<!-- access-table:start -->\n", 1)[1].split("<!-- access-table:end -->", 1)[0]
    assert section == access.markdown_table(), "docs/administration.md: run python -m payung docs"


def test_every_action_the_code_asks_about_is_declared():
    """Deny by default would silently refuse a misspelt action: every action named in a
    ``require``/``allowed``/``require_visible`` call of the services, pages and UI exists."""
    import re

    from conftest import ROOT
    called = re.compile(r"""\b(?:require|allowed|require_visible|visible_scheme|ui_require)\([^"']*["']([a-z_]+\.[a-z_]+)["']""")
    named = re.compile(r"""require\(["']([a-z_]+\.[a-z_]+)["']\)""")
    seen = set()
    for folder in ("payung", "pages", "ui", "app.py"):
        paths = [ROOT / folder] if folder.endswith(".py") else sorted((ROOT / folder).rglob("*.py"))
        for path in paths:
            text = path.read_text(encoding="utf-8")
            seen.update(called.findall(text) + named.findall(text))
    assert len(seen) > 20
    unknown = sorted(a for a in seen if a not in access.ACTIONS)
    assert not unknown, f"actions not declared in payung.auth.access.ACTIONS: {unknown}"


def test_a_page_of_a_bill_of_another_regency_is_refused_not_just_empty(world):
    """``bills.bill_page`` is given a summary (the page's cached one): it checks that the actor
    may see the summary's scheme, not only that the lines it reads are in the actor's slice."""
    outside = world.records["out"]
    summary = _m("bills.summary")(world.db, world.registry, scheme_code=outside["scheme"],
                                  party_key=str(outside["sponsor"]), from_month="2025-01", to_month="2025-12",
                                  today=TODAY, actor=Actor.system())
    assert summary.line_count
    for role in ("operator", "desa", "viewer"):
        said = _refused(world, lambda: _m("bills.bill_page")(world.db, world.registry, summary, page=1, per_page=50,
                                                              actor=ACTORS[role]))
        assert outside["sponsor_name"] not in said


# A NIP registered in another regency (payung.people.elsewhere) ------------------------------------

_GUESSED_ASN = {"type": "asn", "name": "ASN Tebakan", "opd": "Dinsos", "regency_code": "33.24"}
#: A NIP nobody has (a birth date, a start date, a gender and a serial, like the others).
_FREE_NIP = "199001012015031009"


def _nip_answers(world, actor: str) -> list[dict]:
    from db import queries
    return [e for e in queries.audit_entries(world.db, actor=actor) if e["action"] == "nip_elsewhere"]


def test_a_nip_of_another_regencys_sponsor_is_told_on_saving_and_logged_once_a_day(world):
    """An operator who saves an ASN sponsor with the NIP of another regency's learns it is
    registered elsewhere (a free NIP would have been saved: the answer costs a write), and that
    is logged with whom it was about, once a day."""
    from payung.base.errors import ValidationError
    from payung.people.sponsors import ELSEWHERE, create_sponsor
    out = world.db.execute("SELECT id FROM sponsors WHERE nip = ?", [world.records["out"]["asn_nip"]]).fetchone()[0]
    world.db.execute("BEGIN")
    try:
        for _ in range(2):
            with pytest.raises(ValidationError) as refused:
                create_sponsor(world.db, world.settings, _GUESSED_ASN | {"nip": world.records["out"]["asn_nip"]},
                               actor=ACTORS["operator"])
            assert [p.message for p in refused.value.problems] == [ELSEWHERE]
        [entry] = _nip_answers(world, "operator")
        assert (entry["table_name"], entry["row_id"]) == ("sponsors", str(out))
    finally:
        world.db.execute("ROLLBACK")


def test_a_sponsor_refused_anyway_learns_nothing_of_its_nip(world):
    """A sponsor of another regency, which the operator may not register whatever its NIP, was
    told "registered elsewhere" for a NIP that is, and refused otherwise: a free way to ask."""
    from payung.people.sponsors import create_sponsor
    said = {nip: _refused(world, lambda nip=nip: create_sponsor(
        world.db, world.settings, _GUESSED_ASN | {"nip": nip, "regency_code": "33.27"}, actor=ACTORS["operator"]))
        for nip in (world.records["out"]["asn_nip"], _FREE_NIP)}
    assert said[world.records["out"]["asn_nip"]] == said[_FREE_NIP], said
    assert not _nip_answers(world, "operator")


def test_a_sponsor_import_check_tells_a_days_few_nips_elsewhere_then_refuses_every_file(world, monkeypatch):
    """A sponsor file's check writes nothing: guessed NIPs found other regencies' sponsors for
    free. Each is logged, workers' NIKs and sponsors' NIPs count against one daily limit, and
    past it a sponsor file's check is refused whatever the file holds."""
    import dataclasses
    from payung.imports import auto_map, plan_import
    from payung.imports.engine import MappingError
    from payung.imports.reading import Sheet
    from payung.people.sponsors import ELSEWHERE_LIMIT
    from payung.people.workers import duplicate_nik
    operator = ACTORS["operator"]
    limited = dataclasses.replace(world.settings, limits=dataclasses.replace(world.settings.limits,
                                                                            nik_elsewhere_per_day=2))
    monkeypatch.setattr(world.registry, "settings", limited)

    def check(*nips):
        sheet = Sheet(["Jenis", "Nama", "NIP", "OPD"], [["ASN", f"ASN {n}", n, "Dinsos"] for n in nips])
        return plan_import(world.db, world.registry, kind="sponsors", sheet=sheet,
                           mapping=auto_map(sheet.headers, "sponsors"), actor=operator, file_name="s.csv",
                           data_hash="x")
    world.db.execute("BEGIN")
    try:
        plan = check(world.records["out"]["asn_nip"], _FREE_NIP)
        assert plan.counts["rejected"] == 1 and len(plan.new) == 1 and len(_nip_answers(world, "operator")) == 1
        # A NIK of another regency's worker spends the second answer of the day.
        assert duplicate_nik(world.db, world.records["out"]["nik"], actor=operator, settings=limited)
        with pytest.raises(MappingError) as refused:
            check(_FREE_NIP)
        assert str(refused.value) == ELSEWHERE_LIMIT.format(limit=2)
    finally:
        world.db.execute("ROLLBACK")


def test_past_the_days_answers_no_nip_of_an_own_sponsor_is_changed(world, monkeypatch):
    """A NIP changed on a sponsor of one's own was a free guess past the day's answers: another
    regency's NIP refused as "registered elsewhere", a free one saved (and changed back). Past the
    limit no NIP is changed, whatever it is; the rest of the sponsor still is."""
    import dataclasses
    from payung.base.errors import ValidationError
    from payung.people.sponsors import NIP_CHANGE_SPENT, update_sponsor
    from payung.people.workers import duplicate_nik
    operator = ACTORS["operator"]
    limited = dataclasses.replace(world.settings, limits=dataclasses.replace(world.settings.limits,
                                                                            nik_elsewhere_per_day=1))
    own = world.db.execute("SELECT id FROM sponsors WHERE nip = ?", [world.records["near"]["asn_nip"]]).fetchone()[0]
    world.db.execute("BEGIN")
    try:
        assert duplicate_nik(world.db, world.records["out"]["nik"], actor=operator, settings=limited)  # the day's one
        for nip in (world.records["out"]["asn_nip"], _FREE_NIP):
            with pytest.raises(ValidationError) as refused:
                update_sponsor(world.db, limited, own, {"nip": nip}, actor=operator)
            assert [p.message for p in refused.value.problems] == [NIP_CHANGE_SPENT], nip
        assert update_sponsor(world.db, limited, own, {"opd": "Dinas Sosial Baru"}, actor=operator)["opd"] == \
            "Dinas Sosial Baru"
    finally:
        world.db.execute("ROLLBACK")


def test_a_sponsor_import_does_not_match_a_same_named_person_of_another_regency(world):
    """A row without a NIP is recognised by type and name: matched to another regency's
    perorangan of the same name, it was refused as "registered elsewhere" (a file of names asked
    who sponsors there), and logged as a NIP answer. It is a new sponsor of one's own, as the form
    lets one register."""
    from payung.auth.access import Actor
    from payung.imports import auto_map, plan_import
    from payung.imports.reading import Sheet
    from payung.people.sponsors import create_sponsor
    world.db.execute("BEGIN")
    try:
        create_sponsor(world.db, world.settings, {"type": "perorangan", "name": "Rohani Maulana",
                                                  "regency_code": "33.27"}, actor=Actor.system())
        sheet = Sheet(["Jenis", "Nama"], [["Perorangan", "Rohani Maulana"]])
        plan = plan_import(world.db, world.registry, kind="sponsors", sheet=sheet, mapping=auto_map(sheet.headers,
                           "sponsors"), actor=ACTORS["operator"], file_name="s.csv", data_hash="x")
        assert plan.counts["rejected"] == 0 and len(plan.new) == 1, [e.message for e in plan.errors]
        assert not _nip_answers(world, "operator")
    finally:
        world.db.execute("ROLLBACK")


def test_a_sponsor_file_refused_where_the_answers_run_out_logs_that_row(world, monkeypatch):
    """Refused at its second NIP of another regency (the day's one answer given at the first), the
    file told that the second is registered elsewhere too (a file without it passed): that answer
    is logged as well, as a refusal."""
    import dataclasses
    from payung.auth.access import Actor
    from payung.imports import auto_map, plan_import
    from payung.imports.engine import MappingError
    from payung.imports.reading import Sheet
    from payung.people.sponsors import create_sponsor
    limited = dataclasses.replace(world.settings, limits=dataclasses.replace(world.settings.limits,
                                                                            nik_elsewhere_per_day=1))
    monkeypatch.setattr(world.registry, "settings", limited)
    world.db.execute("BEGIN")
    try:
        second = create_sponsor(world.db, world.settings, {"type": "asn", "name": "ASN Luar Dua", "opd": "Dinsos",
                                                           "nip": "198001012005011004", "regency_code": "33.27"},
                                actor=Actor.system())
        nips = [world.records["out"]["asn_nip"], "198001012005011004"]
        sheet = Sheet(["Jenis", "Nama", "NIP", "OPD"], [["ASN", f"ASN {n}", n, "Dinsos"] for n in nips])
        with pytest.raises(MappingError):
            plan_import(world.db, world.registry, kind="sponsors", sheet=sheet, mapping=auto_map(sheet.headers,
                        "sponsors"), actor=ACTORS["operator"], file_name="s.csv", data_hash="x")
        logged = {e["row_id"]: e for e in _nip_answers(world, "operator")}
        assert str(second) in logged and '"refused_file"' in logged[str(second)]["after"], logged
    finally:
        world.db.execute("ROLLBACK")
