"""Backups from the app: a timestamped copy beside the database, logged in the audit log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import db as database
from db import store

from .access import Actor, require
from .config import Settings


def make_backup(db, settings: Settings, *, actor: Actor, now: dt.datetime) -> Path:
    require(actor, "backup.manage")
    folder = Path(settings.database).parent / "cadangan"
    target = database.backup(db, folder / f"payung-{now:%Y%m%d-%H%M%S}.db")
    # Copies hold every NIK (UU PDP): who made one is recorded.
    store.audit(db, actor.username, "backup", "database", None, None, {"file": str(target)})
    return target
