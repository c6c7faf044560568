"""The load test's database: one regency's registry and the accounts of its team.

The workers are made by the demo's generator (``payung.operations.demo.worker_rows``) and
checked by the registry's own rules, then written by the bulk path, like ``payung bench``.
Sponsors, sponsorships and twelve months of contribution lines follow the regency's schemes:
Kendal's ASN bill their OPD's treasurer, GN Lingkaran's donors are billed one by one. Most
months are paid; some sponsors fall one to five months behind (the late list and the lapsed
memberships of Tunggakan), and this month is paid by most.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path

import db as database
from db import batches, ledger, queries, store

from payung.auth.users import hash_password
from payung.base import clock
from payung.base.months import add_months, current_month
from payung.core import Payung
from payung.operations.demo import PHONE_PREFIXES, _sponsor_values, worker_rows
from payung.people.workers import check_workers, village_index

#: The regency whose team the load test plays (Kendal: 286 villages, about 200.000 vulnerable
#: workers, two schemes).
REGENCY = "33.24"
#: The accounts' password (one bcrypt check per sign-in, like any other).
PASSWORD = "kopi tubruk pagi hari"
CHUNK = 20_000
#: Share of workers covered, and of those by GN Lingkaran's donors (the rest by ASN).
COVERED, DONORS = 0.6, 0.15
#: Share of sponsorships whose sponsor stopped paying one to five months ago.
BEHIND = 0.08


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    villages: tuple[str, ...] = ()

    @property
    def password(self) -> str:
        return PASSWORD


def build(app: Payung, path: Path, *, workers: int = 200_000, seed: int = 24, out=print) -> dict:
    """Write a new database at ``path`` (it must not exist): the regency's workers,
    sponsors, sponsorships and lines. Returns counts."""
    today = clock.today()
    rng = random.Random(seed)
    db = database.open_database(path)
    try:
        app.initialise(db, actor="uji-beban")
        names = village_index(db)
        villages = sorted(code for code in names if code.startswith(REGENCY + "."))
        made, taken = 0, set()
        while made < workers:
            chunk = list(worker_rows(villages, min(CHUNK, workers - made), rng, today=today, taken_niks=taken))
            taken.update(row["nik"] for row in chunk)
            rows = [c.row for c in check_workers(chunk, settings=app.settings, villages=names, today=today) if c.ok]
            store.bulk_insert(db, "workers", tuple(rows[0]), [tuple(r.values()) for r in rows], actor="uji-beban",
                              note="data uji beban")
            made += len(rows)
            out(f"  pekerja: {made}")
        counts = {"workers": made, **_cover(app, db, rng, names, today)}
        batches.analyze(db)
        return counts
    finally:
        db.close()


def _sponsors(app: Payung, db, kind_of: list[str], count: int, rng: random.Random, names: dict) -> list[int]:
    """``count`` sponsors of the scheme's kinds in the regency, most with a WhatsApp number."""
    villages = [code for code in names if code.startswith(REGENCY + ".")]
    region = app.settings.regency(REGENCY)
    opds = list(app.settings.scheme_settings("kendal_asn_peduli").get("opd", {})) or ["Dinas Sosial"]
    rows = []
    for n in range(count):
        values = _sponsor_values(kind_of[n % len(kind_of)], REGENCY, villages, rng, n, region.name if region else "",
                                 names)
        if values["type"] == "asn":
            values["opd"] = opds[n % len(opds)]
        values.setdefault("regency_code", REGENCY)
        values["phone"] = f"{rng.choice(PHONE_PREFIXES)}{rng.randint(10_000_000, 99_999_999)}"
        rows.append(values)
    columns = sorted({key for row in rows for key in row})
    first = batches.max_id(db, "sponsors") + 1
    store.bulk_insert(db, "sponsors", columns, [tuple(row.get(c) for c in columns) for row in rows],
                      actor="uji-beban", note="data uji beban")
    return list(range(first, first + count))


def _cover(app: Payung, db, rng: random.Random, names: dict, today: dt.date) -> dict:
    """Sponsorships of twelve months for ``COVERED`` of the workers, and their lines."""
    this_month = current_month(today)
    asn = _sponsors(app, db, ["asn"], 10_000, rng, names)
    donors = _sponsors(app, db, ["perorangan", "perusahaan", "organisasi", "bank"], 400, rng, names)
    workers = batches.worker_places(db)
    covered = [w for w in workers if rng.random() < COVERED]
    sponsorships, lines = [], []
    first_id = batches.max_id(db, "sponsorships") + 1
    for n, (worker_id, village, occupation) in enumerate(covered):
        scheme = "gn_lingkaran" if rng.random() < DONORS else "kendal_asn_peduli"
        sponsor = rng.choice(donors if scheme == "gn_lingkaran" else asn)
        start = add_months(this_month, -rng.randint(0, 11))
        end = add_months(start, 11)
        fields = {"payment_method": "potong_gaji"} if scheme == "kendal_asn_peduli" else {}
        sponsorships.append((scheme, sponsor, worker_id, "JKK,JKM", start, 12, end, 1_000_000, 16_800, 1, "aktif",
                             json.dumps(fields), "uji-beban"))
        behind_from = add_months(this_month, -rng.randint(1, 5)) if rng.random() < BEHIND else None
        for i in range(12):
            month = add_months(start, i)
            if behind_from and month >= behind_from:
                paid = 0
            elif month < this_month:
                paid = 16_800
            else:
                paid = 16_800 if month == this_month and rng.random() < 0.7 else 0
            lines.append((first_id + n, worker_id, sponsor, scheme, month, village, village[:8], occupation, 10_000,
                          6_800, 0, 16_800, paid))
    store.bulk_insert(db, "sponsorships", ("scheme_code", "sponsor_id", "worker_id", "programs", "start_month",
                                           "months", "end_month", "declared_income", "monthly_amount",
                                           "payment_period", "status", "fields", "created_by"),
                      sponsorships, actor="uji-beban", note="data uji beban")
    batches.insert_lines(db, ("sponsorship_id", "worker_id", "sponsor_id", "scheme_code", "month", "village_code",
                              "district_code", "occupation", "jkk", "jkm", "jht", "amount", "paid_amount"),
                         lines, actor="uji-beban", note="data uji beban", rebuild_indexes=True)
    ledger.settle_marked_lines(db, paid_on=today.isoformat(), reference="UJI-BEBAN", actor="uji-beban")
    return {"sponsors": len(asn) + len(donors), "sponsorships": len(sponsorships), "lines": len(lines)}


def district_of(account: Account) -> str:
    """The six NIK digits of a village operator's district ("33.24.01.2001" -> "332401")."""
    return account.villages[0][:8].replace(".", "")


def taken_niks(db, people: list[Account]) -> set[str]:
    """The NIKs already registered in the districts of ``people``: a new worker the load test
    adds must not be refused as a duplicate (the database is kept from run to run)."""
    return batches.niks_starting(db, [district_of(a) for a in people if a.villages])


def accounts(db, *, village_operators: int, operators: int = 1, admins: int = 1) -> list[Account]:
    """The team's accounts, made once per database (later runs reuse them): administrators,
    regency operators, and village operators each bound to another village, the villages with
    the most workers first. All share ``PASSWORD``, hashed once. A village operator's villages
    are those the database gives them (each run adds workers: the busiest villages of now are
    not those the accounts were made with)."""
    wanted = ([Account(f"admin{i + 1}", "admin") for i in range(admins)]
              + [Account(f"operator{i + 1}", "operator") for i in range(operators)])
    busiest = batches.busiest_villages(db, REGENCY, village_operators)
    wanted += [Account(f"desa{i + 1}", "desa", (code,)) for i, code in enumerate(busiest)]
    missing = [a for a in wanted if queries.user_by_username(db, a.username) is None]
    if missing:
        password_hash = hash_password(PASSWORD)
        with store.transaction(db):
            for account in missing:
                user_id = store.insert(db, "users", {
                    "username": account.username, "name": f"Uji {account.username}", "role": account.role,
                    "password_hash": password_hash,
                    "regency_code": REGENCY if account.role == "operator" else None}, actor="uji-beban")
                for code in account.villages:
                    store.insert(db, "user_villages", {"user_id": user_id, "village_code": code}, actor="uji-beban")
    return [Account(a.username, a.role, tuple(queries.user_villages(db, queries.user_by_username(db, a.username)["id"])))
            for a in wanted]
