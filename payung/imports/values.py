"""Coded values as people type them: "Marbot Masjid", "guru ngaji", "ojol", "PKL", "lk".

Every coded column of an import (occupation, gender, yes/no, sponsor type, scheme...) is
matched the same way: case, accents, punctuation and spacing do not matter; a built-in table
of synonyms (the words of the source articles and of regency registers), extended under
``[import_synonyms.<column>]`` in ``config.toml``, maps the usual words; a close spelling
("petanni") is accepted when one code clearly wins (rapidfuzz). What is still unknown or
ambiguous is reported with suggestions, for the value mapping step of the Impor page (the
chosen codes are kept in the import template, so the next file of the same office maps itself).

Occupations are also matched by their words, because registers add words to them ("Petani padi
sawah", "Nelayan tradisional", "Pedagang keliling online") or shorten some ("Tkg ojek"): when
every word of a name of exactly one occupation is in the typed value (after the normalisation,
the usual short forms of ``ABBREVIATIONS`` and the synonyms), that occupation is taken; when the
names of several are in it, the most specific (the name with the most words) wins if it is the
only one that specific ("Pedagang keliling online": Pedagang kaki lima by "pedagang keliling",
not Pedagang pasar by "pedagang"). Otherwise the value stays ambiguous ("Petani dan pedagang",
"Buruh tani/harian") with the candidates as suggestions, and a value that holds a non-worker's
occupation ("PNS / petani") is never taken by its words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

#: A close spelling is taken without asking when it scores this much (0-100) and the runner-up
#: (another code) scores clearly less.
ACCEPT_SCORE = 88
MARGIN = 6
SUGGEST_SCORE = 70
#: The value mapping step pre-selects a suggestion only when it is confident and unambiguous:
#: it scores ACCEPT_SCORE, the runner-up trails it by MARGIN, and the typed text is also a close
#: spelling of one of its names (plain ratio), not a short word found inside a longer name
#: ("IRT" is not "Ketua RT", "tukang parkir" not "Tukang sayur"). Otherwise the box starts on
#: "(tetap ditolak)" with the suggestions listed first.
PREFILL_SPELLING = ACCEPT_SCORE - MARGIN

#: Words regency registers use, per coded column: typed text -> code.
SYNONYMS: dict[str, dict[str, str]] = {
    "occupation": {
        # Farming, fishing, livestock
        "tani": "petani", "petani padi": "petani", "petani sawah": "petani", "pekebun": "petani",
        "petani kebun": "petani", "berkebun": "petani", "bertani": "petani", "petani penggarap": "buruh_tani",
        "buruh tani": "buruh_tani", "buruh kebun": "buruh_tani", "nelayan tangkap": "nelayan",
        "nelayan tradisional": "nelayan", "penangkap ikan": "nelayan", "pembudidaya ikan": "nelayan",
        "ternak": "peternak", "peternak sapi": "peternak", "peternak kambing": "peternak", "peternak ayam": "peternak",
        # Trade
        "pedagang": "pedagang_pasar", "dagang": "pedagang_pasar", "pedagang pasar": "pedagang_pasar",
        "pedagang kios": "pedagang_pasar", "pkl": "pedagang_kaki_lima", "kaki lima": "pedagang_kaki_lima",
        "pedagang keliling": "pedagang_kaki_lima", "pedagang asongan": "pedagang_kaki_lima",
        "asongan": "pedagang_kaki_lima", "pedagang sayur": "tukang_sayur", "penjual sayur": "tukang_sayur",
        "sayur keliling": "tukang_sayur", "tukang sayur keliling": "tukang_sayur", "mlijo": "tukang_sayur",
        # Transport
        "ojek": "tukang_ojek", "ojol": "tukang_ojek", "ojek online": "tukang_ojek", "ojek pangkalan": "tukang_ojek",
        "pengemudi ojek": "tukang_ojek", "driver ojol": "tukang_ojek", "supir": "sopir", "sopir angkot": "sopir",
        "supir angkot": "sopir", "pengemudi": "sopir", "sopir angkutan umum": "sopir",
        # Daily labour
        "buruh": "buruh_harian_lepas", "buruh harian": "buruh_harian_lepas", "bhl": "buruh_harian_lepas",
        "buruh lepas": "buruh_harian_lepas", "kuli": "buruh_harian_lepas", "kuli bangunan": "buruh_harian_lepas",
        "tukang bangunan": "buruh_harian_lepas", "serabutan": "buruh_harian_lepas",
        # Religious work
        "marbot": "takmir_marbot", "marbot masjid": "takmir_marbot", "marbot musholla": "takmir_marbot",
        "marbot mushola": "takmir_marbot", "takmir": "takmir_marbot", "takmir masjid": "takmir_marbot",
        "penjaga masjid": "takmir_marbot", "guru ngaji": "guru_tpa_tpq", "guru tpq": "guru_tpa_tpq",
        "guru tpa": "guru_tpa_tpq", "ustadz tpq": "guru_tpa_tpq", "ustadzah tpq": "guru_tpa_tpq",
        "guru madin": "guru_tpa_tpq", "guru mengaji": "guru_tpa_tpq", "penyuluh agama": "pekerja_sosial_keagamaan",
        "amil": "pekerja_sosial_keagamaan", "amil zakat": "pekerja_sosial_keagamaan",
        "pegawai syara": "pegawai_sara", "pegawai sara": "pegawai_sara", "imam masjid": "pegawai_sara",
        "imam desa": "pegawai_sara", "modin": "pegawai_sara",
        # Budget-covered roles
        "rt": "ketua_rt", "ketua rt": "ketua_rt", "pak rt": "ketua_rt", "bhp": "anggota_bhp",
        "anggota bhp": "anggota_bhp", "kpps": "petugas_pemilu", "pps": "petugas_pemilu", "ppk": "petugas_pemilu",
        "petugas kpps": "petugas_pemilu", "pantarlih": "petugas_pemilu", "petugas pemilu": "petugas_pemilu",
        "honorer": "tenaga_non_asn", "non asn": "tenaga_non_asn", "pegawai honorer": "tenaga_non_asn",
        "perangkat desa": "aparatur_desa", "aparat desa": "aparatur_desa", "kaur": "aparatur_desa",
        "kadus": "aparatur_desa", "kepala dusun": "aparatur_desa", "sekdes": "aparatur_desa",
        # Self-employed
        "wiraswasta": "pekerja_mandiri", "wirausaha": "pekerja_mandiri", "usaha sendiri": "pekerja_mandiri",
        "pekerja mandiri": "pekerja_mandiri", "umkm": "pekerja_mandiri",
        # The KTP/KK occupation list of Dukcapil (Permendagri 109/2019, form F-1.01), as exported
        # from SIAK, where it names an informal worker's occupation ("Nelayan/Perikanan").
        "petani pekebun": "petani", "nelayan perikanan": "nelayan", "buruh tani perkebunan": "buruh_tani",
        "buruh nelayan perikanan": "nelayan", "buruh peternakan": "peternak", "ustadz mubaligh": "pekerja_sosial_keagamaan",
        "karyawan honorer": "tenaga_non_asn", "tukang ojek": "tukang_ojek",
    },
    "gender": {
        "l": "L", "lk": "L", "laki": "L", "laki laki": "L", "pria": "L", "male": "L", "m": "L",
        "p": "P", "pr": "P", "perempuan": "P", "wanita": "P", "female": "P", "f": "P", "w": "P",
    },
    "flag": {
        "1": True, "ya": True, "y": True, "yes": True, "true": True, "v": True, "x": True, "benar": True,
        "ada": True, "miskin": True, "0": False, "tidak": False, "t": False, "tdk": False, "no": False,
        "false": False, "bukan": False, "none": False,
    },
    "sponsor_type": {
        "pns": "asn", "pegawai negeri": "asn", "aparatur sipil negara": "asn", "p3k": "asn", "pppk": "asn",
        "perorangan": "perorangan", "pribadi": "perorangan", "individu": "perorangan", "donatur": "perorangan",
        "orang tua asuh": "perorangan", "ota": "perorangan", "pemdes": "pemerintah_desa",
        "pemerintah desa": "pemerintah_desa", "desa": "pemerintah_desa", "dana desa": "pemerintah_desa",
        "apbdes": "pemerintah_desa", "perusahaan": "perusahaan", "pt": "perusahaan", "csr": "perusahaan",
        "csr perusahaan": "perusahaan", "bumd": "bumd", "bank": "bank", "csr bank": "bank", "ormas": "organisasi",
        "komunitas": "organisasi", "yayasan": "organisasi", "lsm": "organisasi", "baznas": "organisasi",
        "apbd": "apbd_kabupaten", "pemkab": "apbd_kabupaten", "pemerintah kabupaten": "apbd_kabupaten",
        "kecamatan": "pemerintah_kecamatan",
    },
}


#: Coded columns also matched by the words of their names (see the module's docstring).
BY_WORDS = frozenset({"occupation"})
#: Short forms registers write for a word of an occupation: "Tkg ojek", "Pdg pasar", "Bh. harian
#: lepas". Only words no other name uses ("tk" is also a kindergarten: "Guru TK").
ABBREVIATIONS = {"tkg": "tukang", "pdg": "pedagang", "pdgg": "pedagang", "pedg": "pedagang", "brh": "buruh",
                 "bh": "buruh", "ptn": "petani", "ptni": "petani", "nly": "nelayan", "nlyn": "nelayan",
                 "ptrnk": "peternak", "spr": "sopir"}


#: Typed values that name no code of the column on purpose, per column, with the reason: the
#: Dukcapil entries (and their usual short forms) of people who are not informal workers. An
#: occupation configured in [occupations] or [import_synonyms.occupation] with one of these
#: names still wins.
NOT_A_CODE: dict[str, tuple[frozenset[str], str]] = {
    "occupation": (frozenset({
        "belum tidak bekerja", "belum bekerja", "tidak bekerja", "mengurus rumah tangga", "ibu rumah tangga", "irt",
        "pelajar mahasiswa", "pelajar", "mahasiswa", "pensiunan", "pegawai negeri sipil", "pns", "asn",
        "tentara nasional indonesia", "tni", "kepolisian ri", "polri", "karyawan swasta", "pegawai swasta",
        "karyawan bumn", "karyawan bumd",
    }), "bukan pekerjaan sektor informal (bukan pekerja rentan yang dibiayai skema); isi pekerjaan yang "
        "sebenarnya bila ia bekerja, atau jangan impor baris ini"),
}


_NOT_WORD = re.compile(r"[^a-z0-9]+")


def text_key(value) -> str:
    """Lower case, accents off, punctuation to spaces, one space between words."""
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_WORD.sub(" ", text.lower()).strip()


@dataclass
class Match:
    """What a typed value matched: a code, or nothing with the best suggestions (code, label,
    score) and whether it was ambiguous."""

    code: object = None
    suggestions: list[tuple[object, str, int]] = field(default_factory=list)
    ambiguous: bool = False
    #: The suggestion the value mapping step may pre-select (see PREFILL_SPELLING), or None.
    prefill: object = None
    #: Why the value names no code on purpose (``NOT_A_CODE``), or "".
    refused: str = ""

    @property
    def found(self) -> bool:
        return self.code is not None

    def hint(self) -> str:
        """``; mungkin maksud Anda: Petani, Peternak`` (empty without suggestions)."""
        if not self.suggestions:
            return ""
        return "; mungkin maksud Anda: " + ", ".join(label for _, label, _ in self.suggestions[:3])


class ValueMatcher:
    """Matches typed text to the codes of one coded column."""

    def __init__(self, labels: Mapping, synonyms: Mapping[str, object] | None = None,
                 chosen: Mapping[str, object] | None = None, refused: tuple[frozenset[str], str] | None = None,
                 *, by_words: bool = False):
        """``labels``: code -> label; ``synonyms``: typed text -> code; ``chosen``: the value
        mapping of an import template (typed text -> code), which wins over everything;
        ``refused``: texts that name no code on purpose, and why (``NOT_A_CODE``); ``by_words``:
        also match a value holding every word of a name (``BY_WORDS``)."""
        self._refused, self._refusal = refused or (frozenset(), "")
        self._by_words = by_words
        self.labels = {code: str(label) for code, label in labels.items()}
        self._keys: dict[str, set] = {}
        #: The words of each name (spaced), and the code it names: for the match by words.
        self._names: dict[frozenset, set] = {}
        for code, label in self.labels.items():
            for text in (label, str(code), str(code).replace("_", " ")):
                self._add(text, code)
            for part in re.split(r"[/()]", label):  # "Takmir/marbot masjid", "Guru TPA/TPQ"
                if text_key(part):
                    self._add(part, code)
        for text, code in (synonyms or {}).items():
            if code in self.labels:
                self._add(text, code)
        self._chosen = {text_key(k): v for k, v in (chosen or {}).items() if v in self.labels}
        self._choices = list(self._keys)
        self._cache: dict[str, Match] = {}
        self._typed: dict[str, Match] = {}

    def _add(self, text: str, code) -> None:
        key = text_key(text)
        if key:
            self._keys.setdefault(key, set()).add(code)
            self._keys.setdefault(key.replace(" ", ""), set()).add(code)
            self._names.setdefault(frozenset(key.split()), set()).add(code)

    def match(self, typed) -> Match:
        # Cached by the text as typed too: a column repeats a few values over 200.000 rows.
        found = self._typed.get(typed) if type(typed) is str else None
        if found is None:
            key = text_key(typed)
            if key not in self._cache:
                self._cache[key] = self._match(key)
            found = self._cache[key]
            if type(typed) is str and len(self._typed) < 10_000:
                self._typed[typed] = found
        return found

    def _match(self, key: str) -> Match:
        if not key:
            return Match()
        if key in self._chosen:
            return Match(self._chosen[key])
        if self._by_words:
            key = " ".join(ABBREVIATIONS.get(word, word) for word in key.split())
        codes = self._keys.get(key) or self._keys.get(key.replace(" ", ""))
        if codes and len(codes) == 1:
            return Match(next(iter(codes)))
        if not codes and key in self._refused:
            return Match(None, refused=self._refusal)
        # Taken without asking: a close spelling of a whole name (plain ratio: "petanni"), not a
        # word inside a longer one ("guru" is not necessarily "Guru TPA/TPQ")...
        spelled: dict = {}
        spelled_as: dict = {}
        for choice, score, _ in process.extract(key, self._choices, scorer=fuzz.ratio, limit=6):
            for code in self._keys[choice]:
                if int(score) > spelled.get(code, -1):
                    spelled[code], spelled_as[code] = int(score), choice
        close = sorted(spelled.items(), key=lambda item: -item[1])
        accepted = close[0][0] if close and close[0][1] >= ACCEPT_SCORE and (
            len(close) == 1 or close[1][1] <= close[0][1] - MARGIN) else None
        # ...or, for the columns matched by words, every word of a name.
        if not codes and self._by_words:
            found = self._match_words(key, None if accepted is None else (accepted, spelled_as[accepted]))
            if found is not None:
                return found
        best: dict = {}
        for choice, score, _ in process.extract(key, self._choices, scorer=fuzz.WRatio, limit=12):
            for code in self._keys[choice]:
                best[code] = max(best.get(code, 0), int(score))
        ranked = sorted(best.items(), key=lambda item: -item[1])
        suggestions = [(code, self.labels[code], score) for code, score in ranked if score >= SUGGEST_SCORE][:5]
        if codes:  # one name for several codes: ambiguous, never guessed
            return Match(None, [(c, self.labels[c], 100) for c in sorted(codes, key=str)], ambiguous=True)
        if accepted is not None:
            return Match(accepted, suggestions)
        tied = len(ranked) > 1 and ranked[0][1] >= ACCEPT_SCORE and ranked[1][1] >= ACCEPT_SCORE
        prefill = None
        if (ranked and not tied and ranked[0][1] >= ACCEPT_SCORE
                and (len(ranked) == 1 or ranked[1][1] <= ranked[0][1] - MARGIN)
                and spelled.get(ranked[0][0], 0) >= PREFILL_SPELLING):
            prefill = ranked[0][0]
        return Match(None, suggestions, ambiguous=tied, prefill=prefill)

    def _match_words(self, key: str, spelled: tuple | None) -> Match | None:
        """The occupation whose name's words are all in ``key``, the most specific one winning
        (see the module's docstring); ambiguous when several are as specific; None when no
        name's words are all there, or when a non-worker's occupation is. ``spelled``: (code,
        name) of a close spelling of the whole value, which counts as that name's words ("Dagang
        sayur" is Tukang sayur by "pedagang sayur", not Pedagang pasar by "dagang")."""
        words = set(key.split())
        if any(set(refused.split()) <= words for refused in self._refused):
            return None
        specific: dict = {spelled[0]: len(spelled[1].split())} if spelled else {}
        for name, codes in self._names.items():
            if name <= words:
                for code in codes:
                    specific[code] = max(specific.get(code, 0), len(name))
        if not specific:
            return None
        most = max(specific.values())
        winners = sorted((code for code, n in specific.items() if n == most), key=str)
        ranked = sorted(specific, key=lambda code: (-specific[code], str(code)))
        suggestions = [(code, self.labels[code], 100) for code in ranked]
        if len(winners) == 1:
            return Match(winners[0], suggestions)
        return Match(None, suggestions, ambiguous=True)


def mapping_options(codes, suggestions, prefill=None) -> tuple[list, int]:
    """The choice box of one unknown value in the value mapping step: "(tetap ditolak)" (None)
    first, then the suggested codes best first, then every other code; and the index of the
    pre-selected option: ``prefill`` when given (only a confident, unambiguous match), else
    "(tetap ditolak)", so one click on "Terapkan" never saves a guess."""
    suggested = [code for code, *_ in suggestions if code in codes]
    options = [None, *dict.fromkeys(suggested), *(c for c in codes if c not in suggested)]
    return options, options.index(prefill) if prefill in options else 0


def synonyms_for(column: str, configured: Mapping[str, Mapping[str, object]] | None = None) -> dict[str, object]:
    """The built-in synonyms of a column plus the regency's own from ``[import_synonyms]``."""
    return {**SYNONYMS.get(column, {}), **dict((configured or {}).get(column, {}))}


# The value mapping of a scheme's own choice fields ----------------------------------------------

def value_key(scheme_code: str, field_name: str) -> str:
    """The value-mapping key of a scheme's own choice field (``field:pringsewu_uc:category``)."""
    return f"field:{scheme_code}:{field_name}"


def field_of_key(registry, key: str) -> tuple[object, object] | None:
    """(scheme, ``Field``) named by a ``value_key``, or None."""
    parts = key.split(":", 2)
    if len(parts) != 3 or parts[0] != "field" or parts[1] not in registry.schemes:
        return None
    scheme = registry.scheme(parts[1])
    found = next((f for f in registry.fields(scheme) if f.name == parts[2]), None)
    return (scheme, found) if found else None
