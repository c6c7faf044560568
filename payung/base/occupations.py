"""Occupations of pekerja rentan: every one the source articles name, plus the roles that
regency budgets cover (RT heads, BHP, election officers, non-ASN staff...).

Codes are stored; labels are shown. A regency adds its own under ``[occupations]`` in
``config.toml``.
"""

from __future__ import annotations

from functools import lru_cache

#: The built-in occupation codes and their labels (``[occupations]`` of config.toml adds more).
OCCUPATIONS: dict[str, str] = {
    "petani": "Petani",
    "nelayan": "Nelayan",
    "peternak": "Peternak",
    "pedagang_pasar": "Pedagang pasar",
    "pedagang_kaki_lima": "Pedagang kaki lima",
    "tukang_sayur": "Tukang sayur",
    "tukang_ojek": "Tukang ojek",
    "sopir": "Sopir angkutan",
    "buruh_tani": "Buruh tani",
    "buruh_harian_lepas": "Buruh harian lepas",
    "takmir_marbot": "Takmir/marbot masjid",
    "guru_tpa_tpq": "Guru TPA/TPQ",
    "pekerja_sosial_keagamaan": "Pekerja sosial keagamaan",
    "pegawai_sara": "Pegawai SARA (pegawai syara')",
    "ketua_rt": "Ketua RT",
    "anggota_bhp": "Anggota BHP (Badan Hippun Pemekonan)",
    "petugas_pemilu": "Petugas pemilu ad hoc (PPK/PPS/KPPS)",
    "tenaga_non_asn": "Tenaga non-ASN",
    "aparatur_desa": "Aparatur desa",
    "pekerja_mandiri": "Pekerja mandiri lainnya",
}


#: Informal, self-employed occupations: the pekerja rentan most schemes cover.
VULNERABLE = (
    "petani", "buruh_tani", "nelayan", "peternak", "pedagang_pasar", "pedagang_kaki_lima", "tukang_sayur",
    "tukang_ojek", "sopir", "buruh_harian_lepas", "takmir_marbot", "guru_tpa_tpq", "pekerja_sosial_keagamaan",
    "pekerja_mandiri",
)


def occupations(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The built-in list plus the configured extras (code -> label)."""
    return _merged(tuple(sorted((extra or {}).items())))


@lru_cache(maxsize=8)
def _merged(extra: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {**OCCUPATIONS, **dict(extra)}


#: The occupations of the settings in force (config.toml's and those added in the browser), so
#: rules and messages name an added occupation by its label ("Buruh nelayan", never "buruh_nelayan").
_configured: dict[str, str] = {}


def configure(extra: dict[str, str]) -> None:
    """Set the configured occupations (``Payung.load`` calls this with the settings it loads)."""
    global _configured
    _configured = dict(extra)


def label(code: str, extra: dict[str, str] | None = None) -> str:
    return occupations(_configured if extra is None else extra).get(code, code)
