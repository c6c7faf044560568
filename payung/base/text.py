"""Text people type or import: no invisible control characters, and no more than a field holds.

A name, an address or a note may carry characters nobody can see: ESC and BEL from a terminal
or a broken CSV, NUL from an ``.xlsx`` cell written ``_x0000_``, C1 controls from text decoded
with the wrong encoding. They make a name that looks like another, and XML (every ``.xlsx``
Payung writes) cannot hold most of them at all. A text pasted by mistake (a whole document into
a name) would be stored and shown on every list and bill: each field takes at most ``max_chars``.
Every service that stores typed text asks ``text_problem`` (forms and imports alike), and each
form's box is given the same ``max_chars``; ``xml_safe`` makes text already stored writable.
"""

from __future__ import annotations

import re

from payung.base.errors import Problem
from payung.base.formats import count

# C0 controls but tab, line feed and carriage return; DEL; C1 controls; lone surrogates; the
# noncharacters U+FFFE and U+FFFF.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What XML 1.0 cannot hold (openpyxl raises IllegalCharacterError on it): C0 controls but tab,
# line feed and carriage return, lone surrogates, U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


#: The longest text a field takes, in characters: a name, title, reference or other one-line entry;
#: a free text (an address, a note, a reason, a description).
LINE_MAX = 200
TEXT_MAX = 2000
#: The fields (by name, in every form and import) that take a free text of up to ``TEXT_MAX``.
LONG_FIELDS = frozenset({"address", "note", "reason", "description", "legal_basis", "help"})


def max_chars(field: str | None) -> int:
    """How many characters the field ``field`` takes (the forms' ``max_chars`` too)."""
    return TEXT_MAX if field in LONG_FIELDS else LINE_MAX


def length_message(label: str, length: int, limit: int) -> str:
    return (f"{label} terlalu panjang ({count(length)} karakter); paling banyak {count(limit)} karakter. "
            "Persingkat isiannya lalu simpan lagi.")


def control_characters(value) -> list[str]:
    """The distinct control characters in ``value`` (in order of first appearance)."""
    if value is None:
        return []
    text = value if type(value) is str else str(value)
    if text.isprintable() or not _CONTROL.search(text):
        return []
    return list(dict.fromkeys(_CONTROL.findall(text)))


def describe(chars: list[str]) -> str:
    """``U+001B (ESC), U+0000 (NUL)``: how the characters are named in a message."""
    names = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x1B: "ESC", 0x7F: "DEL"}
    return ", ".join(f"U+{ord(c):04X}" + (f" ({names[ord(c)]})" if ord(c) in names else "") for c in chars[:5])


def control_message(label: str, chars: list[str]) -> str:
    return (f"{label} memuat karakter kendali yang tidak terlihat ({describe(chars)}); hapus karakter itu "
            "(ketik ulang isiannya) lalu simpan lagi.")


def text_problem(field: str | None, label: str, value, rule: str = "control_characters") -> Problem | None:
    """The problem of a typed text longer than the field takes (``max_chars``) or holding control
    characters, or None."""
    if isinstance(value, str) and len(value) > (limit := max_chars(field)):
        return Problem(field, length_message(label, len(value), limit), "too_long")
    chars = control_characters(value)
    return Problem(field, control_message(label, chars), rule) if chars else None


def text_problems(values, labels: dict[str, str]) -> list[Problem]:
    """``text_problem`` for each ``field: label`` of ``labels`` present in ``values`` (checked
    for every row of a 200.000-row import: printable text is passed over at once)."""
    problems = []
    for name, label in labels.items():
        value = values.get(name)
        if value is None or (type(value) is str and len(value) <= LINE_MAX and value.isprintable()):
            continue
        if problem := text_problem(name, label, value):
            problems.append(problem)
    return problems


def xml_safe(text: str) -> str:
    """Text that XML (an .xlsx cell) can hold: each illegal character becomes U+FFFD."""
    return _XML_ILLEGAL.sub("\ufffd", text) if not text.isprintable() else text


#: Words of a name written in lower case in Title Case ("Ahmad bin Yusuf").
_NAME_PARTICLES = frozenset({"bin", "binti", "van", "der", "de", "da", "al"})


def person_name(text: str) -> str:
    """A name the way Payung writes every name: Title Case ("Siti Aminah"), chosen so lists
    read alike whether a name was typed in lower case ("siti aminah") or copied from a KTP in
    capitals ("SITI AMINAH"). A name already typed in mixed case is kept as typed
    ("Siti Nur'aini", "La Ode Muhammad"): its writer knew better. Spaces are collapsed."""
    name = " ".join(str(text or "").split())
    lower, upper = name.lower(), name.upper()
    if lower == upper or (name != lower and name != upper):  # no letters with a case, or mixed case
        return name

    def word(w: str, first: bool) -> str:
        lower = w.lower()
        if not first and lower in _NAME_PARTICLES:
            return lower
        # "Nur'aini", "Abdul-Rahman": capitals after a hyphen, not after an apostrophe.
        return "-".join(part[:1].upper() + part[1:] for part in lower.split("-"))

    return " ".join(word(w, i == 0) for i, w in enumerate(name.split(" ")))
