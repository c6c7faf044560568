"""Passwords: the rules a new password must meet, bcrypt hashing, and a check that takes as
long whether or not the user exists.

Every path that sets a password (first administrator, ``users add``, the Pengguna page, a
user's own change) goes through ``check_password``: valid text (no lone surrogates, e.g. from
a command line in another encoding), at least 10 characters, at most 72 bytes (bcrypt's
limit), not containing the username, not guessable (``_guessable``). Guessable is judged on
the password as it reads (``_fold``: NFKC, casefolded, accents and invisible characters
dropped, Cyrillic/Greek look-alikes as Latin letters), also with the separators inside taken
out (``_compact``): in ``common_passwords.txt`` after undoing leet and stripping
digits/punctuation at the ends; a common word of 5 characters or more plus at most 3 other
characters; one word repeated; fewer than 5 different characters, or one character making up
half of it; one keyboard or number run. Existing passwords that break these rules keep
working until they are next changed.

Hashes are in the format streamlit-authenticator checks. No database here: ``users`` stores
the hashes, ``sessions`` checks logins with ``slow_check``.
"""

from __future__ import annotations

import functools
import os
import secrets
import threading
import unicodedata
from collections import Counter
from pathlib import Path

import bcrypt

from payung.base.errors import Problem, ValidationError
from payung.base.machine import usable_cpus

MIN_PASSWORD = 10
MAX_PASSWORD_BYTES = 72
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
PASSWORD_HELP = ("Minimal 10 karakter (paling banyak 72 byte), tidak memuat nama pengguna, "
                 "dan bukan kata sandi umum atau variasinya (rahasia123, rahasia123a, Bismillah!, P@ssw0rd1, "
                 "rahasiarahasia, qwertyuiop, aaaaaaaaab). Rangkaian beberapa kata lebih mudah diingat dan aman.")
#: bcrypt's cost for new hashes (2^12 rounds, a quarter of a second on a laptop).
BCRYPT_ROUNDS = 12
#: Set by Payung's test suite only, to bcrypt's cheapest cost (4): its hundreds of users and
#: logins then take milliseconds. A lower cost than BCRYPT_ROUNDS is taken from nowhere else.
TEST_ROUNDS_VARIABLE = "PAYUNG_TEST_BCRYPT_ROUNDS"
#: How many server processes share the machine (``python -m payung serve --processes N`` sets it
#: for each): ``hashing_slots`` keeps a core for each one's pages.
SERVER_PROCESSES_VARIABLE = "PAYUNG_SERVER_PROCESSES"


def hashing_slots(cpus: int | None = None, processes: int | None = None) -> int:
    """How many bcrypt computations this process runs at once: the cores it may use, less one
    kept for the pages of each server process on the machine (``SERVER_PROCESSES_VARIABLE``,
    set by ``payung serve``), shared among those processes; at least one. bcrypt releases the
    interpreter lock, so six sign-ins at once on a one-core server took six shares of the core
    to the pages' one: every page waited, and all six sign-ins ended late together. With the
    limit the others wait for a place, and the pages keep their share. The cores are those a
    container's CPU quota allows too (``payung.base.machine.usable_cpus``)."""
    if cpus is None:
        cpus = usable_cpus()
    if processes is None:
        try:
            processes = max(1, int(os.environ.get(SERVER_PROCESSES_VARIABLE) or 1))
        except ValueError:
            processes = 1
    return max(1, (cpus - processes) // processes)


#: The queue every bcrypt hash and check of this process goes through (``hashing_slots``).
_hashing = threading.BoundedSemaphore(hashing_slots())


def _checkpw(raw: bytes, hashed: bytes) -> bool:
    with _hashing:
        return bcrypt.checkpw(raw, hashed)


def password_bytes(password: str | None) -> bytes | None:
    """The UTF-8 bytes bcrypt hashes, or None for text that has none: lone surrogates, which
    Python makes of bytes that are not UTF-8 (a command line in Latin-1, ``caf\\xe9``) or
    that a browser sends for half an emoji."""
    try:
        return (password or "").encode("utf-8")
    except UnicodeEncodeError:
        return None


def bcrypt_rounds() -> int:
    """The cost of new hashes: BCRYPT_ROUNDS, or what the test suite set (4 to BCRYPT_ROUNDS)."""
    try:
        return min(max(int(os.environ.get(TEST_ROUNDS_VARIABLE) or BCRYPT_ROUNDS), 4), BCRYPT_ROUNDS)
    except ValueError:
        return BCRYPT_ROUNDS


def hash_password(password: str) -> str:
    raw = password_bytes(password)
    if raw is None:
        raise ValidationError(_not_text())
    if len(raw) > MAX_PASSWORD_BYTES:
        raise ValidationError(_too_long())
    with _hashing:
        return bcrypt.hashpw(raw, bcrypt.gensalt(bcrypt_rounds())).decode()


def verify_password(password: str, password_hash: str) -> bool:
    # Lone surrogates: encoded anyway, so the check costs the same; no hash was ever made of
    # such bytes (hash_password refuses them), so it fails.
    raw = (password or "").encode("utf-8", "surrogatepass")
    try:
        return _checkpw(raw, password_hash.encode())
    except ValueError:
        return False


@functools.cache
def common_passwords() -> frozenset[str]:
    """The list, and each entry with its digits/punctuation at the ends stripped (``garuda123``
    also refuses ``garuda`` plus any digits), when what is left is a word of 4 letters or more."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    entries = {line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")}
    stripped = {_strip_ends(entry) for entry in entries}
    return frozenset(entries | {entry for entry in stripped if len(entry) >= _MIN_WORD})


# Common leet substitutions, undone; "1" stands for "i" or for "l", so both readings are tried.
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "3": "e", "5": "s", "$": "s", "7": "t", "!": "i"})
_LEET_ONE = (str.maketrans({"1": "i"}), str.maketrans({"1": "l"}))
# Keyboard rows and number/letter orders; a run is a stretch of one of them (either way round,
# wrapping: "1234567890" then "1").
_RUNS = ("1234567890", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_APP_WORDS = ("payung",)
_MIN_RUN_CHECKED = 4  # a shorter remainder (mostly digits around it) is not judged as a run
_MIN_WORD = 4  # "abc123" in the list refuses "abc123", but not "abc" plus any other digits


def _ends(text: str) -> tuple[int, int]:
    """How many digits/punctuation characters ``text`` starts and ends with (all of it: both
    are its length). One pass each way, no regular expression that could backtrack."""
    letters = [i for i, c in enumerate(text) if c.isalnum() and not c.isdecimal()]
    if not letters:
        return len(text), len(text)
    return letters[0], len(text) - 1 - letters[-1]


def _strip_ends(text: str) -> str:
    """Without digits/punctuation at the end and digits/punctuation at the start."""
    lead, trail = _ends(text)
    return text[lead:len(text) - trail] if lead < len(text) else ""


def _unleet(text: str) -> set[str]:
    base = text.translate(_LEET)
    return {base.translate(one) for one in _LEET_ONE}


def _readings(folded: str) -> tuple[set[str], set[str]]:
    """What the folded password may stand for: as typed, without spaces, without the separators
    inside (``_compact``), with leet undone, with digits/punctuation at the ends stripped. Leet
    digits may also end a word ("R4h4s14-2026"), so every cut of the digits/punctuation at the
    ends is tried before leet is undone. Returns (readings, whole): ``whole`` are the readings
    not cut inside the end digits (stripped or not at all), the ones judged as runs."""
    readings, whole = set(), set()
    for base in _bases(folded):
        lead, trail = _ends(base)
        if lead == len(base):  # no letters: cutting inside the digits would read words into them
            lead = trail = 0
        for start in range(lead + 1):
            for end in range(max(start, len(base) - trail), len(base) + 1):
                piece = base[start:end]
                for plain in {piece} | _unleet(piece):
                    readings.update((plain, _strip_ends(plain)))
        for piece in (base, _strip_ends(base)):
            for plain in {piece} | _unleet(piece):
                whole.update((plain, _strip_ends(plain)))
    return readings - {""}, whole - {""}


def _bases(folded: str) -> set[str]:
    return {folded, folded.strip(), "".join(folded.split()), _compact(folded)} - {""}


def _full_readings(folded: str) -> set[str]:
    """The readings that keep every character (nothing cut at the ends), leet undone or not."""
    return {plain for base in _bases(folded) for plain in {base} | _unleet(base)}


# Cyrillic and Greek letters that look like Latin ones ("аni" with a Cyrillic а): capitals first
# (a Greek capital eta looks like H, its small letter like n), then small letters.
_LOOKALIKE_CAPITALS = str.maketrans({
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c", "Т": "t",
    "У": "y", "Х": "x", "Ѕ": "s", "І": "i", "Ј": "j",
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n", "Ο": "o",
    "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
})
_LOOKALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "и": "u", "к": "k", "м": "m", "н": "h", "о": "o",
    "п": "n", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y", "һ": "h", "ӏ": "l",
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ɑ": "a", "ı": "i",
})
#: Kept by ``_compact`` although punctuation: leet for letters ("P@$$w0rd!"), undone later.
_LEET_SIGNS = frozenset("@$!")


def _fold(text: str) -> str:
    """What a password reads as: NFKC (full-width "ｒａｈａｓｉａ" is "rahasia"), casefolded,
    accents and invisible characters (soft hyphen, zero-width space) dropped, Cyrillic and
    Greek look-alikes as the Latin letters they imitate."""
    text = unicodedata.normalize("NFKC", text).translate(_LOOKALIKE_CAPITALS).casefold()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) not in ("Mn", "Cf"))
    return unicodedata.normalize("NFC", text.translate(_LOOKALIKES))


def _compact(folded: str) -> str:
    """Without the separators inside: spaces, punctuation, symbols ("ra-ha-sia 123" is
    "rahasia123"), but the leet signs."""
    return "".join(c for c in folded if c in _LEET_SIGNS or unicodedata.category(c)[0] not in "PSZC")


def _is_run(text: str) -> bool:
    """One repeated character, or one stretch of a keyboard row or number/letter order."""
    if len(set(text)) == 1:
        return True
    for row in _RUNS:
        cycle = row * (len(text) // len(row) + 2)
        if text in cycle or text in cycle[::-1]:
            return True
    return False


def _longest_run(text: str) -> int:
    """Length of the longest stretch of ``text`` that is a run (see ``_is_run``)."""
    best = 0
    for row in _RUNS:
        for order in (row, row[::-1]):
            following = {c: order[(i + 1) % len(order)] for i, c in enumerate(order)}
            length, previous = 0, None
            for c in text:
                length = length + 1 if previous is not None and following.get(previous) == c else 1
                best, previous = max(best, length), c
    length, previous = 0, None
    for c in text:  # one character repeated
        length = length + 1 if c == previous else 1
        best, previous = max(best, length), c
    return best


def _repeated(text: str) -> bool:
    """One piece said two times or more: "rahasiarahasia", "abababababab"."""
    return any(len(text) % size == 0 and text == text[:size] * (len(text) // size)
               for size in range(1, len(text) // 2 + 1))


#: A common word of at least this many characters plus at most _LITTLE_REST others is guessable
#: ("rahasia123a", "xrahasia123", "Bismillah1x").
_WORD_REMOVED = 5
_LITTLE_REST = 3
#: Fewer different characters than this, or one character making up half the password.
_MIN_DISTINCT = 5


def _guessable(folded: str) -> bool:
    readings, whole = _readings(folded)
    if readings & common_passwords() or readings & set(_APP_WORDS):
        return True
    if any(_is_run(r) for r in whole if len(r) >= _MIN_RUN_CHECKED):
        return True
    if len(set(folded)) < _MIN_DISTINCT or Counter(folded).most_common(1)[0][1] * 2 >= len(folded):
        return True
    full = _full_readings(folded)
    if any(_repeated(r) for r in full):
        return True
    words = [w for w in common_passwords() if len(w) >= _WORD_REMOVED]
    for r in full:
        if len(r) - _longest_run(r) <= _LITTLE_REST and _longest_run(r) >= _WORD_REMOVED:
            return True
        if any(len(r) - len(w) <= _LITTLE_REST and w in r for w in words):
            return True
    return False


def _too_long() -> Problem:
    return Problem("password", f"Kata sandi terlalu panjang: paling banyak {MAX_PASSWORD_BYTES} byte "
                               "(huruf biasa dihitung 1 byte, huruf beraksen atau emoji lebih).", "password_long")


def _not_text() -> Problem:
    return Problem("password", "Kata sandi memuat karakter yang tidak sah (bukan teks UTF-8, misalnya dari terminal "
                               "dengan pengodean lain). Ketik ulang kata sandinya.", "password_encoding")


def check_password(password: str, username: str | None = None) -> list[Problem]:
    """The problems of a new password (empty when it may be used)."""
    password = password or ""
    raw = password_bytes(password)
    if raw is None:
        return [_not_text()]
    if len(password) < MIN_PASSWORD:
        return [Problem("password", f"Kata sandi minimal {MIN_PASSWORD} karakter.", "password_short")]
    if len(raw) > MAX_PASSWORD_BYTES:
        return [_too_long()]
    problems = []
    folded = _fold(password)
    name = _fold((username or "").strip())
    names = {n for n in (name, _compact(name)) if len(n) >= 3}
    if folded and any(n in r for n in names for r in _readings(folded)[1]):  # also "4n1.lestari-2026"
        problems.append(Problem("password", "Kata sandi tidak boleh memuat nama pengguna.", "password_has_username"))
    if not folded or _guessable(folded):
        problems.append(Problem("password", "Kata sandi ini terlalu umum dan mudah ditebak; pilih yang lain.",
                                "password_common"))
    return problems


def dummy_hash() -> bytes:
    """A bcrypt hash of the same cost as real ones, checked for unknown usernames."""
    return _dummy_hash_of_cost(bcrypt_rounds())


@functools.cache
def _dummy_hash_of_cost(rounds: int) -> bytes:
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds))


def slow_check(password: str, password_hash: str | None) -> bool:
    """bcrypt check that costs the same whether or not there is a real hash (and for
    passwords over bcrypt's 72 bytes, which are checked truncated against the dummy, or that
    are not valid text, checked as an empty one)."""
    raw = password_bytes(password)
    if password_hash is None or raw is None or len(raw) > MAX_PASSWORD_BYTES:
        _checkpw((raw or b"")[:MAX_PASSWORD_BYTES], dummy_hash())
        return False
    return verify_password(password, password_hash)
