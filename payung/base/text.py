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
given the same ``max_chars``; ``xml_safe`` makes text already stored writable.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping

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
_KEYCAP = "\u20e3"


def _selector(c: str) -> bool:
    """Whether ``c`` is a variation selector (U+FE00-FE0F, or an ideographic one U+E0100-E01EF)."""
    return "\ufe00" <= c <= "\ufe0f" or "\U000e0100" <= c <= "\U000e01ef"


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
        return text[at + 1:at + 2] == _KEYCAP
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
        elif _selector(c) and not _selector_shown(text, at):
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


#: Scripts whose letters look like Latin ones ("а", "о", "р", "с", "е", "х" of Cyrillic; "Α", "Ο"
#: of Greek; "ᗷ" of Canadian syllabics...), as a message names them.
_LATIN_LOOKALIKE_SCRIPTS = {"CYRILLIC": "Kiril", "GREEK": "Yunani", "ARMENIAN": "Armenia", "CHEROKEE": "Cherokee",
                            "COPTIC": "Koptik", "LISU": "Lisu", "CANADIAN": "suku kata Kanada",
                            "TIFINAGH": "Tifinagh", "GLAGOLITIC": "Glagolitik", "NKO": "N'Ko", "VAI": "Vai"}
#: Scripts a name or title may be written in besides Latin: Indonesia's own (Aksara Jawa, Bali,
#: Sunda, Lontara, Batak, Rejang, Makassar), and Chinese characters. None looks like Latin, and
#: each is written left to right.
_NAME_SCRIPTS = frozenset({"JAVANESE", "BALINESE", "SUNDANESE", "BUGINESE", "BATAK", "REJANG", "MAKASAR", "CJK"})
#: Latin letters that are not an ASCII letter with accents, as names write them.
_LATIN_LETTERS = frozenset("ßæœøđłðþŋÆŒØĐŁÐÞŊªº")
#: How many combining marks one letter carries at most ("ễ": two): more stack into a blot
#: that hides what is under it.
_MARKS_MAX = 3


@functools.lru_cache(maxsize=16384)
def _kind(c: str) -> str:
    """How the character ``c`` (not ASCII) reads beside Latin text:

    - ``latin``: a letter of the Latin alphabet as names write it: a letter with accents, or one
      of ``_LATIN_LETTERS``;
    - ``form``: another form of a Latin letter, digit or sign: fullwidth "Ｓ" or "．",
      mathematical "𝐒", a ligature "ﬁ", a roman numeral "Ⅰ", a small capital "ᴏ", a modifier
      "ᴬ", the dotless "ı", "ɑ";
    - ``lookalike``: a letter of a script that looks like Latin (``_LATIN_LOOKALIKE_SCRIPTS``);
    - ``rtl``: a character written right to left (Arabic, Hebrew letters, their digits and
      signs), which reorders the text around it;
    - ``name``: a letter or digit of a script a name may be written in (``_NAME_SCRIPTS``);
    - ``script``: a letter or digit of another script (Myanmar "၀", Devanagari "०");
    - ``mark``: a combining mark; ``other``: punctuation, a symbol, a space, "²" or "½"."""
    category = unicodedata.category(c)
    if category[0] == "M":
        return "mark"
    if unicodedata.bidirectional(c) in ("R", "AL", "AN"):
        return "rtl"
    name = unicodedata.name(c, "?")
    compatible = unicodedata.normalize("NFKC", c)
    looks_ascii = compatible != c and compatible.isascii() and compatible.isalnum()
    if name.startswith(("FULLWIDTH ", "HALFWIDTH ")):
        return "form"
    script = name.split(" ", 1)[0]
    if category in ("Nd", "Nl"):
        return "form" if looks_ascii else "name" if script in _NAME_SCRIPTS else "script"
    if category[0] != "L":
        return "other"
    if category == "Lm":
        return "form" if looks_ascii else "other"
    base = unicodedata.normalize("NFD", c)[0]
    if (base < "\x80" and base.isalpha()) or c in _LATIN_LETTERS:
        return "latin"
    if looks_ascii or script == "LATIN":
        return "form"
    if script in _LATIN_LOOKALIKE_SCRIPTS:
        return "lookalike"
    return "name" if script in _NAME_SCRIPTS else "script"


def lookalike_letters(text: str, free_text: bool = False) -> list[tuple[str, str]]:
    """``(character, word)`` for each distinct character of ``text`` (in NFC, as it is stored)
    that makes it look like another text or read in another order.

    A one-line text (a name, a title) takes Latin letters as names write them, letters of
    Indonesia's scripts and Chinese characters (``_kind``), and accents that make a letter of
    Latin ("é"), not ones that merely sit on it ("i" with a dot above). A free text (an address,
    a note) may hold whole words of any script; a word with Latin letters may not mix in another
    form of a Latin letter or a letter that looks like one, and fullwidth or mathematical Latin
    letters are refused anywhere. In both, no letter carries more than ``_MARKS_MAX`` marks."""
    if text.isascii():
        return []
    found: dict[str, str] = {}
    for word in unicodedata.normalize("NFC", text).split():
        if not word.isascii():
            refused = _refused_in_short_word if len(word) <= _CACHED_WORD else _refused_in_word
            for c in refused(word, free_text):
                found.setdefault(c, word)
    return list(found.items())


def _refused_in_word(word: str, free_text: bool) -> tuple[str, ...]:
    """The characters ``lookalike_letters`` refuses in one word (not ASCII)."""
    kinds = [(c, "latin" if c.isascii() and c.isalpha() else "other" if c.isascii() else _kind(c)) for c in word]
    has_latin = any(kind == "latin" for _, kind in kinds)
    refused, marks, base = [], 0, "other"
    for at, (c, kind) in enumerate(kinds):
        if kind == "mark":
            # Spacing marks (Javanese "ꦺ") sit beside their letter; marks that stack are counted.
            marks += unicodedata.category(c) != "Mc"
            if c == _KEYCAP:  # "1️⃣": a keycap on a digit, "#" or "*" (and the emoji selector)
                wrong = not re.search("[0-9#*]\ufe0f?$", word[:at])
            elif _selector(c):
                wrong = False  # a selector: ``invisible_characters`` judges where it stands
            elif free_text:
                wrong = marks > _MARKS_MAX or base in ("latin", "form", "other")
            else:
                wrong = marks > _MARKS_MAX or base != "name"
        else:
            marks, base = 0, kind
            if free_text:
                wrong = (kind in ("form", "lookalike", "script", "rtl") and has_latin
                         or kind == "form" and c.isalpha()
                         and unicodedata.name(c, "").startswith(("FULLWIDTH", "MATHEMATICAL")))
            else:
                wrong = kind in ("form", "lookalike", "rtl", "script")
        if wrong:
            refused.append(c)
    return tuple(refused)


#: Words up to this long have their answer kept (the words of addresses recur: a whole import's
#: "Désa", "Jl."); a longer one is read each time, so the kept answers stay a few megabytes.
_CACHED_WORD = 40
_refused_in_short_word = functools.lru_cache(maxsize=32768)(_refused_in_word)


def beyond_latin(text: str) -> list[str]:
    """The characters of ``text`` that are neither ASCII nor a Latin letter as names write it
    ("é", "ß"): what a label another one is told apart by (an import template's name) may not
    hold, since a dot or a sign of any other script can stand in for its marks."""
    return [c for c in text if not c.isascii() and _kind(c) != "latin"]


def _what(c: str) -> str:
    """What a refused character is, said after "karakter ke-N pada "kata"" in a message."""
    kind = _kind(c)
    if kind == "mark":
        return "membawa tanda di atas atau di bawahnya yang tidak membentuk huruf biasa, atau terlalu banyak tanda"
    if kind == "lookalike":
        script = _LATIN_LOOKALIKE_SCRIPTS[unicodedata.name(c).split(" ", 1)[0]]
        return f"tampak seperti huruf Latin tetapi bukan: itu huruf {script}"
    if kind == "rtl":
        return "ditulis dari kanan ke kiri, sehingga urutan teks di sekitarnya terbalik"
    if kind == "script":
        return "tampak seperti huruf Latin tetapi bukan: itu huruf atau angka dari abjad lain"
    return "tampak seperti huruf Latin tetapi bukan: itu bentuk lain huruf, angka atau tanda baca"


def lookalike_message(label: str, found: list[tuple[str, str]]) -> str:
    """Which character of which word, said by its place ("karakter ke-2 pada "Sarmini""): the
    character itself looks like the letter it imitates, so quoting it shows nothing."""
    c, word = found[0]
    place = word.index(c)
    if unicodedata.category(c)[0] == "M":  # a mark: the letter it sits on
        place -= 1
    more = f" Ada {count(len(found) - 1)} karakter lain seperti itu." if len(found) > 1 else ""
    where = f"karakter ke-{place + 1} pada \"{word[:40]}\"" if place >= 0 else "sebuah tanda tanpa huruf di depannya"
    return (f"{label}: {where} {_what(c)}. Teks seperti itu dapat terlihat sama dengan teks lain; ketik ulang kata "
            f"itu dengan huruf Latin biasa (U+{ord(c):04X}).{more}")


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


def tidied(values: Mapping, fields) -> dict:
    """``values`` with each of ``fields`` present ``tidy``-ed: what a service checks (required,
    length, characters) and stores is then one text. A name of zero-width spaces is an empty
    name, said so, not a blank stored."""
    return {**values, **{f: tidy(f, values[f]) for f in fields if f in values}}


def search_key(text: str | None) -> str:
    """A name as a search and a match compare it: tidied, in Unicode's lower case (not only
    ASCII's) and without the accents of Latin letters, so "Jose", "JOSÉ" and "josé" are one
    name. ``db.store`` keeps it beside every worker's and sponsor's name (``name_key``):
    SQLite's ``lower()`` and ``LIKE`` fold ASCII letters only, and neither engine drops accents."""
    text = tidy("name", text or "")
    if text.isascii():
        return text.lower()
    kept: list[str] = []
    for c in unicodedata.normalize("NFD", text.casefold()):
        if kept and kept[-1].isascii() and unicodedata.combining(c):
            continue  # an accent on a Latin letter ("é" is "e" and an accent)
        kept.append(c)
    return unicodedata.normalize("NFC", "".join(kept))


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
