"""Turn what people type into spreadsheets into clean values; say why when it cannot.

Each parser returns the clean value or raises ``ValueError`` with an Indonesian reason.
Results for repeated text (the same village, date or income on many rows) are cached.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from decimal import Decimal
from functools import lru_cache

from payung.base import clock
from payung.base.identity import ascii_digits
from payung.base.months import MONTH_NAMES
from payung.base.text import search_key

MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "maret": 3, "mar": 3, "april": 4,
    "apr": 4, "mei": 5, "may": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8, "agu": 8, "agt": 8,
    "ags": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11, "nopember": 11, "nop": 11, "desember": 12, "des": 12, "dec": 12,
}
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
# An ISO date, or the date and time a spreadsheet writes ("1975-08-17 00:00:00"): nothing else after it.
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$")
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
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(NOT_A_NUMBER.format(what="tanggal"))
        if 1 <= value < 80000 and float(value).is_integer():
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError(f"\"{value}\" bukan tanggal")
    return _parse_date_text(str(value).strip(), today or clock.today())


@lru_cache(maxsize=65536)
def _parse_date_text(text: str, today: dt.date) -> dt.date:
    parts = None
    if match := _ISO_DATE.match(text):
        parts = int(match[1]), int(match[2]), int(match[3])
    elif match := _NUMERIC_DATE.match(text):
        parts = _year(match[3], today), int(match[2]), int(match[1])
    elif (match := _WORD_DATE.match(text)) and (month := MONTHS.get(match[2].lower())):
        parts = _year(match[3], today), month, int(match[1])
    elif text.isdigit():
        try:
            return parse_date(int(text), today)
        except ValueError:
            pass
    if parts is None:
        raise ValueError(f"\"{text}\" bukan tanggal yang dikenali (contoh 17-08-1975 atau 17 Agustus 1975)")
    try:
        return dt.date(*parts)
    except ValueError:
        day_first = _NUMERIC_DATE.match(text) is not None
        raise ValueError(f"\"{text}\" bukan tanggal yang ada: {_impossible(*parts, day_first)}") from None


def _impossible(year: int, month: int, day: int, day_first: bool) -> str:
    """Why a date read as ``year``, ``month``, ``day`` is on no calendar, as a person would fix it
    (``day_first``: typed as 17-08-1975, where a month-first date is the likely slip)."""
    if not 1 <= month <= 12:
        swapped = "; tanggal ditulis lebih dulu, lalu bulan (17-08-1975)" if day_first and 1 <= day <= 12 else ""
        return f"bulan {month} tidak ada{swapped}"
    if not 1 <= year <= 9999:
        return f"tahun {year} tidak ada"
    return f"{MONTH_NAMES[month - 1]} {year} tidak punya tanggal {day}"


def split_place_date(value) -> tuple[str, object]:
    """"Kendal, 17-08-1975" -> ("Kendal", "17-08-1975")."""
    if isinstance(value, (dt.date, int, float)):
        return "", value
    text = str(value).strip()
    place, sep, rest = text.rpartition(",")
    if not sep:
        # "Kendal 17-08-1975": cut before the first digit that follows spaces. Read in one pass (a
        # regular expression backtracked quadratically on a cell of thousands of spaces).
        i = 0
        while i < len(text):
            if not text[i].isspace():
                i += 1
                continue
            j = i
            while j < len(text) and text[j].isspace():
                j += 1
            if j < len(text) and text[j].isdecimal():
                return text[:i].strip(), text[j:].strip()
            i = j
        return "", text
    return place.strip(), rest.strip()


#: A number cell Excel could not hold (1e400 is infinity) or that is no number (NaN).
NOT_A_NUMBER = "sel berisi angka yang tidak dapat dibaca (tak hingga atau bukan angka); ketik ulang {what}nya"
_SCALES = {"rb": 1_000, "ribu": 1_000, "jt": 1_000_000, "juta": 1_000_000, "miliar": 1_000_000_000,
           "milyar": 1_000_000_000}
_PREFIX = re.compile(r"^(?:rp\.?|idr)\s*", re.IGNORECASE)
# "Rp 750.000,-": the Indonesian way to say "whole Rupiah".
_WHOLE_END = re.compile(r"[.,]-$")
_PLAIN = re.compile(r"\d{1,40}")
_DOT_GROUPS = re.compile(r"\d{1,3}(?:\.\d{3})+")           # 2.500.000 (Indonesian)
_COMMA_GROUPS = re.compile(r"\d{1,3}(?:,\d{3}){2,}")       # 2,500,000 (two groups or more: no decimal comma)
_SPACE_GROUPS = re.compile(r"\d{1,3}(?: \d{3})+")          # 2 500 000
# With cents (accepted when they are zero): 2.500.000,00 / 2,500,000.00 / 2500000,00 / 2500000.0
_WITH_CENTS = ((re.compile(r"(\d{1,3}(?:\.\d{3})+),(\d{1,2})"), "."),
               (re.compile(r"(\d{1,3}(?:,\d{3})+)\.(\d{1,2})"), ","),
               (re.compile(r"(\d{1,40})[.,](\d{1,2})"), ""))
_SCALED = re.compile(r"(\d{1,12})(?:([.,])(\d{1,2}))?\s*([a-z]+)")  # 1,5 juta, 2jt, 500 rb
_MINUS = ("-", "\u2212", "\u2012", "\u2013", "\u2014")  # hyphen, minus sign, dashes
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
_MAX_QUOTED = 40
EXAMPLE = "contoh 1.000.000, Rp 1.000.000 atau 1,5 juta"


def _quoted(text: str) -> str:
    return f"\"{text[:_MAX_QUOTED]}...\"" if len(text) > _MAX_QUOTED else f"\"{text}\""


@lru_cache(maxsize=4096)
def _rupiah_text(text: str) -> int:
    """Payung's own reading of a typed amount: only what can mean one number. Anything else
    is refused with the reason; a wrong number is never returned."""
    shown = _quoted(text)
    if not text:
        raise ValueError("jumlah Rupiah kosong")
    if "(" in text or ")" in text:
        raise ValueError(f"{shown}: jumlah dalam kurung (angka negatif di Excel) tidak diterima; isi jumlah positif "
                         "tanpa kurung")
    body = _SPACES.sub(" ", text).strip()
    if body.startswith(_MINUS) or body.endswith("-") and not _WHOLE_END.search(body):
        raise ValueError(f"{shown}: jumlah negatif tidak diterima; isi jumlah positif")
    body = _PREFIX.sub("", body)
    if body.startswith(_MINUS):
        raise ValueError(f"{shown}: jumlah negatif tidak diterima; isi jumlah positif")
    number = body.lower()
    if match := _SCALED.fullmatch(number):
        whole, separator, decimals, word = match.groups()
        if word not in _SCALES:
            raise ValueError(f"{shown} bukan jumlah Rupiah ({EXAMPLE})")
        amount = Decimal(f"{whole}.{decimals or 0}") * _SCALES[word]
        if amount != amount.to_integral_value():
            raise ValueError(f"{shown}: Rupiah harus bulat")
        return int(amount)
    if _PLAIN.fullmatch(number):
        return int(number)
    for pattern, thousands in _WITH_CENTS:
        if match := pattern.fullmatch(number):
            if int(match[2]):
                raise ValueError(f"{shown}: Rupiah harus bulat")
            return int(match[1].replace(thousands, "")) if thousands else int(match[1])
    number = _WHOLE_END.sub("", number)
    for pattern, separator in ((_DOT_GROUPS, "."), (_COMMA_GROUPS, ","), (_SPACE_GROUPS, " ")):
        if pattern.fullmatch(number) or _PLAIN.fullmatch(number):
            return int(number.replace(separator, ""))
    if re.fullmatch(r"\d{1,3},\d{3}", number):
        raise ValueError(f"{shown} bisa berarti dua angka (pemisah ribuan atau desimal): tulis tanpa koma, "
                         "misalnya 2500 atau 2.500")
    raise ValueError(f"{shown} bukan jumlah Rupiah ({EXAMPLE})")


#: More digits than any amount has (a plain number of more is refused as no amount either): a
#: text of thousands, grouped by dots, reached Python's own limit on turning digits into a
#: number, and its English "Exceeds the limit (4300 digits)" reached the page.
MAX_DIGITS = 40


def parse_rupiah_cell(value) -> int:
    """A whole, positive-or-zero Rupiah amount from a cell: a number cell, or text written
    ``2500000``, ``2.500.000``, ``Rp 2.500.000``, ``Rp2.500.000,00``, ``Rp 750.000,-``,
    ``2 500 000``, ``2,500,000`` (two comma groups or more: no decimal comma), ``1,5 juta``,
    ``2 jt``, ``500 rb``. Refused with the reason: a negative or bracketed amount, cents,
    ``2,500`` (2.500 or 2,5?), and anything else. Digits of other scripts count (``١٠٠٠``)."""
    if isinstance(value, str) and sum(c.isdigit() for c in value) > MAX_DIGITS:  # before any int() of it
        raise ValueError(f"{_quoted(value.strip())} bukan jumlah Rupiah (lebih dari {MAX_DIGITS} angka)")
    return _parse_rupiah(value)


def _parse_rupiah(value) -> int:
    if isinstance(value, bool):
        raise ValueError("bukan jumlah Rupiah")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"\"{value}\": jumlah negatif tidak diterima; isi jumlah positif")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(NOT_A_NUMBER.format(what="jumlah"))
        if value < 0:
            raise ValueError(f"\"{value:.0f}\": jumlah negatif tidak diterima; isi jumlah positif")
        if not value.is_integer():
            raise ValueError(f"\"{value}\": Rupiah harus bulat")
        return int(value)
    if not isinstance(value, str):
        raise ValueError(f"{_quoted(str(value))} bukan jumlah Rupiah ({EXAMPLE})")
    text = value.strip()
    return _rupiah_text(text if text.isascii() else ascii_digits(text).strip())


def nik_cell(value) -> str:
    """The NIK as text. A number cell lost its 16th digit in Excel (15 significant digits):
    that is reported, never guessed."""
    if isinstance(value, bool):
        raise ValueError("NIK tidak valid")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NIK di sel ini berupa angka yang tidak dapat dibaca (tak hingga atau bukan angka); format "
                         "kolom NIK sebagai Teks lalu ketik ulang NIK")
    if isinstance(value, (int, float)):
        number = int(value)
        digits = str(number)
        if len(digits) == 16 and digits.endswith("0") or len(digits) > 16:
            raise ValueError(
                f"NIK {digits[:20]} tersimpan sebagai angka di Excel sehingga digit terakhirnya hilang. "
                "Format kolom NIK sebagai Teks, ketik ulang NIK, lalu impor lagi.")
        return digits
    return ascii_digits(str(value).strip().lstrip("'"))


GENDER_WORDS = {"l": "L", "lk": "L", "laki": "L", "lakilaki": "L", "pria": "L", "m": "L", "male": "L",
                "p": "P", "pr": "P", "perempuan": "P", "wanita": "P", "w": "P", "f": "P", "female": "P"}


@lru_cache(maxsize=256)
def parse_gender(value) -> str:
    key = re.sub(r"[^a-z]", "", str(value).lower())
    if key not in GENDER_WORDS:
        raise ValueError(f"\"{value}\": jenis kelamin harus L atau P")
    return GENDER_WORDS[key]


def parse_flag(value) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "ya", "y", "yes", "true", "v", "✓", "x"):
        return True
    if text in ("", "0", "tidak", "t", "no", "false", "-", "none"):
        return False
    raise ValueError(f"\"{value}\": isi Ya atau Tidak")


def normalize_name(text) -> str:
    """For matching region, occupation, sponsor and budget names: any case, no accents
    (``search_key``: "José" is "jose", not "jos"), no prefixes or punctuation; letters of other
    scripts kept (a name in Chinese characters was no name at all, and matched every other)."""
    text = re.sub(r"[^\w ]+|_", " ", search_key(str(text)))
    text = re.sub(r"^(desa|kelurahan|kel|ds|pekon|kecamatan|kec|kab|kabupaten)\s+", "", text.strip())
    return re.sub(r"\s+", " ", text).strip()


#: How alike (difflib's ratio) a village name must be to a name not found to be suggested
#: ("Kwasan" -> "maksudnya Kwasen?"); ``Matcher.find`` itself takes only a name above 0.85.
SUGGEST_CUTOFF = 0.6
#: Distinct names not found that one resolver (one import) looks for suggestions of: each costs
#: a comparison with every village searched (some 3 ms over a regency's, 15 ms over a
#: province's), and a file whose Desa column holds addresses has a new name on every row.
SUGGESTIONS_MAX = 200
#: Names suggested beside the closest one: only those nearly as alike as it.
SUGGEST_SPREAD = 0.1


def sentence(text: str) -> str:
    """A parser's reason as a sentence of its own: capitalised, with a full stop unless it
    already ends with one (or with the question of a suggestion)."""
    text = text.strip()
    return f"{text[:1].upper()}{text[1:]}" + ("" if text.endswith((".", "?", "!")) else ".")


class Matcher:
    """Find a code from a typed name: exact (normalised) first, then a close spelling. Two
    equally good candidates are reported as ambiguous, never guessed."""

    def __init__(self, names: dict[str, str], aliases: dict[str, str] | None = None):
        """``names``: code -> name; ``aliases``: other names people type -> code."""
        self.by_name: dict[str, set[str]] = {}
        for name, code in [(n, c) for c, n in names.items()] + list((aliases or {}).items()):
            for key in {normalize_name(name), normalize_name(name).replace(" ", "")}:
                self.by_name.setdefault(key, set()).add(code)

    def knows(self, code: str) -> bool:
        """Whether ``code`` is one of the codes this matcher finds."""
        return any(code in codes for codes in self.by_name.values())

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

    def closest(self, typed, n: int = 3, cutoff: float = SUGGEST_CUTOFF) -> list[str]:
        """The codes of at most ``n`` names most like ``typed``, the likeliest first, leaving out
        those clearly further than the best (``SUGGEST_SPREAD``): looser than ``find`` (a
        suggestion for a person to confirm, never a guess Payung acts on)."""
        key = normalize_name(typed)
        close = difflib.get_close_matches(key, list(self.by_name), n=2 * n, cutoff=cutoff)
        if not close:
            return []
        scored = sorted((-difflib.SequenceMatcher(None, key, name).ratio(), name) for name in close)
        codes: list[str] = []
        for score, name in scored:
            if -score >= -scored[0][0] - SUGGEST_SPREAD:
                codes += [c for c in sorted(self.by_name[name]) if c not in codes]
        return codes[:n]


def district_of(village: str) -> str:
    """The kecamatan code of a village code ("33.24.01.2001" -> "33.24.01")."""
    return village.rsplit(".", 1)[0]


class RegionResolver:
    """Village codes from "Desa/Kel." and "Kec." columns (or a code), within the configured regencies."""

    def __init__(self, districts: dict[str, str], villages: dict[str, str], *, suggested: frozenset[str] | None = None):
        """``suggested``: the village codes a suggestion may name (None: every village)."""
        self.district_names = districts
        self.village_names = villages
        self.suggested = suggested
        self.districts = Matcher(districts)
        self.all_villages = Matcher(villages)
        self._by_district: dict[str, Matcher] = {}
        self._cache: dict[tuple, str] = {}
        self._regencies: dict[str, RegionResolver] = {}
        self._suggested = 0
        self._read_as: dict[tuple[str, str], str | None] = {}

    def within(self, regency: str) -> "RegionResolver":
        """The same resolver over one regency's districts and villages only (a scheme's own
        villages: "Pasir" of Mempawah, not "Pasir" of Pemalang)."""
        if regency not in self._regencies:
            prefix = regency + "."
            self._regencies[regency] = RegionResolver(
                {c: n for c, n in self.district_names.items() if c.startswith(prefix)},
                {c: n for c, n in self.village_names.items() if c.startswith(prefix)}, suggested=self.suggested)
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

    def read_as(self, village: str, code: str) -> str | None:
        """The name of village ``code`` when ``village`` found it as a close spelling, not as its
        name ("Tlogopayang" for Tlogopayung), with its kecamatan; None for its own name or code.
        Once per distinct name and village (every row of an import asks)."""
        key = (village, code)
        if key not in self._read_as:
            self._read_as[key] = self._close_spelling(village, code)
        return self._read_as[key]

    def _close_spelling(self, village: str, code: str) -> str | None:
        typed = normalize_name(village).replace(" ", "")
        name = self.village_names.get(code, "")
        if not typed or typed.isdigit() or typed == normalize_name(name).replace(" ", ""):
            return None
        return f"{name} (Kecamatan {self.district_names.get(district_of(code), district_of(code))})"

    def _hint(self, village: str, searched: Matcher) -> str:
        """What a person most likely mixed up when ``village`` was not found: a village of that
        name in another kecamatan (the kecamatan column is wrong), or a kecamatan's name typed in
        the village column."""
        elsewhere = [] if searched is self.all_villages else self.all_villages.find(village)
        if elsewhere:
            districts = sorted({self.district_names.get(district_of(c), district_of(c)) for c in elsewhere})
            return (f"; desa/kelurahan dengan nama itu ada di Kecamatan {', '.join(districts[:3])}: periksa kolom "
                    "kecamatan")
        if found := self.districts.find(village):
            exact = normalize_name(village) in self.districts.by_name
            said = "itu nama kecamatan" if exact else f"mirip nama Kecamatan {self.district_names[found[0]]}"
            return f"; {said}: isi nama desa/kelurahan di kolom desa, dan nama kecamatan di kolom kecamatan"
        return self._suggestion(village, searched)

    def _suggestion(self, village: str, searched: Matcher) -> str:
        """"; maksudnya Kwasen?": the closest names among the villages searched (the row's
        kecamatan, or every village served when the row names none, then each with its
        kecamatan). Only a name not found gets here, once per distinct name and kecamatan
        (``village`` caches the refusal): a valid row never pays for it; past
        ``SUGGESTIONS_MAX`` names (a wrong column mapped as Desa) none is looked for."""
        if self._suggested >= SUGGESTIONS_MAX:
            return ""
        self._suggested += 1
        anywhere = searched is self.all_villages
        if self.suggested is not None:  # a village operator: among its own villages searched
            searched = Matcher({c: self.village_names[c] for c in self.suggested
                                if c in self.village_names and searched.knows(c)})
        codes = searched.closest(village)
        if not codes:
            return ""
        if anywhere:
            names = [f"{self.village_names[c]} (Kecamatan "
                     f"{self.district_names.get(district_of(c), district_of(c))})" for c in codes]
        else:
            names = list(dict.fromkeys(self.village_names[c] for c in codes))
        said = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} atau {names[-1]}"
        return f"; maksudnya {said}?"

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
            raise ValueError(f"desa/kelurahan \"{village}\" tidak ditemukan{where}{self._hint(village, scope)}")
        if len(codes) > 1:
            names = ", ".join(f"{self.village_names[c]} ({c})" for c in codes[:5])
            raise ValueError(f"desa/kelurahan \"{village}\" ambigu: {names}; isi kolom kecamatan")
        return codes[0]
