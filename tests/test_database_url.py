"""One setting chooses the database (issue 25): ``[database] url`` or ``PAYUNG_DATABASE_URL``, a
SQLite file (a path or ``sqlite:///``) or a PostgreSQL URL; the older ``[payung] database`` and
``PAYUNG_DB`` are the same setting."""

from __future__ import annotations

import pytest

from payung.base.config import load_settings
from payung.base.errors import ConfigError

import conftest

PG = "postgresql://payung@db.jateng.example:5432/payung"


def _config(tmp_path, database_table: str = "", payung_keys: str = ""):
    text = conftest.write_config(tmp_path).read_text(encoding="utf-8")
    text = conftest._with_keys(text, "database", {}, drop=("url",))
    text = conftest._with_keys(text, "payung", {}, drop=("data_dir",))
    path = tmp_path / "c.toml"
    path.write_text(text.replace("[database]\n", f"[database]\n{database_table}\n", 1)
                    .replace("[payung]\n", f"[payung]\n{payung_keys}\n", 1), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch):
    for name in ("PAYUNG_DATABASE_URL", "PAYUNG_DB"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("url, expected", [
    ("data/x.db", "{base}/data/x.db"),
    ("sqlite:///data/x.db", "{base}/data/x.db"),
    ("sqlite:////srv/payung/x.db", "/srv/payung/x.db"),
    ("/srv/payung/x.db", "/srv/payung/x.db"),
])
def test_a_sqlite_url_or_path_names_a_file(tmp_path, url, expected):
    settings = load_settings(_config(tmp_path, f'url = "{url}"'))
    assert settings.engine == "sqlite"
    assert str(settings.database) == expected.format(base=tmp_path)
    assert settings.database_url == "sqlite:///" + expected.format(base=tmp_path)
    assert settings.data_dir == settings.database.parent


def test_a_postgresql_url_is_the_server(tmp_path):
    settings = load_settings(_config(tmp_path, f'url = "{PG}"'))
    assert (settings.engine, settings.database, settings.database_url) == ("postgresql", None, PG)
    assert settings.data_dir == tmp_path / "data"  # files beside config.toml, not beside a server
    with_password = load_settings(_config(tmp_path, 'url = "postgresql://payung:rahasia@db:5432/payung"'))
    assert with_password.database_shown == "postgresql://payung:***@db:5432/payung"


def test_the_older_names_are_the_same_setting(tmp_path, monkeypatch):
    assert load_settings(_config(tmp_path, payung_keys='database = "lama.db"')).database == tmp_path / "lama.db"
    config = _config(tmp_path, 'url = "baru.db"')
    monkeypatch.setenv("PAYUNG_DB", str(tmp_path / "env.db"))
    assert load_settings(config).database == tmp_path / "env.db"
    monkeypatch.setenv("PAYUNG_DATABASE_URL", PG)
    monkeypatch.delenv("PAYUNG_DB")
    assert load_settings(config).database_url == PG
    assert load_settings(config, database=tmp_path / "cli.db").database == tmp_path / "cli.db"  # --db first


def test_two_names_that_disagree_are_refused(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=r"\[database\] url"):
        load_settings(_config(tmp_path, 'url = "a.db"', payung_keys='database = "b.db"'))
    monkeypatch.setenv("PAYUNG_DATABASE_URL", PG)
    monkeypatch.setenv("PAYUNG_DB", "b.db")
    with pytest.raises(ConfigError, match="PAYUNG_DATABASE_URL"):
        load_settings(_config(tmp_path, 'url = "a.db"'))


@pytest.mark.parametrize("url", ["mysql://x@y/z", "sqlite://", "sqlite:///"])
def test_an_unknown_url_is_refused_in_words(tmp_path, url):
    with pytest.raises(ConfigError, match="database url"):
        load_settings(_config(tmp_path, f'url = "{url}"'))
