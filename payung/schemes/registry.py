"""Find, load and call scheme plugins.

Plugins come from two places: the modules in the configured ``plugins/`` folder, and installed
packages that declare an entry point in the ``payung`` group. ``[plugins] disabled`` in
``config.toml`` keeps any of them out by name. A plugin that fails to import, to describe its
schemes, or inside a hook is reported with its error; it never takes the app down.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pluggy

from payung.base.config import Settings
from payung.base.errors import NotFound, Problem
from payung.base.money import PROGRAMS, Contribution
from payung.base.sponsor_types import SPONSOR_TYPES
from payung.schemes import declarative, default_plugin, hookspecs
from payung.schemes.fields import Field
from payung.schemes.model import BILL_BY, MAX_MONTHS, Enrolment, Page, Panel, Scheme, code_problem
from payung.schemes.texts import text_messages

ENTRY_POINT_GROUP = "payung"
DEFAULT_PLUGIN = "payung.default"


@dataclass
class PluginStatus:
    """What happened to one plugin: ``state`` is "aktif", "nonaktif" or "galat"."""

    name: str
    source: str
    state: str
    error: str = ""
    schemes: list[str] = field(default_factory=list)


def _short_error(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({Path(frame.filename).name}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


class PluginRegistry:
    """The loaded plugins and their schemes, and safe calls into their hooks."""

    def __init__(self, settings: Settings, recorded: dict[str, str] | None = None):
        self.settings = settings
        #: code -> regency of the schemes the database records: a code belongs to its regency
        #: for good, loaded or not (``db.recorded_schemes``).
        self.recorded = dict(recorded or {})
        self.pm = pluggy.PluginManager("payung")
        self.pm.add_hookspecs(hookspecs)
        self.pm.register(default_plugin, name=DEFAULT_PLUGIN)
        self.statuses: list[PluginStatus] = []
        self.schemes: dict[str, Scheme] = {}
        self._scheme_plugin: dict[str, str] = {}
        #: The arguments of ``load_plugins`` that made this registry (to load it again alike).
        self.loaded_with: dict = {}

    # Loading --------------------------------------------------------------------------------

    def add(self, plugin: ModuleType | object, name: str, source: str) -> PluginStatus:
        """Register one plugin object and collect its schemes."""
        if name in self.settings.disabled_plugins:
            return self._status(PluginStatus(name, source, "nonaktif", "dinonaktifkan di config.toml"))
        if self.pm.get_plugin(name) is not None or self.pm.is_registered(plugin):
            # The same plugin twice: a file in plugins/ and an installed package of that name,
            # or x.py beside x.toml. pluggy would raise a bare ValueError.
            first = self._active_source(name)
            return self._status(PluginStatus(name, source, "galat", (
                f"nama plugin {name!r} sudah dipakai plugin {first or 'lain'}; plugin yang sama terpasang dua kali "
                "(berkas di folder plugin dan paket terpasang?). Hapus salah satunya, atau nonaktifkan di "
                "config.toml ([plugins] disabled).")))
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:  # pluggy validates hook signatures here
            return self._status(PluginStatus(name, source, "galat", _short_error(exc)))
        status = PluginStatus(name, source, "aktif")
        impl = getattr(plugin, "register_schemes", None)
        if impl is not None:
            try:
                schemes = list(impl(settings=self.settings) or [])
                problems = [p for s in schemes for p in self._check_scheme(s)]
            except (Exception, SystemExit) as exc:  # sys.exit() in a plugin too
                schemes, problems = [], [_short_error(exc)]
            if problems:
                self.pm.unregister(name=name)
                status.state, status.error = "galat", "; ".join(problems)
                return self._status(status)
            for scheme in schemes:
                self.schemes[scheme.code] = scheme
                self._scheme_plugin[scheme.code] = name
                status.schemes.append(scheme.code)
        return self._status(status)

    def _status(self, status: PluginStatus) -> PluginStatus:
        self.statuses.append(status)
        return status

    def _check_scheme(self, scheme) -> list[str]:
        if not isinstance(scheme, Scheme):
            return [f"register_schemes harus mengembalikan objek Scheme, bukan {type(scheme).__name__}"]
        problems = []
        if problem := code_problem(scheme.code):
            problems.append(problem)
        if scheme.code in self.schemes:
            problems.append(f"kode skema {scheme.code!r} sudah dipakai plugin {self._taken_by(scheme.code)}")
        recorded = self.recorded.get(scheme.code)
        if recorded is not None and scheme.regency_code != recorded:
            problems.append(recorded_elsewhere(scheme.code, recorded, scheme.regency_code))
        if scheme.regency_code not in self.settings.regency_codes:
            problems.append(
                f"kabupaten {scheme.regency_code} skema {scheme.code} tidak ada di config.toml ([[regencies]])"
            )
        unknown_types = [t for t in scheme.sponsor_types if t not in SPONSOR_TYPES]
        if unknown_types:
            problems.append(f"jenis penyandang dana tidak dikenal: {', '.join(unknown_types)}")
        unknown_programs = [p for p in scheme.programs if p not in PROGRAMS]
        if unknown_programs:
            problems.append(f"program tidak dikenal: {', '.join(unknown_programs)}")
        if not scheme.months or any(m < 1 for m in scheme.months):
            problems.append("lama kepesertaan (months) harus berisi bilangan bulan positif")
        elif any(m > MAX_MONTHS for m in scheme.months):
            problems.append(f"lama kepesertaan (months) paling lama {MAX_MONTHS} bulan")
        if scheme.funding_code not in self.settings.funding_codes:
            problems.append(f"kode sumber dana {scheme.funding_code!r} tidak ada di [funding_codes]")
        if scheme.bill_by not in BILL_BY:
            problems.append(f"bill_by {scheme.bill_by!r} harus salah satu dari {', '.join(BILL_BY)}")
        if any(t.already_covered and t.per == "village" for t in scheme.targets):
            problems.append("already_covered hanya untuk target se-kabupaten (per=\"regency\"): target per desa "
                            "tidak menghitungnya")
        if scheme.budget_field and scheme.budget_field not in {f.name for f in scheme.fields}:
            problems.append(f"budget_field {scheme.budget_field!r} bukan salah satu fields skema")
        # What the scheme editor refuses in a typed text, a file written by hand may not hold either:
        # a name with a Cyrillic "а" or a right-to-left override reads as another scheme's.
        problems.extend(text_messages(declarative.declaration_of(scheme)[0]))
        return [f"skema {getattr(scheme, 'code', '?')}: {p}" for p in problems]

    def refuse_plugin(self, name: str, message: str) -> None:
        """Take a loaded plugin and its schemes out again (its status becomes the error): the
        scheme sync found one of its schemes claiming a code the database records for another
        regency."""
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        for code in [c for c, plugin in self._scheme_plugin.items() if plugin == name]:
            del self.schemes[code], self._scheme_plugin[code]
        for status in self.statuses:
            if status.name == name and status.state == "aktif":
                status.state, status.error, status.schemes = "galat", message, []

    def _taken_by(self, code: str) -> str:
        """The plugin that holds scheme ``code``, with its file or package."""
        name = self._scheme_plugin[code]
        source = self._active_source(name)
        return f"{name} ({Path(source).name if source.endswith(('.py', '.toml')) else source})" if source else name

    def _active_source(self, name: str) -> str:
        """The file or package of the active plugin ``name`` ("" if none)."""
        return next((s.source for s in self.statuses if s.name == name and s.state == "aktif"), "")

    def _folder_files(self, folder: Path, suffix: str) -> list[Path]:
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob(f"*{suffix}") if not p.name.startswith("_"))

    def load_python_files(self, folder: Path) -> None:
        """Import every ``*.py`` module of ``folder`` (skipping ``_private`` ones) as a plugin."""
        for path in self._folder_files(folder, ".py"):
            name = path.stem
            if name in self.settings.disabled_plugins:
                self._status(PluginStatus(name, str(path), "nonaktif", "dinonaktifkan di config.toml"))
                continue
            module_name = f"payung_plugins.{name}"
            try:
                spec = importlib.util.spec_from_file_location(module_name, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[module_name] = module
                spec.loader.exec_module(module)
            except (Exception, SystemExit) as exc:  # sys.exit() in a plugin too
                sys.modules.pop(module_name, None)
                self._status(PluginStatus(name, str(path), "galat", _short_error(exc)))
                continue
            self.add(module, name, str(path))

    def load_declarations(self, folder: Path, *, recorded: dict[str, str] | None = None) -> None:
        """Read every ``*.toml`` scheme declaration of ``folder`` (``payung.schemes.declarative``), after
        the Python plugins and packages: a file never takes over a scheme they hold. Of several
        files declaring one code, the one whose regency the database already records for that
        code wins (``recorded``: code -> regency of the ``schemes`` table), else the first by
        name; every other is refused with its own file and line."""
        declared = []
        for path in self._folder_files(folder, ".toml"):
            if path.stem in self.settings.disabled_plugins:
                self._status(PluginStatus(path.stem, str(path), "nonaktif", "dinonaktifkan di config.toml"))
                continue
            try:
                text = declarative.read_file(path)
                declared.append((path, text, declarative.load_scheme(text, self.settings, source=str(path))))
            except declarative.DeclarationError as exc:
                self._status(PluginStatus(path.stem, str(path), "galat", str(exc)))
            except Exception as exc:  # noqa: BLE001 - whatever one file does, it is that file's error
                self._status(PluginStatus(path.stem, str(path), "galat",
                                          f"{path.name}: berkas skema tidak dapat dimuat ({_short_error(exc)})"))
        recorded = recorded or {}
        winners: dict[str, tuple[Path, object]] = {}  # code -> (file, scheme) that keeps it
        for path, _, scheme in declared:
            regency = recorded.get(scheme.code)
            current = winners.get(scheme.code)
            if current is None or (regency and scheme.regency_code == regency and current[1].regency_code != regency):
                winners[scheme.code] = (path, scheme)
        held = set(self.schemes)  # by Python plugins and packages
        for path, text, scheme in declared:
            where = f"{path.name} baris {declarative.line_of(text, (), 'code')}"
            if scheme.code in held:
                self._status(PluginStatus(path.stem, str(path), "galat", f"{where}: kode skema {scheme.code!r} "
                                          f"sudah dipakai plugin {self._taken_by(scheme.code)}"))
            elif winners[scheme.code][0] != path:
                winner, kept = winners[scheme.code]
                regency = recorded.get(scheme.code)
                why = (f"basis data mencatat skema ini untuk kabupaten {regency}" if regency
                       and kept.regency_code == regency else "berkas itu lebih dulu menurut nama")
                self._status(PluginStatus(path.stem, str(path), "galat", (
                    f"{where}: kode skema {scheme.code!r} juga dinyatakan di {winner.name}, yang dipakai ({why}); "
                    "beri berkas ini kode skema lain.")))
            else:
                self.add(declarative.DeclaredPlugin(scheme), path.stem, str(path))

    def load_entry_points(self) -> None:
        """Load installed packages that declare ``[project.entry-points.payung]``."""
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in self.settings.disabled_plugins:
                self._status(PluginStatus(ep.name, ep.value, "nonaktif", "dinonaktifkan di config.toml"))
                continue
            try:
                plugin = ep.load()
            except (Exception, SystemExit) as exc:  # sys.exit() in a plugin too
                self._status(PluginStatus(ep.name, ep.value, "galat", _short_error(exc)))
                continue
            self.add(plugin, ep.name, ep.value)

    # Queries --------------------------------------------------------------------------------

    def scheme(self, code: str) -> Scheme:
        try:
            return self.schemes[code]
        except KeyError:
            raise NotFound(f"Skema \"{code}\" tidak dikenal atau plugin-nya tidak aktif.") from None

    def plugin_of(self, scheme_code: str) -> str:
        return self._scheme_plugin[scheme_code]

    def declaration_file(self, scheme_code: str) -> Path | None:
        """The TOML file a loaded scheme was declared in (None: a Python plugin or a package)."""
        source = self._active_source(self._scheme_plugin.get(scheme_code, ""))
        return Path(source) if source.endswith(".toml") else None

    @property
    def errors(self) -> list[PluginStatus]:
        return [s for s in self.statuses if s.state == "galat"]

    def _each(self, hook_name: str, **kwargs):
        """Call every implementation of a hook on its own, so one broken plugin cannot take
        the others down. Yields ``(plugin_name, result, error)``; last registered first."""
        for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
            args = {name: kwargs[name] for name in impl.argnames}
            try:
                yield impl.plugin_name, impl.function(**args), None
            except Exception as exc:
                yield impl.plugin_name, None, exc

    def fields(self, scheme: Scheme, form: str = "sponsorship") -> list[Field]:
        found: list[Field] = []
        for plugin, result, error in self._each("form_fields", scheme=scheme, form=form, settings=self.settings):
            if error is None and result:
                found.extend(f for f in result if f.name not in {x.name for x in found})
        return found

    def validate(self, enrolment: Enrolment) -> list[Problem]:
        problems: list[Problem] = []
        for plugin, result, error in self._each("validate_sponsorship", enrolment=enrolment):
            if error is not None:
                # Fail closed: a rule that cannot run must not let an enrolment through.
                problems.append(Problem(
                    None, f"Aturan plugin {plugin} gagal dijalankan ({_short_error(error)}); "
                    "kepesertaan tidak disimpan. Hubungi pengelola aplikasi.", "plugin_error",
                ))
            elif result:
                problems.extend(result)
        return problems

    def adjusts(self, scheme: Scheme) -> bool:
        """Whether ``adjust`` may change a contribution of ``scheme``: the scheme's own ``adjust``,
        or a plugin's own ``adjust_contribution`` (Payung's default one only passes the scheme's on)."""
        return scheme.adjust is not None or any(
            impl.plugin_name != DEFAULT_PLUGIN for impl in self.pm.hook.adjust_contribution.get_hookimpls())

    def adjust(self, enrolment: Enrolment, month: str, contribution: Contribution) -> Contribution:
        for plugin, result, error in self._each(
            "adjust_contribution", enrolment=enrolment, month=month, contribution=contribution
        ):
            if error is not None:
                raise RuntimeError(f"plugin {plugin}: adjust_contribution gagal: {_short_error(error)}") from error
            if result is not None:
                return result
        return contribution

    def panels(self, scheme: Scheme, data, month: str) -> list[Panel]:
        panels: list[Panel] = []
        for plugin, result, error in self._each("dashboard_panels", scheme=scheme, data=data, month=month):
            if error is not None:
                panels.append(Panel(f"Panel plugin {plugin} gagal", "error", caption=_short_error(error)))
            elif result:
                panels.extend(result)
        return panels

    def pages(self) -> list[Page]:
        pages: list[Page] = []
        for plugin, result, error in self._each("register_pages", settings=self.settings):
            if error is None and result:
                pages.extend(result)
        return pages


def recorded_elsewhere(code: str, recorded: str, claimed: str) -> str:
    """Why a scheme may not take a code the database records for another regency."""
    return (f"kode skema {code!r} tercatat di basis data untuk kabupaten {recorded}, bukan {claimed}: kode skema "
            "tetap milik kabupatennya (juga bila plugin-nya tidak dimuat atau sudah tidak dipakai), jadi data "
            "skema itu tidak dipindahkan; beri skema ini kode lain")


def load_plugins(settings: Settings, *, extra: tuple[tuple[str, object], ...] = (), entry_points: bool = True,
                 recorded: dict[str, str] | None = None) -> PluginRegistry:
    """Load the Python modules of the plugin folder, the installed entry points, any ``extra``
    (name, plugin), then the folder's TOML declarations: an established scheme is never taken
    over by a file. ``recorded``: code -> regency of the schemes the database already holds; no
    plugin, package or file may claim one of those codes for another regency."""
    registry = PluginRegistry(settings, recorded)
    registry.load_python_files(settings.plugins_dir)
    if entry_points:
        registry.load_entry_points()
    for name, plugin in extra:
        registry.add(plugin, name, "extra")
    registry.load_declarations(settings.plugins_dir, recorded=recorded)
    registry.loaded_with = {"extra": extra, "entry_points": entry_points}
    return registry
