"""Copying a loaded scheme (Python or TOML) as a TOML declaration for another regency: what the
copy starts from (``copyable``), what it checks (``check_copy``), and what a copy's file and
audit entry say about its source. The scheme editor saves it (``editing.save_scheme``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from db import queries

from payung.base import clock
from payung.schemes.declarative import DeclarationError, declaration_of, dumps, load_scheme
from payung.schemes.registry import PluginRegistry
from payung.schemes.model import Scheme
from payung.schemes.texts import text_messages


@dataclass(frozen=True)
class CopySource:
    """What a copy can start from: the declaration of a loaded scheme."""

    data: dict
    #: Rules written in Python, not from the rule library: the copy does not check them (the
    #: admin confirms that before the form opens; the file and the audit entry name them).
    left_out: list[str]
    #: What stops any copy: a contribution adjustment (``adjust``) in Python changes money.
    blockers: list[str]


def copyable(registry: PluginRegistry, code: str) -> CopySource:
    """The declaration of scheme ``code``, the rules a TOML copy leaves out, what blocks it."""
    scheme = registry.scheme(code)
    data, missing = declaration_of(scheme)
    blockers = ["penyesuaian iuran (adjust) ditulis dalam Python"] if scheme.adjust is not None else []
    return CopySource(data, [m for m in missing if m not in blockers], blockers)


#: The national instruments every scheme of the sources cites; a new scheme starts from them
#: and the admin adds the regency's own regulation.
NATIONAL_BASIS = "Inpres 2/2021; Inpres 4/2022"


def copy_defaults(today: dt.date | None = None) -> dict:
    """What a new scheme or copy starts from for what belongs to it, not to its source:
    it starts this year (1 January), on the national instruments."""
    return {"started": (today or clock.today()).replace(month=1, day=1), "legal_basis": NATIONAL_BASIS}


def check_copy(registry: PluginRegistry, data: dict, *, db=None) -> tuple[Scheme | None, list[str]]:
    """The scheme a declaration would load as, or the messages of what is wrong with it. Its
    code must be new: not loaded, not a file in the plugin folder, and not recorded in the
    database (``db``; else the codes recorded when the plugins were loaded), whose scheme keeps
    it even while its plugin does not load or is no longer used."""
    settings = registry.settings
    problems: list[str] = []
    owners = {code: f"kabupaten {regency}" for code, regency in registry.recorded.items()}
    if db is not None:
        owners |= {r["code"]: f"skema {r['name']} kabupaten {r['regency_code']}" for r in queries.scheme_rows(db)}
    if not str(data.get("legal_basis") or "").strip():
        problems.append("Isi dasar hukum skema baru.")
    if not str(data.get("started") or "").strip():
        problems.append("Isi tanggal mulai skema baru.")
    code = str(data.get("code", ""))
    problems.extend(text_messages(data))
    if code in registry.schemes:
        problems.append(f"Kode skema \"{code}\" sudah dipakai skema {registry.schemes[code].name}; pilih kode lain.")
    elif code in owners:
        problems.append(f"Kode skema \"{code}\" sudah tercatat di basis data untuk {owners[code]}, walau plugin-nya "
                        "tidak dimuat sekarang; kode itu tetap milik skema tersebut. Pilih kode lain.")
    elif code and (settings.plugins_dir / f"{code}.toml").exists():
        problems.append(f"Berkas {code}.toml sudah ada di folder plugin; pilih kode lain.")
    try:
        scheme = load_scheme(dumps(data), settings)
    except DeclarationError as exc:
        return None, problems + [message for _, message in exc.problems]
    return (None if problems else scheme), problems


def copy_header(name: str, *, copied_from: str, left_out=(), username: str) -> str:
    """The comment at the top of a copy's TOML file: its name, where it was copied from, by
    whom and when, and the source's Python rules it does not check."""
    header = (f"{name}\nDisalin dari skema {copied_from} oleh {username} pada {clock.today().isoformat()} "
              "(halaman Skema).")
    if left_out:
        header += ("\nTidak ikut disalin (aturan Python skema asal, tidak diperiksa skema ini): "
                   + "; ".join(left_out) + ".")
    return header


def left_out_problems(left_out, agreed: bool) -> list[str]:
    """The refusal of a copy that leaves the source's Python rules out before the administrator
    agreed to copy without them."""
    if not left_out or agreed:
        return []
    return ["Aturan skema asal berikut ditulis dalam Python dan tidak ikut disalin: " + "; ".join(left_out)
            + ". Centang «Saya mengerti: salin tanpa aturan tersebut» untuk menyalin tanpa aturan itu."]
