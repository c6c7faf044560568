"""Small widgets shared by pages: formats, error lists, declared fields, panels, paging."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TypeVar

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.elements.lib.form_utils import is_in_form
from streamlit.runtime.scriptrunner import RerunException, StopException

from payung.auth.access import Actor, allowed
from payung.base import formats
from payung.reports.charts import count_axis
from payung.base.coverage import SELESAI
from payung.base.errors import Problem, ValidationError
from payung.schemes.fields import Field
from payung.imports.normalize import parse_rupiah_cell
from payung.base.money import format_rupiah
from payung.base.spreadsheets import quoted, unquoted
from payung.base import sponsor_types
from payung.base.text import max_chars
from payung.schemes.model import Panel

from . import shown_values

PROBLEMS_KEY = "_payung_problems"
T = TypeVar("T")

# Text is text ------------------------------------------------------------------------------

# What Markdown (CommonMark + GFM), Streamlit's directives (:red[...], :material/icon:, emoji
# :shortcodes:), its LaTeX ($...$) or HTML could give a meaning to is backslash-escaped (which
# CommonMark defines for any ASCII punctuation), so the reader sees the text unchanged. Plain
# prose punctuation (. , ( ) : followed by a space) is left alone: messages stay readable.
_ESCAPE = {ord(c): "\\" + c for c in "\\`*_[]<>#|~$@&"}
# Bidi overrides and isolates (U+202A-202E, U+2066-2069) would let a name reverse the text
# around it ("Ani \u202eKDR" shows as "Ani RDK"); line breaks would start new Markdown blocks.
_ESCAPE |= {c: None for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_ESCAPE |= {ord("\n"): " ", ord("\r"): " ", ord("\v"): " ", ord("\f"): " ", 0x85: " ", 0x2028: " ", 0x2029: " "}
_ESCAPE = MappingProxyType(_ESCAPE)  # read-only: module state is shared by every session
# ":red[", ":material/", ":smile:", "http://" (autolinks), "www." and, at the start, a list
# marker, a heading underline or a horizontal rule ("- ", "===", "---").
_CONTEXTUAL = re.compile(r":(?=[A-Za-z/])|(?<=www)\.|(?<=WWW)\.|^[-+=]")
_NUMBERED = re.compile(r"^(\d+)([.)])(?=\s)")



def chars(field: str, value=None) -> int:
    """A text box's ``max_chars`` for ``field`` (``payung.base.text.max_chars``, what the service
    takes), never below the length of the value it opens with (a text stored before the limit:
    Streamlit raises on a starting value longer than ``max_chars``)."""
    return max(max_chars(field), len(value) if isinstance(value, str) else 0)

def plain(value) -> str:
    """A value a user typed or imported (a name, an address, a note, a file name, an error
    message that quotes one), safe to put into anything Streamlit renders as Markdown: titles,
    headers, markdown, captions, success/error/warning/info, toasts and widget labels. It is
    shown exactly as typed, never as a link, an image, HTML, a formula or a colour."""
    if value is None:
        return ""
    text = _CONTEXTUAL.sub(r"\\\g<0>", str(value).translate(_ESCAPE))
    return _NUMBERED.sub(r"\1\\\2", text)


def distinct(labels: Mapping[T, str]) -> dict[T, str]:
    """``labels`` (value -> its words in a select box) told apart: Streamlit finds the choice by
    its words, so of two sponsors both "Agus Sembiring (ASN)" the first could never be chosen, and
    picking it stored the other. A label shared by several values gets " · ID <value>"."""
    seen: dict[str, int] = {}
    for label in labels.values():
        seen[label] = seen.get(label, 0) + 1
    return {value: f"{label} · ID {value}" if seen[label] > 1 else label for value, label in labels.items()}


def sponsor_label(sponsor: Mapping) -> str:
    """A sponsor in a picker: name and kind ("Dinas Sosial (OPD)")."""
    return f"{sponsor['name']} ({sponsor_types.SPONSOR_TYPES[sponsor['type']].label})"


def worker_label(worker: Mapping) -> str:
    """A worker in a picker: name, NIK (as the list shows it) and village."""
    return f"{worker['name']} · {worker['nik']} · {worker['village']}"


def or_all(choices: Mapping, everything: str, *, value=None, key: str | None = None) -> dict:
    """A filter box's ``st.selectbox`` arguments: None first, said as ``everything`` ("Semua
    desa"), then ``choices`` (value -> its words, or a scheme: its name); ``value`` chosen when it
    is one of them; ``key`` the box's key.

    ``everything`` is the placeholder too. When a box's choices change under it (the desa of
    another kecamatan) Streamlit resets it to None and the browser draws that as an empty box
    with its placeholder: "Pilih..." there read as nothing chosen while the page showed all.

    A keyed box whose kept value is None is drawn by Streamlit without a default, and the browser
    then offers to clear "Semua ..." picked in it: a clear (x) that cleared nothing a person could
    see. When "Semua ..." is picked, the box's callback says its None to it anew
    (``st.session_state``): Streamlit tells the browser that value in that run, once (a run writes
    into no box on every run: test_reruns_keep_input), and the browser draws the box empty, with
    "Semua ..." as its placeholder, and no (x). (Forgetting the None instead, to draw the box on its
    first choice, left Beranda's Desa box on the village of a kecamatan no longer chosen.) Not for
    a keyed box in a form, which takes no callback: refused (``ValueError``), naming ``or_all``.
    ``value`` matters only to a box drawn the first time: with a kept None, Streamlit draws it
    empty anyway.

    A keyed box drawn the first time on "Semua ..." (no ``value``) starts with that kept None too,
    said before it is drawn: drawn with a default in its first run and without one in the next, a
    box nobody touched offered the clear (x) after any later run (Tunggakan's Skema box after
    Perpanjang). It is drawn the same in every run: empty, "Semua ..." as its placeholder, no (x)."""
    if key is not None and is_in_form(st._main):
        # Streamlit refuses the callback itself, but only as the box is drawn, in words that name
        # a callback the page never wrote; a ``form.selectbox(...)`` without ``with`` is left to it.
        raise ValueError(f"or_all(key={key!r}) inside st.form: a filter box's callback (\"Semua ...\" said "
                         "again) is not allowed in a form. Draw the box outside the form, or leave out its key.")
    choices = distinct({code: words if isinstance(words, str) else words.name for code, words in choices.items()})
    options = [None, *choices]
    chosen = {"index": options.index(value)} if value is not None and value in choices else {}
    if key is not None:
        chosen["key"] = key
        chosen.update(on_change=_all_said_again, args=(key,))
        if key not in st.session_state and "index" not in chosen:
            st.session_state[key] = None  # its first run, as every later one: kept None, no default
        if st.session_state.get(key, "") is None:
            chosen.pop("index", None)  # with an index, Streamlit warns of a value also set in session state
    return {"options": options, "format_func": lambda v: everything if v is None else choices[v],
            "placeholder": everything, **chosen}


def _all_said_again(key: str) -> None:
    """A filter box's callback (``or_all``): "Semua ..." just picked is sent back as None."""
    if st.session_state.get(key) is None:
        st.session_state[key] = None


def scheme_column(names: Iterable[str], label: str = "Skema"):
    """The column of a table that shows schemes by ``short_name``: its heading's tooltip says
    what each short name stands for (the bracketed explanation the cells leave out)."""
    legend = formats.short_name_legend(names)
    return st.column_config.TextColumn(label, help=plain(legend) if legend else None)


def rupiah(amount: int | None) -> str:
    return format_rupiah(int(amount or 0))


def date_text(value: str | dt.date | None) -> str:
    """``17/08/2025`` from a date or ISO text; a stored (UTC) timestamp shows its local time,
    ``17/08/2025 14:05`` (``[payung] timezone``)."""
    return formats.date(value)


# Tables ----------------------------------------------------------------------------------------

#: Exactly what ``rupiah()`` writes (no leading zero), so an amount read back is shown as it was.
_RUPIAH = re.compile(r"-?Rp(?:0|[1-9]\d{0,2}(?:\.\d{3})*)")
#: A column of numbers underneath holds 64-bit integers (pandas' Int64).
_INT64 = range(-2**63, 2**63)


#: First characters of a text ``quoted`` may change (a cheap look before the whole check: a
#: 2.000-row table's columns are read on every run).
_FORMULA_STARTS = frozenset("=+-@\t\r'")


def _may_hold_text(column: pd.Series) -> bool:
    return column.dtype == object or pd.api.types.is_string_dtype(column.dtype)


def _is_money(values) -> bool:
    """Every value shown reads exactly like ``rupiah()`` (``Rp1.250.000``), nothing more. Text a
    user typed may read so too (a payment's reference "Rp999.999.999.999.999.999.999"): one beyond
    64-bit integers is no amount (the column of numbers could not hold it: the page failed)."""
    shown = [v for v in values if v not in (None, "", "-")]
    return bool(shown) and all(isinstance(v, str) and _RUPIAH.fullmatch(v) and _amount(v) in _INT64
                               for v in shown)


def _amount(value) -> int | None:
    """``Rp1.250.000`` (or ``-Rp1.250.000``) back to 1250000; ``-`` and empty to None."""
    if not isinstance(value, str) or not _RUPIAH.fullmatch(value):
        return None
    digits = value.lstrip("-")[2:].replace(".", "").strip()
    return -int(digits) if value.startswith("-") else int(digits)


def money_columns(rows, names: Iterable[str] = ()) -> list[str]:
    """The Rupiah columns of ``rows``: those named, and any whose every value reads ``Rp...``."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    return [c for c in frame.columns if c in set(names) or _is_money(frame[c].tolist())]


#: Viewport widths (CSS px) where a table may show another set of columns: up to PHONE_WIDTH a
#: phone (about 330 px for the table), up to LAPTOP_WIDTH a laptop (1366 px with the sidebar
#: leaves about 900 px), above it a wide screen, which shows every column.
PHONE_WIDTH, LAPTOP_WIDTH = 640, 1599
#: The class marker of a table variant's container, followed by the ranges it is shown in.
_SHOWN_IN = "__tampil"
_HIDDEN = '[data-testid="stLayoutWrapper"]:has(> [class*="{0}"]:not([class*="_{1}_"]))'
#: The wrapper of a hidden set goes too (it would still take the gap between two elements).
TABLE_CSS = f"""
@media (max-width: {PHONE_WIDTH}px) {{ {_HIDDEN.format(_SHOWN_IN, "hp")} {{ display: none; }} }}
@media (min-width: {PHONE_WIDTH + 1}px) and (max-width: {LAPTOP_WIDTH}px) {{
  {_HIDDEN.format(_SHOWN_IN, "laptop")} {{ display: none; }} }}
@media (min-width: {LAPTOP_WIDTH + 1}px) {{ {_HIDDEN.format(_SHOWN_IN, "lebar")} {{ display: none; }} }}
"""


#: A strip of tabs on a phone wraps onto a second line: Streamlit scrolls it sideways, and
#: Tunggakan's four labels ("Sudah selesai, belum diperpanjang (3)") showed the first or the last
#: cut off at 390 px, with only a small arrow to say there was more. Each tab's selection line is
#: its own, so it stays under the tab chosen; a laptop keeps one line.
TABS_CSS = f"""
@media (max-width: {PHONE_WIDTH}px) {{
  [data-testid="stTabs"] [role="tablist"] {{ flex-wrap: wrap; overflow-x: visible; row-gap: 0; }} }}
"""


def _dataframe(frame: pd.DataFrame, column_config: dict | None, money: Iterable[str], counts: Iterable[str] = (),
               **kwargs):
    config: dict = {}
    data = frame
    amounts = money_columns(frame, money) if len(frame) else []
    # Whole-number columns named in ``counts``: 8.765, not Streamlit's 8765 (still sorted as numbers).
    tallies = [c for c in counts if c in frame.columns and c not in amounts and len(frame)
               and pd.api.types.is_integer_dtype(frame[c])]
    # Text Excel would run as a formula: quoted in the data (the toolbar's "Unduh CSV (Excel)" writes
    # it; Streamlit writes cells as they are), shown on screen as typed.
    formulas = [c for c in frame.columns if c not in amounts and len(frame) and _may_hold_text(frame[c])
                and any(isinstance(v, str) and v[:1] in _FORMULA_STARTS and quoted(v) != v
                        for v in frame[c].tolist())]
    if amounts or tallies or formulas:
        frame = frame.copy()
        for column in amounts:
            frame[column] = pd.array([v if isinstance(v, int) else _amount(v) for v in frame[column]], dtype="Int64")
        for column in formulas:
            frame[column] = [quoted(v) if isinstance(v, str) else v for v in frame[column].tolist()]
        shown = {c: (lambda v: "-" if pd.isna(v) else format_rupiah(int(v))) for c in amounts}
        shown.update({c: (lambda v: "-" if pd.isna(v) else formats.count(int(v))) for c in tallies})
        shown.update({c: unquoted for c in formulas})
        data = shown_values.shown(frame, shown)
        config = {c: st.column_config.NumberColumn(c, alignment="right") for c in [*amounts, *tallies]}
    config.update({c: v for c, v in (column_config or {}).items() if c in frame.columns})
    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    return st.dataframe(data, column_config=config or None, **kwargs)


def table(rows, *, column_config: dict | None = None, money: Iterable[str] = (), phone: list[str] | None = None,
          laptop: list[str] | None = None, key: str | None = None, phone_options: dict | None = None, **kwargs):
    """``st.dataframe`` for people: Rupiah columns (given as ``rupiah()`` text, or named in
    ``money``) are numbers underneath, shown as ``Rp1.250.000`` and right-aligned, so a click
    on the heading sorts them by amount, not as text. Streamlit's own number formats know only
    the English ``1,250,000`` or the browser's locale; a pandas Styler gives the display. Whole
    numbers in columns named in ``counts`` read ``8.765`` the same way.

    Columns chosen for the width: ``phone`` and ``laptop`` name the columns a phone and a laptop
    show (see ``PHONE_WIDTH``), those that decide first (name, status, amounts); a wider screen
    shows them all. Each set is drawn and the browser shows the one for its width (CSS: the page
    cannot know the width). ``phone_options``: ``st.dataframe`` arguments of the phone set over
    the others (``column_config`` merged: a narrower column, taller rows). With a selection, the
    set a row was picked in answers: read it with the return value or ``picked_rows(key)``."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if not (phone or laptop) or not len(frame.columns):
        return _dataframe(frame, column_config, money, key=key, **kwargs)
    if key is None:
        raise ValueError("a table with column sets needs a key")
    config = column_config or {}
    phone_options = dict(phone_options or {})
    phone_config = {**config, **phone_options.pop("column_config", {})}
    sets = [("", list(frame.columns), ["lebar"] + ([] if laptop else ["laptop"]) + ([] if phone else ["hp"]), config,
             kwargs)]
    if laptop:
        sets.append(("-laptop", laptop, ["laptop"] + ([] if phone else ["hp"]), config, kwargs))
    if phone:
        sets.append(("-hp", phone, ["hp"], phone_config, {**kwargs, **phone_options}))
    events = []
    for suffix, columns, shown_in, settings, options in sets:
        with st.container(key=key + suffix + _SHOWN_IN + "".join(f"_{r}_" for r in shown_in)):
            events.append(_dataframe(frame[[c for c in columns if c in frame.columns]], settings, money,
                                     key=key + suffix, **options))
    by_set = {suffix: event for (suffix, *_), event in zip(sets, events)}
    picks = {suffix: list(getattr(getattr(event, "selection", None), "rows", None) or [])
             for suffix, event in by_set.items()}
    answering = _answering_set(key, picks)
    st.session_state[_PICKS + key] = {"seen": picks, "last": answering}
    return by_set[answering] if answering is not None else events[0]


#: Per table with column sets: the rows picked in each set at the last run, and the set picked in last.
_PICKS = "_payung_picks:"


def _answering_set(key: str, picks: dict[str, list]) -> str | None:
    """The column set of table ``key`` whose picked rows answer (``picks``: each set's): one
    picked anew since the last run, else the one picked in last, else any with a pick. A row
    picked on a wide screen stays picked in that set when the window narrows: the phone set's
    newer pick answers, not the old one (it kept another party's bill open)."""
    memory = st.session_state.get(_PICKS + key, {"seen": {}, "last": None})
    newer = [suffix for suffix, rows in picks.items() if rows and rows != memory["seen"].get(suffix)]
    return next((suffix for suffix in [*newer, memory["last"], *picks] if picks.get(suffix)), None)


def nik_note(actor: Actor, *, here: bool = False) -> None:
    """Once on each page with a list of workers: why its NIKs are masked (``access.listed``) and,
    for a role that may see them, where the full number is (``here``: this list opens the worker)."""
    where = "pilih barisnya" if here else "buka Daftar pekerja, lalu pilih pekerjanya"
    st.caption("NIK disamarkan di daftar untuk melindungi data pribadi (UU PDP)."
               + (f" NIK lengkap ada di halaman pekerja: {where}." if allowed(actor, "worker.full_nik") else ""))


def picked(event, items: list):
    """The item of the row picked in a table (``grid``'s return value, or a selection state), or
    None. The row number comes from the browser: one that is not a row of ``items`` (a message
    written by hand, a list that changed meanwhile) picks nothing rather than failing."""
    rows = event.selection.rows if event is not None and getattr(event, "selection", None) else []
    row = rows[0] if rows else None
    return items[row] if type(row) is int and 0 <= row < len(items) else None


def picked_rows(key: str) -> list[int]:
    """The rows picked in the table ``key``: in the column set a row was picked in last (``table``;
    read before the table is drawn too), else in whichever of its sets they were picked."""
    current = {}
    for suffix in ("", "-laptop", "-hp"):
        state = st.session_state.get(key + suffix)
        rows = state.selection.rows if state is not None and getattr(state, "selection", None) else []
        current[suffix] = [row for row in rows if type(row) is int and row >= 0]  # the browser's word (``picked``)
    answering = _answering_set(key, current)
    return current[answering] if answering is not None else []


# Amounts as people read them -------------------------------------------------------------------

def _group_thousands(key: str) -> None:
    """On leaving a Rupiah box: what was typed ("205800", "Rp 205.800", "1,5 juta") written back
    as ``205.800``; text that is no amount stays as typed (the save says why)."""
    try:
        st.session_state[key] = formats.count(parse_rupiah_cell(st.session_state.get(key) or ""))
    except ValueError:
        pass


#: Room in a Rupiah box: "Rp999.999.999.999.999,00" and more, not a page of digits.
RUPIAH_CHARS = 40


def rupiah_input(label: str, *, key: str, placeholder: str = "", help: str | None = None, container=None) -> None:
    """A box for an amount of Rupiah that shows it with thousands separators (``205.800``) as
    soon as it is typed (Enter or Tab), like its placeholder ("contoh 105.800"): a number box
    shows 205800. Read it with ``rupiah_value``. Not inside ``st.form`` (no callback there)."""
    if isinstance(st.session_state.get(key), int):  # an amount put there by the page (a record loaded)
        st.session_state[key] = formats.count(st.session_state[key])
    (container or st).text_input(label, key=key, placeholder=placeholder, help=help, on_change=_group_thousands,
                                 args=(key,), max_chars=RUPIAH_CHARS)


def rupiah_value(key: str, *, field: str, label: str) -> int | None:
    """The amount in the Rupiah box ``key``: None when it is empty; refused (``ValidationError``
    on ``field``) with the reason when it is no amount ("abc", "-5", "2,5")."""
    typed = st.session_state.get(key)
    if typed is None or isinstance(typed, int) or not str(typed).strip():
        return typed
    try:
        return parse_rupiah_cell(str(typed))
    except ValueError as exc:
        raise ValidationError(Problem(field, f"{label}: {exc}.", f"{field}_format")) from None


# Problems shown next to the field they concern -----------------------------------------------

def remember_problems(form: str, problems: Iterable[Problem]) -> None:
    st.session_state[PROBLEMS_KEY] = {"form": form, "problems": list(problems)}


def forget_problems(form: str, field: str | None, *, rule: str | None = None) -> None:
    """The user changed ``field``: the problems the last save attempt found in it are stale
    (only those of ``rule``, when given: another box changed what that rule compared)."""
    saved = st.session_state.get(PROBLEMS_KEY)
    if saved and saved["form"] == form:
        saved["problems"] = [p for p in saved["problems"] if p.field != field or rule is not None and p.rule != rule]


def clear_problems() -> None:
    st.session_state.pop(PROBLEMS_KEY, None)


def problems_for(form: str, field: str | None) -> list[str]:
    saved = st.session_state.get(PROBLEMS_KEY)
    if not saved or saved["form"] != form:
        return []
    return [p.message for p in saved["problems"] if p.field == field]


def attempt(form: str, action: Callable[[], T]) -> T:
    """Run a service call; if it refuses the input, keep its problems for the fields they
    concern and rerun so they show beside them (nothing was written)."""
    try:
        return action()
    except ValidationError as exc:
        remember_problems(form, exc.problems)
        st.rerun()


def clear_inputs(prefix: str) -> None:
    """Forget the values of a form's widgets (keys starting with ``prefix``) after a save."""
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]


def field_errors(form: str, field: str | None) -> None:
    """Under a widget: the problems of its field from the last save attempt."""
    for message in problems_for(form, field):
        st.error(plain(message), icon=":material/error:")


def problem_summary(form: str, known_fields: Iterable[str | None] = ()) -> None:
    """Above a form: how many problems, and those not tied to a widget shown on the page."""
    saved = st.session_state.get(PROBLEMS_KEY)
    if not saved or saved["form"] != form or not saved["problems"]:
        return
    st.error(f"Data belum disimpan: ada {len(saved['problems'])} hal yang perlu diperbaiki.")
    shown = set(known_fields)
    for problem in saved["problems"]:
        if problem.field not in shown:
            st.error(plain(problem.message), icon=":material/error:")


def problems_reminder(form: str) -> None:
    """Beside a form's button, after a refused save: the summary above the form is off screen
    when the button is below the fold (on a phone)."""
    saved = st.session_state.get(PROBLEMS_KEY)
    if saved and saved["form"] == form and saved["problems"]:
        st.error("Belum tersimpan: perbaiki yang ditandai merah di atas.", icon=":material/error:")


# Declared fields (the low-code part) --------------------------------------------------------

def declared_field(f: Field, *, form: str, key: str, default=None):
    """Render one plugin-declared field and return its raw value (validated by the core). Its
    label and help come from a scheme an administrator may have typed (the scheme editor): widget
    labels render a Markdown subset (bold, links, images, colours) and help tooltips render
    Markdown, so both are shown through ``plain``."""
    label = plain(f.label) + (" *" if f.required else "")
    help_text = plain(f.help) if f.help else None
    value = default if default is not None else f.default
    if f.type == "choice":
        options = [v for v, _ in f.options]
        index = options.index(value) if value in options else (None if f.required else 0)
        result = st.selectbox(label, options, index=index, format_func=f.choice_label, help=help_text,
                              key=key, placeholder="Pilih...")
    elif f.type == "multichoice":
        result = st.multiselect(label, [v for v, _ in f.options], default=value or [],
                                format_func=f.choice_label, help=help_text, key=key, placeholder="Pilih...")
    elif f.type == "rupiah":
        if key not in st.session_state and value is not None:
            st.session_state[key] = value
        rupiah_input(label, key=key, help=help_text, placeholder="contoh 1.000.000")
        result = st.session_state.get(key) or None  # the core reads it ("1.000.000") and says what is wrong
    elif f.type in ("integer", "year"):
        result = st.number_input(label, value=value, min_value=f.minimum, max_value=f.maximum, step=1,
                                 help=help_text, key=key, placeholder="Isi angka")
    elif f.type == "date":
        result = st.date_input(label, value=dt.date.fromisoformat(value) if isinstance(value, str) else value,
                               format="DD/MM/YYYY", help=help_text or DATE_HELP, key=key)
    elif f.type == "bool":
        result = st.checkbox(label, value=bool(value), help=help_text, key=key)
    else:
        result = st.text_input(label, value=value or "", help=help_text, key=key,
                               max_chars=chars("", value) if f.type == "text" else None,
                               placeholder="contoh 2025-08" if f.type == "month" else "")
    field_errors(form, f.name)
    return result


def ended_note(states: Iterable[str], lapse_months: int) -> None:
    """Under a list of kepesertaan with one "Selesai": what it means and what to do next (a
    newcomer read it beside "Berakhir" and did not know where to renew)."""
    if SELESAI in set(states):
        st.caption(f"Selesai: bulan kepesertaan itu sudah habis dan pekerjanya tidak lagi ditanggung olehnya. "
                   f"Perpanjang dalam {lapse_months} bulan di halaman Tunggakan & perpanjangan (tab \"Sudah selesai, "
                   "belum diperpanjang\"), atau daftarkan lagi di Daftarkan kepesertaan. Lain dengan Berakhir: "
                   "kepesertaan BPJS yang putus karena tunggakan.")


# Panels from plugins ------------------------------------------------------------------------

#: What a panel without rows says, unless it says what its emptiness means (``Panel.empty``).
NO_ROWS = "Belum ada data."


#: The start of the key of a panel's box (``panel``): the CSS of ``_toolbar_css`` finds it by it.
PANEL_KEY = "panel_"
#: Room kept free at the right of a panel's title for the toolbar of the table or chart under it.
TOOLBAR_WIDTH = "7rem"


def panel(p: Panel, *, key: str | None = None) -> None:
    """Draw a plugin's Panel (data) in the app's style. ``key``, unique on the page: the toolbar of
    its table or chart sits on the title's line, at the right, instead of in a blank band between
    the title and the table (``TOOLBAR_ROOM``, which every other table keeps above it)."""
    figure = formats.rupiah if p.money else formats.count  # a budget's "Rp604.800.000", a count's "3.615"
    with st.container(border=True, key=PANEL_KEY + key if key else None):
        st.markdown(f"**{plain(p.title)}**")
        if p.kind == "error":
            st.error(plain(p.caption))
            return
        if not p.rows and p.kind != "metric":
            # An empty list is not always "no data": a list of the villages still missing is empty
            # when none is. The panel says what its emptiness means (``Panel.empty``).
            st.caption(plain(p.empty or NO_ROWS))
        elif p.kind == "metric":
            columns = st.columns(max(1, len(p.rows)))
            for column, row in zip(columns, p.rows):
                value = row["value"]
                column.metric(plain(row["label"]), figure(value) if isinstance(value, int) else value)
        elif p.kind == "progress":
            for row in p.rows:
                target = row.get("target") or 0
                # Whole percents, never an empty bar for what is not nothing: Pringsewu's "Ketua RT: 1
                # dari 1.590" and "Rp285.600 dari Rp604.800.000" drew empty bars, as if none.
                share = min(100, formats.whole_percent(row["value"], target))
                st.progress(share, text=plain(f"{row['label']}: {figure(row['value'])} dari {figure(target)}"))
        elif p.kind == "bar":
            frame = pd.DataFrame(p.rows)
            axis, scale = count_axis(p.columns.get(p.y, p.y), frame[p.y])
            chart = alt.Chart(frame).mark_bar().encode(
                x=alt.X(f"{p.y}:Q", axis=axis, scale=scale),
                y=alt.Y(f"{p.x}:N", sort="-x", title=p.columns.get(p.x, p.x),
                        axis=alt.Axis(labelLimit=220, labelOverlap=False)),
                tooltip=[p.x, p.y],
            )
            st.altair_chart(chart, width="stretch")
        else:
            frame = pd.DataFrame(p.rows)
            if p.columns:
                frame = frame[[c for c in p.columns if c in frame.columns]].rename(columns=p.columns)
            table(frame, counts=list(frame.columns))  # a plugin's counts with the thousands point (8.765)
        if p.caption:
            st.caption(plain(p.caption))


# Paging -------------------------------------------------------------------------------------

#: Rows of a long table drawn at once (an OPD's bill has thousands of lines: drawn whole, each run
#: of the page cost seconds of the server's time).
ROWS_PER_PAGE = 200


def current_page(key: str) -> int:
    """The page a list should query: what the pager below it was last set to."""
    return int(st.session_state.get(key, 1))


def pager(total: int, page_size: int, *, key: str) -> None:
    """Page picker under a list paged in SQL (the query reads ``current_page(key)``)."""
    pages = max(1, -(-total // page_size))
    if current_page(key) > pages:
        st.session_state[key] = pages
    page = current_page(key)
    if not total:  # "Menampilkan 0-0 dari 0 data" under an empty search: the list already says why
        return
    first = (page - 1) * page_size + 1
    shown = f"Menampilkan {formats.count(first)}–{formats.count(min(page * page_size, total))} dari " \
            f"{formats.count(total)} data"
    if pages == 1:  # a page picker with one page to pick
        st.caption(shown)
        return
    left, right = st.columns([1, 3])
    left.number_input("Halaman", min_value=1, max_value=pages, step=1, key=key)
    right.caption(shown)


#: Session key of the success message of the last save, and of the one a run has shown.
SAVED = "_payung_saved"
_SAVED_SHOWN = "_payung_saved_shown"


def show_saved_message(*, toast: bool = False) -> None:
    """A success message carried across the rerun that follows a save, where this is called.
    ``toast``: also as a toast, which shows wherever the page is scrolled (a form whose button is
    below the fold: its top is off screen on a phone). The message stays until a run that showed
    it has ended (``forget_shown_message``): a run cut short by the next click, or by a
    component's answer, does not take it away unseen."""
    state = st.session_state
    message = state.get(SAVED)
    if message:
        first_time = state.get(_SAVED_SHOWN) != message
        state[_SAVED_SHOWN] = message
        st.success(plain(message), icon=":material/check_circle:")
        if toast and first_time:
            st.toast(plain(message), icon=":material/check_circle:", duration="long")
            # In the sidebar, as bring_into_view's: a script in the page made a gap for one run.
            st.sidebar.html(_TOAST_STAYS_SCRIPT, unsafe_allow_javascript=True)


#: A saved message's toast belongs to the page it was saved on. Streamlit keeps a toast on screen
#: for its whole duration, over the next page too: "... terdaftar sebagai pekerja." followed the
#: person onto Kepesertaan (its link "Daftarkan kepesertaan") and read as said again there. The
#: toasts shown while this page is open are closed (their own close button) when another page
#: opens; a toast the next page shows is left alone. It watches until they have gone.
_TOAST_STAYS_SCRIPT = """<script>(() => {
  const page = location.pathname, seen = new Set();
  let ticks = 0;
  const watch = setInterval(() => {
    const shown = document.querySelectorAll('[data-testid="stToast"]');
    if (location.pathname === page) {
      shown.forEach((toast) => seen.add(toast));
      if (++ticks > 150 && ![...seen].some((toast) => toast.isConnected)) clearInterval(watch);
      return;
    }
    clearInterval(watch);
    for (const toast of seen) {
      const close = toast.isConnected && toast.querySelector('button[slot="close"]');
      if (close) close.click();
    }
  }, 100);
})();</script>"""


def forget_shown_message() -> None:
    """At the end of a page's run (app.py): the saved message it showed has been seen."""
    state = st.session_state
    if state.get(_SAVED_SHOWN) != state.get(SAVED):  # nothing shown, or a newer save since
        state.pop(_SAVED_SHOWN, None)
    else:
        state.pop(SAVED, None)
        state.pop(_SAVED_SHOWN, None)


def saved(message: str, rerun: Callable[[], None] | None = None) -> None:
    st.session_state[SAVED] = message
    clear_problems()
    resume_deferred_rerun()
    (rerun or st.rerun)()


#: Session key of the rerun a click asked for while a long write went on (``progress_to_the_end``).
_DEFERRED = "_payung_deferred_rerun"


@contextlib.contextmanager
def progress_to_the_end(text: str) -> Iterator[Callable[[float, str], None]]:
    """A progress bar for a long piece of work (demo data, an import, a bulk enrolment) that no
    click cuts short. Every Streamlit element is a point where a new run the browser asked for
    (another click, a component's answer) stops the current one: a progress update was such a
    point, and a demo load or an import stopped half-way, rolled back, with no word to the
    person who had clicked. Here the bar stops moving instead, the work goes on to its end, and
    the run asked for follows (``saved``, or app.py at the end of the run)::

        with progress_to_the_end("Menyimpan...") as progress:
            counts = apply_import(db, plugins, plan, actor=actor, progress=progress)
    """
    deferred: list[BaseException] = []
    bar = []

    def draw(call: Callable[[], object]) -> None:
        if deferred:
            return
        try:
            call()
        except (RerunException, StopException) as request:
            deferred.append(request)

    draw(lambda: bar.append(st.progress(0.0, text=text)))

    def progress(fraction: float, label: str) -> None:
        if bar:
            draw(lambda: bar[0].progress(min(max(fraction, 0.0), 1.0), text=label))

    try:
        yield progress
    finally:
        if deferred:
            st.session_state[_DEFERRED] = deferred[0]


def resume_deferred_rerun() -> None:
    """Start the run a click asked for during ``progress_to_the_end`` (its widget values, a
    pressed button included), now that the work is done."""
    request = st.session_state.pop(_DEFERRED, None)
    if request is not None:
        raise request


def end_of_page_run() -> None:
    """What app.py does when a page's run ends as drawn (not cut short by a rerun)."""
    forget_shown_message()
    resume_deferred_rerun()


def discard_deferred_rerun() -> None:
    """A run that ends in a run of its own (``st.rerun``) drops the one a click asked for
    during its long write: that request holds the widget values of then, and started in a later
    run it would put them back over what was done since."""
    st.session_state.pop(_DEFERRED, None)


# Streamlit's own English ----------------------------------------------------------------------

#: An empty date box shows its format in English letters ("dd / mm / yyyy", one segment each)
#: and Streamlit 1.67 has no placeholder parameter for st.date_input: the English letters are
#: shrunk to nothing and "hh / bb / tttt" (hari, bulan, tahun) drawn in their place; each date box
#: also says "contoh 17/08/1975" in its help.
_PAGE_CSS = """<style>
[data-testid="stDateInput"] [data-placeholder="true"] { font-size: 0 !important; }
[data-testid="stDateInput"] [data-placeholder="true"]::after { font-size: 0.875rem; }
[data-testid="stDateInput"] [data-placeholder="true"][data-type="day"]::after { content: "hh"; }
[data-testid="stDateInput"] [data-placeholder="true"][data-type="month"]::after { content: "bb"; }
[data-testid="stDateInput"] [data-placeholder="true"][data-type="year"]::after { content: "tttt"; }
/* A filter box on "all" (ui.widgets.or_all: its placeholder names that choice, "Semua desa") in
   the colour of a chosen value: the grey of a placeholder read as a box switched off, or empty. */
[data-testid="stSelectbox"] input[placeholder^="Semua"]::placeholder,
[data-testid="stSelectbox"] input[placeholder^="Otomatis"]::placeholder { color: inherit; opacity: 1; }
%(instructions)s
/* A select box's list when nothing matches what was typed ("No results"). */
[role="option"]:not([data-key]) > span { font-size: 0 !important; }
[role="option"]:not([data-key]) > span::after { content: "Tidak ada yang cocok"; font-size: 0.875rem; }
/* A multiselect's bulk choices ("Select all", "Select 3 matches") and, in the one that searches
   what is typed (the worker picker of Kepesertaan), "Add: " and the text typed. No angle brackets
   in this CSS: st.html would drop the whole style. */
[role="option"][data-key="__select_all__"] > div { font-size: 0 !important; }
[role="option"][data-key="__select_all__"] > div::after { content: "Pilih semua"; font-size: 0.875rem; }
[role="option"][data-key="__select_matches__"] > div { font-size: 0 !important; }
[role="option"][data-key="__select_matches__"] > div::after { content: "Pilih semua yang cocok"; font-size: 0.875rem; }
[role="option"][data-key="__creatable__"] > div { font-size: 0 !important; }
[role="option"][data-key="__creatable__"] > div::after { content: "Tekan Enter untuk mencari nama ini di semua pekerja"; font-size: 0.875rem; }
</style>"""
DATE_HELP = "Ketik tanggal/bulan/tahun, contoh 17/08/1975, atau pilih di kalender."

#: "Press Enter to apply" under a box being typed in (Streamlit has no parameter for it): the
#: English message is shrunk to nothing and said in Indonesian. It is the first of two spans (the
#: second counts characters, "3/24"), or the only one under a box without a character limit.
#: Kind of box -> (its selector, what marks a character limit, the key that applies).
_BOXES = (('[data-testid="stTextInput"]', "input[maxlength]", "Enter"),
          ('[data-testid="stNumberInput"]', None, "Enter"),
          ('[data-testid="stTextArea"]', "textarea[maxlength]", "Ctrl+Enter"))


def _messages(box: str, limit: str | None) -> list[str]:
    alone = f"{box}:not(:has({limit}))" if limit else box
    return [f'{box} [data-testid="InputInstructions"] > span:first-child:not(:last-child)',
            f'{alone} [data-testid="InputInstructions"] > span:only-child']


_INSTRUCTIONS = ",\n".join(m for box, limit, _ in _BOXES for m in _messages(box, limit)) + \
    " { font-size: 0 !important; }\n" + "\n".join(
        ",\n".join(f"{form}{m}::after" for m in _messages(box, limit))
        + f' {{ content: "Tekan {key} untuk {what}"; font-size: 0.75rem; }}'
        for box, limit, key in _BOXES
        for form, what in (("", "menerapkan"), ('[data-testid="stForm"] ', "mengirim formulir")))


#: The hover toolbar of tables and charts (always shown on a touch screen): its buttons' tooltips
#: said "Download as CSV", "Fullscreen"... (Streamlit has no setting for them). While a button is
#: hovered or focused, the one tooltip on screen is its own: its English text is shrunk to nothing
#: and the Indonesian drawn after it. A button is found by its name, English or, once the tab's
#: script has renamed it for screen readers (``STREAMLIT_LABELS``, which holds these too), Indonesian:
#: keyed by the English name only, the tooltips of a chart's "Tampilkan data" and "Layar penuh"
#: stayed English.
TOOLBAR_LABELS = MappingProxyType({
    "Show/hide columns": "Tampilkan/sembunyikan kolom", "Download as CSV": "Unduh CSV (Excel)", "Search": "Cari",
    "Fullscreen": "Layar penuh", "Close fullscreen": "Tutup layar penuh", "Clear selection": "Hapus pilihan",
    "Download as PNG": "Unduh gambar PNG", "Show data": "Tampilkan data", "Show chart": "Lihat grafik",
    "Copy Vega-Lite spec": "Salin rumusan grafik (Vega-Lite)", "Copied!": "Tersalin",
})
#: Room above a table or chart for its toolbar, which covered the figure or the box above it. A
#: margin, not padding: a table given a height has its container set to that height, and padding
#: took its last row's room (the line under it was drawn over that row).
TOOLBAR_ROOM = "2.25rem"


def _toolbar_button(english: str) -> str:
    """A toolbar button by its English name or the Indonesian one the tab's script gives it."""
    names = dict.fromkeys([english, STREAMLIT_LABELS.get(english, english)])
    return '[data-testid="stBaseButton-elementToolbar"]:is(' + ",".join(f'[aria-label="{n}"]' for n in names) + ")"


def _toolbar_css() -> str:
    rules = [
        f'[data-testid="stElementContainer"]:has(> [data-testid="stFullScreenFrame"] [data-testid="stElementToolbar"]) '
        f'{{ margin-top: {TOOLBAR_ROOM}; }}',
        '[data-testid="stFullScreenFrame"] [data-testid="stElementToolbar"] { top: -2rem; }',
        # A panel's table or chart: no blank band under the panel's title (a newcomer saw an empty
        # gap there): its toolbar rises onto the title's line, whose right end is kept free for it.
        # Not on a phone, where that free end wrapped a panel's title over four lines.
        f'@media (min-width: {PHONE_WIDTH + 1}px) {{ '
        f'[class*="st-key-{PANEL_KEY}"] > [data-testid="stElementContainer"]:has(> [data-testid="stFullScreenFrame"] '
        f'[data-testid="stElementToolbar"]) {{ margin-top: 0; }} '
        f'[class*="st-key-{PANEL_KEY}"]:has(> [data-testid="stElementContainer"] > [data-testid="stFullScreenFrame"]) '
        f'> [data-testid="stElementContainer"]:first-child [data-testid="stMarkdownContainer"] '
        f'{{ padding-right: {TOOLBAR_WIDTH}; }} }}',
    ]
    for english, indonesian in TOOLBAR_LABELS.items():
        hovered = ", ".join(f"body:has({_toolbar_button(english)}:{state}) [role=\"tooltip\"] "
                            f'[data-testid="stTooltipContent"] p{after}'
                            for state in ("hover", "focus-visible") for after in ("", "::after"))
        plain_rules = hovered.split(", ")
        rules.append(", ".join(r for r in plain_rules if not r.endswith("::after")) + " { font-size: 0 !important; }")
        rules.append(", ".join(r for r in plain_rules if r.endswith("::after"))
                     + f' {{ content: "{indonesian}"; font-size: 0.875rem; }}')
    return "\n".join(rules) + "\n"


#: Streamlit hands its browser pieces the browser's own language (``navigator.language``, read
#: on every draw): on a laptop set to English, a date box's calendar named its months and days in
#: English ("December 2026", "Su Mo Tu"). Payung speaks Indonesian whatever the laptop's setting:
#: the tab is told its language is Indonesian, and Streamlit's next draw uses it. (The first
#: page drawn after the address is loaded anew may keep the browser's language until the run
#: after it: the script runs as that page is drawn.)
INDONESIAN_LOCALE = "id-ID"
_LOCALE_SCRIPT = """<script>(() => {
  if (navigator.language === "%(locale)s") return;
  try {
    Object.defineProperty(navigator, "language", {get: () => "%(locale)s", configurable: true});
  } catch (e) {}
})();</script>""" % {"locale": INDONESIAN_LOCALE}


#: What Streamlit shows for an error no page caught, in place of its message and traceback
#: (its ``elements.exception._GENERIC_UNCAUGHT_EXCEPTION_TEXT``; a test compares them).
UNCAUGHT_ERROR = ("This app has encountered an error. The original error message is redacted to prevent data leaks. "
                  "Full error details have been recorded in the logs (if you're on Streamlit Cloud, click on 'Manage "
                  "app' in the lower right of your app).")
#: Streamlit's words in a table's column menu (sort, pin, format, statistics), which it writes
#: as text in the menu it draws when the menu opens: no CSS can tell the items apart (each is an
#: icon and its words). A script in the tab puts the Indonesian words in their place as a menu
#: is drawn, and only inside ``STREAMLIT_WORD_PLACES`` (those menus, a tooltip, a download button
#: that failed, an error no page caught, the keyboard users' first link).
STREAMLIT_WORDS = MappingProxyType({
    "Sort ascending": "Urutkan naik", "Sort descending": "Urutkan turun", "Autosize": "Lebar otomatis",
    "Pin column": "Sematkan kolom", "Unpin column": "Lepas sematan kolom", "Hide column": "Sembunyikan kolom",
    "Copy column name": "Salin nama kolom", "Statistics": "Statistik", "Dataframe column menu": "Menu kolom tabel",
    "Automatic": "Otomatis", "Localized": "Cara Indonesia", "Plain": "Angka polos", "Compact": "Ringkas",
    "Dollar": "Dolar", "Percent": "Persen", "Scientific": "Ilmiah", "Accounting": "Akuntansi",
    "Duration": "Durasi", "Distance": "Jarak waktu", "Calendar": "Kalender",
    "Values": "Berisi", "Empty": "Kosong", "Distinct": "Nilai berbeda", "Average": "Rata-rata",
    "Standard deviation": "Simpangan baku", "Minimum": "Terkecil", "Maximum": "Terbesar",
    "25th percentile": "Persentil ke-25", "Median": "Nilai tengah", "75th percentile": "Persentil ke-75",
    "Sum": "Jumlah", "Range": "Rentang", "Minimum length": "Panjang terpendek",
    "Maximum length": "Panjang terpanjang", "Average length": "Panjang rata-rata",
    "Based on sample": "Dari sampel", "No data": "Tidak ada data", "No content": "Tidak ada isi",
    # A table's search box (the toolbar's Cari), before anything is typed. It searches the rows the
    # table holds, one page of a long list (Daftar pekerja's 50): "0 hasil" for a Siti on the next
    # page read as no Siti registered. It says so; the page's own Cari box searches them all.
    "Type to search": "Cari di baris yang tampil",
    # The keyboard users' first link, shown when Tab is pressed and read by a screen reader.
    "Skip to main content": "Langsung ke isi halaman",
    "Failed to generate file for download": "Berkas tidak dapat dibuat. Muat ulang halaman, lalu coba lagi.",
    # An error no page caught (.streamlit/config.toml: showErrorDetails = "none").
    UNCAUGHT_ERROR: ("Terjadi kesalahan yang tidak terduga. Muat ulang halaman, lalu periksa apakah langkah terakhir "
                     "sudah tersimpan. Rinciannya tercatat di log server Payung: sampaikan jam kejadiannya kepada "
                     "pengelola Payung."),
})
#: Streamlit's names for its own buttons, read aloud by a screen reader (``aria-label``): said in
#: Indonesian wherever they are drawn. A help icon is named "Help for <the box's label>".
STREAMLIT_LABELS = MappingProxyType({
    "Open": "Buka pilihan", "Close": "Tutup", "Clear value": "Kosongkan", "Clear all": "Kosongkan semua",
    "Clear entry": "Hapus isian", "Choose date": "Pilih tanggal", "Clear date": "Kosongkan tanggal",
    "Choose date range": "Pilih rentang tanggal", "Clear dates": "Kosongkan tanggal-tanggal",
    "Previous month": "Bulan sebelumnya", "Next month": "Bulan berikutnya", "Increment": "Tambah satu",
    "Decrement": "Kurangi satu", "Sidebar": "Menu samping", "Expand sidebar": "Buka menu samping",
    "Collapse sidebar": "Tutup menu samping", "App pages": "Halaman aplikasi", "Main menu": "Menu utama",
    "Scroll tabs left": "Geser tab ke kiri", "Scroll tabs right": "Geser tab ke kanan",
    "Running...": "Sedang berjalan...", "Stop script": "Hentikan", "Notifications": "Pemberitahuan",
    "Previous page": "Halaman sebelumnya", "Next page": "Halaman berikutnya", "Pagination": "Penomoran halaman",
    "Selected values": "Pilihan yang dipilih", "file upload": "unggah berkas", "Add files": "Tambah berkas",
    "Link to heading": "Tautan ke judul", "Help": "Bantuan", "Close Search": "Tutup pencarian",
    "Show password": "Tampilkan kata sandi", "Hide password": "Sembunyikan kata sandi",
    "Quick select a date range": "Pilih cepat rentang tanggal", "Choose date and time": "Pilih tanggal dan jam",
    "Clear time": "Kosongkan jam", "Clear date and time": "Kosongkan tanggal dan jam",
    "Previous Result": "Hasil sebelumnya", "Next Result": "Hasil berikutnya",
    # The toolbar of tables and charts: a button is named as its tooltip says it ("Download as PNG",
    # "Copy Vega-Lite spec" and "Show chart" were English to a screen reader).
    **TOOLBAR_LABELS,
})
_HELP_FOR = ("Help for ", "Bantuan untuk ")
#: A table search's count of what it found ("3 results", "1 of 3 results", "1 of over 1000"):
#: (JavaScript pattern, its Indonesian), applied in order inside the search box's status line.
SEARCH_COUNT_WORDS = (("over 1000", "lebih dari 1000"), (r"^(\d+) of ", "$1 dari "),
                      (r"(\d+) results?$", "$1 hasil di baris yang tampil"))
STREAMLIT_WORD_PLACES = ('[data-testid^="stDataFrameColumn"]', '[data-testid^="stDataFrameStatistics"]',
                         '[data-testid="stDownloadButtonError"]', '[data-testid="stTooltipContent"]', '[data-testid="stException"]',
                         'a[data-testid="stSkipToContent"]', '.gdg-search-status')
_WORDS_SCRIPT = """<script>(() => {
  if (window.__payungWords) return;
  window.__payungWords = true;
  const words = new Map(Object.entries(%(words)s)), places = %(places)s;
  const labels = new Map(Object.entries(%(labels)s)), helpFor = %(help_for)s;
  const counts = %(counts)s.map(([pattern, said]) => [new RegExp(pattern), said]);
  // A table search's count ("3 results", "1 of over 1000"): its words around the numbers.
  const counted = (text) => counts.reduce((t, [pattern, said]) => t.replace(pattern, said), text);
  // A button's name to a screen reader, anywhere in the page ("Open" on every select box). A
  // toolbar's button may name its table or chart after its own name ("Download as PNG: Peta").
  const label = (element) => {
    const value = element.getAttribute("aria-label");
    if (value === null) return;
    let said = labels.get(value);
    if (said === undefined && value.startsWith(helpFor[0])) said = helpFor[1] + value.slice(helpFor[0].length);
    const named = value.indexOf(": ");
    if (said === undefined && named > 0 && labels.has(value.slice(0, named))) {
      said = labels.get(value.slice(0, named)) + value.slice(named);
    }
    if (said !== undefined && said !== value) element.setAttribute("aria-label", said);
  };
  // Only a text that changes is written: writing one is itself a change this observer sees.
  const say = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      let said = words.get(node.nodeValue.trim());
      if (said === undefined && node.parentElement.closest(".gdg-search-status")) said = counted(node.nodeValue);
      if (said !== undefined && said !== node.nodeValue) node.nodeValue = said;
    }
    // A button's tooltip and its name to a screen reader ("Copy column name"); not watched.
    for (const element of [root, ...root.querySelectorAll('[title], [aria-label]')]) {
      for (const name of ['title', 'aria-label']) {
        const value = element.getAttribute(name), said = value === null ? undefined : words.get(value);
        if (said !== undefined && said !== value) element.setAttribute(name, said);
      }
    }
  };
  new MutationObserver((records) => {
    for (const record of records) {
      // A name changed in place: "Show password" becomes "Hide password" on a click, a chart's
      // "Copy Vega-Lite spec" becomes "Copied!" and, on a timer, "Copy Vega-Lite spec" again.
      if (record.type === "attributes") { label(record.target); continue; }
      const target = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      const place = target && target.closest(places);
      if (place) { say(place); continue; }
      for (const node of record.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.hasAttribute("aria-label")) label(node);
        node.querySelectorAll("[aria-label]").forEach(label);
        if (node.matches(places)) say(node); else node.querySelectorAll(places).forEach(say);
      }
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true,
                             attributes: true, attributeFilter: ["aria-label"]});
  document.querySelectorAll("[aria-label]").forEach(label);
  document.querySelectorAll(places).forEach(say);  // drawn before this script ran (an error)
})();</script>""" % {"words": json.dumps(dict(STREAMLIT_WORDS)), "places": json.dumps(", ".join(STREAMLIT_WORD_PLACES)),
                     "labels": json.dumps(dict(STREAMLIT_LABELS)), "help_for": json.dumps(_HELP_FOR),
                     "counts": json.dumps(SEARCH_COUNT_WORDS)}


#: A page that shows one record at an address of its own (Daftar pekerja's ``?id=``) keeps that
#: address when its own link in the sidebar is clicked: Streamlit reruns the same page with the
#: same query, and the click did nothing. There it does what the page's "Kembali ke daftar"
#: button does (``key="kembali"``), and on a phone the sidebar is closed as after any other link.
BACK_KEY = "kembali"
#: Where Streamlit draws the sidebar over the page (a phone), and the button that closes it.
_SIDEBAR_OVER_PAGE = "(max-width: 767.98px)"
_CLOSE_SIDEBAR = '[data-testid="stSidebarCollapseButton"] button'
_SAME_PAGE_SCRIPT = """<script>(() => {
  if (window.__payungSamePage) return;
  window.__payungSamePage = true;
  document.addEventListener("click", (event) => {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest && event.target.closest('[data-testid="stSidebarNavLink"]');
    if (!link || !new URLSearchParams(location.search).has("id")
        || new URL(link.href, location.href).pathname !== location.pathname) return;
    const back = document.querySelector(".st-key-%(back)s button");
    if (!back) return;
    event.preventDefault();
    event.stopPropagation();
    back.click();
    const close = document.querySelector(%(close)s);
    if (close && window.matchMedia(%(phone)s).matches) close.click();
  }, true);
})();</script>""" % {"back": BACK_KEY, "close": json.dumps(_CLOSE_SIDEBAR), "phone": json.dumps(_SIDEBAR_OVER_PAGE)}


#: The login page has no sidebar. After Keluar the last page's sidebar, left open to press it
#: on a phone, now and then stayed over the login form, empty (2 times in 4 on this machine):
#: the login page hides it. And Streamlit remembered it open, so the next sign-in in that tab
#: landed on a page covered by the menu: once the sidebar is back after Masuk, on a phone, it
#: is closed.
_LOGIN_PAGE_CSS = "<style>[data-testid='stSidebar'] { display: none; }</style>"
_SIDEBAR_CLOSED_SCRIPT = """<script>(() => {
  if (window.__payungSidebarWatch || !window.matchMedia(%(phone)s).matches) return;
  window.__payungSidebarWatch = true;
  // First the last page's sidebar goes (touched while it is taken down, it stayed over the login
  // form), then the next page's comes: closed if it comes open.
  let gone = false;
  const watch = new MutationObserver(() => {
    const sidebar = document.querySelector('[data-testid="stSidebar"]');
    if (!gone) { gone = !sidebar; return; }
    const close = sidebar && sidebar.querySelector(%(close)s);
    if (!sidebar || (sidebar.dataset.collapsed === "false" && !close)) return;
    watch.disconnect();
    window.__payungSidebarWatch = false;
    if (sidebar.dataset.collapsed === "false") close.click();
  });
  watch.observe(document.body, {childList: true, subtree: true, attributes: true, attributeFilter: ["data-collapsed"]});
})();</script>""" % {"close": json.dumps(_CLOSE_SIDEBAR), "phone": json.dumps(_SIDEBAR_OVER_PAGE)}


#: Per list whose picked row opens a record (``list_key``): how many times "Kembali ke daftar" left it.
_LIST_ROUND = "_payung_list_round:"


def list_key(name: str) -> str:
    """The widget key of the list ``name``, whose picked row opens a record at ``?id=``: a new
    one after "Kembali ke daftar" (``back_to_list_button(name)``), so the browser forgets the row
    that was picked (it sent that selection back and the list opened the same record again)."""
    return f"{name}_{st.session_state.get(_LIST_ROUND + name, 0)}"


def back_to_list_button(list_name: str) -> None:
    """"Kembali ke daftar" on a page that shows one record at ``?id=``: the id goes, and the list
    ``list_name`` (drawn with the key ``list_key(list_name)``) is drawn with nothing picked. Its
    key is the one ``_SAME_PAGE_SCRIPT`` presses."""
    def back() -> None:
        st.query_params.pop("id", None)
        st.session_state[_LIST_ROUND + list_name] = st.session_state.get(_LIST_ROUND + list_name, 0) + 1
    st.button("← Kembali ke daftar", key=BACK_KEY, on_click=back)


#: A part of a page that a pick above it shows (Tagihan's bill under its list of parties): at
#: 1366x768 it was drawn below the fold, and the pick seemed to do nothing but tick the row. The
#: page is scrolled (smoothly) to the top of the container keyed ``key``, once, as this run draws
#: it; below Streamlit's top bar (its scroll margin). A stale copy (the last run's) is not the one.
_INTO_VIEW_SCRIPT = """<script>(() => {
  const selector = %(selector)s;
  let tries = 0, checks = 0, last = null, stopped = false;
  // A scroll the page made for it may be cut short (the table clicked keeps its focus in view, a
  // table above draws its rows later): it is made again once the page is still, until the person
  // scrolls, clicks or types, for two seconds at most.
  const stop = () => { stopped = true; };
  for (const kind of ["wheel", "touchstart", "keydown", "mousedown"]) window.addEventListener(kind, stop, {once: true, capture: true});
  const target = () => [...document.querySelectorAll(selector)].filter(e => !e.closest('[data-stale="true"]'))[0];
  const check = () => {
    const found = target();
    if (stopped || !found || ++checks > 8) return;
    const top = found.getBoundingClientRect().top;
    if (top === last && Math.abs(top - 64) > 8) found.scrollIntoView({block: "start", behavior: "smooth"});
    last = top;
    setTimeout(check, 250);
  };
  const go = () => {
    const found = target();
    if (!found) { if (++tries < 100) setTimeout(go, 50); return; }
    found.style.scrollMarginTop = "4rem";
    found.scrollIntoView({block: "start", behavior: "smooth"});
    setTimeout(check, 250);
  };
  go();
})();</script>"""


def bring_into_view(key: str) -> None:
    """Scroll the page to the container ``st.container(key=key)`` drawn in this run. Called only
    in the run that shows it anew (not at every run: a click further down would jump back). In the
    sidebar: a script is an element of its own, and in the page it made a gap for one run."""
    selector = f'[data-testid="stMain"] .st-key-{key}'
    st.sidebar.html(_INTO_VIEW_SCRIPT % {"selector": json.dumps(selector)}, unsafe_allow_javascript=True)


def login_page_sidebar() -> None:
    """On the login page: no sidebar, a phone's closed after Masuk (``_LOGIN_PAGE_CSS``), and
    Streamlit's words said in Indonesian (the password box's "Show password")."""
    st.html(_LOGIN_PAGE_CSS + _SIDEBAR_CLOSED_SCRIPT + _WORDS_SCRIPT, unsafe_allow_javascript=True)


def indonesian_text() -> None:
    """Streamlit's own English words said in Indonesian (CSS): on every page, the login page too."""
    st.html(_PAGE_CSS.replace("%(instructions)s", _INSTRUCTIONS + TABLE_CSS + TABS_CSS + _toolbar_css()))


def indonesian_page() -> None:
    """Called once per run by app.py, before the page."""
    indonesian_text()
    # In the sidebar: a script is an element of its own, and in the page it put a gap above the title.
    st.sidebar.html(_LOCALE_SCRIPT + _WORDS_SCRIPT + _SAME_PAGE_SCRIPT, unsafe_allow_javascript=True)


# File uploads ------------------------------------------------------------------------------

# Streamlit 1.67 has no parameter for the uploader's own texts: its button says "Upload" and its
# line "200MB per file • XLSX, CSV". They are hidden (display: none, so not even read out) and
# Indonesian text is put in their place with CSS; the label, help and this text are ours.
_UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] > * { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"]::after { content: "%s"; font-size: 0.875rem; opacity: 0.7; }
[data-testid="stFileUploaderDropzone"] button > * { display: none; }
[data-testid="stFileUploaderDropzone"] button::after { content: "Pilih berkas"; }
/* The size of the chosen file, written the English way ("380.0B"): the name is enough. */
[data-testid="stFileChipName"] + div { display: none; }
</style>"""


def uploader(label: str, types: list[str], *, key: str, help: str | None = None):
    """``st.file_uploader`` speaking Indonesian: "Pilih berkas", "maksimal 200 MB per berkas"."""
    limit = st.get_option("server.maxUploadSize")
    kinds = ", ".join(t.upper() for t in types)
    st.html(_UPLOADER_CSS % f"Maksimal {limit} MB per berkas \\2022  {kinds}")
    return st.file_uploader(label, type=types, key=key, help=help)
