"""First start: the one-time setup code and the first administrator.

Until the first administrator exists, creating one needs the setup code Payung prints in the
terminal (like Jupyter's token; ``PAYUNG_SETUP_CODE`` sets it, e.g. for tests), so nobody who
merely reaches the port can make themselves administrator.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from db import store

from payung.auth.access import Actor
from payung.auth.sessions import LOGIN_TABLE, USERNAME_LOGGED
from payung.auth.users import add_user
from payung.base.errors import Problem

SETUP_CODE_ENV = "PAYUNG_SETUP_CODE"


def _normalise_code(code: str) -> str:
    return "".join(c for c in (code or "").lower() if c.isalnum())


def new_setup_code() -> str:
    """A code for the terminal: 16 hex digits in groups of four (64 bits)."""
    raw = secrets.token_hex(8)
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def setup_code_banner(code: str, database: str) -> str:
    """What the terminal shows on a first start."""
    line = "=" * 72
    return (f"\n{line}\nPayung: belum ada administrator. Untuk membuat administrator pertama, buka Payung\n"
            f"di peramban dan masukkan kode penyiapan ini:\n\n    {code}\n\n"
            f"Kode berlaku sampai administrator pertama dibuat (basis data: {database}).\n{line}\n")


def setup_code_from_env() -> str | None:
    return os.environ.get(SETUP_CODE_ENV) or None


def setup_code_matches(typed: str, expected: str) -> bool:
    a, b = _normalise_code(typed), _normalise_code(expected)
    return bool(a and b) and hmac.compare_digest(hashlib.sha256(a.encode()).digest(),
                                                 hashlib.sha256(b.encode()).digest())


def create_first_admin(db, *, setup_code: str, expected_code: str, username: str, name: str, password: str,
                       repeat: str | None = None) -> int:
    """The setup page: the first administrator, only with the setup code and only while there
    is no user (checked and inserted in one transaction: see ``users.add_user``). A wrong code,
    a password typed differently twice (``repeat``) and the account's own problems are refused
    together: told one at a time, a newcomer sent the form four times."""
    problems = []
    if not setup_code_matches(setup_code, expected_code):
        store.log_event(db, actor=(username or "-")[:USERNAME_LOGGED], action="first_admin_refused",
                        table=LOGIN_TABLE, details={"reason": "setup_code_wrong"})
        problems.append(Problem("setup_code", "Kode penyiapan salah. Lihat terminal tempat Payung dijalankan.",
                                "setup_code_wrong"))
    if repeat is not None and password != repeat:
        problems.append(Problem("repeat", "Ulangan kata sandi tidak sama.", "password_repeat"))
    return add_user(db, username=username, name=name, role="admin", password=password,
                    actor=Actor.system((username or "penyiapan").strip().lower()[:32] or "penyiapan"),
                    first_admin=True, problems=problems)
