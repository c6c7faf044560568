"""What differs between SQLite and PostgreSQL in the SQL text, and nothing else.

Queries in ``db`` are written once, in the SQL both engines read alike (``?`` placeholders,
``CASE WHEN`` rather than a sum of booleans, ``CAST``, ``substr``, ``||``, ``COALESCE``, window
functions, ``INSERT ... ON CONFLICT``, ``RETURNING``). Where the engines disagree, the query asks
its database's dialect (``db.dialect``) for the piece: one of the two classes below, with the
same methods. The PostgreSQL connection translates the placeholders (``PostgreSQL.translate``).
"""

from __future__ import annotations

import functools
import re

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def _checked(column: str, key: str | None = None) -> None:
    if not _COLUMN.match(column) or (key is not None and not _KEY.match(key)):
        raise ValueError(f"bad column or JSON key: {column!r} {key!r}")


class SQLite:
    name = "sqlite"

    @staticmethod
    def json_field(column: str, key: str) -> str:
        """The value of ``key`` in a JSON text column (a number, text, or NULL when absent)."""
        _checked(column, key)
        return f"json_extract({column}, '$.{key}')"

    @staticmethod
    def json_value(value):
        """A parameter compared with ``json_field`` (``json_field(...) = ?``)."""
        return value

    @staticmethod
    def group_concat(expression: str, separator: str) -> str:
        return f"GROUP_CONCAT({expression}, '{separator}')"

    @staticmethod
    def like(column: str) -> str:
        """``column`` matches the pattern ``?`` whatever the case of ASCII letters (SQLite's LIKE);
        a backslash in the pattern makes the character after it a character (``queries._escaped``:
        a "%" or "_" typed in a search)."""
        return f"{column} LIKE ? ESCAPE '\\'"

    @staticmethod
    def non_ascii(column: str) -> str:
        """``column`` holds a character outside printable ASCII."""
        return f"{column} GLOB '*[^ -~]*'"

    @staticmethod
    def greatest(*expressions: str) -> str:
        return f"MAX({', '.join(expressions)})"

    @staticmethod
    def least(*expressions: str) -> str:
        return f"MIN({', '.join(expressions)})"

    @staticmethod
    def key_number(alias: str, column: str) -> str:
        """A small whole number that stands for a row of a table keyed by text (its rowid),
        the same number in every query of one database."""
        return f"COALESCE({alias}.rowid, 0)"

    @staticmethod
    def translate(sql: str) -> str:
        return sql


class PostgreSQL:
    name = "postgresql"

    @staticmethod
    def json_field(column: str, key: str) -> str:
        """As SQLite's ``json_extract``: the value as JSON (a number comes back a number), and
        SQL NULL for an absent key or a JSON null alike."""
        _checked(column, key)
        return f"NULLIF(({column})::jsonb -> '{key}', 'null'::jsonb)"

    @staticmethod
    def json_value(value):
        from psycopg.types.json import Jsonb
        return Jsonb(value)

    @staticmethod
    def group_concat(expression: str, separator: str) -> str:
        return f"string_agg({expression}, '{separator}')"

    @staticmethod
    def like(column: str) -> str:
        # As SQLite's: a backslash makes the character after it a character (queries._escaped).
        return f"{column} ILIKE ? ESCAPE '\\'"

    @staticmethod
    def non_ascii(column: str) -> str:
        return f"{column} ~ '[^ -~]'"

    @staticmethod
    def greatest(*expressions: str) -> str:
        return f"GREATEST({', '.join(expressions)})"

    @staticmethod
    def least(*expressions: str) -> str:
        return f"LEAST({', '.join(expressions)})"

    @staticmethod
    def key_number(alias: str, column: str) -> str:
        return f"COALESCE(hashtext({alias}.{column})::bigint & 1048575, 0)"

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def translate(sql: str) -> str:
        """``?`` -> ``%s`` and ``:name`` -> ``%(name)s`` (psycopg's placeholders), a literal
        ``%`` doubled, outside quoted text and names; once per statement text."""
        return _TOKENS.sub(_token, sql)


_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|::|\?|(?<![:\w]):[A-Za-z_]\w*|%")


def _token(match: re.Match) -> str:
    text = match.group()
    if text[0] in "'\"":
        return text.replace("%", "%%")
    if text == "::":
        return text
    if text == "?":
        return "%s"
    if text == "%":
        return "%%"
    return f"%({text[1:]})s"


def for_engine(engine: str):
    return {"sqlite": SQLite, "postgresql": PostgreSQL}[engine]
