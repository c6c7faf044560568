"""A small scheme plugin used by the tests: it implements every hook directly."""

from payung.plugin import (
    Contribution, Field, Page, Panel, Problem, Scheme, Target, hookimpl, rules,
)

SCHEME = Scheme(
    code="contoh_desa",
    name="Skema Contoh Desa",
    regency_code="33.24",
    description="Skema kecil untuk pengujian.",
    legal_basis="Peraturan Contoh 1/2025",
    funding_source="APBDes",
    funding_code="SD",
    sponsor_types=("perorangan", "pemerintah_desa"),
    months=(12, 6),
    targets=(Target("Pekerja terlindungi", 100, "pekerja"),),
    rules=(rules.worker_lives_in_regency(),),
)


@hookimpl
def register_schemes(settings):
    return [SCHEME]


@hookimpl
def form_fields(scheme, form, settings):
    if scheme.code != SCHEME.code or form != "sponsorship":
        return None
    return [
        Field("budget_year", "Tahun anggaran", "year", required=True, minimum=2022),
        Field("pillar", "Pilar", "choice", choices=(("desa", "Dana desa"), ("donatur", "Donatur")), default="desa"),
        Field("discount", "Potongan khusus", "bool", help="Potongan Rp1.000 per bulan (uji adjust_contribution)."),
    ]


@hookimpl
def validate_sponsorship(enrolment):
    if enrolment.scheme.code != SCHEME.code:
        return None
    if enrolment.fields.get("pillar") == "donatur" and enrolment.sponsor["type"] != "perorangan":
        return [Problem("pillar", "Pilar donatur hanya untuk penyandang dana perorangan.", "pillar_sponsor")]
    return []


@hookimpl
def adjust_contribution(enrolment, month, contribution):
    if enrolment.scheme.code == SCHEME.code and enrolment.fields.get("discount"):
        return Contribution(jkk=contribution.jkk - 1000, jkm=contribution.jkm, jht=contribution.jht)
    return None


@hookimpl
def dashboard_panels(scheme, data, month):
    if scheme.code != SCHEME.code:
        return None
    count = data.count_sponsorships(SCHEME.code)
    return [Panel("Kepesertaan skema contoh", "metric", rows=[{"label": "Kepesertaan", "value": count}])]


@hookimpl
def register_pages(settings):
    return [Page("Halaman contoh", "contoh-desa-halaman",
                 lambda data: [Panel("Halo", "metric", rows=[{"label": "Skema", "value": 1}])])]
