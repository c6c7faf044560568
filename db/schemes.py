"""Writes about schemes beyond their rows: the version a sponsorship was made under."""

from __future__ import annotations

from db import store


def pin_unversioned(db, scheme_code: str, version: int, *, actor: str) -> int:
    """Give the scheme's sponsorships made before versions were kept the version ``version``
    (the file as it was then). Audited; returns how many."""
    return store.execute(db, "UPDATE sponsorships SET scheme_version = ? WHERE scheme_code = ? AND scheme_version IS NULL",
                         [version, scheme_code], actor=actor, table="sponsorships",
                         summary={"scheme_version": version, "scheme_code": scheme_code})
