"""The frozen plugin's own Payung, and the warnings its tests must give.

Its tests use the fixtures of ``tests/conftest.py`` (``people``, ``rules_of``) as the docs
taught; ``schemes_app`` is replaced here so that ``people`` loads only this folder's plugin
with the regencies and settings the regency added to config.toml: the rest of the suite never
sees this scheme, and these tests see no other.
"""

from __future__ import annotations

import tomllib
import warnings
from pathlib import Path

import pytest

from conftest import BASE_CONFIG, write_config
from payung.core import Payung

FOLDER = Path(__file__).resolve().parent
ADDITIONS = (FOLDER / "config_additions.toml").read_text(encoding="utf-8")
#: Regencies the tests need besides the plugin's own (a worker from elsewhere lives there),
#: added when the configuration under test does not serve them.
NEIGHBOURS = {"61.01": "Kabupaten Sambas"}

#: The API moved on here: the DeprecationWarning (its start) each test must give. Any other
#: test gives none.
EXPECTED_WARNINGS = {
    "test_panel_counts_the_workers_of_each_foster_parent": ["DataReader(db) without a scope is deprecated"],
}


def _additions() -> str:
    served = {r["code"] for r in tomllib.loads(BASE_CONFIG.read_text(encoding="utf-8"))["regencies"]}
    extra = "".join(f'\n[[regencies]]\ncode = "{code}"\nname = "{name}"\n'
                    for code, name in NEIGHBOURS.items() if code not in served)
    return ADDITIONS + extra


@pytest.fixture
def schemes_app(tmp_path, db_location) -> Payung:
    return Payung.load(write_config(tmp_path, extra=_additions(), plugins_dir=str(FOLDER / "plugins"),
                                    database=db_location),
                       entry_points=False)


@pytest.fixture(autouse=True)
def deprecations_given(request, recwarn):
    """After each test: it gave exactly the deprecation warnings ``EXPECTED_WARNINGS`` names."""
    warnings.simplefilter("always", DeprecationWarning)
    yield
    given = [str(w.message) for w in recwarn if issubclass(w.category, DeprecationWarning)
             and "Payung" in str(w.message)]
    expected = EXPECTED_WARNINGS.get(request.node.originalname, [])
    assert len(given) == len(expected) and all(g.startswith(e) for g, e in zip(given, expected)), given
