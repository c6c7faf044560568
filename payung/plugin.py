"""The public plugin API: everything a scheme plugin may import, from one place.

    from payung.plugin import Scheme, Field, Target, hookimpl, rules

Plugins import nothing else from Payung. What is here keeps its word across versions:
``API_VERSION`` says which promise this is, and docs/plugins/api-policy.md how it may change
(a DeprecationWarning for at least one release first, a CHANGELOG entry, the fix in the docs).
"""

from payung.base.errors import Problem
from payung.base.formats import count as format_count
from payung.base.money import PROGRAMS, Contribution, format_rupiah
from payung.base.months import format_month
from payung.base.occupations import OCCUPATIONS, VULNERABLE
from payung.base.sponsor_types import SPONSOR_TYPES
from payung.schemes import rules
from payung.schemes.data import DataReader
from payung.schemes.fields import FIELD_TYPES, Field
from payung.schemes.hookspecs import hookimpl
from payung.schemes.model import Enrolment, Page, Panel, Rule, Scheme, Target

#: The plugin API this Payung offers, "MAJOR.MINOR": a new minor adds (names, hooks, rules,
#: parameters with defaults) and may deprecate; only a new major removes what was deprecated.
#: 1.0 is the API documented with Payung 0.2; 1.1 the one of Payung 0.6.
API_VERSION = "1.1"

__all__ = [
    "API_VERSION", "FIELD_TYPES", "OCCUPATIONS", "VULNERABLE", "PROGRAMS", "SPONSOR_TYPES", "Contribution",
    "DataReader", "Enrolment", "Field", "Page", "Panel", "Problem", "Rule", "Scheme", "Target", "format_count",
    "format_month", "format_rupiah", "hookimpl", "rules",
]
