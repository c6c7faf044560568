"""The rule library documented from the code: each rule of ``payung.schemes.rules.LIBRARY`` with its
parameters, its TOML and Python forms, what the Skema page says and the message of a refusal,
taken by running the rule on a sample enrolment. docs/plugins/reference.md holds this text
(``python -m payung docs`` writes it; a test checks that it has not drifted)."""

from __future__ import annotations

import copy
import inspect
import textwrap
from typing import Any

from payung.base.config import Regency
from payung.schemes.declarative import _param_kind, build_rule, dumps
from payung.schemes.rules import LIBRARY
from payung.schemes.model import Enrolment, Scheme

SAMPLE_SCHEME = Scheme(code="contoh", name="Contoh", regency_code="33.24")
SAMPLE = {
    "worker": {"id": 1, "name": "Siti Aminah", "village_code": "33.24.01.2001", "district_code": "33.24.01",
               "occupation": "petani",
               "birth_date": "1975-08-17", "wage_earner": False, "poverty_flag": True, "declared_income": 1_000_000},
    "sponsor": {"id": 1, "name": "Pemerintah Desa Contoh", "type": "pemerintah_desa", "village_code": "33.24.01.2001",
                "district_code": None, "regency_code": None},
    "fields": {}, "months": 12, "start_month": "2025-01", "counted": 0, "programs": ("JKK", "JKM"),
}
REGION_NAMES = {"33.24": "Kabupaten Kendal", "33.24.01": "Kecamatan Contoh", "33.24.01.2001": "Desa Contoh", "33.24.01.2002": "Desa Tetangga",
                "33.27.01.2001": "Desa Luar"}
KIND_TEXT = {"str": "text", "int": "integer", "list[str]": "list of text", "list[int]": "list of integers",
             "tables": "list of rule tables (`[[rules.rules]]`)", "pair": "`[\"field\", value]`, optional",
             "any": "a value", "list": "list"}


class _SampleSettings:
    """The little of ``Settings`` the rules read: Kendal's UMK."""

    def regency(self, code):
        return Regency(code="33.24", name="Kabupaten Kendal", umk=2_783_455) if code == "33.24" else None


class _SampleData:
    """The little of ``DataReader`` the rules read, with ``counted`` sponsorships already taken."""

    def __init__(self, counted: int):
        self.counted = counted

    def region_name(self, code):
        return REGION_NAMES.get(code, code or "")

    def count_sponsorships(self, scheme_code, **filters):
        return self.counted

    def count_workers(self, scheme_code, *args, **filters):
        return self.counted

    def covers_worker(self, scheme_code, worker_id, **filters):
        return False


def _merged(*changes: dict) -> dict:
    case = copy.deepcopy(SAMPLE)
    for change in changes:
        for key, value in change.items():
            if isinstance(value, dict):
                case[key] = {**case[key], **value}
            else:
                case[key] = value
    return case


def sample_enrolment(case: dict, *, sees_all: bool = True) -> Enrolment:
    """The sample enrolment, made by an administrator (``sees_all``) or a village operator."""
    return Enrolment(scheme=SAMPLE_SCHEME, sponsor=case["sponsor"], worker=case["worker"], programs=case["programs"],
                     start_month=case["start_month"], months=case["months"], fields=case["fields"],
                     settings=_SampleSettings(),
                     data=_SampleData(case["counted"]), sees_all=sees_all)


def example(name: str) -> dict[str, Any]:
    """For one library rule: the example rule, and its problems on the accepted and refused
    case (``refused_scoped``: the refusal a village operator gets)."""
    factory = LIBRARY[name]
    rule = build_rule({"rule": name, **factory.example})
    accepted = rule(sample_enrolment(_merged(factory.accepting)))
    refusing = _merged(factory.accepting, factory.refusing)
    refused = rule(sample_enrolment(refusing))
    refused_scoped = rule(sample_enrolment(refusing, sees_all=False))
    return {"rule": rule, "accepted": accepted, "refused": refused, "refused_scoped": refused_scoped}


def _kind_text(factory, key: str, parameter) -> str:
    if key in factory.choices:
        return "one of " + ", ".join(f"`{value}` ({words})" for value, words in factory.choices[key].items())
    kind = _param_kind(parameter)
    return KIND_TEXT.get(kind, kind)


def _python_call(name: str, params: dict) -> str:
    parameters = inspect.signature(LIBRARY[name]).parameters
    args = []
    for key, value in params.items():
        kind = parameters[key].kind
        if key == "rules":
            args.extend(_python_call(r["rule"], {k: v for k, v in r.items() if k != "rule"}) for r in value)
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            args.extend(repr(v).replace("'", '"') for v in value)
        elif kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and key != "label":
            args.append(repr(value).replace("'", '"'))
        else:
            args.append(f"{key}={repr(value)}".replace("'", '"'))
    return f"rules.{name}({', '.join(args)})"


def render_markdown() -> str:
    """The rule library section of docs/plugins/reference.md (``payung.docs`` writes it there)."""
    out = ["Rules shared by schemes live in `payung.schemes.rules` (`rules` of `payung.plugin`); a TOML scheme",
           "names them in `[[rules]]` with their parameters, a Python plugin calls them. Use them instead of writing",
           "your own: each says itself in plain Indonesian on the Skema page, and a rule from here can be copied on",
           "the Skema page (the scheme editor). The sample enrolment is Siti Aminah, a petani of Desa Contoh",
           "(Kabupaten Kendal), for its village government, 12 months from 2025-01.", ""]
    for name, factory in LIBRARY.items():
        shown = example(name)
        doc = inspect.getdoc(factory) or ""
        out += [f"### `{name}`", "", textwrap.fill(doc.split("\n\n")[0].replace("\n", " "), 100), ""]
        parameters = inspect.signature(factory).parameters
        if parameters:
            out += ["| parameter | value |", "|---|---|"]
            out += [f"| `{key}` | {_kind_text(factory, key, p)} |" for key, p in parameters.items()]
            out.append("")
        toml = dumps({"rules": [{"rule": name, **factory.example}]}).strip()
        out += ["```toml", toml, "```", "", f"Python: `{_python_call(name, factory.example)}`", "",
                f"- Skema page: «{shown['rule'].description}»"]
        out += [f"- Refused (`{p.rule}`, field `{p.field}`): «{p.message}»" for p in shown["refused"]]
        if shown["refused_scoped"] != shown["refused"]:
            out += [f"- Refused for a village operator (who may not see the figures of other villages): «{p.message}»"
                    for p in shown["refused_scoped"]]
        out.append("")
    return "\n".join(out)
