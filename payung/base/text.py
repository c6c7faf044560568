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

Every service that stores typed text first ``tidy``-ies it as it will be stored (composed, one
space, without zero-width characters nobody means), then asks ``text_problem`` (forms and
imports alike; scheme fields and declarations ask ``character_problem``); each form's box is
given the same ``max_chars``; ``xml_safe`` makes text already stored writable. Which letters
look like others is ``payung.base.scripts``'s to say.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from payung.base.errors import Problem
from payung.base.formats import count
from payung.base.scripts import KEYCAP, is_selector, lookalike_letters, lookalike_message

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
    names = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x1B: "ESC", 0x7F: "DEL", 0x200C: "ZWNJ", 0x200D: "ZWJ",
             0x200E: "LRM", 0x200F: "RLM", 0x202E: "RLO"}
    return ", ".join(f"U+{ord(c):04X}" + (f" ({names[ord(c)]})" if ord(c) in names else "") for c in chars[:5])


def control_message(label: str, chars: list[str]) -> str:
    return (f"{label} memuat karakter kendali yang tidak terlihat ({describe(chars)}); hapus karakter itu "
            "(ketik ulang isiannya) lalu simpan lagi.")


# Characters drawn as nothing that Unicode files as letters, symbols or combining marks, not as
# format characters: Hangul fillers, the blank Braille pattern, the combining grapheme joiner,
# Khmer's inherent vowels, Mongolian's free variation selectors.
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f")
_ZWJ = "\u200d"
#: Invisible characters a text is stored without, as it would be retyped: a zero-width space, a
#: word joiner, a byte-order mark, a soft hyphen. Pasted from a web page or a chat, they change
#: nothing a reader sees and nothing a reader means (unlike a direction mark, which reorders the text).
_DROPPED = "\u200b\u2060\ufeff\u00ad"
_DROP = str.maketrans(dict.fromkeys(_DROPPED))


def _emoji_joiner(text: str, at: int) -> bool:
    """Whether the zero-width joiner at ``at`` joins two emoji ("👨‍👩‍👧"), which a free text may."""
    if not 0 < at < len(text) - 1:
        return False
    before, after = text[at - 1], text[at + 1]
    return (before == "\ufe0f" or unicodedata.category(before) in ("So", "Sk")) and unicodedata.category(after) == "So"


def _newer_unicode(c: str) -> bool:
    """Whether ``c``, unassigned for this Python's Unicode (14), lies where later versions put
    emoji (🩷, 🫨: a phone types them today) or the Kawi script: a free text's, not a blank."""
    return unicodedata.category(c) == "Cn" and ("\U0001f000" <= c <= "\U0001faff" or "\U00011f00" <= c <= "\U00011f5f")


def _selector_shown(text: str, at: int) -> bool:
    """Whether the variation selector at ``at`` chooses how the character before it is drawn: an
    emoji's (U+FE0E, U+FE0F: "❤️"), a keycap's digit ("1️⃣"), a symbol's, a CJK ideograph's
    (U+E0100...). After a letter, a space, punctuation, another selector, or first, it changes
    nothing a reader sees."""
    if at == 0:
        return False
    before, selector = text[at - 1], text[at]
    if selector >= "\U000e0100":
        return unicodedata.name(before, "").startswith("CJK")
    if before in "0123456789#*":
        return text[at + 1:at + 2] == KEYCAP
    return unicodedata.category(before) in ("So", "Sm") or before in "‼⁉ℹ〰〽"


# What ``str.isprintable`` passes and may still be invisible: blank characters and selectors.
_SHOWN_AS_NOTHING = re.compile("[" + "".join(sorted(_BLANK_CHARACTERS)) + "\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def invisible_characters(text: str, free_text: bool = False) -> list[str]:
    """The distinct characters of ``text`` a reader cannot see that are not control characters
    and that ``tidy`` does not drop (``_DROPPED``): Unicode's format characters (joiners, the
    marks, embeddings and overrides that turn text right to left, tag characters), private-use,
    unassigned and noncharacter code points, blank letters and marks, and variation selectors
    that select nothing. A free text may hold a joiner between two emoji, and emoji newer than
    this Python's Unicode."""
    if text.isprintable() and not _SHOWN_AS_NOTHING.search(text):  # no format, private or unassigned character
        return []
    found = []
    for at, c in enumerate(text):
        if c < "\u00ad" or c in _DROPPED:  # dropped by ``tidy``
            continue
        if c in _BLANK_CHARACTERS or unicodedata.category(c) in ("Cf", "Co", "Cn"):
            if not (c == _ZWJ and free_text and _emoji_joiner(text, at) or free_text and _newer_unicode(c)):
                found.append(c)
        elif is_selector(c) and not _selector_shown(text, at):
            found.append(c)
    return list(dict.fromkeys(found))


def invisible_message(label: str, text: str, chars: list[str]) -> str:
    """Where the first invisible character of ``text`` is, in words ("setelah "Siti""), and what
    it is; the codes last, for whoever helps."""
    at = text.index(chars[0])
    before = text[:at].split()[-1:] if text[:at].strip() else []
    where, erase = ((f"setelah \"{before[0][-30:]}\"", f"hapus \"{before[0][-30:]}\" beserta yang sesudahnya")
                    if before else ("di awal isian", "hapus awal isian"))
    return (f"{label} memuat karakter yang tidak terlihat {where}: {_unseen_name(chars[0])}, yang biasanya ikut "
            f"tersalin dari web, PDF atau pesan. {erase[0].upper() + erase[1:]}, lalu ketik ulang ({describe(chars)}).")


def _unseen_name(c: str) -> str:
    """An invisible character as a person can be told of it."""
    if c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c":
        return "tanda arah teks, yang dapat membalik urutan huruf yang tampil"
    if c in "\u200c\u200d\u034f":
        return "penyambung huruf yang tak terlihat"
    if unicodedata.category(c) == "Cn":
        return "karakter yang belum dikenal, yang tidak tampil"
    return "karakter tersembunyi yang tidak tampil"


def character_problem(label: str, value, free_text: bool = False) -> tuple[str, str] | None:
    """``(rule, message)`` for a text holding control characters, invisible characters or
    characters that make it look like another text (in that order), or None. ``free_text``:
    an address or a note, which may hold words of any script; a name or title (one line) takes
    Latin letters, Indonesia's scripts and Chinese characters (``lookalike_letters``)."""
    if value is None:
        return None
    text = value if type(value) is str else str(value)
    if text.isascii() and text.isprintable():
        return None
    if chars := control_characters(text):
        return "control_characters", control_message(label, chars)
    if chars := invisible_characters(text, free_text):
        return "invisible_characters", invisible_message(label, text, chars)
    if found := lookalike_letters(text, free_text):
        return "lookalike_letters", lookalike_message(label, found)
    return None


def tidy(field: str | None, value):
    """Text as it is stored: without the invisible characters of ``_DROPPED``, in Unicode's
    composed form (NFC: "é" typed as "e" and an accent is the "é" of every other keyboard),
    without spaces around it; a one-line text's spaces, tabs
    and line breaks of any kind are one space (a browser draws "A  B" as "A B": two names that
    read the same are one), and a curly apostrophe or a Unicode hyphen is the ASCII one
    (``_SAME_SIGN``). Other values are returned as they are."""
    if type(value) is not str:
        return value
    if value.isascii():  # most of a regency's data: nothing to compose, drop or fold
        if field not in LONG_FIELDS and value.isprintable() and "  " not in value:
            return value.strip(" ")
        text = value
    else:
        text = unicodedata.normalize("NFC", value.translate(_DROP))
    if field in LONG_FIELDS:
        return text.strip(_SPACE_CHARS)
    return _SPACES.sub(" ", text.translate(_SAME_SIGN)).strip(" ")


#: What no database holds in text: NUL (PostgreSQL's text refuses it; SQLite reads up to it) and a
#: lone surrogate (no UTF-8).
_UNHELD = re.compile("[\x00\ud800-\udfff]")


def looked_up(text: str) -> str:
    """Text sent to be looked up (a search, a sign-in's username) as it is looked for: each
    character no database holds in text (``_UNHELD``: only a crafted request sends one) is
    U+FFFD, so the lookup finds nothing instead of failing (PostgreSQL) or finding the text
    before a NUL (SQLite)."""
    return _UNHELD.sub("\ufffd", text)


#: A bytea's text form (``\\x4a6f73c3a9``): what PostgreSQL stores in a text column when another
#: program writes bytes there (bytea to text is an assignment cast). No name is written so.
BYTEA_TEXT = r"^\\x([0-9a-f]{2})+$"
_BYTEA_TEXT = re.compile(BYTEA_TEXT)


def stored_text(value) -> str | None:
    """A stored name (or other text) as the text a form opens with, or None when another program
    stored it as bytes: on SQLite a BLOB (``bytes``), on PostgreSQL their text form ``\\x...``
    (what ``payung check`` calls ``name_texts``), which is no name to keep but one to type again."""
    if not isinstance(value, str) or _BYTEA_TEXT.fullmatch(value):
        return None
    return value


def tidied(values: Mapping, fields) -> dict:
    """``values`` with each of ``fields`` present ``tidy``-ed: what a service checks (required,
    length, characters) and stores is then one text. A name of zero-width spaces is an empty
    name, said so, not a blank stored."""
    return {**values, **{f: tidy(f, values[f]) for f in fields if f in values}}


#: The Latin letters that are not a letter and accents (``scripts._LATIN_LETTERS``, in lower case)
#: as a person types them on a keyboard without them.
_PLAIN_LATIN = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "ð": "d", "þ": "th", "ŋ": "ng",
                              "ª": "a", "º": "o"})


def search_key(text: str | None) -> str:
    """A name as a search and a match compare it: tidied, in Unicode's lower case (not only
    ASCII's) and without the accents of Latin letters, so "Jose", "JOSÉ" and "josé" are one
    name. ``db.store`` keeps it beside every worker's and sponsor's name (``name_key``):
    SQLite's ``lower()`` and ``LIKE`` fold ASCII letters only, and neither engine drops accents.
    A Latin letter with a stroke or a ligature is its plain letters ("Łukasz" is "lukasz", "Đức"
    "duc", "Ørsted" "orsted": ``_PLAIN_LATIN``). A value that is not text has no key. Every key
    stored was made by this function: change what it returns and the change needs a migration
    that derives the stored keys again (``db.consistency.derive_name_keys``), or ``payung
    check`` finds every one it changed."""
    if type(text) is not str or not text:
        return ""
    if text.isascii() and text.isprintable() and "  " not in text:  # a regency's names, nearly all
        return text.strip(" ").lower()
    text = tidy("name", text)
    if text.isascii():
        return text.lower()
    kept: list[str] = []
    for c in unicodedata.normalize("NFD", text.casefold().translate(_PLAIN_LATIN)):
        if kept and kept[-1].isascii() and unicodedata.combining(c):
            continue  # an accent on a Latin letter ("é" is "e" and an accent)
        kept.append(c)
    return unicodedata.normalize("NFC", "".join(kept))



def _marks(name: str) -> int:
    """How many letters of ``name`` carry what its search key drops: an accent, a stroke, "ß"."""
    return sum(1 for c in name if c.isalpha() and search_key(c) != c.lower())


def _one_case(name: str) -> bool:
    """Whether every cased letter of ``name`` is upper case, or every one lower case."""
    cased = [c for c in name if c.lower() != c.upper()]
    return all(c.isupper() for c in cased) or all(c.islower() for c in cased)


def _letters_in_case_of(letters: str, case: str) -> str | None:
    """``letters`` in the case of ``case``, letter by letter, or None when the two do not line up
    letter for letter ("Straße" and "STRASSE")."""
    if len(letters) != len(case):
        return None
    out = []
    for mine, theirs in zip(letters, case):
        if search_key(mine) != search_key(theirs):
            return None
        cased = mine.upper() if theirs.isupper() else mine.lower() if theirs.islower() else mine
        out.append(cased if len(cased) == 1 else mine)
    return "".join(out)


def richer_spelling(stored: str, typed: str) -> str:
    """Of two spellings of one name (the same ``search_key``), the one to keep: the letters of
    the one with more accents (the typed one on a tie: "José" corrects "Josè"), in the case of
    the stored one unless it is all one case and the typed one is not. So a list in all caps or
    without accents never writes over "Élise Wijaya", and a list may still correct "Jose" to
    "José" or "JOSE RIZAL" to "Jose Rizal"; "JOSÉ RIZAL" over "Jose Rizal" is "José Rizal".
    Two spellings that do not line up letter for letter keep the stored one. Names of different
    keys are not two spellings: the typed one is returned."""
    if stored == typed or search_key(stored) != search_key(typed):
        return typed
    letters = typed if _marks(typed) >= _marks(stored) else stored
    case = typed if _one_case(stored) and not _one_case(typed) else stored
    if letters == case:
        return letters
    return _letters_in_case_of(letters, case) or stored

#: Spaces, tabs and line breaks a one-line text stores as one space: Unicode's space separators
#: and line and paragraph separators, not the control characters ``str.split`` also splits on
#: (they are refused, as every control character is).
_SPACE_CHARS = "\t\n\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACES = re.compile(f"[{_SPACE_CHARS}]+")


#: Signs a one-line text stores as the ASCII sign they look like: "Nur’aini" typed on a phone is
#: "Nur'aini" typed on a laptop, "non‐ASN" with a Unicode hyphen is "non-ASN".
_SAME_SIGN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-",
                            "\u2212": "-"})


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


def _lower(text: str) -> str:
    """``text`` in lower case; "İ" (a capital I with a dot, from a Turkish keyboard) is "i", not
    the "i" and combining dot Python makes of it (a name that reads "Siti" and is not)."""
    return text.lower().replace("i\u0307", "i")


def person_name(text: str) -> str:
    """A name the way Payung writes every name: Title Case ("Siti Aminah"), chosen so lists
    read alike whether a name was typed in lower case ("siti aminah") or copied from a KTP in
    capitals ("SITI AMINAH"). A name already typed in mixed case is kept as typed
    ("Siti Nur'aini", "La Ode Muhammad"): its writer knew better. Spaces are collapsed and the
    text composed (``tidy``)."""
    name = tidy("name", str(text or ""))
    lower, upper = _lower(name), name.upper()
    if lower == upper or (name != lower and name != upper):  # no letters with a case, or mixed case
        return name

    def word(w: str, first: bool) -> str:
        lower = _lower(w)
        if not first and lower in _NAME_PARTICLES:
            return lower
        # "Nur'aini", "Abdul-Rahman": capitals after a hyphen, not after an apostrophe.
        return "-".join(part[:1].upper() + part[1:] for part in lower.split("-"))

    return " ".join(word(w, i == 0) for i, w in enumerate(name.split(" ")))
