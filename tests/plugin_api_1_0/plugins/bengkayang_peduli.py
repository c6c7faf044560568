"""Gerakan Bengkayang Peduli Pekerja Rentan, Kabupaten Bengkayang.

Orang tua asuh (people, companies, organisations) pay the contributions of the farmers,
fishermen and market traders of Bengkayang they pledged to cover.
"""

from payung.plugin import Field, Panel, Problem, Rule, Scheme, Target, hookimpl, rules

CODE = "bengkayang_peduli"


def _pledge_kept(e):
    pledged = e.fields.get("pledge", 1)
    if e.data.count_sponsorships(e.scheme.code, sponsor_id=e.sponsor["id"]) >= pledged:
        return Problem("pledge", f"{e.sponsor['name']} sudah menanggung {pledged} pekerja sesuai janjinya.")


pledge_kept = Rule("pledge_kept", "Jumlah pekerja tidak melebihi janji orang tua asuh.", _pledge_kept)


def panels(data, month):
    rows = [{"label": "Pekerja ditanggung", "value": data.count_sponsorships(CODE)}]
    by_sponsor = [{"Orang tua asuh": r["name"], "Pekerja": r["workers"]} for r in data.by_sponsor(CODE)]
    return [Panel("Orang tua asuh Bengkayang", "metric", rows=rows),
            Panel("Per orang tua asuh", "table", rows=by_sponsor)]


@hookimpl
def register_schemes(settings):
    options = settings.scheme_settings(CODE)          # [schemes.bengkayang_peduli] in config.toml
    return [Scheme(
        code=CODE,
        name="Gerakan Bengkayang Peduli Pekerja Rentan",
        regency_code="61.07",
        description="Orang tua asuh menanggung iuran pekerja rentan Bengkayang yang dijanjikannya.",
        legal_basis="Inpres 2/2021",
        funding_source="Orang tua asuh (perorangan, perusahaan, organisasi)",
        funding_code="SL",
        sponsor_types=("perorangan", "perusahaan", "organisasi"),
        months=(12, 6),
        targets=(Target("Pekerja rentan terlindungi", options.get("target", 5000), "terlindungi"),),
        fields=(
            Field("pledge", "Janji jumlah pekerja", "integer", required=True, minimum=1,
                  help="Berapa pekerja yang dijanjikan orang tua asuh ini."),
            Field("pillar", "Pilar", "choice", choices=(("pemerintah", "Pemerintah"), ("usaha", "Dunia usaha"),
                                                         ("masyarakat", "Masyarakat")), default="masyarakat"),
        ),
        rules=(
            rules.worker_lives_in_regency(),
            rules.worker_not_wage_earner(),
            rules.worker_occupation_in("petani", "nelayan", "pedagang_pasar"),
            pledge_kept,
        ),
        panels=panels,
    )]
