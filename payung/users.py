"""Users of the app: bcrypt-hashed passwords (the format streamlit-authenticator checks)."""

from __future__ import annotations

import re

import bcrypt

from db import queries, store

from .access import ROLES, Actor, require
from .errors import Problem, ValidationError

MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:
        return False


def check_password(password: str) -> list[Problem]:
    problems = []
    if len(password or "") < MIN_PASSWORD:
        problems.append(Problem("password", f"Kata sandi minimal {MIN_PASSWORD} karakter.", "password_short"))
    elif password.isdigit() or password.isalpha():
        problems.append(Problem("password", "Kata sandi harus memuat huruf dan angka.", "password_weak"))
    return problems


def add_user(db, *, username: str, name: str, role: str, password: str, actor: Actor,
             regency_code: str | None = None, email: str | None = None, villages: tuple[str, ...] = ()) -> int:
    """Create a user (every problem reported at once); the first user may be created by anyone."""
    if queries.user_count(db) > 0:
        require(actor, "user.manage")
    username = (username or "").strip().lower()
    problems = []
    if not _USERNAME.match(username):
        problems.append(Problem(
            "username", "Nama pengguna 3-32 karakter: huruf kecil, angka, titik, garis bawah atau strip.",
            "username_format",
        ))
    elif queries.user_by_username(db, username):
        problems.append(Problem("username", f"Nama pengguna \"{username}\" sudah dipakai.", "username_taken"))
    if not (name or "").strip():
        problems.append(Problem("name", "Nama lengkap wajib diisi.", "name_required"))
    if role not in ROLES:
        problems.append(Problem("role", f"Peran harus salah satu dari: {', '.join(ROLES)}.", "role_unknown"))
    regencies = queries.region_names(db, 2)
    if regency_code and regency_code not in regencies:
        problems.append(Problem("regency_code", f"Kode kabupaten \"{regency_code}\" tidak dikenal.", "regency_unknown"))
    if role == "operator" and not regency_code and len(regencies) > 1:
        problems.append(Problem("regency_code", "Operator kabupaten harus diberi kabupaten tugasnya "
                                "(Payung ini melayani lebih dari satu kabupaten).", "regency_required"))
    if role == "desa" and not villages:
        problems.append(Problem("villages", "Operator desa harus diberi paling sedikit satu desa.", "villages_required"))
    for code in villages:
        region = queries.region(db, code)
        if region is None or region["level"] != 4:
            problems.append(Problem("villages", f"Kode desa \"{code}\" tidak dikenal.", "village_unknown"))
    problems.extend(check_password(password))
    if problems:
        raise ValidationError(problems)
    row = {"username": username, "name": name.strip(), "role": role, "email": email,
           "password_hash": hash_password(password), "regency_code": regency_code}
    with store.transaction(db):
        user_id = store.insert(db, "users", row, actor=actor.username)
        for code in villages:
            store.insert(db, "user_villages", {"user_id": user_id, "village_code": code}, actor=actor.username)
    return user_id


def has_users(db) -> bool:
    return queries.user_count(db) > 0


def actor_for(db, username: str) -> Actor | None:
    """The acting user, read fresh on every run: a role change or deactivation applies at once."""
    row = queries.user_by_username(db, username)
    if row is None or not row["active"]:
        return None
    return Actor(username=row["username"], role=row["role"], regency_code=row["regency_code"],
                 villages=tuple(queries.user_villages(db, row["id"])))


def credentials(db) -> dict:
    """The users in the shape streamlit-authenticator expects (active users only)."""
    return {"usernames": {
        row["username"]: {"name": row["name"], "email": row["email"] or "", "password": row["password_hash"],
                          "roles": [row["role"]]}
        for row in queries.users_with_hashes(db) if row["active"]
    }}


def list_users(db, *, actor: Actor) -> list[dict]:
    require(actor, "user.manage")
    return queries.users(db)


def change_password(db, *, actor: Actor, current: str, new: str, repeat: str) -> None:
    """A user changes their own password (the current one is asked again)."""
    row = queries.user_by_username(db, actor.username)
    problems = []
    if row is None or not verify_password(current or "", row["password_hash"]):
        problems.append(Problem("current", "Kata sandi lama salah.", "password_wrong"))
    problems.extend(check_password(new))
    if new != repeat:
        problems.append(Problem("repeat", "Ulangan kata sandi baru tidak sama.", "password_repeat"))
    if problems:
        raise ValidationError(problems)
    store.update(db, "users", row["id"], {"password_hash": hash_password(new)}, actor=actor.username)


def reset_password(db, user_id: int, new: str, *, actor: Actor) -> None:
    require(actor, "user.manage")
    problems = check_password(new)
    if problems:
        raise ValidationError(problems)
    store.update(db, "users", user_id, {"password_hash": hash_password(new)}, actor=actor.username)


def set_user_active(db, user_id: int, active: bool, *, actor: Actor) -> None:
    require(actor, "user.manage")
    target = queries.user(db, user_id)
    if target and target["username"] == actor.username and not active:
        raise ValidationError(Problem(None, "Anda tidak dapat menonaktifkan akun Anda sendiri.", "self_deactivate"))
    store.update(db, "users", user_id, {"active": int(active)}, actor=actor.username)
