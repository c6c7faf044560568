"""Which script a character is written in, and which mixes of scripts make a text look like
another: a Cyrillic "а" in "Sаnti", a fullwidth "Ｓ", an Arabic digit reordering a title.
``payung.base.text`` asks ``lookalike_letters`` of every typed text, after its control and
invisible characters.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from payung.base.formats import count

KEYCAP = "\u20e3"


def is_selector(c: str) -> bool:
    """Whether ``c`` is a variation selector (U+FE00-FE0F, or an ideographic one U+E0100-E01EF)."""
    return "\ufe00" <= c <= "\ufe0f" or "\U000e0100" <= c <= "\U000e01ef"


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
    letters are refused anywhere. A free text written partly in Chinese, Japanese or Korean
    takes their fullwidth punctuation ("陈（Chen）。"), which is how those scripts punctuate. In
    both, no letter carries more than ``_MARKS_MAX`` marks."""
    if text.isascii():
        return []
    text = unicodedata.normalize("NFC", text)
    wide_signs = free_text and any(not c.isascii() and _is_east_asian(c) for c in text)
    found: dict[str, str] = {}
    for word in text.split():
        if not word.isascii():
            refused = _refused_in_short_word if len(word) <= _CACHED_WORD else _refused_in_word
            for c in refused(word, free_text, wide_signs):
                found.setdefault(c, word)
    return list(found.items())


@functools.lru_cache(maxsize=16384)
def _is_east_asian(c: str) -> bool:
    """Whether ``c`` is a Chinese character, Japanese kana or Korean hangul."""
    return unicodedata.name(c, "").startswith(("CJK ", "HIRAGANA ", "KATAKANA ", "HANGUL "))


#: The fullwidth and halfwidth signs Chinese, Japanese and Korean punctuate sentences with:
#: brackets, commas, colons, stops, marks. Not the "．", "／" or "＠" of a web or mail address
#: that would read as a Latin one ("bpjs．go．id").
_WIDE_SIGNS = frozenset("（）［］｛｝，、：；！？～｡｢｣､･「」")


def _is_wide_sign(c: str) -> bool:
    """Whether ``c`` is a fullwidth or halfwidth sign of East Asian sentences (``_WIDE_SIGNS``)."""
    return c in _WIDE_SIGNS


def _refused_in_word(word: str, free_text: bool, wide_signs: bool = False) -> tuple[str, ...]:
    """The characters ``lookalike_letters`` refuses in one word (not ASCII); ``wide_signs``: the
    free text holds an East Asian script, whose punctuation is fullwidth."""
    kinds = [(c, "latin" if c.isascii() and c.isalpha() else "other" if c.isascii() else _kind(c)) for c in word]
    has_latin = any(kind == "latin" for _, kind in kinds)
    refused, marks, base = [], 0, "other"
    for at, (c, kind) in enumerate(kinds):
        if kind == "mark":
            # Spacing marks (Javanese "ꦺ") sit beside their letter; marks that stack are counted.
            marks += unicodedata.category(c) != "Mc"
            if c == KEYCAP:  # "1️⃣": a keycap on a digit, "#" or "*" (and the emoji selector)
                wrong = not re.search("[0-9#*]\ufe0f?$", word[:at])
            elif is_selector(c):
                wrong = False  # a selector: ``invisible_characters`` judges where it stands
            elif free_text:
                wrong = marks > _MARKS_MAX or base in ("latin", "form", "other")
            else:
                wrong = marks > _MARKS_MAX or base != "name"
        else:
            marks, base = 0, kind
            if wide_signs and kind == "form" and _is_wide_sign(c):
                wrong = False
            elif free_text:
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
