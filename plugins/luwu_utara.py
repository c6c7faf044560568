"""Perlindungan Pekerja Rentan Luwu Utara.

The regency budget already covers non-ASN staff, village apparatus and pegawai SARA; villages
and districts are asked to budget for the vulnerable farmers, fishermen, breeders and street
vendors of their own area. Progress is reported to the poverty team (TKPK).
"""

from payung.plugin import Field, Panel, Scheme, format_month, hookimpl, rules

CODE = "luwu_utara"
REGENCY = "73.22"
REGENCY_PAID = ("tenaga_non_asn", "aparatur_desa", "pegawai_sara")
AREA_PAID = ("petani", "nelayan", "peternak", "pedagang_kaki_lima")
CATEGORIES = (("apbd", "APBD kabupaten: non-ASN, aparatur desa, pegawai SARA"),
              ("desa", "Anggaran desa/kecamatan: pekerja rentan"))


def panels(data, month):
    # Of the budget year of the month shown: a village that budgeted once, years ago, counted for ever.
    year = int(month[:4])
    budgeted = {r["code"] for r in data.by_worker_region(CODE, 4, {"category": "desa", "budget_year": year})}
    rows = []
    for district in data.districts(REGENCY):
        villages = data.villages(district["code"])
        if not villages:  # none in view (a kecamatan or desa chosen, a village operator's): "0 of 0" said nothing
            continue
        done = sum(v["code"] in budgeted for v in villages)
        rows.append({"district": district["name"], "budgeted": done, "villages": len(villages),
                     "share": f"{round(100 * done / len(villages)) if villages else 0}%"})
    total = sum(r["budgeted"] for r in rows)
    return [
        Panel(f"Desa di {data.area_name(REGENCY)} yang sudah menganggarkan perlindungan (tahun anggaran {year})",
              "metric", rows=[{"label": "Desa menganggarkan", "value": total},
                              {"label": "Jumlah desa/kelurahan", "value": sum(r["villages"] for r in rows)}],
              caption=f"Kepesertaan anggaran desa/kecamatan tahun anggaran {year}, tahun dari bulan yang dipilih "
                      f"({format_month(month)})."),
        Panel(f"Per kecamatan (laporan TKPK), tahun anggaran {year}", "table", rows=rows,
              columns={"district": "Kecamatan", "budgeted": "Desa menganggarkan", "villages": "Jumlah desa",
                       "share": "Persen"}),
    ]


def demo(worker, sponsor, start_month, rng):
    return {"category": "apbd" if sponsor["type"] == "apbd_kabupaten" else "desa",
            "budget_year": int(start_month[:4]), "budget_ref": f"DPA {start_month[:4]}"}


@hookimpl
def register_schemes(settings):
    options = settings.scheme_settings(CODE)
    regency_paid = tuple(options.get("regency_occupations", REGENCY_PAID))
    area_paid = tuple(options.get("area_occupations", AREA_PAID))
    return [Scheme(
        code=CODE,
        name="Perlindungan Pekerja Rentan Luwu Utara",
        regency_code=REGENCY,
        description="Pemkab Luwu Utara menanggung tenaga non-ASN, aparatur desa dan pegawai SARA; pemerintah desa dan "
                    "kecamatan menganggarkan perlindungan petani, nelayan, peternak dan pedagang kaki lima di wilayahnya.",
        legal_basis="Inpres 2/2021; Inpres 4/2022; arahan Wakil Bupati (Ketua TKPK) 7 Desember 2022",
        funding_source="APBD kabupaten; APBDes dan anggaran kecamatan",
        funding_code="SG",
        sponsor_types=("apbd_kabupaten", "pemerintah_desa", "pemerintah_kecamatan"),
        months=(12,),
        fields=(
            Field("category", "Kategori pembiayaan", "choice", choices=CATEGORIES, required=True),
            Field("budget_year", "Tahun anggaran", "year", required=True, minimum=2022),
            Field("budget_ref", "Nomor DPA/APBDes", help="Dokumen anggaran yang memuat kegiatan ini."),
        ),
        rules=(
            rules.worker_lives_in_regency(),
            rules.sponsor_in_scheme_regency(),
            rules.when("category", "apbd", rules.sponsor_type_in("apbd_kabupaten"),
                       rules.worker_occupation_in(*regency_paid), label="kategori APBD kabupaten"),
            rules.when("category", "desa", rules.sponsor_type_in("pemerintah_desa", "pemerintah_kecamatan"),
                       rules.worker_in_sponsor_region(), rules.worker_occupation_in(*area_paid),
                       label="kategori anggaran desa/kecamatan"),
        ),
        panels=panels,
        demo=demo,
        started="2022-12-07",
    )]
