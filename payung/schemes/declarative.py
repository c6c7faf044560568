"""Schemes declared in TOML: a file in the plugin folder that describes a scheme as data
(metadata, fields, rules from ``payung.schemes.rules.LIBRARY``, targets, standard panels).

``load_scheme(text, settings)`` turns such a file into the same ``Scheme`` a Python plugin
returns, or raises ``DeclarationError`` saying, for every mistake, the line and what is wrong.
``declaration_of(scheme)`` goes the other way (to copy a scheme in the scheme editor), and ``dumps`` writes it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import os
import stat
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from payung.base.errors import PayungError
from payung.base.formats import count
from payung.base.money import PROGRAMS
from payung.base.months import parse_month
from payung.base.sponsor_types import SPONSOR_TYPES
from payung.schemes.fields import FIELD_TYPES, Field, validate_fields
from payung.schemes.hookspecs import hookimpl
from payung.schemes.model import BILL_BY, MAX_MONTHS, Rule, Scheme, Target, code_problem
from payung.schemes.rules import LIBRARY
from payung.schemes.standard_panels import STANDARD_PANELS, StandardPanels

#: Top-level keys of a scheme file and the type of their value.
SCHEME_KEYS: dict[str, str] = {
    "code": "str", "name": "str", "regency_code": "str", "description": "str", "legal_basis": "str",
    "funding_source": "str", "funding_code": "str", "sponsor_types": "list[str]", "programs": "list[str]",
    "months": "list[int]", "payment_periods": "list[int]", "bill_by": "str", "budget_field": "str",
    "started": "str", "panels": "list[str]", "targets": "tables", "fields": "tables", "rules": "tables",
    "demo": "table",
}
REQUIRED = ("code", "name", "regency_code")
FIELD_KEYS = ("name", "label", "type", "choices", "required", "help", "default", "minimum", "maximum", "carry_over")
TARGET_KEYS = ("label", "value", "key", "per", "already_covered")
#: What a ``[[targets]]`` or ``[[fields]]`` table means when it does not say a key: a file written
#: back (``editing.render_toml``) says them only where the file or the user did.
TABLE_DEFAULTS: dict[str, dict[str, Any]] = {
    "targets": {"key": "", "per": "regency", "already_covered": 0},
    "fields": {"type": "text", "required": False, "help": ""},
}
TARGET_PER = ("regency", "village")
#: Rule parameters whose values must name something known.
FIELD_PARAMS = ("quota_field", "year_field", "field", "start_field", "end_field", "keys", "name")
KIND_WORDS = {"str": "teks", "int": "bilangan bulat", "bool": "true/false", "list[str]": "daftar teks",
              "list[int]": "daftar bilangan bulat", "tables": "daftar tabel ([[...]])", "table": "tabel"}
#: A scheme file is a few kilobytes; a larger one is not read at all.
MAX_FILE_BYTES = 256 * 1024
#: Tables and lists inside each other (a ``when`` inside a ``when``...): deeper is refused
#: before anything walks it.
MAX_DEPTH = 12
#: Rules inside ``when`` rules inside ``when`` rules...
MAX_RULE_DEPTH = 4
#: A field's name: a key of the stored JSON and of the form's widgets.
FIELD_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class DeclarationError(PayungError):
    """A scheme file that cannot be loaded: ``problems`` are ``(line, message)`` pairs."""

    def __init__(self, source: str, problems: list[tuple[int | None, str]]):
        self.source, self.problems = source, problems
        where = Path(source).name if source else "skema TOML"
        super().__init__("; ".join(f"{where}" + (f" baris {line}" if line else "") + f": {message}"
                                   for line, message in problems))


# Where a key is in the text ------------------------------------------------------------------

def _header(line: str) -> str | None:
    """The name of a table header line (``[fields]``, ``[[rules.rules]]``, with spaces and a
    comment allowed), else None. Read character by character, in time linear in the line: a
    regular expression here backtracked for minutes on ``[`` and a few thousand spaces."""
    text = line.strip()
    if not text.startswith("["):
        return None
    close = text.find("]")
    if close < 0:
        return None
    after = text[close + 2:] if text.startswith("]]", close) else text[close + 1:]
    if after.strip() and not after.lstrip().startswith("#"):
        return None
    name = text[2 if text.startswith("[[") else 1:close].strip()
    if not name or not all(c in _HEADER_CHARS or c.isspace() for c in name):
        return None
    return name


_HEADER_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.")


def _assigns(line: str, key: str) -> bool:
    """Whether ``line`` sets ``key`` (``key = ...`` or ``"key" = ...``, leading spaces allowed)."""
    text = line.lstrip()
    for name in (key, f'"{key}"'):
        if text.startswith(name) and text[len(name):].lstrip().startswith("="):
            return True
    return False


def _names_key(line: str, key: str) -> bool:
    """Whether ``key`` is set anywhere on ``line`` (inline tables: ``{rule = "x", key = 1}``)."""
    at = line.find(key)
    while at >= 0:
        before = line[at - 1] if at else " "
        after = at + len(key)
        while after < len(line) and line[after].isspace():  # runs after different keys never overlap
            after += 1
        if not (before.isalnum() or before == "_") and line.startswith("=", after):
            return True
        at = line.find(key, at + 1)
    return False


def line_of(text: str, path: tuple = (), key: str | None = None) -> int | None:
    """The line (1-based) of ``key`` inside the table at ``path`` (``("rules", 2, "rules", 0)``
    is the first ``[[rules.rules]]`` of the third ``[[rules]]``), found by scanning the text;
    the table's header line when the key is not found there, None when nothing is. Linear in
    the text: no regular expression that can backtrack reads it."""
    lines = text.splitlines()
    headers = [_header(line) for line in lines]
    start, end, prefix = 0, len(lines), ""
    steps = list(zip(path[::2], path[1::2]))
    for name, index in steps:
        prefix = f"{prefix}.{name}" if prefix else name
        hits = [i for i in range(start, end) if headers[i] == prefix]
        if index >= len(hits):
            return start + 1 if steps and start else None
        start = hits[index]
        following = [i for i in range(start + 1, end) if headers[i] is not None
                     and not headers[i].startswith(prefix + ".")]
        end = following[0] if following else end
    if key is None:
        return start + 1 if steps else None
    if steps and not any(h is not None for h in headers):
        # Inline tables (``rules = [{rule = "..."}]``): the first line naming the key.
        return next((i + 1 for i, line in enumerate(lines) if _names_key(line, key)), None)
    for i in range(start + (1 if steps else 0), end):
        if headers[i] is not None and (not steps or headers[i].startswith(prefix + ".")):
            break  # a (nested) table starts: the key was not in this one
        if _assigns(lines[i], key):
            return i + 1
    return start + 1 if steps else None


# Checking ------------------------------------------------------------------------------------

def _kind_ok(kind: str, value) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind.startswith("list["):
        return isinstance(value, list) and all(_kind_ok(kind[5:-1], v) for v in value)
    if kind == "tables":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    if kind == "table":
        return isinstance(value, dict)
    return True


def _scalar(value, *, booleans: bool = True) -> bool:
    """One plain value (text, whole number, or true/false when ``booleans``), not a list or table."""
    if isinstance(value, bool):
        return booleans
    return isinstance(value, (str, int))


def _iso_date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _iso_month(value) -> str | None:
    try:
        return value if isinstance(value, str) and len(value) == 7 and parse_month(value) == value else None
    except ValueError:
        return None


_TYPE_WORDS = {"text": "teks", "integer": "bilangan bulat", "rupiah": "Rupiah", "year": "tahun", "choice": "pilihan",
               "multichoice": "pilihan ganda", "date": "tanggal", "month": "bulan", "bool": "ya/tidak",
               "village": "desa"}
_BOUND_WORDS = {"integer": "bilangan bulat", "rupiah": "bilangan bulat", "year": "bilangan bulat (tahun)",
                "date": "tanggal \"YYYY-MM-DD\"", "month": "bulan \"YYYY-MM\""}
_VALUE_WORDS = {**_BOUND_WORDS, "text": "teks", "choice": "salah satu nilai «choices»",
                "multichoice": "daftar nilai «choices»", "bool": "true atau false", "village": "kode desa (teks)"}


#: The largest whole number a form's number box holds exactly (a browser's, 2^53 - 1): a field's
#: bound or default beyond it made the enrolment page of the scheme fail for everyone.
LARGEST_WHOLE = 2**53 - 1


def _bound_of(kind: str, value):
    """A field's ``minimum``/``maximum`` as a comparable value of the field's type, or None
    when it is not one (or the type takes no bounds)."""
    if kind in ("integer", "rupiah", "year"):
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind == "date":
        return _iso_date(value)
    if kind == "month":
        return _iso_month(value)
    return None


def _value_ok(kind: str, value) -> bool:
    """Whether ``value`` has the Python type a field of ``kind`` holds (not whether it is allowed)."""
    if kind in ("integer", "rupiah", "year", "date", "month"):
        return _bound_of(kind, value) is not None
    if kind in ("text", "village"):
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "choice":
        return _scalar(value, booleans=False)
    if kind == "multichoice":
        return isinstance(value, list) and all(_scalar(v, booleans=False) for v in value)
    return False


def _depth(value) -> int:
    """How deeply tables and lists nest in ``value`` (without recursion: any depth is measured)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def _param_kind(parameter: inspect.Parameter) -> str:
    """The TOML kind of a rule factory's parameter, from its annotation."""
    annotation = str(parameter.annotation)
    if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
        return "tables" if annotation == "Rule" else f"list[{annotation}]" if annotation in ("str", "int") else "list"
    if annotation.startswith("tuple"):
        return "pair"
    return annotation if annotation in ("str", "int") else "any"


@dataclass
class _Checker:
    text: str
    settings: Any
    problems: list

    def add(self, path: tuple, key: str | None, message: str) -> None:
        self.problems.append((line_of(self.text, path, key), message))

    def rule(self, spec: dict, path: tuple, field_names: set[str]) -> None:
        if len(path) > 2 * MAX_RULE_DEPTH:
            self.add(path, None, f"aturan bersarang terlalu dalam (paling banyak {MAX_RULE_DEPTH} tingkat «when»)")
            return
        name = spec.get("rule")
        if not isinstance(name, str):
            self.add(path, None, "aturan tanpa kunci «rule» (nama aturan dari pustaka aturan)")
            return
        factory = LIBRARY.get(name)
        if factory is None:
            self.add(path, "rule", f"aturan \"{name}\" tidak dikenal; pilih salah satu dari: {', '.join(LIBRARY)}")
            return
        parameters = inspect.signature(factory).parameters
        for key, value in spec.items():
            if key == "rule":
                continue
            if key not in parameters:
                known = ", ".join(parameters) or "(tanpa parameter)"
                self.add(path, key, f"aturan {name} tidak mengenal parameter \"{key}\"; parameternya: {known}")
                continue
            kind = _param_kind(parameters[key])
            if kind == "pair":
                if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
                        and _scalar(value[1])):
                    self.add(path, key, f"parameter {key} aturan {name} harus [\"nama isian\", nilai]")
                elif value[0] not in field_names:
                    self.add(path, key, f"parameter {key} aturan {name}: isian \"{value[0]}\" tidak ada di [[fields]]")
                continue
            if kind == "any" and not _scalar(value):
                self.add(path, key, f"parameter {key} aturan {name} harus satu nilai (teks, bilangan atau true/false)")
                continue
            if kind != "any" and not (isinstance(value, list) if kind == "list" else _kind_ok(kind, value)):
                self.add(path, key, f"parameter {key} aturan {name} harus {KIND_WORDS.get(kind, kind)}")
                continue
            if kind == "tables":
                for index, inner in enumerate(value):
                    self.rule(inner, path + (key, index), field_names)
                continue
            values = value if isinstance(value, list) else [value]
            if key in factory.choices:
                unknown = [v for v in values if v not in factory.choices[key]]
                if unknown:
                    self.add(path, key, f"parameter {key} aturan {name} harus salah satu dari: "
                                        f"{', '.join(factory.choices[key])} (bukan {', '.join(map(str, unknown))})")
            elif key == "programs":
                unknown = [v for v in values if v not in PROGRAMS]
                if unknown:
                    self.add(path, key, f"program tidak dikenal: {', '.join(map(str, unknown))}; "
                                        f"pilih dari: {', '.join(PROGRAMS)}")
            elif key == "codes":
                unknown = [v for v in values if v not in self.settings.occupations]
                if unknown:
                    self.add(path, key, f"pekerjaan tidak dikenal: {', '.join(map(str, unknown))}")
            elif key == "types":
                unknown = [v for v in values if v not in SPONSOR_TYPES]
                if unknown:
                    self.add(path, key, f"jenis penyandang dana tidak dikenal: {', '.join(map(str, unknown))}")
            elif key in FIELD_PARAMS:
                unknown = [v for v in values if v not in field_names]
                if unknown:
                    self.add(path, key, f"isian tidak ada di [[fields]]: {', '.join(map(str, unknown))}")
        for key, parameter in parameters.items():
            if parameter.default is inspect.Parameter.empty and parameter.kind is not inspect.Parameter.VAR_POSITIONAL \
                    and key not in spec:
                self.add(path, "rule", f"aturan {name} memerlukan parameter \"{key}\"")

    def field(self, spec: dict, path: tuple) -> None:
        """Every key of a field, with the type its value must have for the field's type: a text
        ``minimum`` on a whole-number field or a list as a choice value would load and break an
        enrolment or a page later."""
        for key in spec:
            if key not in FIELD_KEYS:
                self.add(path, key, f"isian tidak mengenal kunci \"{key}\"; kuncinya: {', '.join(FIELD_KEYS)}")
        for key in ("name", "label"):
            if not isinstance(spec.get(key), str) or not spec.get(key).strip():
                self.add(path, key if key in spec else None, f"isian memerlukan «{key}» (teks)")
        name = spec.get("name")
        if isinstance(name, str) and name and not (set(name) <= FIELD_NAME_CHARS and len(name) <= 60):
            self.add(path, "name", f"«name» isian \"{name[:60]}\" hanya boleh huruf, angka dan garis bawah")
        kind = spec.get("type", "text")
        if not isinstance(kind, str):
            self.add(path, "type", "«type» isian harus teks")
            return
        if kind not in FIELD_TYPES:
            self.add(path, "type", f"jenis isian \"{kind}\" tidak dikenal; pilih salah satu dari: {', '.join(FIELD_TYPES)}")
            return
        if kind in ("choice", "multichoice") and not spec.get("choices"):
            self.add(path, "type", f"isian {kind} memerlukan «choices»")
        choices = spec.get("choices", [])
        if not isinstance(choices, list) or not all(
                _scalar(c, booleans=False) or (isinstance(c, list) and len(c) == 2 and _scalar(c[0], booleans=False)
                                               and isinstance(c[1], str)) for c in choices):
            self.add(path, "choices", "«choices» harus daftar nilai (teks atau bilangan), atau daftar pasangan "
                                      "[nilai, \"label\"]")
            return
        for key, words in (("required", "true atau false"), ("help", "teks"), ("carry_over", "true atau false")):
            if key in spec and not _kind_ok("str" if key == "help" else "bool", spec[key]):
                self.add(path, key, f"«{key}» harus {words}")
        bounds = {}
        for key in ("minimum", "maximum"):
            if key not in spec:
                continue
            bound = _bound_of(kind, spec[key])
            if bound is None:
                self.add(path, key, f"«{key}» isian {_TYPE_WORDS[kind]} " + (
                    f"harus {_BOUND_WORDS[kind]}" if kind in _BOUND_WORDS else "tidak dipakai; hapus kunci ini"))
            else:
                bounds[key] = bound
        if len(bounds) == 2 and bounds["minimum"] > bounds["maximum"]:
            self.add(path, "minimum", "«minimum» lebih besar dari «maximum»")
        for key in ("minimum", "maximum", "default"):
            number = spec.get(key)
            if kind in _BOUND_WORDS and isinstance(number, int) and not isinstance(number, bool) \
                    and abs(number) > LARGEST_WHOLE:
                self.add(path, key, f"«{key}» isian terlalu besar; paling besar {count(LARGEST_WHOLE)} "
                                    f"(atau -{count(LARGEST_WHOLE)})")
        if spec.get("default") is not None and isinstance(name, str):
            self.value(spec, path, "default", spec["default"], "nilai bawaan «default»")

    def value(self, spec: dict, path: tuple, key: str, value, what: str) -> None:
        """A value given for a field (its ``default``, a ``[demo]`` value): of the field's type,
        and one the field accepts."""
        kind = spec.get("type", "text")
        if not _value_ok(kind, value):
            self.add(path, key, f"{what} harus {_VALUE_WORDS[kind]}")
            return
        try:
            _, wrong = validate_fields([_field(spec)], {spec["name"]: value})
        except (ValueError, TypeError, KeyError):
            return  # the field itself is wrong, reported where it is checked
        for problem in wrong:
            self.add(path, key, f"{what} tidak berlaku: {problem.message}")

    def target(self, spec: dict, path: tuple) -> None:
        for key in spec:
            if key not in TARGET_KEYS:
                self.add(path, key, f"target tidak mengenal kunci \"{key}\"; kuncinya: {', '.join(TARGET_KEYS)}")
        if not isinstance(spec.get("label"), str):
            self.add(path, "label" if "label" in spec else None, "target memerlukan «label» (teks)")
        if not _kind_ok("int", spec.get("value")) or spec.get("value", 0) < 0:
            self.add(path, "value" if "value" in spec else None, "target memerlukan «value» (bilangan bulat, 0 atau lebih)")
        if "key" in spec and not isinstance(spec["key"], str):
            self.add(path, "key", "«key» target harus teks")
        if not isinstance(spec.get("per", "regency"), str) or spec.get("per", "regency") not in TARGET_PER:
            self.add(path, "per", f"«per» target harus salah satu dari: {', '.join(TARGET_PER)}")
        if "already_covered" in spec and (not _kind_ok("int", spec["already_covered"]) or spec["already_covered"] < 0):
            self.add(path, "already_covered", "«already_covered» target harus bilangan bulat, 0 atau lebih")
        elif spec.get("already_covered") and spec.get("per") == "village":
            self.add(path, "already_covered", "«already_covered» hanya untuk target se-kabupaten (per = \"regency\"): "
                                              "target per desa tidak menghitungnya")


def check_declaration(data: Mapping, settings, text: str = "") -> list[tuple[int | None, str]]:
    """Every mistake in a scheme declaration, as ``(line, message)`` (line None without text)."""
    checker = _Checker(text, settings, [])
    add = checker.add
    for key, value in data.items():
        if key not in SCHEME_KEYS:
            add((), key, f"kunci \"{key}\" tidak dikenal; kuncinya: {', '.join(SCHEME_KEYS)}")
        elif not _kind_ok(SCHEME_KEYS[key], value):
            add((), key, f"«{key}» harus {KIND_WORDS[SCHEME_KEYS[key]]}")
    for key in REQUIRED:
        if key not in data:
            add((), None, f"kunci «{key}» wajib ada")
    if checker.problems:
        return checker.problems
    if problem := code_problem(data["code"]):
        add((), "code", problem)
    if data["regency_code"] not in settings.regency_codes:
        add((), "regency_code", f"kabupaten {data['regency_code']} tidak ada di config.toml ([[regencies]]); "
                                f"yang ada: {', '.join(settings.regency_codes)}")
    for key, known, words in (("sponsor_types", SPONSOR_TYPES, "jenis penyandang dana"),
                              ("programs", PROGRAMS, "program"), ("panels", STANDARD_PANELS, "panel standar")):
        unknown = [v for v in data.get(key, []) if v not in known]
        if unknown:
            add((), key, f"{words} tidak dikenal: {', '.join(unknown)}; pilih dari: {', '.join(known)}")
    if "funding_code" in data and data["funding_code"] not in settings.funding_codes:
        add((), "funding_code", f"kode sumber dana \"{data['funding_code']}\" tidak ada di [funding_codes]")
    if "bill_by" in data and data["bill_by"] not in BILL_BY:
        add((), "bill_by", f"bill_by \"{data['bill_by']}\" harus salah satu dari: {', '.join(BILL_BY)}")
    if any(m < 1 for m in data.get("months", [1])) or data.get("months") == []:
        add((), "months", "«months» harus berisi bilangan bulan positif")
    elif any(m > MAX_MONTHS for m in data.get("months", [])):
        add((), "months", f"«months» paling lama {MAX_MONTHS} bulan")
    if any(p < 1 or p > MAX_MONTHS for p in data.get("payment_periods", [])):
        add((), "payment_periods", f"«payment_periods» harus berisi bilangan bulan 1-{MAX_MONTHS}")
    if "started" in data and not (_iso_date(data["started"]) or _iso_month(data["started"])):
        add((), "started", f"«started» harus tanggal \"YYYY-MM-DD\" (atau bulan \"YYYY-MM\"), bukan \"{data['started'][:40]}\"")
    fields = data.get("fields", [])
    for index, spec in enumerate(fields):
        checker.field(spec, ("fields", index))
    names: dict[str, dict] = {}
    for index, spec in enumerate(fields):
        name = spec.get("name")
        if isinstance(name, str):
            if name in names:
                add(("fields", index), "name", f"isian \"{name}\" dinyatakan dua kali")
            names.setdefault(name, spec)
    if data.get("budget_field") and data["budget_field"] not in names:
        add((), "budget_field", f"budget_field \"{data['budget_field']}\" tidak ada di [[fields]]")
    for index, spec in enumerate(data.get("targets", [])):
        checker.target(spec, ("targets", index))
    for index, spec in enumerate(data.get("rules", [])):
        checker.rule(spec, ("rules", index), set(names))
    unknown = [k for k in data.get("demo", {}) if k not in names]
    if unknown:
        add((), "demo", f"[demo] memuat isian yang tidak ada di [[fields]]: {', '.join(unknown)}")
    for name, value in data.get("demo", {}).items():
        if name in names and isinstance(names[name].get("type", "text"), str) \
                and names[name].get("type", "text") in FIELD_TYPES:
            checker.value(names[name], ("demo",), name, value, f"[demo] {name}")
    return checker.problems


# Building ------------------------------------------------------------------------------------

def build_rule(spec: Mapping) -> Rule:
    """The library rule a ``{rule = "...", ...}`` table names, with its parameters."""
    factory = LIBRARY[spec["rule"]]
    args, kwargs = [], {}
    for name, parameter in inspect.signature(factory).parameters.items():
        if name not in spec:
            continue
        value = spec[name]
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            args.extend(build_rule(v) for v in value) if _param_kind(parameter) == "tables" else args.extend(value)
        elif parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[name] = tuple(value) if isinstance(value, list) else value
        else:
            args.append(value)
    return factory(*args, **kwargs)


def _known(spec: Mapping, keys) -> dict:
    return {key: spec[key] for key in keys if key in spec}


def _field(spec: Mapping) -> Field:
    choices = tuple(tuple(c) if isinstance(c, list) else c for c in spec.get("choices", ()))
    return Field(spec["name"], spec["label"], choices=choices,
                 **(TABLE_DEFAULTS["fields"] | _known(spec, [k for k in FIELD_KEYS[2:] if k != "choices"])))


def scheme_from(data: Mapping) -> Scheme:
    """A checked declaration as a ``Scheme``."""
    demo = dict(data.get("demo", {}))
    scheme = Scheme(
        code=data["code"], name=data["name"], regency_code=data["regency_code"],
        description=data.get("description", ""), legal_basis=data.get("legal_basis", ""),
        funding_source=data.get("funding_source", ""), funding_code=data.get("funding_code", "SG"),
        sponsor_types=tuple(data.get("sponsor_types", ())), programs=tuple(data.get("programs", ("JKK", "JKM"))),
        months=tuple(data.get("months", (12,))), payment_periods=tuple(data.get("payment_periods", ())),
        targets=tuple(Target(t["label"], t["value"], **(TABLE_DEFAULTS["targets"] | _known(t, TARGET_KEYS[2:])))
                      for t in data.get("targets", ())),
        fields=tuple(_field(f) for f in data.get("fields", ())),
        rules=tuple(build_rule(r) for r in data.get("rules", ())),
        demo=DemoValues(demo) if demo else None,
        bill_by=data.get("bill_by", "sponsor"), budget_field=data.get("budget_field"),
        started=data.get("started", ""),
    )
    if data.get("panels"):
        scheme = dataclasses.replace(scheme, panels=StandardPanels(tuple(data["panels"]), scheme))
    return scheme


def load_scheme(text: str, settings, *, source: str = "") -> Scheme:
    """The scheme a TOML text declares, or ``DeclarationError`` with every mistake and its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        message = str(exc).split(" (at line ", 1)[0]
        line = int(found.group(1)) if found else None
        raise DeclarationError(source, [(line, f"penulisan TOML salah: {message}"
                                               + (f" (kolom {found.group(2)})" if found else ""))]) from None
    except RecursionError:
        data = None
    if data is None or _depth(data) > MAX_DEPTH:
        raise DeclarationError(source, [(None, f"tabel dan daftar bersarang terlalu dalam (paling banyak {MAX_DEPTH} "
                                               "tingkat); ini bukan berkas skema yang wajar")])
    problems = check_declaration(data, settings, text)
    if problems:
        raise DeclarationError(source, problems)
    try:
        return scheme_from(data)
    except (ValueError, TypeError, KeyError) as exc:
        raise DeclarationError(source, [(None, str(exc))]) from None


def read_file(path: Path) -> str:
    """The text of a scheme file, or ``DeclarationError`` saying why it cannot be read: not a
    regular file (a folder named ``x.toml``, a pipe), larger than ``MAX_FILE_BYTES``, not UTF-8.
    Never more than the limit plus one byte is read."""
    def refuse(message: str) -> DeclarationError:
        return DeclarationError(str(path), [(None, message)])
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise refuse("bukan berkas biasa (folder atau perangkat?); hapus atau ganti namanya")
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise refuse(f"tidak dapat dibaca ({exc.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise refuse(f"berkas terlalu besar (lebih dari {MAX_FILE_BYTES // 1024} KB); berkas skema hanya beberapa KB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise DeclarationError(str(path), [(line, "bukan teks UTF-8 (mungkin disimpan sebagai Windows-1252/ANSI); "
                                                  "simpan ulang berkas ini sebagai UTF-8")]) from None


class DemoValues(dict):
    """``Scheme.demo`` of a TOML scheme: the same field values for every demo sponsorship."""

    def __call__(self, worker, sponsor, start_month, rng) -> dict:
        return dict(self)


class DeclaredPlugin:
    """A TOML scheme as a plugin: it registers its one scheme; the default plugin does the rest."""

    def __init__(self, scheme: Scheme):
        self.scheme = scheme

    @hookimpl
    def register_schemes(self, settings):
        return [self.scheme]


# Writing back --------------------------------------------------------------------------------

def rule_spec(rule: Rule) -> dict | None:
    """A library rule as its TOML table; None for a rule of a plugin's own."""
    if not rule.library:
        return None
    factory = LIBRARY[rule.library]
    parameters = inspect.signature(factory).parameters
    spec: dict[str, Any] = {"rule": rule.library}
    for name, value in rule.params.items():
        if name == "rules" and parameters[name].kind is inspect.Parameter.VAR_POSITIONAL:
            inner = [rule_spec(r) for r in value]
            if any(i is None for i in inner):
                return None
            spec[name] = inner
        elif value is not None and value != parameters[name].default:
            spec[name] = list(value) if isinstance(value, tuple) else value
    return spec


def _choice(c):
    return list(c) if isinstance(c, tuple) else c


def declaration_of(scheme: Scheme) -> tuple[dict, list[str]]:
    """``scheme`` as a TOML declaration, and what of it TOML cannot say (empty: copyable)."""
    missing = [f"aturan «{r.description}» ({r.name}) bukan dari pustaka aturan"
               for r in scheme.rules if rule_spec(r) is None]
    if scheme.adjust is not None:
        missing.append("penyesuaian iuran (adjust) ditulis dalam Python")
    standard = list(scheme.panels.names) if isinstance(scheme.panels, StandardPanels) else \
        ["by_sponsor", "by_village", "targets"]
    if scheme.panels is not None and not isinstance(scheme.panels, StandardPanels):
        missing.append("panel dasbor skema asal (ditulis dalam Python), diganti panel standar: "
                       + ", ".join(STANDARD_PANELS[name][0] for name in standard))
    data: dict[str, Any] = {"code": scheme.code, "name": scheme.name, "regency_code": scheme.regency_code}
    for key in ("description", "legal_basis", "funding_source", "funding_code", "started", "bill_by", "budget_field"):
        if getattr(scheme, key):
            data[key] = getattr(scheme, key)
    for key in ("sponsor_types", "programs", "months", "payment_periods"):
        if getattr(scheme, key):
            data[key] = list(getattr(scheme, key))
    data["panels"] = standard
    data["targets"] = [{"label": t.label, "value": t.value, "key": t.key, "per": t.per}
                       | ({"already_covered": t.already_covered} if t.already_covered else {}) for t in scheme.targets]
    data["fields"] = []
    for f in scheme.fields:
        spec: dict[str, Any] = {"name": f.name, "label": f.label, "type": f.type}
        if f.choices:
            spec["choices"] = [_choice(c) for c in f.choices]
        for key in ("required", "help", "default", "minimum", "maximum"):
            value = getattr(f, key)
            if not (value is None or value == "" or value is False):  # 0 is a bound (0 == False)
                spec[key] = value
        if f.carry_over is not None:
            spec["carry_over"] = f.carry_over
        data["fields"].append(spec)
    data["rules"] = [s for s in (rule_spec(r) for r in scheme.rules) if s is not None]
    if isinstance(scheme.demo, DemoValues):
        data["demo"] = dict(scheme.demo)
    return data, missing


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        if "\n" in value:
            return '"""\n' + value.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_tables(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(prefix: str, data: Mapping, out: list[str]) -> None:
    for key, value in data.items():
        if not _is_tables(value) and not isinstance(value, dict):
            out.append(f"{key} = {_value(value)}")
    for key, value in data.items():
        if isinstance(value, dict):
            out.extend(["", f"[{prefix}{key}]"])
            _table(f"{prefix}{key}.", value, out)
        elif _is_tables(value):
            for item in value:
                out.extend(["", f"[[{prefix}{key}]]"])
                _table(f"{prefix}{key}.", item, out)


def dumps(data: Mapping, *, header: str = "") -> str:
    """A declaration as TOML text (plain tables, one ``[[...]]`` per target, field and rule)."""
    out = [f"# {line}" if line else "#" for line in header.splitlines()]
    _table("", {k: v for k, v in data.items() if v != []}, out)
    return "\n".join(out).strip("\n") + "\n"
