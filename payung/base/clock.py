"""The regency's clock: today's date and the time now in the zone Payung is set to.

Timestamps are stored in UTC; what a person calls "today" (the default of a date box, the
month being billed, the date printed on a bill, the name of a backup) is the date in the
regency's zone (``[payung] timezone`` of config.toml, Asia/Jakarta unless set), not the
server's: a laptop or a server set to UTC would otherwise be a day behind from 00:00 to
07:00 WIB. Everything in ``payung/`` and ``pages/`` asks here, never ``date.today()``.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["set_timezone", "zone", "zone_label", "utc_now", "now", "today"]

#: Indonesia's three time zones, should the machine have no time-zone database (Windows without
#: the tzdata package): their offsets never change.
_ZONES = {"Asia/Jakarta": ("WIB", 7), "Asia/Pontianak": ("WIB", 7), "Asia/Makassar": ("WITA", 8),
          "Asia/Jayapura": ("WIT", 9), "UTC": ("UTC", 0)}
_timezone = "Asia/Jakarta"


def set_timezone(name: str) -> None:
    """The regency's zone: ``[payung] timezone`` of config.toml."""
    global _timezone
    _timezone = name or "Asia/Jakarta"


def zone() -> dt.tzinfo:
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(_timezone)
    except Exception:  # no time-zone database, or an unknown name: the known offsets, else WIB
        return dt.timezone(dt.timedelta(hours=_ZONES.get(_timezone, ("WIB", 7))[1]))


def zone_label() -> str:
    """``WIB``, ``WITA``, ``WIT`` (or the zone's name): for headings such as "Waktu (WIB)"."""
    return _ZONES.get(_timezone, (_timezone,))[0]


def utc_now() -> dt.datetime:
    """The one clock of Payung (stored timestamps, sessions, "today"): tests set it here."""
    return dt.datetime.now(dt.timezone.utc)


def now() -> dt.datetime:
    """The local time now, without an offset (for file names and what people read)."""
    return utc_now().astimezone(zone()).replace(tzinfo=None)


def today() -> dt.date:
    """Today's date in the regency."""
    return utc_now().astimezone(zone()).date()
