"""Gerakan Perlindungan 1 Desa 100 Pekerja Rentan, Kabupaten Mempawah.

Each village government budgets (RKPDes/APBDes) the contributions of up to its quota of
vulnerable workers of its own village.
"""

from functools import partial

from payung.plugin import Field, Panel, Scheme, Target, format_month, hookimpl, rules

CODE = "mempawah_1desa100"
REGENCY = "61.02"
OCCUPATIONS = ("petani", "nelayan", "pedagang_pasar", "takmir_marbot", "guru_tpa_tpq", "pekerja_sosial_keagamaan",
               "tukang_ojek", "tukang_sayur", "pekerja_mandiri")


def panels(data, month, *, quota):
    year = int(month[:4])
    counts = {r["code"]: r["workers"] for r in data.by_worker_region(CODE, 4, {"budget_year": year})}
    villages = data.villages(REGENCY)
    progress = sorted(({"label": v["name"], "value": counts.get(v["code"], 0), "target": quota}
                       for v in villages if counts.get(v["code"])), key=lambda r: -r["value"])
    zero = [{"name": v["name"], "district": data.region_name(v["code"][:8])} for v in villages if not counts.get(v["code"])]
    area, budget = data.area_name(REGENCY), f"tahun anggaran {year}"
    # The list of villages still missing is empty when none is (or when no village is in view).
    everyone = ("" if not villages else f"Tidak ada: {area} sudah mendaftarkan pekerja untuk {budget}."
                if len(villages) == 1 else
                f"Tidak ada: semua {len(villages)} desa di {area} sudah mendaftarkan pekerja untuk {budget}.")
    return [
        Panel(f"Kemajuan desa di {area} menuju {quota} pekerja ({budget})", "progress", rows=progress,
              caption=f"{len(progress)} dari {len(villages)} desa sudah mendaftarkan pekerja. Menghitung kepesertaan "
                      f"{budget}, tahun dari bulan yang dipilih ({format_month(month)}).",
              empty=f"Belum ada desa di {area} yang mendaftarkan pekerja untuk {budget}." if villages else ""),
        Panel(f"Desa yang belum mendaftarkan pekerja di {area} ({budget})", "table", rows=zero,
              columns={"name": "Desa/kelurahan", "district": "Kecamatan"}, empty=everyone),
    ]


def demo(worker, sponsor, start_month, rng):
    return {"budget_year": int(start_month[:4]), "apbdes_ref": f"RKPDes {start_month[:4]} No. {rng.randint(1, 30)}"}


@hookimpl
def register_schemes(settings):
    options = settings.scheme_settings(CODE)
    quota = int(options.get("village_quota", 100))
    occupations = tuple(options.get("occupations", OCCUPATIONS))
    return [Scheme(
        code=CODE,
        name="Gerakan Perlindungan 1 Desa 100 Pekerja Rentan",
        regency_code=REGENCY,
        description=f"Setiap pemerintah desa di Kabupaten Mempawah menanggung iuran sampai {quota} pekerja rentan "
                    "desanya melalui RKPDes/APBDes (Dana Desa).",
        legal_basis="Inpres 2/2021; Inpres 4/2022; Permendesa PDTT 7/2021 (SDGs Desa); rapat Setda Mempawah 15 Juli 2022",
        funding_source="APBDes / Dana Desa",
        funding_code="SD",
        sponsor_types=("pemerintah_desa",),
        months=(12,),
        targets=(Target(f"{quota} pekerja rentan per desa", quota, "per_desa", per="village"),),
        fields=(
            Field("budget_year", "Tahun anggaran", "year", required=True, minimum=2022),
            Field("apbdes_ref", "Nomor RKPDes/APBDes", "text", required=True,
                  help="Dokumen anggaran desa yang memuat kegiatan perlindungan pekerja rentan."),
            Field("village_quota", "Kuota desa tahun ini", "integer", default=quota, minimum=1,
                  help=f"Jumlah pekerja yang dianggarkan desa (bawaan {quota})."),
        ),
        rules=(
            rules.sponsor_in_scheme_regency(),
            rules.worker_in_sponsor_region(),
            rules.worker_occupation_in(*occupations),
            rules.quota_per_village(quota_field="village_quota", year_field="budget_year"),
        ),
        panels=partial(panels, quota=quota),
        demo=demo,
        started="2022-07-15",
    )]
