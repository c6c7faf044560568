"""Mesra dengan Mansur: foster parents (orang tua asuh) of vulnerable workers, Kabupaten Pemalang.

Anyone (a person, an official, a company, an organisation) adopts one or more workers from
three pillars: government, business, community. Since 2025 the tobacco-excise share
(DBHCHT) also pays, only for workers aged 55 to 65.
"""

from functools import partial

from payung.plugin import VULNERABLE, Field, Panel, Scheme, format_month, hookimpl, rules

CODE = "pemalang_mesra"
REGENCY = "33.27"
PILLARS = (("pemerintah", "Pemerintah"), ("usaha", "Dunia usaha"), ("masyarakat", "Masyarakat"),
           ("dbhcht", "DBHCHT (cukai hasil tembakau)"))
CATEGORIES = (("pejabat", "Pejabat/ASN"), ("perorangan", "Perorangan"), ("perusahaan", "Perusahaan"),
              ("organisasi", "Organisasi/komunitas"))


def panels(data, month, *, occupations=VULNERABLE):
    ranked = data.by_sponsor(CODE, month=month)
    waiting = data.count_eligible_uncovered(REGENCY, month, occupations)
    shown = format_month(month)
    return [
        Panel(f"Orang tua asuh menurut jumlah pekerja asuh, {shown}", "table", rows=ranked[:20],
              columns={"name": "Orang tua asuh", "workers": "Pekerja asuh"}),
        Panel(f"Pekerja asuh per kecamatan, {shown}", "bar", rows=data.by_worker_region(CODE, 3, month=month),
              x="name", y="workers",
              columns={"name": "Kecamatan", "workers": "Pekerja asuh"}),
        Panel("Daftar tunggu", "metric", rows=[{"label": "Pekerja rentan belum punya orang tua asuh", "value": waiting}],
              caption=f"Pekerja rentan di {data.area_name(REGENCY)} yang memenuhi syarat dan tidak ditanggung skema "
                      f"mana pun pada {shown}."),
    ]


def demo(worker, sponsor, start_month, rng):
    pillar = "dbhcht" if 55 <= int(start_month[:4]) - int(worker["birth_date"][:4]) - 1 <= 64 and rng.random() < 0.5 \
        else {"perusahaan": "usaha", "bank": "usaha", "bumd": "usaha", "asn": "pemerintah"}.get(sponsor["type"], "masyarakat")
    category = {"asn": "pejabat", "perusahaan": "perusahaan", "bank": "perusahaan", "bumd": "perusahaan",
                "organisasi": "organisasi"}.get(sponsor["type"], "perorangan")
    return {"pillar": pillar, "sponsor_category": category, "pledge": 50}


@hookimpl
def register_schemes(settings):
    options = settings.scheme_settings(CODE)
    occupations = tuple(options.get("occupations", VULNERABLE))
    months = tuple(options.get("months", (12, 6)))
    return [Scheme(
        code=CODE,
        name="Mesra dengan Mansur",
        regency_code=REGENCY,
        description="Program orang tua asuh: siapa pun (perorangan, pejabat, perusahaan, organisasi) menanggung "
                    "iuran BPJS Ketenagakerjaan pekerja rentan di Kabupaten Pemalang untuk mencegah kemiskinan baru.",
        legal_basis="Inpres 2/2021; Inpres 4/2022; diluncurkan Plt Bupati Pemalang 19 Desember 2022",
        funding_source="Orang tua asuh (pemerintah, dunia usaha, masyarakat) dan DBHCHT",
        funding_code="SL",
        sponsor_types=("perorangan", "asn", "perusahaan", "bank", "bumd", "organisasi"),
        months=months,
        fields=(
            Field("sponsor_category", "Kategori orang tua asuh", "choice", choices=CATEGORIES, required=True),
            Field("pledge", "Jumlah pekerja yang dijanjikan", "integer", required=True, minimum=1,
                  help="Berapa pekerja rentan yang akan ditanggung orang tua asuh ini."),
            Field("pillar", "Pilar pendanaan", "choice", choices=PILLARS, required=True,
                  help="DBHCHT hanya untuk pekerja berumur 55 sampai 65 tahun."),
        ),
        rules=(
            rules.worker_lives_in_regency(),
            rules.worker_occupation_in(*occupations),
            rules.worker_not_wage_earner(),
            rules.when("pillar", "dbhcht", rules.worker_age_between(55, 65), label="pilar DBHCHT"),
            rules.sponsor_limit("pledge", "janji orang tua asuh"),
        ),
        panels=partial(panels, occupations=occupations),
        demo=demo,
        started="2022-12-19",
    )]
