"""``Payung``: the configuration, the loaded plugins and the way to open the database.

Pages, the CLI and tests build one of these and pass it around; it holds no connection
(each caller opens its own, see ``db.connection``).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field

import db as database
from db import queries, store

from payung.base import clock
from payung.base.config import Settings, load_settings
from payung.base.occupations import configure as configure_occupations
from payung.schemes.registry import PluginRegistry, load_plugins, recorded_elsewhere
from payung.people.reference import with_stored
from payung.people.regions import load_regions


def plugins_signature(settings: Settings, versions: dict[str, int] | None = None) -> tuple:
    """What the loaded schemes were read from: the ``schemes`` data version (moved when any
    server process writes a scheme file in the scheme editor) and the plugin folder's files (a file
    edited by hand). When it changes, the schemes are loaded again."""
    if versions is None:
        versions = database.data_versions(settings.database_url)
    try:
        files = tuple(sorted((entry.name, entry.stat().st_mtime_ns, entry.stat().st_size)
                             for entry in os.scandir(settings.plugins_dir) if entry.name.endswith((".py", ".toml"))))
    except OSError:
        files = ()
    return versions.get(database.versions.SCHEMES), files


@dataclass
class Payung:
    settings: Settings
    plugins: PluginRegistry
    #: ``plugins_signature`` when the plugins were read.
    signature: tuple = field(default=(), compare=False)

    @classmethod
    def load(cls, config: str | os.PathLike | None = None, *, database_path: str | os.PathLike | None = None,
             extra_plugins: tuple = (), entry_points: bool = True) -> "Payung":
        settings = load_settings(config, database=database_path)
        settings = with_stored(settings, database.stored_reference(settings.database_url))
        configure_occupations(settings.extra_occupations)
        clock.set_timezone(settings.timezone)
        signature = plugins_signature(settings)  # before reading them: a file written meanwhile is read next time
        return cls(settings, load_plugins(settings, extra=extra_plugins, entry_points=entry_points,
                                          recorded=database.recorded_schemes(settings.database_url)), signature)

    def current_signature(self, db) -> tuple:
        return plugins_signature(self.settings, database.versions.read(db))

    def plugins_changed(self, db) -> bool:
        """A scheme file was written or edited since the plugins were read (one small query and
        a look at the plugin folder)."""
        return self.current_signature(db) != self.signature

    def open_db(self):
        """A new connection to an up-to-date database (the caller closes it)."""
        return database.open_database(self.settings.database_url, busy_timeout_ms=self.settings.busy_timeout_ms,
                                      pool_size=self.settings.pool_size)

    def data_version(self, db) -> int:
        """The version of the data a page aggregates (``db.versions``): a cache of figures is
        good while it stays the same (a sign-in or a new worker does not move it)."""
        return database.versions.read(db)[database.versions.DATA]

    @staticmethod
    def close_db(db) -> None:
        """Close a connection from ``open_db`` when its run or command ends (optimised first)."""
        database.optimize_and_close(db)

    @contextlib.contextmanager
    def connection(self):
        """A connection for one page run or command, optimised and closed when it ends."""
        db = self.open_db()
        try:
            yield db
        finally:
            self.close_db(db)

    def reload_schemes(self, db, *, actor: str = "sistem") -> None:
        """Load the plugins again (a scheme file was saved or retired) and record their schemes."""
        self.plugins = load_plugins(self.settings, **self.plugins.loaded_with,
                                    recorded=database.recorded_schemes(self.settings.database_url))
        self.sync_schemes(db, actor=actor)

    def initialise(self, db, *, actor: str = "sistem") -> dict:
        """First-start work, safe to repeat: regions of the configured regencies, and the
        loaded schemes recorded (sponsorships refer to them)."""
        regions = load_regions(db, self.settings, actor=actor)
        schemes = self.sync_schemes(db, actor=actor)
        return {"regions_added": regions, "schemes_recorded": schemes}

    def sync_schemes(self, db, *, actor: str = "sistem") -> int:
        """Record the loaded schemes (name, plugin, description). A recorded scheme never moves
        to another regency: a loaded scheme claiming a recorded code for another regency (the
        database was restored, or replaced, since the plugins were loaded) is taken out of the
        registry with its plugin, and the record stays as it is."""
        known = {row["code"]: row for row in queries.scheme_rows(db)}
        self.plugins.recorded.update({code: row["regency_code"] for code, row in known.items()})
        changed = 0
        for code, scheme in list(self.plugins.schemes.items()):
            if code not in self.plugins.schemes:
                continue  # its plugin was taken out for another of its schemes
            if code in known and known[code]["regency_code"] != scheme.regency_code:
                self.plugins.refuse_plugin(self.plugins.plugin_of(code), f"skema {code}: " + recorded_elsewhere(
                    code, known[code]["regency_code"], scheme.regency_code))
                continue
            row = {"name": scheme.name, "regency_code": scheme.regency_code,
                   "plugin": self.plugins.plugin_of(code),
                   "metadata": json.dumps(scheme.describe(), ensure_ascii=False, sort_keys=True)}
            if code not in known:
                store.insert(db, "schemes", {"code": code, **row}, actor=actor)
                changed += 1
            elif any(known[code][k] != v for k, v in row.items()):
                store.update(db, "schemes", code, row, actor=actor)
                changed += 1
        return changed
