"""Generic dashboard panels any scheme can show by name (a TOML scheme's ``panels = [...]``),
read through the ``DataReader`` like a plugin's own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from payung.base.months import format_month
from payung.schemes.model import Panel, Scheme


def by_sponsor(scheme: Scheme, data, month: str) -> list[Panel]:
    rows = data.by_sponsor(scheme.code, month=month)
    return [Panel(f"Penyandang dana menurut jumlah pekerja, {format_month(month)}", "table", rows=rows[:20],
                  columns={"name": "Penyandang dana", "workers": "Pekerja"},
                  caption=f"{len(rows)} penyandang dana menanggung pekerja skema ini pada {format_month(month)}.")]


def by_district(scheme: Scheme, data, month: str) -> list[Panel]:
    return [Panel(f"Pekerja per kecamatan, {format_month(month)}", "bar",
                  rows=data.by_worker_region(scheme.code, 3, month=month), x="name", y="workers",
                  columns={"name": "Kecamatan", "workers": "Pekerja"})]


def by_village(scheme: Scheme, data, month: str) -> list[Panel]:
    rows = sorted(data.by_worker_region(scheme.code, 4, month=month), key=lambda r: -r["workers"])
    return [Panel(f"Pekerja per desa/kelurahan, {format_month(month)}", "table", rows=rows, columns={"name": "Desa/kelurahan", "workers": "Pekerja"})]


def targets(scheme: Scheme, data, month: str) -> list[Panel]:
    """The workers of the month's sponsorships against each target: the regency's figure, or each village's."""
    total = data.count_workers(scheme.code, month=month)  # each worker once, of the month shown
    rows, per_village = [], []
    counts = {r["code"]: r["workers"] for r in data.by_worker_region(scheme.code, 4, month=month)} if any(
        t.per == "village" for t in scheme.targets) else {}
    for target in scheme.targets:
        if target.per == "village":
            names = {v["code"]: v["name"] for v in data.villages(scheme.regency_code)}
            per_village.extend({"label": f"{names.get(code, code)}: {target.label}", "value": count,
                                "target": target.value} for code, count in counts.items())
        elif data.sees_whole_regency(scheme.regency_code):  # a regency target beside regency figures only
            rows.append({"label": target.label, "value": total, "target": target.value})
    caption = (f"Menghitung kepesertaan yang berjalan pada {format_month(month)} (terdaftar, lunas atau belum). Angka "
               "Terlindungi di Beranda hanya menghitung pekerja yang iuran bulan itu sudah lunas, jadi bisa lebih kecil.")
    panels = [Panel("Kemajuan menuju target", "progress", rows=rows, caption=caption)] \
        if rows else []
    if per_village:
        panels.append(Panel("Kemajuan desa menuju target", "progress",
                            rows=sorted(per_village, key=lambda r: -r["value"]), caption=caption))
    return panels


#: name -> (what it shows, function)
STANDARD_PANELS: dict[str, tuple[str, Callable[[Scheme, object, str], list[Panel]]]] = {
    "by_sponsor": ("Penyandang dana menurut jumlah pekerja", by_sponsor),
    "by_district": ("Pekerja per kecamatan", by_district),
    "by_village": ("Pekerja per desa/kelurahan", by_village),
    "targets": ("Kemajuan menuju target", targets),
}


@dataclass(frozen=True)
class StandardPanels:
    """``Scheme.panels`` made of standard panels; it knows its scheme when called."""

    names: tuple[str, ...]
    scheme: Scheme | None = None

    def __call__(self, data, month: str) -> list[Panel]:
        return [p for name in self.names for p in STANDARD_PANELS[name][1](self.scheme, data, month)]
