"""Old module paths that keep working for a while, each with a DeprecationWarning naming the
new one (the policy: docs/plugins/api-policy.md).

Payung 0.6 moved the modules of ``payung/`` into packages by domain (``payung.sponsorships``
is ``payung.enrolment.sponsorships`` now). Plugins import only ``payung.plugin``, but the
tests the plugin docs taught before imported some services directly (``from
payung.sponsorships import enrol``): importing an old path gives the module at its new place,
and a warning that says where to import it from.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

#: The release whose warnings these are, and the one in which the old paths stop working.
SINCE, REMOVED_IN = "0.6", "0.8"

#: Old path -> where its names live now (the first that has a name gives it).
MOVED_MODULES: dict[str, tuple[str, ...]] = {
    "payung.access": ("payung.auth.access",),
    "payung.audit": ("payung.auth.audit",),
    "payung.sessions": ("payung.auth.sessions", "payung.auth.setup", "payung.auth.passwords"),
    "payung.users": ("payung.auth.users", "payung.auth.passwords"),
    "payung.clock": ("payung.base.clock",),
    "payung.config": ("payung.base.config",),
    "payung.errors": ("payung.base.errors",),
    "payung.formats": ("payung.base.formats",),
    "payung.identity": ("payung.base.identity",),
    "payung.money": ("payung.base.money",),
    "payung.months": ("payung.base.months",),
    "payung.occupations": ("payung.base.occupations",),
    "payung.paging": ("payung.base.paging",),
    "payung.sponsor_types": ("payung.base.sponsor_types",),
    "payung.text": ("payung.base.text",),
    "payung.coverage": ("payung.base.coverage",),
    "payung.exports": ("payung.base.spreadsheets", "payung.imports.plans"),
    "payung.arrears": ("payung.enrolment.arrears",),
    "payung.bpjs": ("payung.enrolment.bpjs", "payung.imports.bpjs_answer"),
    "payung.bulk": ("payung.enrolment.bulk",),
    "payung.sponsorships": ("payung.enrolment.sponsorships",),
    "payung.bills": ("payung.finance.bills",),
    "payung.budgets": ("payung.finance.budgets",),
    "payung.claims": ("payung.finance.claims",),
    "payung.payments": ("payung.finance.payments",),
    "payung.backups": ("payung.operations.backups",),
    "payung.bench": ("payung.operations.bench",),
    "payung.checks": ("payung.operations.checks",),
    "payung.demo": ("payung.operations.demo",),
    "payung.regions": ("payung.people.regions",),
    "payung.sponsors": ("payung.people.sponsors",),
    "payung.workers": ("payung.people.workers", "payung.base.text", "payung.base.identity"),
    "payung.charts": ("payung.reports.charts",),
    "payung.dashboard": ("payung.reports.dashboard",),
    "payung.documents": ("payung.reports.documents",),
    "payung.letterhead": ("payung.reports.letterhead",),
    "payung.report": ("payung.reports.monthly",),
    "payung.scheme_copy": ("payung.schemes.copying",),
    "payung.data": ("payung.schemes.data",),
    "payung.declarative": ("payung.schemes.declarative",),
    "payung.default_plugin": ("payung.schemes.default_plugin",),
    "payung.fields": ("payung.schemes.fields",),
    "payung.hookspecs": ("payung.schemes.hookspecs",),
    "payung.schemes_view": ("payung.schemes.overview",),
    "payung.plugins": ("payung.schemes.registry",),
    "payung.rule_library": ("payung.schemes.rule_library",),
    "payung.rules": ("payung.schemes.rules",),
    "payung.scaffold": ("payung.schemes.scaffold",),
    "payung.standard_panels": ("payung.schemes.standard_panels",),
}
#: ``payung.schemes`` was the Scheme model's module; it is a package now, its names are in
#: ``payung.schemes.model`` (``payung.schemes.__getattr__`` still finds them, with a warning).
OLD_SCHEMES_MODULE = "payung.schemes.model"


def moved_message(old: str, new: str) -> str:
    return (f"{old} moved to {new} in Payung {SINCE}: import it from there "
            f"(the old path stops working in Payung {REMOVED_IN}).")


class _MovedModule(types.ModuleType):
    """The old path: every name is looked up in the new modules."""

    def __init__(self, name: str, targets: tuple[str, ...]):
        super().__init__(name, f"Moved to {', '.join(targets)}.")
        self.__targets = targets

    def __getattr__(self, attr: str):
        for target in self.__targets:
            module = importlib.import_module(target)
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r} (moved to {', '.join(self.__targets)})")

    def __dir__(self):
        return sorted({name for target in self.__targets for name in dir(importlib.import_module(target))})


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name in MOVED_MODULES else None

    def create_module(self, spec):
        targets = MOVED_MODULES[spec.name]
        # stacklevel 2: the line that imports (warnings skips the frames of importlib itself).
        warnings.warn(moved_message(spec.name, targets[0]), DeprecationWarning, stacklevel=2)
        return _MovedModule(spec.name, targets)

    def exec_module(self, module):
        pass


def install() -> None:
    """Let the old paths be imported (once per process; ``payung/__init__`` calls it)."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.append(_Finder())
