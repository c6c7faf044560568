"""Realistic demo data: workers with NIKs that agree with their village, birth date and
gender; sponsors of the types each scheme accepts; sponsorships made through the same checks
as the app; and payments for the months already due.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from collections.abc import Callable, Iterator

from db import queries, store
from db.scope import EVERYTHING

from payung.finance import bills
from payung.base import clock
from payung.auth.access import Actor
from payung.finance.budgets import categories, cost_of_workers, create_budget_line
from payung.core import Payung
from payung.base.errors import ValidationError
from payung.schemes.fields import Field
from payung.base.coverage import due_date
from payung.base.months import add_months, current_month, first_day
from payung.finance.payments import record_payment
from payung.people.sponsors import create_sponsor
from payung.enrolment.sponsorships import enrol
from payung.people.workers import check_worker, village_index

MALE = ("Ahmad", "Budi", "Slamet", "Joko", "Agus", "Bambang", "Sutrisno", "Wahyu", "Andi", "Muhammad", "Rudi",
        "Hendra", "Yusuf", "Supriyadi", "Darmawan", "Suparman", "Iwan", "Eko", "Rahmat", "Hasan", "Arif",
        "Teguh", "Dedi", "Mulyadi", "Nur", "Syamsul", "Irfan", "Sugeng", "Kasim", "Lukman")
FEMALE = ("Siti", "Sri", "Dewi", "Rina", "Wati", "Sulastri", "Nur", "Aminah", "Fatimah", "Yuliani", "Endang",
          "Kartini", "Suryani", "Lestari", "Rahmawati", "Indah", "Ratna", "Hartini", "Murni", "Nurhayati",
          "Andi", "Puji", "Sumiati", "Rohani", "Halimah", "Ningsih", "Wulandari", "Mariani", "Suminah", "Jumiati")
SECOND = ("Santoso", "Wijaya", "Hidayat", "Saputra", "Pratama", "Lestari", "Rahayu", "Setiawan", "Kurniawan",
          "Purnomo", "Susanto", "Hasanah", "Syahputra", "Nugroho", "Mansyur", "Haryanto", "Utami", "Ramadhan",
          "Wibowo", "Sari", "Maulana", "Yunus", "Baco", "Daeng", "Sembiring", "Firmansyah", "Handayani")
OCCUPATION_WEIGHTS = {
    "petani": 26, "buruh_tani": 10, "nelayan": 9, "peternak": 5, "pedagang_pasar": 8, "pedagang_kaki_lima": 7,
    "tukang_sayur": 4, "tukang_ojek": 6, "sopir": 2, "buruh_harian_lepas": 6, "takmir_marbot": 2,
    "guru_tpa_tpq": 2, "pekerja_sosial_keagamaan": 1, "pegawai_sara": 1, "ketua_rt": 2, "anggota_bhp": 1,
    "petugas_pemilu": 2, "tenaga_non_asn": 2, "aparatur_desa": 2, "pekerja_mandiri": 4,
}
INCOMES = (1_000_000,) * 8 + (1_500_000, 2_000_000)
PHONE_PREFIXES = ("0812", "0813", "0821", "0852", "0857", "0878", "0896", "0838", "0881")
OPD = ("Dinas Sosial", "Dinas Pendidikan", "Dinas Kesehatan", "Sekretariat Daerah", "Dinas Pertanian",
       "Bappeda", "Dinas Perhubungan", "Kecamatan Kota")


def worker_rows(villages: list[str], count: int, rng: random.Random, *, today: dt.date,
                taken_niks: set[str] | None = None) -> Iterator[dict]:
    """Raw worker values as a registry clerk would type them (NIK consistent with the rest)."""
    taken = set(taken_niks or ())
    serials: dict[str, int] = {}
    occupations, weights = zip(*OCCUPATION_WEIGHTS.items())
    for _ in range(count):
        village = rng.choice(villages)
        gender = rng.choice("LP")
        birth = today - dt.timedelta(days=rng.randint(18 * 365, 64 * 365))
        day = birth.day + (40 if gender == "P" else 0)
        # One in twenty got their NIK in another regency of the province and moved here since.
        district = village[:8] if rng.random() > 0.05 else f"{village[:3]}{rng.randint(1, 20):02d}.{rng.randint(1, 9):02d}"
        stem = district.replace(".", "") + f"{day:02d}{birth.month:02d}{birth.year % 100:02d}"
        # The serial (the last four digits) counts the people of one kecamatan born on one day: it
        # started at 0001 for each, and a masked list read "3324********0001" on every row (a
        # masked NIK shows the first and last four digits). Each stem starts at its own number,
        # from its digits, not from ``rng``: the rest of the demo is drawn as before.
        serials.setdefault(stem, zlib.crc32(stem.encode()) % 9000)
        while True:
            serials[stem] += 1
            nik = f"{stem}{serials[stem]:04d}"
            if nik not in taken:
                taken.add(nik)
                break
        first = rng.choice(MALE if gender == "L" else FEMALE)
        yield {
            "nik": nik,
            "name": f"{first} {rng.choice(SECOND)}",
            "birth_place": None,
            "birth_date": birth.isoformat(),
            "gender": gender,
            "phone": f"{rng.choice(PHONE_PREFIXES)}{rng.randint(1000000, 99999999)}",
            "address": f"RT {rng.randint(1, 12):03d}/RW {rng.randint(1, 6):03d}",
            "village_code": village,
            "occupation": rng.choices(occupations, weights)[0],
            "declared_income": rng.choice(INCOMES),
            "poverty_flag": rng.random() < 0.3,
            "wage_earner": False,
        }


def generic_field_value(f: Field, worker: dict, start_month: str, rng: random.Random):
    """A plausible value for a declared field, for schemes that do not provide demo values."""
    if f.default is not None:
        return f.default
    if f.type in ("choice",):
        return rng.choice(f.options)[0]
    if f.type == "multichoice":
        return [f.options[0][0]]
    if f.type == "year":
        return int(start_month[:4])
    if f.type in ("integer", "rupiah"):
        return f.minimum if f.minimum is not None else 1
    if f.type == "date":
        return first_day(start_month).isoformat()
    if f.type == "month":
        return start_month
    if f.type == "bool":
        return False
    if f.type == "village":
        return worker["village_code"]
    return "Contoh"


def _sponsor_values(kind: str, regency: str, villages: list[str], rng: random.Random, n: int,
                    regency_name: str = "", names: dict[str, str] | None = None) -> dict:
    village = rng.choice(villages)
    first = rng.choice(MALE + FEMALE)
    names = names or {}
    if kind == "pemerintah_desa":
        return {"type": kind, "name": f"Pemerintah Desa {names.get(village, village)}", "village_code": village}
    if kind == "pemerintah_kecamatan":
        return {"type": kind, "name": f"Kecamatan {names.get(village[:8], village[:8])}", "district_code": village[:8]}
    if kind == "apbd_kabupaten":
        # "APBD Kabupaten Luwu Utara", not the code "APBD 73.22".
        return {"type": kind, "name": f"APBD {regency_name or regency}", "regency_code": regency}
    if kind == "asn":
        birth = dt.date(rng.randint(1966, 1995), rng.randint(1, 12), rng.randint(1, 28))
        appointed = birth.year + rng.randint(22, 28)
        nip = f"{birth:%Y%m%d}{appointed}{rng.randint(1, 12):02d}{rng.choice('12')}{n % 999 + 1:03d}"
        return {"type": kind, "name": f"{first} {rng.choice(SECOND)}", "nip": nip, "opd": rng.choice(OPD),
                "regency_code": regency}
    names = {"perusahaan": "PT {} Sejahtera", "bank": "Bank {} Daerah", "bumd": "PDAM Tirta {}",
             "organisasi": "Yayasan Peduli {}"}
    if kind in names:
        return {"type": kind, "name": names[kind].format(rng.choice(SECOND)), "regency_code": regency}
    return {"type": kind, "name": f"{first} {rng.choice(SECOND)}", "regency_code": regency}


def generate(app: Payung, db, *, workers: int = 400, seed: int = 2022, today: dt.date | None = None,
             actor: Actor | None = None, progress: Callable[[float, str], None] | None = None) -> dict:
    """Fill the database with demo data: ``workers`` per configured regency. Returns counts.

    Each regency and each scheme draws from its own random stream (seeded by ``seed`` and its
    code): adding a regency or a scheme to config.toml leaves the others' demo data as it was."""
    today = today or clock.today()
    actor = actor or Actor.system("demo")
    report = progress or (lambda fraction, text: None)
    app.initialise(db, actor=actor.username)
    names = village_index(db)
    villages = sorted(names)
    report(0.05, "Membuat data pekerja")
    rows, taken = [], set()
    for regency in sorted(app.settings.regency_codes):
        in_regency = [v for v in villages if v.startswith(regency + ".")]
        if not in_regency:
            continue
        for values in worker_rows(in_regency, workers, random.Random(f"{seed}:{regency}"), today=today,
                                  taken_niks=taken):
            checked = check_worker(values, settings=app.settings, villages=names, today=today)
            if checked.ok and checked.row["nik"] not in taken and not queries.worker_by_nik(db, checked.row["nik"]):
                taken.add(checked.row["nik"])
                rows.append(checked.row)
    columns = tuple(rows[0]) if rows else ()
    store.bulk_insert(db, "workers", columns, [tuple(r.values()) for r in rows], actor=actor.username,
                      note="data contoh")
    counts = {"workers": len(rows), "sponsors": 0, "budget_lines": 0, "sponsorships": 0, "refused": 0,
              "payments": 0}

    this_month = current_month(today)
    schemes = sorted(app.plugins.schemes.values(), key=lambda s: (s.regency_code, s.code))
    for index, scheme in enumerate(schemes):
        rng = random.Random(f"{seed}:{scheme.code}")
        report(0.2 + 0.7 * index / max(len(schemes), 1), f"Mengisi skema {scheme.name}")
        regency_villages = [v for v in villages if v.startswith(scheme.regency_code + ".")]
        candidates = queries.eligible_workers(db, scope=EVERYTHING, region_prefix=scheme.regency_code,
                                              months=[this_month], limit=None)
        rng.shuffle(candidates)
        kinds = scheme.sponsor_types or ("perorangan", "perusahaan", "asn", "organisasi")
        # Civil servants and individuals sponsor one or two workers each; institutions many.
        individual = set(kinds) <= {"asn", "perorangan"}
        wanted = max(3, min(400, len(candidates) // (2 if individual else 15)))
        # Village and district sponsors are where the workers are.
        home_villages = [w["village_code"] for w in candidates] or regency_villages
        region_names = queries.region_names(db)
        sponsors = []
        # Phone numbers from a stream of their own (the rest of the demo data stays as it was):
        # most sponsors have a WhatsApp number, so reminders open WhatsApp; one in six has none.
        phones = random.Random(f"{seed}:{scheme.code}:telepon")
        for n in range(wanted):
            home = app.settings.regency(scheme.regency_code)
            values = _sponsor_values(kinds[n % len(kinds)], scheme.regency_code, home_villages, rng, n,
                                     home.name if home else "", region_names)
            if phones.random() >= 1 / 6:
                values["phone"] = f"{phones.choice(PHONE_PREFIXES)}{phones.randint(10_000_000, 99_999_999)}"
            if any(s["type"] == values["type"] and s["type"] in ("apbd_kabupaten", "pemerintah_desa",
                                                                  "pemerintah_kecamatan")
                   and (s["village_code"], s["district_code"]) == (values.get("village_code"), values.get("district_code"))
                   for s in sponsors):
                continue
            values["name"] = values["name"].replace(values.get("village_code") or "~", names.get(values.get("village_code"), ""))
            try:
                sponsor_id = create_sponsor(db, app.settings, values, actor=actor)
            except ValidationError:
                continue
            sponsors.append(queries.sponsor(db, sponsor_id, EVERYTHING))
        counts["sponsors"] += len(sponsors)
        counts["budget_lines"] += _budget_lines(db, app, scheme, sponsors, this_month, actor)
        target = max(1, int(len(candidates) * 0.6))
        # Sponsors pay as the scheme allows (monthly where it may: the demo's arrears need it),
        # and no sponsorship starts before the scheme did.
        periods = scheme.allowed_periods(app.settings)
        period = 1 if 1 in periods else min(periods, default=1)
        first_month = (scheme.started or "")[:7]
        for worker in candidates[:target]:
            sponsor = _pick_sponsor(sponsors, worker, rng)
            if sponsor is None:
                continue
            start = max(add_months(this_month, -rng.randint(0, 11)), first_month)
            fields_for = scheme.demo or (lambda w, s, month, r: {})
            values = {f.name: generic_field_value(f, worker, start, rng) for f in app.plugins.fields(scheme)}
            values.update(fields_for(worker, sponsor, start, rng) or {})
            try:
                enrol(db, app.plugins, actor=actor, scheme_code=scheme.code, sponsor_id=sponsor["id"],
                      worker_id=worker["id"], start_month=start, months=scheme.default_months, fields=values,
                      payment_period=period)
                counts["sponsorships"] += 1
            except ValidationError:
                counts["refused"] += 1
        # Each month is paid in its time, before it falls due (one not due yet, today): a
        # sponsorship that started months ago and was paid only on the demo's day had its old
        # months past their arrears limit, and the demo showed most workers' cover ended. Most
        # sponsors pay ahead (this month included), some only up to last month, one in five is
        # three months late, and one in twenty stopped six months ago (their workers' cover has
        # ended: the Tunggakan page has something to show).
        due_day = app.settings.due_day_of(scheme.code)
        since = add_months(this_month, -12)
        for n, party in enumerate(bills.parties(db, app.plugins, scheme.code, since, this_month, actor=actor)):
            # Spread evenly, however few a scheme's parties: the third of every twenty stopped.
            luck = 0.0 if n % 20 == 2 else (n * 0.6180339887 + 0.5) % 1
            up_to = add_months(this_month, 0 if luck > 0.45 else -1 if luck > 0.25 else -3 if luck > 0.05 else -6)
            for month in (add_months(since, i) for i in range(13)):
                if month > up_to:
                    break
                paid_on = min(today, due_date(month, due_day) - dt.timedelta(days=rng.randint(1, 10)))
                due = bills.bill(db, app.plugins, scheme_code=scheme.code, party_key=party["party_key"],
                                 from_month=month, to_month=month, today=paid_on, actor=actor).payable
                if due:
                    record_payment(db, app.plugins, scheme_code=scheme.code, party_key=party["party_key"],
                                   amount=due, from_month=month, to_month=month, paid_on=paid_on, actor=actor,
                                   reference=f"TRF-{rng.randint(100000, 999999)}", today=paid_on)
                    counts["payments"] += 1
    report(1.0, "Selesai")
    return counts


def _budget_lines(db, app: Payung, scheme, sponsors: list[dict], this_month: str, actor: Actor) -> int:
    """Budget lines as a regency would plan them, for last year, this year and next: one per
    category of a scheme that budgets by category, one per government sponsor otherwise
    (a village's APBDes, the regency's APBD); donor schemes have none."""
    made = 0
    for year in (int(this_month[:4]) + d for d in (-1, 0, 1)):
        def covering(workers: int) -> int:
            return cost_of_workers(app.settings, workers, start_month=f"{year}-01").total
        if scheme.budget_field:
            for value, label in categories(app.plugins, scheme.code).items():
                create_budget_line(db, app.plugins, {
                    "scheme_code": scheme.code, "year": year, "name": f"APBD {year} - {label}", "source": "APBD",
                    "amount": covering(3_000), "category": value}, actor=actor)
                made += 1
            continue
        for sponsor in sponsors:
            source = {"pemerintah_desa": "APBDes", "apbd_kabupaten": "APBD"}.get(sponsor["type"])
            if source:
                create_budget_line(db, app.plugins, {
                    "scheme_code": scheme.code, "year": year, "name": f"{source} {year} - {sponsor['name']}",
                    "source": source, "amount": covering(40), "sponsor_id": sponsor["id"]}, actor=actor)
                made += 1
    return made


def _pick_sponsor(sponsors: list[dict], worker: dict, rng: random.Random) -> dict | None:
    village_sponsors = [s for s in sponsors if s["type"] == "pemerintah_desa"]
    if village_sponsors:
        own = [s for s in village_sponsors if s["village_code"] == worker["village_code"]]
        others = [s for s in sponsors if s["type"] != "pemerintah_desa"]
        if own:
            return own[0]
        return rng.choice(others) if others else None
    return rng.choice(sponsors) if sponsors else None
