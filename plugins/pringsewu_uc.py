"""Universal Coverage Jamsostek, Kabupaten Pringsewu.

The regency budget (APBD) pays per category, each with a target and a budget line: extremely
poor vulnerable workers, RT heads (one per RT of a pekon), BHP members and the ad-hoc
election officers of the KPU, covered only during their term.
"""

from functools import partial

from payung.plugin import Field, Panel, Problem, Rule, Scheme, Target, format_month, hookimpl, rules

CODE = "pringsewu_uc"
REGENCY = "18.10"
CATEGORIES = (("miskin_ekstrem", "Pekerja rentan miskin ekstrem"), ("ketua_rt", "Ketua RT"),
              ("anggota_bhp", "Anggota BHP (Badan Hippun Pemekonan)"), ("petugas_pemilu", "Petugas pemilu ad hoc"))
TARGETS = {"miskin_ekstrem": 3615, "ketua_rt": 1590, "petugas_pemilu": 5254}


def _lives_in_pekon(e):
    if e.fields.get("pekon") and e.worker["village_code"] != e.fields["pekon"]:
        return Problem("pekon", f"{e.worker['name']} tidak berdomisili di pekon {e.data.region_name(e.fields['pekon'])}.")


lives_in_pekon = Rule("lives_in_pekon", "Ketua RT berdomisili di pekon RT-nya.", _lives_in_pekon)


def panels(data, month, *, targets):
    # The month shown: every sponsorship ever registered counted a renewed worker once per year.
    by_category = {r["value"]: r for r in data.by_field(CODE, "category", month=month)}
    shown, area = format_month(month), data.area_name(REGENCY)
    budget: dict[str, dict] = {}
    for line in data.budget_lines(CODE, int(month[:4])):
        row = budget.setdefault(line["category"], {"amount": 0, "committed": 0})
        row["amount"] += line["amount"]
        row["committed"] += line["committed"]
    if not data.sees_whole_regency(REGENCY):  # a village operator, or a place chosen: no regency targets or budgets
        return [Panel(f"Kepesertaan per kategori di {area}, {shown}", "table",
                      rows=[{"category": label, "workers": by_category.get(value, {"workers": 0})["workers"]}
                            for value, label in CATEGORIES],
                      columns={"category": "Kategori", "workers": "Pekerja"})]
    covered, spent = [], []
    for value, label in CATEGORIES:
        if value in targets:
            covered.append({"label": label, "value": by_category.get(value, {"workers": 0})["workers"],
                            "target": targets[value]})
        if value in budget:
            spent.append({"label": label, "value": budget[value]["committed"],
                          "target": budget[value]["amount"]})
    return [Panel(f"Kepesertaan per kategori di {area}, {shown}, dibanding target", "progress", rows=covered,
                  caption=f"Kepesertaan yang berjalan pada {shown}, lunas atau belum."),
            Panel(f"Anggaran tahun {month[:4]} terikat dibanding pagu per kategori", "progress", rows=spent,
                  caption="Pagu dari pos anggaran (halaman Anggaran); terikat = iuran seluruh bulan kepesertaan "
                          "yang didaftarkan pada pos itu.", money=True)]


def demo(worker, sponsor, start_month, rng):
    year = int(start_month[:4])
    if worker["occupation"] == "ketua_rt":
        return {"budget_year": year, "category": "ketua_rt", "pekon": worker["village_code"],
                "rw": rng.randint(1, 9), "rt": rng.randint(1, 30)}
    if worker["occupation"] == "anggota_bhp":
        return {"budget_year": year, "category": "anggota_bhp", "bhp_position": rng.choice(["Ketua", "Anggota"])}
    if worker["occupation"] == "petugas_pemilu":
        return {"budget_year": year, "category": "petugas_pemilu", "election_role": rng.choice(["PPK", "PPS", "KPPS"]),
                "term_start": f"{start_month}-01", "term_end": f"{year + 1}-12-31"}
    return {"budget_year": year, "category": "miskin_ekstrem"}


@hookimpl
def register_schemes(settings):
    options = settings.scheme_settings(CODE)
    targets = {**TARGETS, **options.get("targets", {})}
    labels = dict(CATEGORIES)
    return [Scheme(
        code=CODE,
        name="Universal Coverage Jamsostek Pringsewu",
        regency_code=REGENCY,
        description="APBD Kabupaten Pringsewu menanggung iuran per kategori: pekerja rentan miskin ekstrem, ketua RT, "
                    "anggota BHP, dan petugas ad hoc pemilihan (KPU) selama masa tugasnya.",
        legal_basis="Inpres 2/2021; Inpres 4/2022; APBD Kabupaten Pringsewu 2023-2024",
        funding_source="APBD Kabupaten Pringsewu",
        funding_code="SG",
        sponsor_types=("apbd_kabupaten",),
        months=(12, 6, 4, 3),
        targets=tuple(Target(labels[k], v, k) for k, v in targets.items() if k in labels),
        fields=(
            Field("budget_year", "Tahun anggaran", "year", required=True, minimum=2023),
            Field("category", "Kategori", "choice", choices=CATEGORIES, required=True),
            Field("pekon", "Pekon (untuk ketua RT)", "village"),
            # Numbers, so "001", "1" and an Excel cell 1 are one RT ("one head per RT" counts them once).
            Field("rw", "Nomor RW", "integer", minimum=1, maximum=999),
            Field("rt", "Nomor RT", "integer", minimum=1, maximum=999),
            # A position held over the years, not a document of one year: copied by a renewal.
            Field("bhp_position", "Jabatan di BHP", carry_over=True),
            Field("election_role", "Jabatan petugas pemilu", "choice", choices=("PPK", "PPS", "KPPS"), default="KPPS"),
            Field("term_start", "Awal masa tugas", "date"),
            Field("term_end", "Akhir masa tugas", "date"),
        ),
        rules=(
            rules.sponsor_in_scheme_regency(),
            rules.worker_lives_in_regency(),
            rules.when("category", "miskin_ekstrem", rules.worker_has_poverty_flag(), label="kategori miskin ekstrem"),
            rules.when("category", "ketua_rt", rules.field_required("pekon", "Pekon"),
                       rules.field_required("rw", "Nomor RW"), rules.field_required("rt", "Nomor RT"),
                       lives_in_pekon, rules.unique_among_live("budget_year", "pekon", "rw", "rt", label="RT"),
                       label="kategori ketua RT"),
            rules.when("category", "anggota_bhp", rules.field_required("bhp_position", "Jabatan di BHP"),
                       label="kategori anggota BHP"),
            rules.when("category", "petugas_pemilu", rules.field_required("term_start", "Awal masa tugas"),
                       rules.field_required("term_end", "Akhir masa tugas"),
                       rules.months_within("term_start", "term_end", "masa tugas"), label="kategori petugas pemilu"),
        ),
        panels=partial(panels, targets=targets),
        demo=demo,
        bill_by="budget_line",
        budget_field="category",
        started="2023-01-01",
    )]
