"""Load ``config.toml`` into typed settings.

Every figure a regulation or a regency can change (rates, regencies, plugins, the database
path) lives in the TOML file; this module only reads and checks it.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from payung.base.errors import ConfigError
from payung.base.months import parse_month
from payung.base.occupations import occupations

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = ROOT / "config.toml"


@dataclass(frozen=True)
class Regency:
    code: str
    name: str
    umk: int
    #: ``umk_by_year``: the UMK of each year a regency has typed ({2026: 2_450_000}); ``umk`` is
    #: the figure of any other year.
    umk_by_year: dict[int, int] = field(default_factory=dict, hash=False, compare=False)

    def umk_for(self, year: int) -> int:
        """The regency minimum wage (UMK) of ``year``: that year's figure, else the latest
        earlier year's, else ``umk`` (0: not configured)."""
        known = [y for y in self.umk_by_year if y <= year]
        return self.umk_by_year[max(known)] if known else self.umk


@dataclass(frozen=True)
class Rate:
    """BPU contribution rates valid from a month on (basis points: 100 = 1%)."""

    valid_from: str
    jkk_bp: int
    jkm: int
    jht_bp: int


@dataclass(frozen=True)
class Relief:
    """A temporary discount on some programs, optionally only for some occupations."""

    name: str
    valid_from: str
    valid_to: str
    programs: tuple[str, ...]
    discount_bp: int
    occupations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Limits:
    """``[limits]``: what an upload, a typed amount or a date may be before it is refused as a
    mistake (or an attack). Defaults here; config.toml overrides any of them."""

    #: Largest upload (also ``server.maxUploadSize`` in .streamlit/config.toml), megabytes.
    max_upload_mb: int = 200
    max_rows: int = 1_048_576
    max_columns: int = 200
    max_cells: int = 20_000_000
    #: Largest uncompressed size of an .xlsx's parts (zip bombs), megabytes.
    max_unzipped_mb: int = 1024
    max_cell_chars: int = 10_000
    #: The child process that reads an upload: address-space limit (MB) and seconds.
    reader_memory_mb: int = 1536
    reader_seconds: int = 300
    #: An uploaded image (the letterhead's logo) is decoded in the same kind of child process,
    #: with this much memory (MB) and CPU time (seconds), and refused above this many pixels.
    image_memory_mb: int = 1024
    image_seconds: int = 20
    max_image_pixels: int = 40_000_000
    #: Money (Rupiah). An income above Rp 1 miliar a month is a typing error.
    max_income: int = 1_000_000_000
    max_payment: int = 1_000_000_000_000
    max_claim: int = 10_000_000_000
    max_budget: int = 10_000_000_000_000
    #: A worker's age on registration.
    min_age: int = 15
    max_age: int = 100
    #: Earliest payment date (no scheme here is older; per scheme start dates are checked too).
    earliest_payment: str = "2015-01-01"
    #: Workers outside an operator's area whose NIK they may be told is "registered elsewhere"
    #: each day before anything is written (``payung.people.workers.duplicate_nik``).
    nik_elsewhere_per_day: int = 30


#: URL schemes of PostgreSQL; anything else is SQLite (a file path or ``sqlite:///path``).
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def database_location(value: str | os.PathLike, base: Path) -> tuple[str, Path | None]:
    """The database URL a setting names, and the SQLite file (None for PostgreSQL or
    ``:memory:``). A path or ``sqlite:///relative`` is taken relative to ``base`` (the
    configuration's folder); ``sqlite:////absolute`` and an absolute path as they are."""
    text = str(value).strip()
    if text.startswith(POSTGRES_SCHEMES):
        return text, None
    if text.startswith("sqlite://"):
        text = text.removeprefix("sqlite:///")
        if not text or text.startswith("sqlite://"):
            raise ConfigError(f"database url {value!r}: tulis sqlite:///berkas.db (relatif) atau "
                              "sqlite:////folder/berkas.db (absolut).")
    elif "://" in text:
        raise ConfigError(f"database url {value!r}: hanya berkas SQLite (sqlite:///...) atau postgresql://... yang "
                          "dikenal.")
    if text == ":memory:":
        return "sqlite:///:memory:", None
    path = Path(text)
    if not path.is_absolute():
        path = base / path
    return f"sqlite:///{path}", path


#: Every table of config.toml and the keys Payung reads in it ("*": keys the regency names: codes,
#: words, a plugin's own settings). docs/configuration.md documents each one: tests/test_docs.py
#: checks that, that this module reads no key missing here, and that the shipped config.toml
#: holds no key the docs do not explain.
CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "payung": ("database", "data_dir", "plugins_dir", "busy_timeout_ms", "timezone"),
    "database": ("url", "pool_size"),
    "limits": tuple(f.name for f in dataclasses.fields(Limits)),
    "plugins": ("disabled",),
    "regencies": ("code", "name", "umk", "umk_by_year"),
    "contribution": ("min_income", "default_programs", "due_day", "lapse_months", "payment_periods", "rates",
                     "relief"),
    "contribution.rates": ("valid_from", "jkk_bp", "jkm", "jht_bp"),
    "contribution.relief": ("name", "valid_from", "valid_to", "programs", "discount_bp", "occupations"),
    "funding_codes": ("*",),
    "occupations": ("*",),
    "import_synonyms": ("*",),
    "schemes": ("*",),
    "bpjs_exchange": ("columns", "answer"),
    "bpjs_exchange.columns": ("*",),
    "bpjs_exchange.answer": ("nik", "kpj", "reason"),
    "reminders": ("how_to_pay", "sender"),
    "letterhead": ("government", "office", "address", "official", "official_title", "nip", "*"),
    "sessions": ("idle_hours", "lifetime_days", "max_failures", "failure_window_minutes", "lockout_minutes",
                 "address_max_failures"),
    "backups": ("folder", "keep"),
}


@dataclass(frozen=True)
class Settings:
    path: Path
    #: The SQLite file; None when the database is PostgreSQL (``database_url``) or in memory.
    database: Path | None
    plugins_dir: Path
    busy_timeout_ms: int
    disabled_plugins: tuple[str, ...]
    regencies: tuple[Regency, ...]
    min_income: int
    default_programs: tuple[str, ...]
    due_day: int
    lapse_months: int
    payment_periods: tuple[int, ...]
    rates: tuple[Rate, ...]
    reliefs: tuple[Relief, ...]
    funding_codes: dict[str, str]
    extra_occupations: dict[str, str]
    schemes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``[bpjs_exchange]``: column headings of the BPJS collective registration and answer.
    bpjs_exchange: dict[str, Any] = field(default_factory=dict)
    #: ``[reminders]``: the WhatsApp reminders of the late list (``how_to_pay``, ``sender``).
    reminders: dict[str, Any] = field(default_factory=dict)
    #: ``[letterhead]`` and ``[letterhead."<regency code>"]``: the kop surat of bills, receipts
    #: and reports (``government``, ``office``, ``address``, ``official``, ``official_title``, ``nip``).
    letterhead: dict[str, Any] = field(default_factory=dict)
    #: ``[import_synonyms.<column>]``: a regency's own words for coded import values.
    import_synonyms: dict[str, dict[str, Any]] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    #: ``[payung] timezone``: the local time every stored (UTC) timestamp is shown in.
    timezone: str = "Asia/Jakarta"
    #: ``[sessions]``: idle timeout, lifetime and login throttle (``payung.auth.sessions.SessionPolicy``).
    sessions: dict[str, Any] = field(default_factory=dict)
    #: ``[backups]``: folder and how many daily copies are kept (``payung.operations.backups``).
    backups: dict[str, Any] = field(default_factory=dict)
    #: ``[database] url`` (or ``[payung] database``): ``sqlite:////abs/path.db`` or ``postgresql://...``.
    database_url: str = ""
    #: ``[database] pool_size``: connections a process keeps open to PostgreSQL (at most).
    pool_size: int = 20
    #: The folder of the files Payung keeps beside its data (cookie key, logos, backups):
    #: ``[payung] data_dir``, else the SQLite file's folder, else ``data`` beside config.toml.
    data_dir: Path = Path("data")

    @property
    def database_shown(self) -> str:
        """The database as it may be printed: the SQLite file, or the URL without its password."""
        if self.database is not None:
            return str(self.database)
        from urllib.parse import urlsplit, urlunsplit
        parts = urlsplit(self.database_url)
        if parts.password is None:
            return self.database_url
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))

    @property
    def engine(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return "postgresql" if self.database_url.startswith(POSTGRES_SCHEMES) else "sqlite"

    @cached_property
    def regency_codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.regencies)

    @cached_property
    def occupations(self) -> dict[str, str]:
        """Occupation codes -> labels: the built-in list plus ``[occupations]``."""
        return occupations(self.extra_occupations)

    def regency(self, code: str) -> Regency | None:
        return next((r for r in self.regencies if r.code == code), None)

    def scheme_settings(self, code: str) -> dict[str, Any]:
        """The ``[schemes.<code>]`` table, empty when absent."""
        return dict(self.schemes.get(code, {}))

    def due_day_of(self, scheme_code: str | None) -> int:
        """Day of the following month a scheme's contributions fall due (``due_day`` of
        ``[schemes.<code>]``, else of ``[contribution]``)."""
        value = self.schemes.get(scheme_code or "", {}).get("due_day", self.due_day)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 28:
            raise ConfigError(f"schemes.{scheme_code}: 'due_day' harus tanggal 1 sampai 28, bukan {value!r}.")
        return value


def _umk_by_year(regency: dict) -> dict[int, int]:
    """``umk_by_year = {"2026" = 2450000}`` of a ``[[regencies]]`` block, checked."""
    table = regency.get("umk_by_year", {})
    if not isinstance(table, dict) or not all(str(y).isdigit() and len(str(y)) == 4 for y in table):
        raise ConfigError(f"regencies {regency.get('code')}: 'umk_by_year' harus tabel tahun = UMK, "
                          "contoh {\"2026\" = 2450000}.")
    return {int(year): _int(table, year, f"regencies {regency.get('code')} umk_by_year") for year in table}


def _int(table: dict, key: str, where: str, default: int | None = None) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: '{key}' harus bilangan bulat (tanpa desimal), bukan {value!r}.")
    return value


def _month(value: Any, where: str) -> str:
    try:
        return parse_month(str(value))
    except ValueError:
        raise ConfigError(f"{where}: bulan {value!r} tidak valid; tulis sebagai \"YYYY-MM\".") from None


_LAST_LIMITS: list[Limits] = []


def last_limits() -> Limits:
    return _LAST_LIMITS[-1] if _LAST_LIMITS else Limits()


def _limits(table: dict) -> Limits:
    known = {f.name: f for f in dataclasses.fields(Limits)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(f"limits: kunci tidak dikenal: {', '.join(unknown)}.")
    values = {}
    for key, value in table.items():
        if known[key].type == "str":
            values[key] = str(value)
            continue
        values[key] = _int(table, key, "limits")
        if values[key] <= 0:
            raise ConfigError(f"limits: '{key}' harus lebih dari 0.")
    limits = Limits(**values)
    _LAST_LIMITS[:] = [limits]
    return limits


def _database_setting(raw: dict, database: str | os.PathLike | None) -> str:
    """The one database setting, by precedence: ``database`` (``--db``), the environment
    (``PAYUNG_DATABASE_URL``, or its older name ``PAYUNG_DB``), the file (``[database] url``, or
    its older place ``[payung] database``), else ``data/payung.db``. Two names of one level
    that disagree are refused rather than one picked."""
    if database:
        return str(database)
    for level, (new, old) in (
        ("lingkungan", (("PAYUNG_DATABASE_URL", os.environ.get("PAYUNG_DATABASE_URL")),
                        ("PAYUNG_DB", os.environ.get("PAYUNG_DB")))),
        ("konfigurasi", (("[database] url", raw.get("database", {}).get("url")),
                         ("[payung] database", raw.get("payung", {}).get("database")))),
    ):
        if new[1] and old[1] and str(new[1]) != str(old[1]):
            raise ConfigError(f"Basis data disebut dua kali di {level} dengan nilai berbeda: {new[0]} = {new[1]!r} "
                              f"dan {old[0]} = {old[1]!r}. Pakai {new[0]} saja.")
        if new[1] or old[1]:
            return str(new[1] or old[1])
    return "data/payung.db"


def database_environment(location: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process that opens the database at ``location``: ``environ``
    (``os.environ``) with ``PAYUNG_DATABASE_URL`` set to it, and without ``PAYUNG_DB`` (its
    older name: one spelling the location otherwise would be refused beside it). The
    environment, not the child's command line: every user of the machine reads a command line
    (``ps``), and a PostgreSQL URL may hold a password."""
    inherited = {k: v for k, v in (os.environ if environ is None else environ).items() if k != "PAYUNG_DB"}
    return {**inherited, "PAYUNG_DATABASE_URL": str(location)}


def load_settings(path: str | os.PathLike | None = None, *, database: str | os.PathLike | None = None) -> Settings:
    """Read the configuration file.

    The file is ``path``, else ``$PAYUNG_CONFIG``, else ``config.toml`` beside the code. The
    database is ``database``, else ``$PAYUNG_DATABASE_URL`` (``$PAYUNG_DB``), else the file's
    ``[database] url`` (``[payung] database``): a SQLite file or a PostgreSQL URL.
    """
    config_path = Path(path or os.environ.get("PAYUNG_CONFIG") or DEFAULT_CONFIG).resolve()
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Berkas konfigurasi {config_path} tidak ditemukan.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Berkas konfigurasi {config_path} tidak dapat dibaca: {exc}") from None
    base = config_path.parent

    app = raw.get("payung", {})
    if not isinstance(raw.get("database", {}), dict):
        raise ConfigError("[database] harus berupa tabel (url = \"...\").")
    database_url, db_path = database_location(_database_setting(raw, database), base)
    data_dir = Path(app["data_dir"]) if app.get("data_dir") else db_path.parent if db_path else Path("data")
    if not data_dir.is_absolute():
        data_dir = base / data_dir

    regencies = tuple(
        Regency(code=str(r["code"]), name=str(r["name"]), umk=_int(r, "umk", "regencies", 0),
                umk_by_year=_umk_by_year(r))
        for r in raw.get("regencies", [])
    )
    if not regencies:
        raise ConfigError("Konfigurasi harus memuat paling sedikit satu kabupaten ([[regencies]]).")

    contribution = raw.get("contribution", {})
    rates = tuple(
        sorted(
            (
                Rate(
                    valid_from=_month(r["valid_from"], "contribution.rates"),
                    jkk_bp=_int(r, "jkk_bp", "contribution.rates"),
                    jkm=_int(r, "jkm", "contribution.rates"),
                    jht_bp=_int(r, "jht_bp", "contribution.rates"),
                )
                for r in contribution.get("rates", [])
            ),
            key=lambda rate: rate.valid_from,
        )
    )
    if not rates:
        raise ConfigError("Tabel tarif iuran ([[contribution.rates]]) kosong.")
    reliefs = tuple(
        Relief(
            name=str(r["name"]),
            valid_from=_month(r["valid_from"], "contribution.relief"),
            valid_to=_month(r["valid_to"], "contribution.relief"),
            programs=tuple(r.get("programs", [])),
            discount_bp=_int(r, "discount_bp", "contribution.relief"),
            occupations=tuple(r.get("occupations", [])),
        )
        for r in contribution.get("relief", [])
    )
    return Settings(
        path=config_path,
        database=db_path,
        database_url=database_url,
        data_dir=data_dir,
        pool_size=_int(raw.get("database", {}), "pool_size", "database", 20),
        plugins_dir=(base / app.get("plugins_dir", "plugins")).resolve(),
        busy_timeout_ms=_int(app, "busy_timeout_ms", "payung", 10000),
        disabled_plugins=tuple(raw.get("plugins", {}).get("disabled", [])),
        regencies=regencies,
        min_income=_int(contribution, "min_income", "contribution", 1000000),
        default_programs=tuple(contribution.get("default_programs", ["JKK", "JKM"])),
        due_day=_int(contribution, "due_day", "contribution", 15),
        lapse_months=_int(contribution, "lapse_months", "contribution", 3),
        payment_periods=tuple(contribution.get("payment_periods", [1, 3, 6, 12])),
        rates=rates,
        reliefs=reliefs,
        funding_codes=dict(raw.get("funding_codes", {})),
        extra_occupations={str(k): str(v) for k, v in raw.get("occupations", {}).items()},
        schemes={str(k): dict(v) for k, v in raw.get("schemes", {}).items()},
        bpjs_exchange=dict(raw.get("bpjs_exchange", {})),
        import_synonyms={str(k): {str(t): c for t, c in dict(v).items()}
                         for k, v in raw.get("import_synonyms", {}).items()},
        limits=_limits(raw.get("limits", {})),
        reminders=dict(raw.get("reminders", {})),
        letterhead=dict(raw.get("letterhead", {})),
        timezone=str(app.get("timezone") or "Asia/Jakarta"),
        sessions=dict(raw.get("sessions", {})),
        backups=dict(raw.get("backups", {})),
    )
