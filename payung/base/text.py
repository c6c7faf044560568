"""Text people type or import: only characters a reader sees for what they are, and no more
than a field holds.

A name, an address or a note may carry characters nobody can see: ESC and BEL from a terminal
or a broken CSV, NUL from an ``.xlsx`` cell written ``_x0000_``, C1 controls from text decoded
with the wrong encoding, a zero-width space or a right-to-left override pasted from a web page or
a chat. Or it may hold letters that look like Latin ones and are not: a Cyrillic "а" in "Sаnti",
a fullwidth "Ｓ". Each makes a name that looks like another (another account's import template,
another worker), and XML (every ``.xlsx`` Payung writes) cannot hold most control characters at
all. A text pasted by mistake (a whole document into a name) would be stored and shown on every
list and bill: each field takes at most ``max_chars``.

Every service that stores typed text asks ``text_problem`` (forms and imports alike; scheme
fields and declarations ask ``character_problem``), and each form's box is given the same
``max_chars``; ``xml_safe`` makes text already stored writable.
"""

from __future__ import annotations

import re
import unicodedata

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
    names = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x1B: "ESC", 0x7F: "DEL", 0xAD: "SHY", 0x200B: "ZWSP",
             0x200C: "ZWNJ", 0x200D: "ZWJ", 0x200E: "LRM", 0x200F: "RLM", 0x202E: "RLO", 0xFEFF: "BOM"}
    return ", ".join(f"U+{ord(c):04X}" + (f" ({names[ord(c)]})" if ord(c) in names else "") for c in chars[:5])


def control_message(label: str, chars: list[str]) -> str:
    return (f"{label} memuat karakter kendali yang tidak terlihat ({describe(chars)}); hapus karakter itu "
            "(ketik ulang isiannya) lalu simpan lagi.")


# Letters drawn as blank space (Hangul fillers, the blank Braille pattern): invisible, though
# Unicode files them as letters or symbols, not as format characters.
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_ZWJ = "\u200d"


def _emoji_joiner(text: str, at: int) -> bool:
    """Whether the zero-width joiner at ``at`` joins two emoji ("👨‍👩‍👧"), which it may."""
    if not 0 < at < len(text) - 1:
        return False
    before, after = text[at - 1], text[at + 1]
    return (before == "\ufe0f" or unicodedata.category(before) in ("So", "Sk")) and unicodedata.category(after) == "So"


def invisible_characters(text: str) -> list[str]:
    """The distinct characters of ``text`` a reader cannot see that are not control characters:
    Unicode's format characters (zero-width space and joiners, the marks, embeddings and
    overrides that turn text right to left, the byte-order mark, the soft hyphen, tag
    characters), private-use characters and blank letters. A joiner between two emoji is text."""
    found = [c for at, c in enumerate(text)
             if (c in _BLANK_CHARACTERS or unicodedata.category(c) in ("Cf", "Co"))
             and not (c == _ZWJ and _emoji_joiner(text, at))]
    return list(dict.fromkeys(found))


def invisible_message(label: str, chars: list[str]) -> str:
    return (f"{label} memuat karakter yang tidak terlihat ({describe(chars)}), misalnya spasi lebar nol atau "
            "tanda arah teks yang ikut tersalin dari web atau pesan; hapus karakter itu (ketik ulang isiannya) "
            "lalu simpan lagi.")


#: Scripts whose letters look like Latin ones ("а", "о", "р", "с", "е", "х" of Cyrillic; "Α", "Ο"
#: of Greek...): a name may not hold them, a free text only in words without Latin letters.
_LATIN_LOOKALIKE_SCRIPTS = {"CYRILLIC": "Kiril", "GREEK": "Yunani", "ARMENIAN": "Armenia",
                            "CHEROKEE": "Cherokee", "COPTIC": "Koptik", "LISU": "Lisu"}


def _script(letter: str) -> str:
    """The script of a letter, from its Unicode name ("LATIN", "CYRILLIC", "ARABIC"...)."""
    if letter < "\x80" or letter in "ªº":
        return "LATIN"
    return unicodedata.name(letter, "?").split(" ", 1)[0]


def _latin_form(letter: str) -> bool:
    """Whether ``letter``, not of the Latin script, is another form of a Latin letter: fullwidth
    "Ｓ", mathematical "𝐒" (their compatibility form is a plain Latin letter)."""
    plain = unicodedata.normalize("NFKC", letter)
    return plain != letter and plain.isascii() and plain.isalpha()


def lookalike_letters(text: str, free_text: bool = False) -> list[tuple[str, str]]:
    """``(letter, word)`` for each distinct letter of ``text`` that looks like a Latin letter and
    is not one: another form of a Latin letter anywhere; a letter of a script that looks like
    Latin (``_LATIN_LOOKALIKE_SCRIPTS``) in a one-line text (a name, a title), or in a free
    text's word that also holds Latin letters. Other scripts (Arabic, Javanese...) are text."""
    if text.isascii():
        return []
    found: dict[str, str] = {}
    for word in text.split():
        if word.isascii():
            continue
        letters = [(c, _script(c)) for c in word if c.isalpha() and unicodedata.category(c) != "Lm"]
        mixed = free_text and any(script == "LATIN" for _, script in letters)
        for letter, script in letters:
            if script != "LATIN" and (_latin_form(letter) or (script in _LATIN_LOOKALIKE_SCRIPTS
                                                              and (mixed or not free_text))):
                found.setdefault(letter, word)
    return list(found.items())


def lookalike_message(label: str, found: list[tuple[str, str]]) -> str:
    letter, word = found[0]
    script = _LATIN_LOOKALIKE_SCRIPTS.get(_script(letter))
    kind = f"huruf {script}" if script else "bentuk lain huruf Latin"
    more = f" dan {count(len(found) - 1)} huruf lain" if len(found) > 1 else ""
    return (f"{label} memuat huruf yang tampak seperti huruf Latin tetapi bukan: \"{letter}\" (U+{ord(letter):04X}, "
            f"{kind}) pada \"{word[:40]}\"{more}. Teks seperti itu terlihat sama dengan teks lain tetapi tidak "
            "sama; ketik ulang dengan huruf Latin biasa lalu simpan lagi.")


def character_problem(label: str, value, free_text: bool = False) -> tuple[str, str] | None:
    """``(rule, message)`` for a text holding control characters, invisible characters or
    letters that only look Latin (in that order), or None. ``free_text``: an address or a
    note, which may hold words of other scripts; a name or title (one line) may not."""
    if value is None:
        return None
    text = value if type(value) is str else str(value)
    if text.isascii() and text.isprintable():
        return None
    if chars := control_characters(text):
        return "control_characters", control_message(label, chars)
    if chars := invisible_characters(text):
        return "invisible_characters", invisible_message(label, chars)
    if found := lookalike_letters(text, free_text):
        return "lookalike_letters", lookalike_message(label, found)
    return None


def text_problem(field: str | None, label: str, value) -> Problem | None:
    """The problem of a typed text longer than the field takes (``max_chars``), holding
    characters nobody sees or letters that only look Latin (``character_problem``), or None."""
    if isinstance(value, str) and len(value) > (limit := max_chars(field)):
        return Problem(field, length_message(label, len(value), limit), "too_long")
    found = character_problem(label, value, free_text=field in LONG_FIELDS)
    return Problem(field, found[1], found[0]) if found else None


def text_problems(values, labels: dict[str, str]) -> list[Problem]:
    """``text_problem`` for each ``field: label`` of ``labels`` present in ``values`` (checked
    for every row of a 200.000-row import: printable ASCII text is passed over at once)."""
    problems = []
    for name, label in labels.items():
        value = values.get(name)
        if value is None or (type(value) is str and len(value) <= LINE_MAX and value.isascii()
                             and value.isprintable()):
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
