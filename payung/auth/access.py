"""Who may do what: the one place Payung decides access.

``allowed(actor, action, resource)`` answers a question ("may this actor record a payment
on this scheme's bill?") and ``scope_of(actor)`` gives the slice of data the actor sees,
which ``db`` applies inside the SQL of every query (``db.scope``). Deny by default: an
action that is not in ``ACTIONS``, or a role that an action does not list, is refused.

The roles (docs/administration.md has them as a table):

- ``admin``: everything, every regency.
- ``operator``: the data of the regency bound to the user; writes within it.
- ``desa``: the workers domiciled in its villages (read, create, edit), enrolment proposals
  for them with sponsors it may see; only those workers' lines anywhere.
- ``viewer``: read-only, its regency (or every one, if unbound), NIK masked everywhere.

Every list on screen shows NIKs masked, whatever the role (``listed``); the full NIK is on the
worker's own page for the roles that may see it (``worker.full_nik``) and in the exports.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from db.scope import EVERYTHING, NOTHING, Scope

from payung.base.errors import NotFound, PayungError
from payung.base.identity import mask_nik

ROLES = {
    "admin": "Administrator",
    "operator": "Operator kabupaten",
    "desa": "Operator desa",
    "viewer": "Pemantau (hanya lihat)",
}

ALL = ("admin", "operator", "desa", "viewer")
WRITERS = ("admin", "operator", "desa")
REGENCY = ("admin", "operator")
READERS = ("admin", "operator", "viewer")

#: action -> the roles that may take it (then only inside their scope), with the words shown
#: when it is refused.
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "worker.read": (ALL, "melihat data pekerja"),
    "worker.write": (WRITERS, "mengubah data pekerja"),
    "worker.full_nik": (WRITERS, "melihat NIK lengkap"),
    "sponsor.read": (ALL, "melihat penyandang dana"),
    "sponsor.write": (WRITERS, "mengubah penyandang dana"),
    "sponsorship.read": (ALL, "melihat kepesertaan"),
    "sponsorship.write": (WRITERS, "mendaftarkan kepesertaan"),
    "sponsorship.renew": (REGENCY, "memperpanjang kepesertaan"),
    "bill.read": (ALL, "melihat tagihan"),
    "payment.read": (READERS, "melihat pembayaran"),
    "payment.write": (REGENCY, "mencatat pembayaran"),
    "late.read": (READERS, "melihat tunggakan"),
    "bpjs.exchange": (REGENCY, "bertukar data dengan BPJS"),
    "budget.read": (READERS, "melihat anggaran"),
    "budget.write": (REGENCY, "mengubah anggaran"),
    "claim.read": (ALL, "melihat klaim"),
    "claim.write": (REGENCY, "mencatat klaim"),
    "dashboard.read": (ALL, "melihat beranda"),
    "report.read": (READERS, "mengunduh laporan bulanan"),
    "scheme.read": (ALL, "melihat skema"),
    "scheme.manage": (("admin",), "menyalin dan menyimpan skema"),
    "import.run": (WRITERS, "mengimpor data"),
    "demo.load": (("admin",), "memuat data contoh"),
    "template.write": (WRITERS, "menyimpan templat impor"),
    "template.everyone": (("admin",), "memakai templat semua pengguna"),
    "import.log_everyone": (("admin",), "melihat riwayat impor semua pengguna"),
    "user.manage": (("admin",), "mengelola pengguna"),
    "audit.read": (("admin",), "melihat log audit"),
    "backup.manage": (("admin",), "mengelola cadangan"),
    "letterhead.manage": (("admin",), "mengatur kop surat"),
    "reference.manage": (("admin",), "menambah kabupaten dan pekerjaan"),
    "account.manage": (ALL, "mengganti kata sandi"),
}


def markdown_table() -> str:
    """Every action and the roles that may take it, as the table of actions in
    docs/administration.md (``python -m payung docs`` writes it there; a test keeps it equal)."""
    lines = ["| action | what it allows | " + " | ".join(f"`{r}`" for r in ROLES) + " |",
             "|---|---|" + "---|" * len(ROLES)]
    for action, (roles, words) in ACTIONS.items():
        marks = " | ".join("yes" if role in roles else "no" for role in ROLES)
        lines.append(f"| `{action}` | {words} | {marks} |")
    return "\n".join(lines) + "\n"


class Forbidden(PayungError):
    """The actor may not do this."""


@dataclass(frozen=True)
class Actor:
    """The acting user, read fresh from the users table on every run."""

    username: str
    role: str
    regency_code: str | None = None
    villages: tuple[str, ...] = ()

    @classmethod
    def system(cls, name: str = "sistem") -> "Actor":
        """Payung itself (CLI, demo data, migrations): an administrator."""
        return cls(username=name, role="admin")


@functools.lru_cache(maxsize=1024)  # asked for every row of an import: an actor's scope is built once
def scope_of(actor: Actor) -> Scope:
    """The slice of data ``actor`` sees, for ``db`` to apply in SQL."""
    if actor.role == "admin":
        return EVERYTHING
    if actor.role == "desa":
        return Scope(villages=tuple(actor.villages))
    if actor.role == "operator":  # unbound: nothing (see ``bound_to_served``)
        return Scope(regency=actor.regency_code) if actor.regency_code else NOTHING
    if actor.role == "viewer":
        return Scope(regency=actor.regency_code, masked=True)
    return NOTHING


def bound_to_served(actor: Actor, served: Callable[[], Sequence[str]]) -> Actor:
    """An operator without a regency, made while Payung served one regency, works for that
    one; once several are served it stays unbound, and ``scope_of`` gives it nothing.
    ``served`` (the regencies' codes) is asked only for such an operator."""
    if actor.role == "operator" and not actor.regency_code:
        regencies = served()
        if len(regencies) == 1:
            return replace(actor, regency_code=regencies[0])
    return actor


def sees_whole_regency(actor: Actor, regency_code: str) -> bool:
    """Whether ``actor`` sees every record of the regency (administrator, its operator and
    viewer), so a figure counted across the regency may be shown; a village operator does
    not. Decided by the scope, never by the data, so the choice itself tells nothing."""
    return scope_of(actor).sees_whole_regency(regency_code)


#: The keys of a record that ``allowed`` reads to place it (see ``_inside``): a copy of a row
#: kept only to check it again may keep just these.
PLACE_KEYS = ("village_code", "regency_code", "type")


def _inside(actor: Actor, action: str, resource: Mapping[str, Any]) -> bool:
    """Whether a record (its ``village_code``, or else its ``regency_code``) lies in the scope.
    A sponsor is changed by a village operator only when it is its own village government."""
    scope = scope_of(actor)
    if action == "sponsor.write" and actor.role != "admin":
        if actor.role == "desa":
            return resource.get("type") == "pemerintah_desa" and scope.covers_village(resource.get("village_code"))
        return scope.covers_regency(resource.get("regency_code")) and (
            not resource.get("village_code") or scope.covers_village(resource["village_code"]))
    if resource.get("village_code"):
        return scope.covers_village(resource["village_code"])
    if "regency_code" in resource:
        return scope.covers_regency(resource["regency_code"])
    return scope.everything


def allowed(actor: Actor | None, action: str, resource: Mapping[str, Any] | None = None) -> bool:
    """May ``actor`` take ``action`` (on ``resource``: a row with ``village_code`` or
    ``regency_code``)? Unknown actions and actors are refused."""
    if actor is None or action not in ACTIONS or actor.role not in ACTIONS[action][0]:
        return False
    return resource is None or _inside(actor, action, resource)


def require(actor: Actor, action: str, resource: Mapping[str, Any] | None = None) -> None:
    """``allowed`` or raise ``Forbidden`` with an Indonesian message."""
    if allowed(actor, action, resource):
        return
    words = ACTIONS[action][1] if action in ACTIONS else action
    if resource is not None and allowed(actor, action):
        raise Forbidden(f"Anda tidak berwenang {words} di luar wilayah tugas Anda.")
    raise Forbidden(f"Peran Anda tidak berwenang {words}.")


def require_visible(actor: Actor, action: str, resource: Mapping[str, Any] | None, what: str) -> Mapping[str, Any]:
    """A record the actor opens by id, read through a scoped query (None when outside the
    scope): "tidak ditemukan", exactly like one that does not exist, so ids cannot be probed.
    A record that says where it lives is checked again here. A role without the action is
    refused outright."""
    require(actor, action)
    located = resource is not None and (resource.get("village_code") or "regency_code" in resource)
    if resource is None or (located and not allowed(actor, action, resource)):
        raise NotFound(f"{what} tidak ditemukan.")
    return resource


def schemes_for(registry, actor: Actor | None, action: str) -> dict:
    """The loaded schemes (code -> Scheme, in the registry's order) on which ``actor`` may take
    ``action``: those whose regency lies in its scope (every scheme for an administrator, the
    schemes of its villages' regency for a village operator; none when the role may not take
    the action at all). Every page that lists schemes offers only these."""
    return {code: scheme for code, scheme in registry.schemes.items()
            if allowed(actor, action, {"regency_code": scheme.regency_code})}


def visible_scheme(registry, code: str, actor: Actor, action: str):
    """The scheme ``code`` if the actor may take ``action`` on it (its regency is in scope)."""
    scheme = registry.scheme(code)
    require_visible(actor, action, {"regency_code": scheme.regency_code}, f"Skema \"{code}\"")
    return scheme


# What a masked role is shown, and what a list shows --------------------------------------

NIK_KEYS = ("nik", "sponsor_nik")
#: A NIP begins with its holder's birth date (YYYYMMDD): masked too.
NIP_KEYS = ("nip", "sponsor_nip")


def shown(actor: Actor, row: Mapping[str, Any]) -> dict:
    """A row as ``actor`` may see it: for a masked role NIKs are masked (``3324********0001``)
    and a birth date becomes the birth year. The hidden digits are the district and the birth
    date: with the full date beside the village, a masked NIK could be rebuilt."""
    row = dict(row)
    if not scope_of(actor).masked:
        return row
    for key in NIK_KEYS:
        if row.get(key):
            row[key] = mask_nik(row[key])
    for key in NIP_KEYS:
        if row.get(key):
            row[key] = "*" * 8 + str(row[key])[8:]
    if row.get("birth_date"):
        row["birth_year"] = str(row["birth_date"])[:4]
        row["birth_date"] = None
    return row


def listed(actor: Actor, row: Mapping[str, Any]) -> dict:
    """A row as a list on screen shows it, to every role: ``shown``, and every NIK masked
    (``3324********0001``). A list is read over shoulders and screenshotted; a name, a village
    and the masked NIK tell workers apart just as well (UU PDP). The full NIK stays where it is
    needed: the worker's own page (``shown``) and the exports Payung logs."""
    row = shown(actor, row)
    for key in NIK_KEYS:
        if row.get(key):
            row[key] = mask_nik(row[key])
    return row


def listed_rows(actor: Actor, rows) -> list[dict]:
    return [listed(actor, r) for r in rows]
