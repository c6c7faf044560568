"""Answers about a record outside the asker's scope: "this NIK (or NIP, or KPJ) is registered
elsewhere".

A NIK is a kecamatan, a birth date and a serial; a NIP a birth date, a start date and a serial;
a KPJ (the BPJS membership number of a branch's answer) a number that is one person's.
Told before anything is written (a form's check, an import's), numbers guessed one after another
would find who is registered in other villages or regencies. So each such answer is logged, once
a day per account and record, and an account gets at most ``[limits] nik_elsewhere_per_day`` of
them a day, workers, sponsors and KPJs together. A save that would store what it was given is always
told (``storing``): a number nobody has would have been stored, so the answer costs a write.

The callers (``payung.people.workers``, ``payung.people.sponsors``,
``payung.imports.bpjs_answer``) check the permission first.
"""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

from db import queries, store

from payung.auth.access import Actor
from payung.base import clock
from payung.base.config import Settings

#: The audit log's action of an answer, by the table of the record it is about.
ACTIONS = MappingProxyType({"workers": "nik_elsewhere", "sponsors": "nip_elsewhere",
                            "sponsorships": "kpj_elsewhere"})
#: The number an answer is about, by table.
NUMBERS = MappingProxyType({"workers": "NIK", "sponsors": "NIP", "sponsorships": "KPJ"})
#: What the day's limit counts, as a person reads it.
_COUNTED = ("jawaban \"sudah terdaftar di wilayah lain\" (NIK pekerja, NIP penyandang dana dan KPJ jawaban "
            "BPJS)")


def file_refused(what: str) -> str:
    """The refusal of an import's check once the day's answers are spent (whatever the file holds,
    else the refusal would be the answer): ``what``, the kind of file ("pekerja"); ``{limit}`` is
    left to fill."""
    return (f"Hari ini akun Anda sudah mencapai batas {{limit}} {_COUNTED}, jadi berkas {what} tidak dapat "
            "diperiksa lagi hari ini. Tidak ada yang diimpor. Minta operator kabupaten mengimpor berkas ini, atau "
            "coba lagi besok.")


def change_refused(number: str) -> str:
    """The refusal of a changed ``number`` ("NIK pekerja") on a record of one's own once the day's
    answers are spent: such a change is a free guess (a free number is simply saved)."""
    return (f"{number} tidak dapat diubah lagi hari ini: akun Anda sudah mencapai batas harian {_COUNTED}. "
            "Minta operator kabupaten mengubahnya, atau coba lagi besok.")


#: Said under the worker form's NIK once the day's answers are spent, whatever the NIK.
SPENT_NOTE = f"Batas harian {_COUNTED} sudah tercapai: NIK yang terdaftar di wilayah lain diketahui saat Simpan."


def start_of_today() -> str:
    """The first moment of the regency's today, as the audit log stores moments (UTC text): the
    day's answers start again at midnight where the operators are, not at 07:00 WIB."""
    midnight = dt.datetime.combine(clock.today(), dt.time(), clock.zone())
    return midnight.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def answers_left(db, *, actor: Actor, settings: Settings) -> int:
    """How many more records outside their scope ``actor`` may be told of today."""
    since = start_of_today()
    given = sum(queries.audit_count_since(db, actor=actor.username, action=action, since=since)
                for action in ACTIONS.values())
    return max(0, settings.limits.nik_elsewhere_per_day - given)


def answer(db, table: str, row_id: int, *, actor: Actor, settings: Settings | None = None,
           storing: bool = False, refusing: bool = False) -> bool:
    """Whether ``actor`` may be told that a number they typed or imported belongs to the record
    ``row_id`` of ``table``, outside their scope; logged when told. Beyond the limit (``settings``)
    only when the answer is given anyway: ``storing``, a save that stores what it was given when
    the number is free; ``refusing``, an import's check refused when the limit ran out at this
    row (the refusal tells it)."""
    action = ACTIONS[table]
    if queries.audit_logged_since(db, actor=actor.username, action=action, table=table, row_id=row_id,
                                  since=start_of_today()):
        return True
    limited = not (storing or refusing)
    if limited and not answers_left(db, actor=actor, settings=settings):
        return False
    with store.transaction(db):  # counted again under the write lock: two tabs at once get no more
        if limited and not answers_left(db, actor=actor, settings=settings):
            return False
        what = NUMBERS[table]
        told = "saving" if storing else "refused_file" if refusing else "check"
        store.audit(db, actor.username, action, table, row_id, None,
                    {"note": f"{what} terdaftar di wilayah lain", "told": told})
    return True


def said_by_refusing(db, table: str, row_id: int, *, actor: Actor, refusal: Exception) -> Exception:
    """``refusal``, for a file whose row about the record ``row_id`` (of another area) met the end
    of the day's answers: refusing the file tells that this row's number is registered elsewhere
    (a file without it would have passed), so that answer is logged too."""
    answer(db, table, row_id, actor=actor, refusing=True)
    return refusal
