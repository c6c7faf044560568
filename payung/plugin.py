"""The public plugin API: everything a scheme plugin may import, from one place.

    from payung.plugin import Scheme, Field, Target, hookimpl, rules

Plugins import nothing else from Payung; what is here stays stable across versions.
"""

from . import rules
from .data import DataReader
from .errors import Problem
from .fields import FIELD_TYPES, Field
from .formats import count as format_count
from .hookspecs import hookimpl
from .money import PROGRAMS, Contribution, format_rupiah
from .occupations import OCCUPATIONS, VULNERABLE
from .schemes import Enrolment, Page, Panel, Rule, Scheme, Target
from .sponsor_types import SPONSOR_TYPES

__all__ = [
    "FIELD_TYPES", "OCCUPATIONS", "VULNERABLE", "PROGRAMS", "SPONSOR_TYPES", "Contribution", "DataReader", "Enrolment",
    "Field", "Page", "Panel", "Problem", "Rule", "Scheme", "Target", "format_count", "format_rupiah",
    "hookimpl", "rules",
]
