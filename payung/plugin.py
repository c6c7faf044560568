"""The public plugin API: everything a scheme plugin may import, from one place.

    from payung.plugin import Scheme, Field, Target, hookimpl, rules

Plugins import nothing else from Payung; what is here stays stable across versions.
"""

from payung.schemes import rules
from payung.schemes.data import DataReader
from payung.base.errors import Problem
from payung.schemes.fields import FIELD_TYPES, Field
from payung.base.formats import count as format_count
from payung.schemes.hookspecs import hookimpl
from payung.base.money import PROGRAMS, Contribution, format_rupiah
from payung.base.occupations import OCCUPATIONS, VULNERABLE
from payung.schemes.model import Enrolment, Page, Panel, Rule, Scheme, Target
from payung.base.sponsor_types import SPONSOR_TYPES

__all__ = [
    "FIELD_TYPES", "OCCUPATIONS", "VULNERABLE", "PROGRAMS", "SPONSOR_TYPES", "Contribution", "DataReader", "Enrolment",
    "Field", "Page", "Panel", "Problem", "Rule", "Scheme", "Target", "format_count", "format_rupiah",
    "hookimpl", "rules",
]
