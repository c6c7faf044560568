"""Turn what people type into spreadsheets into clean values; say why when it cannot.

Each parser returns the clean value or raises ``ValueError`` with an Indonesian reason.
Results for repeated text (the same village, date or income on many rows) are cached.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from functools import lru_cache

from lokal import parse_rupiah

from ..identity import ascii_digits

MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "maret": 3, "mar": 3, "april": 4,
    "apr": 4, "mei": 5, "may": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8, "agu": 8, "agt": 8,
    "ags": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11, "nopember": 11, "nop": 11, "desember": 12, "des": 12, "dec": 12,
}
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_WORD_DATE = re.compile(r"^(\d{1,2})[\s\-/.]+([a-zA-Z]+)[\s\-/.,]+(\d{2}|\d{4})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _year(text: str, today: dt.date) -> int:
    if len(text) == 4:
        return int(text)
    yy = int(text)
    # A two-digit birth year: the century that makes a person of working age.
    return 2000 + yy if 2000 + yy <= today.year - 15 else 1900 + yy


def parse_date(value, today: dt.date | None = None) -> dt.date:
    """17-08-1975, 17/08/75, 1975-08-17, 17 Agustus 1975, an Excel date or serial number."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 80000 and float(value).is_integer():
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError(f"\"{value}\" bukan tanggal")
    return _parse_date_text(str(value).strip(), today or dt.date.today())


@lru_cache(maxsize=65536)
def _parse_date_text(text: str, today: dt.date) -> dt.date:
    try:
        if match := _ISO_DATE.match(text):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if match := _NUMERIC_DATE.match(text):
            return dt.date(_year(match[3], today), int(match[2]), int(match[1]))
        if match := _WORD_DATE.match(text):
            month = MONTHS.get(match[2].lower())
            if month:
                return dt.date(_year(match[3], today), month, int(match[1]))
        if text.isdigit():
            return parse_date(int(text), today)
    except ValueError:
        pass
    raise ValueError(f"\"{text}\" bukan tanggal yang dikenali (contoh 17-08-1975 atau 17 Agustus 1975)")


def split_place_date(value) -> tuple[str, object]:
    """"Kendal, 17-08-1975" -> ("Kendal", "17-08-1975")."""
    if isinstance(value, (dt.date, int, float)):
        return "", value
    text = str(value).strip()
    place, sep, rest = text.rpartition(",")
    if not sep:
        match = re.match(r"^(.*?)\s+(\d.*)$", text)
        return (match[1].strip(), match[2].strip()) if match else ("", text)
    return place.strip(), rest.strip()


@lru_cache(maxsize=4096)
def _rupiah_text(text: str) -> int:
    if text.startswith("-"):
        return -_rupiah_text(text[1:].strip())
    parsed = parse_rupiah(text)
    if parsed is None or parsed.amount is None:
        raise ValueError(f"\"{text}\" bukan jumlah Rupiah")
    if parsed.amount != int(parsed.amount):
        raise ValueError(f"\"{text}\": Rupiah harus bulat")
    return int(parsed.amount)


def parse_rupiah_cell(value) -> int:
    """1.000.000, Rp 1 jt, 1,5 juta, or a number cell."""
    if isinstance(value, bool):
        raise ValueError("bukan jumlah Rupiah")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"\"{value}\": Rupiah harus bulat")
        return int(value)
    text = str(value).strip()
    return _rupiah_text(text if text.isascii() else ascii_digits(text))


def nik_cell(value) -> str:
    """The NIK as text. A number cell lost its 16th digit in Excel (15 significant digits):
    that is reported, never guessed."""
    if isinstance(value, bool):
        raise ValueError("NIK tidak valid")
    if isinstance(value, (int, float)):
        number = int(value)
        digits = str(number)
        if len(digits) == 16 and digits.endswith("0") or len(digits) > 16:
            raise ValueError(
                f"NIK {digits} tersimpan sebagai angka di Excel sehingga digit terakhirnya hilang. "
                "Format kolom NIK sebagai Teks, ketik ulang NIK, lalu impor lagi.")
        return digits
    return ascii_digits(str(value).strip().lstrip("'"))


GENDERS = {"l": "L", "lk": "L", "laki": "L", "lakilaki": "L", "pria": "L", "m": "L", "male": "L",
           "p": "P", "pr": "P", "perempuan": "P", "wanita": "P", "w": "P", "f": "P", "female": "P"}


@lru_cache(maxsize=256)
def parse_gender(value) -> str:
    key = re.sub(r"[^a-z]", "", str(value).lower())
    if key not in GENDERS:
        raise ValueError(f"\"{value}\": jenis kelamin harus L atau P")
    return GENDERS[key]


def parse_flag(value) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "ya", "y", "yes", "true", "v", "✓", "x"):
        return True
    if text in ("", "0", "tidak", "t", "no", "false", "-", "none"):
        return False
    raise ValueError(f"\"{value}\": isi Ya atau Tidak")


def normalize_name(text) -> str:
    """For matching region and occupation names: lower case, no prefixes or punctuation."""
    text = re.sub(r"[^a-z0-9 ]+", " ", str(text).lower())
    text = re.sub(r"^(desa|kelurahan|kel|ds|pekon|kecamatan|kec|kab|kabupaten)\s+", "", text.strip())
    return re.sub(r"\s+", " ", text).strip()


class Matcher:
    """Find a code from a typed name: exact (normalised) first, then a close spelling. Two
    equally good candidates are reported as ambiguous, never guessed."""

    def __init__(self, names: dict[str, str], aliases: dict[str, str] | None = None):
        """``names``: code -> name; ``aliases``: other names people type -> code."""
        self.by_name: dict[str, set[str]] = {}
        for name, code in [(n, c) for c, n in names.items()] + list((aliases or {}).items()):
            for key in {normalize_name(name), normalize_name(name).replace(" ", "")}:
                self.by_name.setdefault(key, set()).add(code)

    def find(self, typed) -> list[str]:
        key = normalize_name(typed)
        codes = self.by_name.get(key) or self.by_name.get(key.replace(" ", ""))
        if codes:
            return sorted(set(codes))
        close = difflib.get_close_matches(key, list(self.by_name), n=3, cutoff=0.85)
        if not close:
            return []
        best = difflib.SequenceMatcher(None, key, close[0]).ratio()
        tied = [c for c in close if difflib.SequenceMatcher(None, key, c).ratio() == best]
        return sorted({code for name in tied for code in self.by_name[name]})


class RegionResolver:
    """Village codes from "Desa/Kel." and "Kec." columns (or a code), within the configured regencies."""

    def __init__(self, districts: dict[str, str], villages: dict[str, str]):
        self.district_names = districts
        self.village_names = villages
        self.districts = Matcher(districts)
        self.all_villages = Matcher(villages)
        self._by_district: dict[str, Matcher] = {}
        self._cache: dict[tuple, str] = {}
        self._regencies: dict[str, RegionResolver] = {}

    def within(self, regency: str) -> "RegionResolver":
        """The same resolver over one regency's districts and villages only (a scheme's own
        villages: "Pasir" of Mempawah, not "Pasir" of Pemalang)."""
        if regency not in self._regencies:
            prefix = regency + "."
            self._regencies[regency] = RegionResolver(
                {c: n for c, n in self.district_names.items() if c.startswith(prefix)},
                {c: n for c, n in self.village_names.items() if c.startswith(prefix)})
        return self._regencies[regency]

    def _villages_in(self, district: str) -> Matcher:
        if district not in self._by_district:
            self._by_district[district] = Matcher(
                {c: n for c, n in self.village_names.items() if c.startswith(district + ".")})
        return self._by_district[district]

    def village(self, village, district=None) -> str:
        key = (str(village or "").strip(), str(district or "").strip())
        if key not in self._cache:
            try:
                self._cache[key] = self._resolve(*key)
            except ValueError as exc:
                self._cache[key] = exc
        found = self._cache[key]
        if isinstance(found, ValueError):
            raise found
        return found

    def _resolve(self, village: str, district: str) -> str:
        if not village:
            raise ValueError("desa/kelurahan kosong")
        code = re.sub(r"[^0-9]", "", village)
        if len(code) == 10 and code == re.sub(r"[\s.]", "", village):
            dotted = f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}"
            if dotted in self.village_names:
                return dotted
            raise ValueError(f"kode desa {village} tidak dikenal di kabupaten yang dilayani")
        scope = self.all_villages
        if district:
            districts = self.districts.find(district)
            if not districts:
                raise ValueError(f"kecamatan \"{district}\" tidak dikenal")
            if len(districts) > 1:
                names = ", ".join(f"{self.district_names[d]} ({d})" for d in districts)
                raise ValueError(f"kecamatan \"{district}\" ambigu: {names}")
            scope = self._villages_in(districts[0])
        codes = scope.find(village)
        if not codes:
            where = f" di Kecamatan {district}" if district else ""
            raise ValueError(f"desa/kelurahan \"{village}\" tidak ditemukan{where}")
        if len(codes) > 1:
            names = ", ".join(f"{self.village_names[c]} ({c})" for c in codes[:5])
            raise ValueError(f"desa/kelurahan \"{village}\" ambigu: {names}; isi kolom kecamatan")
        return codes[0]
