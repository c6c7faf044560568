"""PAYUNG_TEST_CONFIG may point at a regency's own config.toml: the copy the tests run on
(``conftest.write_config``) names a temporary database whatever that file says, so the suite
never writes into the regency's real data."""

from __future__ import annotations

import pytest

import conftest
from payung.base.config import load_settings

REAL = "/srv/payung/kendal-produksi.db"


@pytest.mark.parametrize("payung_table", [
    f'[payung]\ndatabase = "{REAL}"\nplugins_dir = "plugins"\n',
    f"[payung]\nbusy_timeout_ms = 5000\ndatabase='{REAL}'   # produksi\n",
    f'[payung]\n  "database"   =   "{REAL}"\n',
    "[payung]\nbusy_timeout_ms = 5000\n",
    "",
])
def test_the_tests_database_is_temporary_whatever_the_config_says(tmp_path, monkeypatch, payung_table):
    base = conftest.BASE_CONFIG.read_text(encoding="utf-8")
    start = base.index("[payung]")
    end = base.index("\n[", start + 1)
    regency_config = tmp_path / "kabupaten" / "config.toml"
    regency_config.parent.mkdir()
    regency_config.write_text(base[:start] + payung_table + base[end:], encoding="utf-8")
    monkeypatch.setattr(conftest, "BASE_CONFIG", regency_config)
    copy = conftest.write_config(tmp_path, plugins_dir=str(tmp_path / "plugins"))
    settings = load_settings(copy)
    assert settings.database == tmp_path / "payung.db"
    assert settings.plugins_dir == tmp_path / "plugins"
    if "5000" in payung_table:
        assert settings.busy_timeout_ms == 5000  # the rest of the table is kept


def test_a_database_named_in_the_environment_is_not_the_tests(tmp_path):
    """A developer's PAYUNG_DB / PAYUNG_CONFIG (exported to run the app) is dropped as soon as
    the tests' conftest loads; the fixtures that need them set their own."""
    import os
    import subprocess
    import sys
    done = subprocess.run(
        [sys.executable, "-c", "import conftest, os; print(os.environ.get('PAYUNG_DB'), os.environ.get('PAYUNG_CONFIG'))"],
        cwd=conftest.ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(conftest.ROOT / "tests"), "PAYUNG_DB": REAL,
             "PAYUNG_CONFIG": str(tmp_path / "kabupaten.toml")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "None"]


def test_threads_started_at_once_that_never_end_fail_the_test_instead_of_hanging_it():
    """``conftest.at_once``: a deadlock in a concurrency test must be a failure CI reports, not a
    run that never ends."""
    import threading
    release = threading.Event()
    with pytest.raises(AssertionError, match="still running after 0.2 s: hang-1"):
        conftest.at_once(lambda n: n == 1 and release.wait(30), 3, name="hang", timeout=0.2)
    release.set()
    done = []
    conftest.at_once(done.append, 3)
    assert sorted(done) == [0, 1, 2]
