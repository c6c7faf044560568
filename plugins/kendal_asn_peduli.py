"""Gerakan ASN Peduli Pekerja Rentan, Kabupaten Kendal (SE Bupati 400/4450/2022).

Every civil servant (PNS with a NIP, or non-PNS with an employee number) sets aside part of
the salary for at least one vulnerable worker, by salary deduction or transfer.
"""

from functools import partial

from payung.plugin import (VULNERABLE, Field, Panel, Problem, Rule, Scheme, Target, format_count, format_month,
                           hookimpl, rules)

CODE = "kendal_asn_peduli"
METHODS = (("potong_gaji", "Potong gaji"), ("transfer", "Transfer"))


def _opd_listed(opd_headcount):
    def check(e):
        if e.sponsor["type"] == "asn" and opd_headcount and e.sponsor.get("opd") not in opd_headcount:
            return Problem("sponsor_id", f"OPD \"{e.sponsor.get('opd')}\" tidak ada dalam daftar OPD Kabupaten Kendal "
                                         "(config.toml); periksa penulisan OPD penyandang dana.")
    return Rule("opd_listed", "OPD penyandang dana ada dalam daftar OPD kabupaten.", check)


def panels(data, month, *, opd_headcount, vulnerable, covered_at_start):
    sponsors = data.by_sponsor(CODE, month=month)  # the ASN who pay for a worker in the month shown
    by_opd: dict[str, int] = {}
    for row in sponsors:
        by_opd[row["opd"] or "-"] = by_opd.get(row["opd"] or "-", 0) + 1
    participation = [{"opd": opd, "asn": by_opd.get(opd, 0), "headcount": count,
                      "share": f"{100 * by_opd.get(opd, 0) / count:.1f}%".replace(".", ",") if count else "-"}
                     for opd, count in sorted(opd_headcount.items())]
    # Workers of the month shown, each once: the sponsorships of every sponsor added up counted a
    # renewed worker twice, and a sponsorship whose months had ended for ever.
    registered = data.count_workers(CODE, month=month)
    protected = next((r["workers"] for r in data.covered_by_scheme(month) if r["scheme_code"] == CODE), 0)
    shown = format_month(month)
    # Registered and protected side by side: the Beranda's Terlindungi is the second, the progress
    # below counts the first, and a user could not tell why the two differed.
    movement = [{"label": "Terdaftar (lunas atau belum)", "value": registered},
                {"label": "Terlindungi (iuran lunas)", "value": protected}]
    paid_note = f"Terlindungi: iuran {shown} sudah lunas, seperti angka Terlindungi di Beranda."
    if not data.sees_whole_regency("33.24"):  # a village operator, or a kecamatan or desa chosen: no regency targets
        return [Panel(f"Pekerja di {data.area_name('33.24')} lewat gerakan ASN, {shown}", "metric", rows=movement,
                      caption=paid_note)]
    # The progress counts what the Beranda's bar counts, in its words, each figure said once: it
    # counted "terdaftar" (registered, paid or not) beside the bar's "terlindungi", and said 200.000
    # three times (title, bar, caption).
    return [
        Panel("Pekerja rentan Kendal menuju target", "progress",
              rows=[{"label": f"{format_count(covered_at_start)} sudah terlindungi sebelumnya + "
                              f"{format_count(protected)} terlindungi (lunas {shown})",
                     "value": covered_at_start + protected, "target": vulnerable}],
              caption="Target: perkiraan seluruh pekerja rentan Kabupaten Kendal. Sudah terlindungi sebelumnya: "
                      "sebelum gerakan ASN, angka tetap yang ditetapkan administrator, bukan hitungan Payung. "
                      f"Terlindungi: pekerja gerakan ASN yang iuran {shown} sudah lunas, seperti batang kemajuan dan "
                      "angka Terlindungi di Beranda; yang terdaftar tetapi belum lunas ada di panel berikut."),
        Panel(f"Pekerja gerakan ASN, {shown}", "metric", rows=movement, caption=paid_note),
        Panel(f"Partisipasi ASN per OPD, {shown}", "table", rows=participation,
              columns={"opd": "OPD", "asn": "ASN ikut", "headcount": "Jumlah ASN", "share": "Partisipasi"}),
        Panel(f"ASN ikut serta, {shown}", "metric", rows=[{"label": "ASN penyandang dana", "value": len(sponsors)},
                                                {"label": "Jumlah ASN", "value": sum(opd_headcount.values())}]),
    ]


def demo(worker, sponsor, start_month, rng):
    return {"payment_method": rng.choice(["potong_gaji", "potong_gaji", "transfer"])}


@hookimpl
def register_schemes(settings):
    options = settings.scheme_settings(CODE)
    opd_headcount = {str(k): int(v) for k, v in options.get("opd", {}).items()}
    vulnerable = int(options.get("vulnerable_workers", 200000))
    covered_at_start = int(options.get("covered_at_start", 54000))
    return [Scheme(
        code=CODE,
        name="Gerakan ASN Peduli Pekerja Rentan",
        regency_code="33.24",
        description="Setiap ASN Kabupaten Kendal (PNS dan non-PNS) menyisihkan sebagian gaji untuk menanggung iuran "
                    "paling sedikit satu pekerja rentan.",
        legal_basis="Surat Edaran Bupati Kendal 400/4450/2022 (7 Desember 2022)",
        funding_source="Gaji ASN (potong gaji atau transfer)",
        funding_code="SL",
        sponsor_types=("asn",),
        months=(12, 6),
        # The 54.000 covered before the movement count toward the 200.000: the Beranda adds them.
        targets=(Target("Pekerja rentan Kendal terlindungi", vulnerable, "pekerja_rentan",
                        already_covered=covered_at_start),),
        fields=(Field("payment_method", "Cara bayar", "choice", choices=METHODS, required=True,
                      help="Potong gaji lewat bendahara OPD, atau transfer sendiri."),),
        rules=(
            _opd_listed(opd_headcount),
            rules.worker_lives_in_regency(),
            rules.worker_occupation_in(*tuple(options.get("occupations", VULNERABLE))),
            rules.worker_not_wage_earner(),
        ),
        panels=partial(panels, opd_headcount=opd_headcount, vulnerable=vulnerable, covered_at_start=covered_at_start),
        demo=demo,
        bill_by="opd",
        started="2022-12-07",
    )]
