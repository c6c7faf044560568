"""Who is acting, and what they may touch. Services check this; pages only hide buttons.

Roles: ``admin`` (everything), ``operator`` (all data of their regency, or of every configured
regency when none is set), ``desa`` (only the villages assigned to them), ``viewer``
(read-only, NIK masked).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import PayungError

ROLES = {
    "admin": "Administrator",
    "operator": "Operator kabupaten",
    "desa": "Operator desa",
    "viewer": "Pemantau (hanya lihat)",
}


class Forbidden(PayungError):
    """The actor may not do this."""


@dataclass(frozen=True)
class Actor:
    username: str
    role: str = "admin"
    regency_code: str | None = None
    villages: tuple[str, ...] = ()

    @classmethod
    def system(cls, name: str = "sistem") -> "Actor":
        return cls(username=name, role="admin")

    @property
    def can_write(self) -> bool:
        return self.role in ("admin", "operator", "desa")

    @property
    def sees_full_nik(self) -> bool:
        return self.role != "viewer"

    def may_see_village(self, village_code: str | None) -> bool:
        if self.role == "desa":
            return village_code in self.villages
        if self.role in ("operator", "viewer") and self.regency_code:
            return bool(village_code) and village_code.startswith(self.regency_code + ".")
        return True

    def scope(self) -> dict:
        """The part of the data this actor sees, as query filters (``villages`` or ``region_prefix``)."""
        if self.role == "desa":
            return {"villages": list(self.villages)}
        if self.role in ("operator", "viewer") and self.regency_code:
            return {"region_prefix": self.regency_code}
        return {}

    def require_write(self, village_code: str | None = None) -> None:
        if not self.can_write:
            raise Forbidden("Peran Anda hanya boleh melihat data, tidak mengubahnya.")
        if village_code is not None and not self.may_see_village(village_code):
            raise Forbidden("Anda tidak berwenang mengubah data di luar wilayah tugas Anda.")

    @property
    def runs_regency(self) -> bool:
        """Regency-wide work (bills and payments, the BPJS exchange): admins and operators."""
        return self.role in ("admin", "operator")

    def require_regency(self) -> None:
        if not self.runs_regency:
            raise Forbidden("Hanya administrator dan operator kabupaten yang boleh melakukan ini.")

    def require_admin(self) -> None:
        if self.role != "admin":
            raise Forbidden("Hanya administrator yang boleh melakukan ini.")
