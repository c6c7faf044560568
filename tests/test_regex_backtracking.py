"""No regular expression that can backtrack reads what a user typed or uploaded (issue #21,
finding 4): a description line of ``[`` and a few thousand spaces froze the server in
``declarative.line_of`` for minutes, holding the GIL, so every user's page stopped.

Each parser below gets an input built to make a backtracking expression take minutes (the old
ones took seconds at a tenth of this size, and grew with its square or cube); it must finish
well inside a generous alarm. Not a timing test: the fixed code takes milliseconds, the old one
hours, and the alarm only keeps a regression from hanging the suite.
"""

from __future__ import annotations

import contextlib
import signal

import pytest

from payung.schemes import declarative
from payung.core import Payung
from payung.schemes.declarative import DeclarationError, dumps, line_of, load_scheme
from payung.imports.enrolments import _integer
from payung.imports.normalize import split_place_date
from payung.auth.passwords import _strip_ends, check_password

from conftest import write_config

#: Far beyond what the fixed code needs (milliseconds); far below what a backtracking one takes.
ALARM_SECONDS = 10


class TookTooLong(Exception):
    pass


@contextlib.contextmanager
def finishes_quickly():
    """Fail the test when the block is still running after ``ALARM_SECONDS`` (SIGALRM also
    interrupts the regular expression engine)."""
    def ring(signum, frame):
        raise TookTooLong(f"still running after {ALARM_SECONDS} s: backtracking on hostile input")
    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(ALARM_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


SPACES = " " * 100_000


@pytest.mark.parametrize("text", ["[" + SPACES, "[[" + SPACES + "x", "x = 1\n[" + SPACES + "\n[fields]",
                                  "rules = [{" + "rule " * 20_000 + "}]"], ids=["open", "double", "later", "inline"])
def test_line_of_is_linear_on_a_line_of_brackets_and_spaces(text):
    with finishes_quickly():
        line_of(text, ("rules", 0), "rule")
        line_of(text, (), "code")


def test_line_of_still_finds_headers_with_spaces_and_comments():
    text = 'code = "x"\n[[ rules ]]  # pertama\nrule = "a"\n\n[[rules.rules]]\nhigh = 3\n[fields]\n'
    assert line_of(text, (), "code") == 1
    assert line_of(text, ("rules", 0), "rule") == 3
    assert line_of(text, ("rules", 0, "rules", 0), "high") == 6


def test_a_scheme_copy_whose_description_holds_a_bracket_and_spaces_is_checked_at_once(tmp_path):
    """The Skema page's Periksa: the description is written into the TOML as a multi-line
    string, so its line ``[       ...`` is scanned as a possible table header."""
    settings = Payung.load(write_config(tmp_path), entry_points=False).settings
    data = {"code": "skema_uji", "name": "Uji", "regency_code": settings.regency_codes[0],
            "description": "Baris pertama\n[" + SPACES, "months": [0], "fields": [{"name": "x", "label": 5}]}
    with finishes_quickly(), pytest.raises(DeclarationError) as refused:
        load_scheme(dumps(data), settings)
    assert "«months» harus berisi bilangan bulan positif" in str(refused.value)


def test_a_place_and_date_cell_of_spaces_is_read_at_once():
    with finishes_quickly():
        assert split_place_date("Kendal" + SPACES + "x") == ("", "Kendal" + SPACES + "x")
    assert split_place_date("Kendal  17-08-1975") == ("Kendal", "17-08-1975")
    assert split_place_date("Kendal, 17-08-1975") == ("Kendal", "17-08-1975")


def test_a_months_cell_of_spaces_is_read_at_once():
    with finishes_quickly():
        assert _integer("1" + SPACES + "x") == "1" + SPACES + "x"
    assert [_integer(v) for v in ("12", " 6 bulan ", "3bln", "1234567890")] == [12, 6, 3, "1234567890"]


def test_password_ends_are_stripped_in_one_pass():
    with finishes_quickly():
        assert _strip_ends("!" * 50_000 + "a") == "a"
        check_password("!" * 60 + "a1")
    assert _strip_ends("2026-Rahasia-123!") == "Rahasia"


def test_no_module_reads_a_line_with_the_old_header_expression():
    """The expression itself is gone (a copy of it elsewhere would backtrack the same way)."""
    import pathlib
    root = pathlib.Path(declarative.__file__).resolve().parent.parent
    for path in [*root.glob("payung/**/*.py"), *root.glob("db/*.py"), *root.glob("ui/*.py"), *root.glob("pages/*.py")]:
        assert r"([A-Za-z0-9_.\s]+?)\s*" not in path.read_text(encoding="utf-8"), path
