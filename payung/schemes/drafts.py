"""The scheme being edited on the Skema page, as data: a declaration (the dict of
``declarative.declaration_of``) changed by small, pure steps (add, remove, move, nest), with what
the form says beside it: each rule's sentence, the copied text that still names the source's
regency, and what a worker costs a month.
"""

from __future__ import annotations

import copy
import inspect
import re

from payung.base import formats
from payung.base.money import contribution
from payung.base.months import current_month
from payung.schemes.declarative import build_rule
from payung.schemes.rules import LIBRARY

#: Words for the field types, as the form offers them.
FIELD_TYPE_WORDS = {
    "text": "Teks",
    "integer": "Bilangan bulat",
    "rupiah": "Rupiah",
    "choice": "Pilihan",
    "multichoice": "Pilihan ganda",
    "date": "Tanggal",
    "month": "Bulan",
    "year": "Tahun",
    "bool": "Ya/tidak",
    "village": "Desa",
}
#: Rules that hold other rules (``rules``): the ones a rule can be nested under.
HOLDERS = ("when",)


def unset(value) -> bool:
    """Whether a field's optional key was left empty in the form: nothing, an empty text or an
    unticked box. A 0 is a value (a minimum of 0), though ``0 == False``."""
    return value is None or value == "" or value is False


def new_field(fields: list[dict]) -> dict:
    """A new text field with a name no other field of the scheme has."""
    names = {f.get("name") for f in fields}
    n = next(i for i in range(1, len(fields) + 2) if f"isian_{i}" not in names)
    return {"name": f"isian_{n}", "label": f"Isian {n}", "type": "text"}


#: Parameter kinds a new rule starts empty (the example's codes are for the docs, not a regency).
CHOSEN_KINDS = ("occupations", "sponsor_types")


def new_rule(name: str, *, blank: bool = False) -> dict:
    """A library rule with its documented example parameters, ready to be edited; ``blank``: the
    codes to choose (occupations, sponsor types) start empty."""
    factory = LIBRARY[name]
    spec = {"rule": name, **copy.deepcopy(factory.example)}
    if blank:
        for key, (_, kind) in factory.labels.items():
            if kind in CHOSEN_KINDS and key in spec:
                spec[key] = []
    return spec


def moved(items: list, index: int, delta: int) -> list:
    """``items`` with the one at ``index`` moved ``delta`` places (kept inside the list)."""
    items = list(items)
    target = max(0, min(len(items) - 1, index + delta))
    items.insert(target, items.pop(index))
    return items


def nested(rules: list[dict], index: int) -> list[dict]:
    """The rule at ``index`` moved into the nearest ``when`` above it (unchanged when none)."""
    holder = next((i for i in range(index - 1, -1, -1) if rules[i].get("rule") in HOLDERS), None)
    if holder is None:
        return rules
    rules = copy.deepcopy(rules)
    rules[holder].setdefault("rules", []).append(rules.pop(index))
    return rules


def unnested(rules: list[dict], holder: int, index: int) -> list[dict]:
    """Rule ``index`` of the ``when`` at ``holder`` taken out, placed just after it."""
    rules = copy.deepcopy(rules)
    inner = rules[holder]["rules"].pop(index)
    rules.insert(holder + 1, inner)
    return rules


def rule_sentence(spec: dict) -> str:
    """What the rule says in plain Indonesian, as it stands now (the Skema page shows it beside
    the rule while it is being edited); an incomplete rule says what is missing."""
    try:
        return build_rule(spec).description
    except Exception as exc:  # noqa: BLE001 - a rule mid-edit; the save check gives the loader's words
        return f"(aturan {spec.get('rule')} belum lengkap: {exc})"


def library_menu() -> dict[str, str]:
    """Each library rule with the sentence of its example, for the "add a rule" choice."""
    return {name: f"{rule_sentence(new_rule(name))} ({name})" for name in LIBRARY}


def parameters(name: str) -> list[tuple[str, inspect.Parameter]]:
    """The parameters of a library rule the form edits (those of the rules it holds apart)."""
    return [(key, p) for key, p in inspect.signature(LIBRARY[name]).parameters.items() if key not in ("rules", "when")]


# Copied text that names the source's regency (point 5) --------------------------------------

TEXT_WORDS = {"name": "Nama", "description": "Uraian", "legal_basis": "Dasar hukum", "funding_source": "Sumber dana"}


def _texts(data: dict):
    for key, word in TEXT_WORDS.items():
        if isinstance(data.get(key), str):
            yield word, data[key]
    for i, target in enumerate(data.get("targets", [])):
        yield f"target {i + 1}", str(target.get("label", ""))
    for f in data.get("fields", []):
        yield f"isian {f.get('name')}", " ".join(str(v) for v in (f.get("label", ""), f.get("help", "")))
        for choice in f.get("choices", []):
            yield f"pilihan isian {f.get('name')}", str(choice[1] if isinstance(choice, list) else choice)
    for i, rule in enumerate(data.get("rules", [])):
        if isinstance(rule.get("label"), str):
            yield f"aturan {i + 1}", rule["label"]


def regency_word(name: str) -> str:
    """``Kabupaten Mempawah`` -> ``Mempawah`` (what a text would say)."""
    return re.sub(r"^(Kabupaten|Kab\.|Kota)\s+", "", name).strip()


def source_mentions(data: dict, settings, source_regency: str | None) -> list[str]:
    """Each text of the new scheme that still names the source's regency (a copy for Bengkayang
    whose description says "di Kabupaten Mempawah"): messages to show before saving."""
    if not source_regency or source_regency == data.get("regency_code"):
        return []
    regency = settings.regency(source_regency)
    if regency is None:
        return []
    word = regency_word(regency.name)
    pattern = re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
    return [
        f'«{where}» masih menyebut {word} (kabupaten skema asal): "{text.strip()[:120]}"'
        for where, text in _texts(data)
        if pattern.search(text)
    ]


# What a worker costs (point 5) -----------------------------------------------------------------


def income_bound(data: dict, settings, year: int) -> tuple[int, str] | None:
    """The highest income the scheme's rules allow (Rupiah, and which rule says it), or None."""
    bounds = []
    regency = settings.regency(data.get("regency_code", ""))
    for spec in data.get("rules", []):
        if spec.get("rule") == "worker_income_at_most" and isinstance(spec.get("limit"), int):
            bounds.append((spec["limit"], "batas penghasilan skema"))
        elif spec.get("rule") == "worker_income_below_umk" and regency and regency.umk_for(year):
            percent = spec.get("percent", 100) if isinstance(spec.get("percent", 100), int) else 100
            bounds.append(
                (
                    regency.umk_for(year) * percent // 100 - 1,
                    f"di bawah {percent}% UMK {regency.name} {year}"
                    if percent != 100
                    else f"di bawah UMK {regency.name} {year}",
                )
            )
    return min(bounds) if bounds else None


def _percent(basis_points: int) -> str:
    return f"{basis_points / 100:g}%".replace(".", ",")


def monthly_costs(data: dict, settings, month: str | None = None) -> list[str]:
    """What one worker costs a month under the scheme's programs, at the lowest declared income
    and at the scheme's income bound; JKK is a percentage of the declared income, so say so."""
    month = month or current_month()
    programs = tuple(p for p in data.get("programs") or ("JKK", "JKM"))
    lines = []
    try:
        lowest = contribution(settings, income=settings.min_income, programs=programs, month=month)
    except Exception:  # noqa: BLE001 - an unknown program: the save check says so
        return []
    rate = next((r for r in reversed(settings.rates) if r.valid_from <= month), settings.rates[0])
    lines.append(
        f"Pada penghasilan terendah Rp {formats.count(settings.min_income)}: "
        f"Rp {formats.count(lowest.total)} per pekerja per bulan ({' + '.join(programs)})."
    )
    bound = income_bound(data, settings, int(month[:4]))
    if bound:
        amount = contribution(settings, income=bound[0], programs=programs, month=month)
        lines.append(
            f"Pada batas penghasilan skema ({bound[1]}, Rp {formats.count(bound[0])}): "
            f"Rp {formats.count(amount.total)} per pekerja per bulan."
        )
    lines.append(
        f"JKK {_percent(rate.jkk_bp)} dari penghasilan yang dilaporkan"
        + (f", JHT {_percent(rate.jht_bp)}" if "JHT" in programs else "")
        + f"; JKM tetap Rp {formats.count(rate.jkm)}."
    )
    return lines
